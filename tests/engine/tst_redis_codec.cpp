// SPDX-License-Identifier: MIT
// The remote tier's pure parts, no server needed: --remote URL parsing and the K/V blob format
// (header layout worked by hand from the format comment in core/tiers/kv_blob_codec.h, every single-byte
// corruption rejected, another model's or layout's blob rejected, namespaces apart).
#include <QtTest>

#include "core/arch/model_config.h"
#include "core/arch/model_presets.h"
#include "core/tiers/kv_blob_codec.h"
#include "core/tiers/model_blob_layout.h"
#include "core/tiers/remote_url.h"
#include "core/util/input_error.h"

using namespace kvlab;

namespace {

BlobLayout layout() {
  BlobLayout l;
  l.modelFingerprint = 0x0123456789ABCDEFull;
  l.layerBegin = 0;
  l.layerEnd = 2;
  l.dtype = BlobDtype::F16;
  l.shape = {2, 2, 3, 4, 5};  // K/V, layers, heads, block tokens, head dim
  l.blockTokens = 4;
  return l;
}

std::string payloadFor(const BlobLayout& l, char seed) {
  std::string payload(l.payloadBytes(), '\0');
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(seed + i * 7);
  return payload;
}

}  // namespace

class TestRedisCodec : public QObject {
  Q_OBJECT

private slots:
  void parsesUrls_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("cluster");
    QTest::addColumn<QString>("user");
    QTest::addColumn<QString>("password");
    QTest::addColumn<QString>("endpoints");
    QTest::addColumn<int>("db");
    QTest::newRow("plain") << "redis://127.0.0.1:6400" << false << ""
                           << ""
                           << "127.0.0.1:6400" << 0;
    QTest::newRow("default port") << "redis://cache-1" << false << ""
                                  << ""
                                  << "cache-1:6379" << 0;
    QTest::newRow("password only") << "redis://:s3cret@localhost:7000/3" << false << ""
                                   << "s3cret"
                                   << "localhost:7000" << 3;
    QTest::newRow("user and password") << "redis://alice:pw@10.0.0.5:6379" << false << "alice"
                                       << "pw"
                                       << "10.0.0.5:6379" << 0;
    QTest::newRow("cluster") << "redis-cluster://a:7000,b:7001,c:7002" << true << ""
                             << ""
                             << "a:7000,b:7001,c:7002" << 0;
    QTest::newRow("cluster one seed") << "redis-cluster://10.0.0.7:30001" << true << ""
                                      << ""
                                      << "10.0.0.7:30001" << 0;
    QTest::newRow("cluster user and password") << "redis-cluster://alice:pw@a:7000,b:7001" << true << "alice"
                                               << "pw"
                                               << "a:7000,b:7001" << 0;
    QTest::newRow("cluster password only") << "redis-cluster://:s3cret@a:7000" << true << ""
                                           << "s3cret"
                                           << "a:7000" << 0;
    // redis-cli -u reads a user-info without ':' as the password (redis-cli.c, parseRedisUri).
    QTest::newRow("bare password") << "redis://s3cret@h:1" << false << ""
                                   << "s3cret"
                                   << "h:1" << 0;
    // A user whose password comes from the environment (withEnvironment).
    QTest::newRow("user, password elsewhere") << "redis://alice:@h:1" << false << "alice"
                                              << ""
                                              << "h:1" << 0;
    QTest::newRow("cluster user, password elsewhere") << "redis-cluster://alice:@a:7000" << true << "alice"
                                                      << ""
                                                      << "a:7000" << 0;
  }
  void parsesUrls() {
    QFETCH(QString, text);
    const RemoteUrl url = RemoteUrl::parse(text.toStdString());
    QFETCH(bool, cluster);
    QCOMPARE(url.cluster, cluster);
    QFETCH(QString, user);
    QFETCH(QString, password);
    QFETCH(QString, endpoints);
    QFETCH(int, db);
    QCOMPARE(QString::fromStdString(url.user), user);
    QCOMPARE(QString::fromStdString(url.password), password);
    QStringList parts;
    for (const RemoteEndpoint& e : url.endpoints)
      parts << QString::fromStdString(e.host) + ":" + QString::number(e.port);
    QCOMPARE(parts.join(','), endpoints);
    QCOMPARE(url.db, db);
    if (!password.isEmpty()) QVERIFY(url.redacted().find(password.toStdString()) == std::string::npos);
    // What reports show parses back to the same user (a bare "user@" would read as a password).
    QCOMPARE(QString::fromStdString(RemoteUrl::parse(url.redacted()).user), user);
  }

  void rejectsBadUrls_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("mentions");
    QTest::newRow("scheme") << "http://x:1"
                            << "expected redis[s]://";
    QTest::newRow("port range") << "redis://h:99999"
                                << "port must be an integer in [1, 65535]";
    QTest::newRow("port text") << "redis://h:abc"
                               << "port";
    QTest::newRow("no host") << "redis://:6379"
                             << "missing host";
    QTest::newRow("db") << "redis://h:1/x"
                        << "database number";
    QTest::newRow("two hosts") << "redis://a:1,b:2"
                               << "redis-cluster://";
    QTest::newRow("cluster db") << "redis-cluster://a:1/2"
                                << "no database";
    QTest::newRow("cluster no port") << "redis-cluster://a"
                                     << "host:port";
    QTest::newRow("empty credentials") << "redis://:@h:1"
                                       << "empty password";
    QTest::newRow("cluster no seeds") << "redis-cluster://"
                                      << "at least one seed";
    QTest::newRow("cluster empty seed") << "redis-cluster://a:1,,b:2"
                                        << "seed 2 of the list is empty";
    QTest::newRow("cluster trailing comma") << "redis-cluster://a:1,"
                                            << "seed 2 of the list is empty";
    QTest::newRow("cluster leading comma") << "redis-cluster://,a:1"
                                           << "seed 1 of the list is empty";
    QTest::newRow("cluster seed no port") << "redis-cluster://a:1,b"
                                          << "expected host:port, got 'b'";
    QTest::newRow("cluster seed port range") << "redis-cluster://a:1,b:70000"
                                             << "port must be an integer in [1, 65535], got '70000'";
    QTest::newRow("cluster duplicate seed") << "redis-cluster://a:1,b:2,a:1"
                                            << "'a:1' is listed twice";
    QTest::newRow("cluster bad host") << "redis-cluster://a:1,b c:2"
                                      << "invalid host 'b c'";
    QTest::newRow("cluster empty credentials") << "redis-cluster://:@a:1"
                                               << "empty password";
    // Errors quote the URL with its user-info hidden.
    QTest::newRow("scheme, with a password") << "http://u:topsecret@x:1"
                                             << "'http://***@x:1'";
    QTest::newRow("stray comma, with a password") << "redis-cluster://u:topsecret@a:1,,b:2"
                                                  << "'redis-cluster://***@a:1,,b:2'";
  }
  void rejectsBadUrls() {
    QFETCH(QString, text);
    QFETCH(QString, mentions);
    try {
      RemoteUrl::parse(text.toStdString());
      QFAIL("accepted a bad URL");
    } catch (const InputError& error) {
      QCOMPARE(QString::fromStdString(error.field), QString("remote"));
      QVERIFY2(QString(error.what()).contains(mentions), error.what());
      QVERIFY2(!QString(error.what()).contains(QStringLiteral("topsecret")), error.what());
    }
  }

  // A password left out of the URL comes from KVLAB_REMOTE_PASSWORD, else from the first line of the file
  // KVLAB_REMOTE_PASSWORD_FILE names; one in the URL wins. Errors name the variable and the file, never a
  // password.
  void passwordFromTheEnvironment_data() {
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("env");       // "" = unset
    QTest::addColumn<QString>("fileText");  // "-" = no file variable; "missing" = a path that does not exist
    QTest::addColumn<QString>("password");  // expected; "!" = an InputError
    QTest::addColumn<QString>("mentions");  // in the error
    QTest::newRow("in the URL wins") << "redis://:fromurl@h:1"
                                     << "fromenv"
                                     << "-"
                                     << "fromurl"
                                     << "";
    QTest::newRow("variable") << "redis://h:1"
                              << "fromenv"
                              << "-"
                              << "fromenv"
                              << "";
    QTest::newRow("variable, with a user") << "redis://lab:@h:1"
                                           << "fromenv"
                                           << "-"
                                           << "fromenv"
                                           << "";
    QTest::newRow("variable before file") << "redis://h:1"
                                          << "fromenv"
                                          << "fromfile\n"
                                          << "fromenv"
                                          << "";
    QTest::newRow("file, first line") << "redis://h:1"
                                      << ""
                                      << "fromfile\r\nsecond\n"
                                      << "fromfile"
                                      << "";
    QTest::newRow("file without newline") << "redis://lab:@h:1"
                                          << ""
                                          << "fromfile"
                                          << "fromfile"
                                          << "";
    QTest::newRow("neither") << "redis://h:1"
                             << ""
                             << "-"
                             << ""
                             << "";
    QTest::newRow("user, neither") << "redis://lab:@h:1"
                                   << ""
                                   << "-"
                                   << "!"
                                   << "KVLAB_REMOTE_PASSWORD";
    QTest::newRow("file missing") << "redis://h:1"
                                  << ""
                                  << "missing"
                                  << "!"
                                  << "cannot read the password file";
    QTest::newRow("file empty line") << "redis://h:1"
                                     << ""
                                     << "\nfromfile\n"
                                     << "!"
                                     << "empty line";
  }
  void passwordFromTheEnvironment() {
    QFETCH(QString, url);
    QFETCH(QString, env);
    QFETCH(QString, fileText);
    QFETCH(QString, password);
    QFETCH(QString, mentions);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("password"));
    if (fileText != "-" && fileText != "missing") {
      QFile file(path);
      QVERIFY(file.open(QIODevice::WriteOnly));
      file.write(fileText.toUtf8());
    }
    qunsetenv(kRemotePasswordEnv);
    qunsetenv(kRemotePasswordFileEnv);
    if (!env.isEmpty()) qputenv(kRemotePasswordEnv, env.toUtf8());
    if (fileText != "-") qputenv(kRemotePasswordFileEnv, path.toUtf8());
    const RemoteUrl parsed = RemoteUrl::parse(url.toStdString());
    try {
      const RemoteUrl resolved = parsed.withEnvironment();
      QCOMPARE(QString::fromStdString(resolved.password), password);
      QCOMPARE(resolved.user, parsed.user);
    } catch (const InputError& error) {
      QVERIFY2(password == "!", error.what());
      QCOMPARE(QString::fromStdString(error.field), QString("remote"));
      QVERIFY2(QString(error.what()).contains(mentions), error.what());
      QVERIFY2(!QString(error.what()).contains(QStringLiteral("fromfile")), error.what());
    }
    qunsetenv(kRemotePasswordEnv);
    qunsetenv(kRemotePasswordFileEnv);
  }

  // Hand-worked header for layout(), block hash 0x1122334455667788: rank 5, so header = 40 fixed (block hash
  // included) + 5*8 dims + 8 payload size = 88 bytes, then the 8-byte checksum: payload starts at 96.
  // Payload = 2*2*3*4*5 elements * 2 bytes (f16) = 480.
  void headerMatchesTheDocumentedFormat() {
    const KvBlobCodec codec(layout());
    const std::string payload = payloadFor(layout(), 1);
    QCOMPARE(payload.size(), size_t(480));
    const std::string blob = codec.encode(0x1122334455667788ull, payload);
    QCOMPARE(blob.size(), size_t(96 + 480));
    QCOMPARE(blob.substr(0, 4), std::string("KVLB"));
    QCOMPARE(int(blob[4]), 2);  // version 2, little-endian u16
    QCOMPARE(int(blob[5]), 0);
    QCOMPARE(int(blob[6]), 2);                                   // F16
    QCOMPARE(int(blob[7]), 5);                                   // rank
    QCOMPARE(static_cast<unsigned char>(blob[8]), 0xEFu);        // fingerprint, low byte first
    QCOMPARE(static_cast<unsigned char>(blob[15]), 0x01u);       // ... high byte last
    QCOMPARE(int(blob[20]), 2);                                  // layer end
    QCOMPARE(int(blob[24]), 4);                                  // block tokens
    QCOMPARE(static_cast<unsigned char>(blob[32]), 0x88u);       // block hash, low byte first
    QCOMPARE(static_cast<unsigned char>(blob[39]), 0x11u);       // ... high byte last
    QCOMPARE(int(blob[40 + 3 * 8]), 4);                          // 4th dim
    QCOMPARE(static_cast<unsigned char>(blob[80]), 480u % 256);  // payload size 480 = 0x01E0
    QCOMPARE(static_cast<unsigned char>(blob[81]), 480u / 256);
    QCOMPARE(blob.substr(96), payload);
    const KvBlobCodec::Decoded decoded = codec.decode(blob, 0x1122334455667788ull);
    QCOMPARE(decoded.status, KvBlobCodec::Status::Ok);
    QCOMPARE(std::string(decoded.payload), payload);
  }

  // Flipping any one bit of any byte (header, checksum or payload) must never decode as Ok.
  void everySingleByteCorruptionIsRejected() {
    const KvBlobCodec codec(layout());
    const std::string blob = codec.encode(77, payloadFor(layout(), 9));
    for (size_t i = 0; i < blob.size(); ++i) {
      std::string damaged = blob;
      damaged[i] = static_cast<char>(damaged[i] ^ 0x10);
      QVERIFY2(codec.decode(damaged, 77).status != KvBlobCodec::Status::Ok, qPrintable(QString::number(i)));
    }
    QVERIFY(codec.decode(blob.substr(0, blob.size() - 1), 77).status != KvBlobCodec::Status::Ok);
    QVERIFY(codec.decode(blob + "x", 77).status != KvBlobCodec::Status::Ok);
    QVERIFY(codec.decode("", 77).status != KvBlobCodec::Status::Ok);
  }

  // An intact blob of ours read under another block's key (copied, renamed, filed by a buggy client) is
  // not that block's K/V: rejected as KeyMismatch, for every other hash tried, including hash 0.
  void blobUnderAnotherBlocksKeyIsRejected_data() {
    QTest::addColumn<quint64>("written");
    QTest::addColumn<quint64>("readAs");
    QTest::newRow("neighbour") << quint64(41) << quint64(42);
    QTest::newRow("high bit") << quint64(41) << quint64(41 | (1ull << 63));
    QTest::newRow("zero") << quint64(41) << quint64(0);
    QTest::newRow("from zero") << quint64(0) << quint64(41);
  }
  void blobUnderAnotherBlocksKeyIsRejected() {
    QFETCH(quint64, written);
    QFETCH(quint64, readAs);
    const KvBlobCodec codec(layout());
    const std::string blob = codec.encode(written, payloadFor(layout(), 5));
    QCOMPARE(codec.decode(blob, written).status, KvBlobCodec::Status::Ok);
    const KvBlobCodec::Decoded other = codec.decode(blob, readAs);
    QCOMPARE(other.status, KvBlobCodec::Status::KeyMismatch);
    QVERIFY(other.payload.empty());
  }

  // bf16 and fp16 K/V have the same size but different bits: two labs running the same preset in the two
  // dtypes must not share blocks (they did when the layout looked only at the byte count).
  void layoutFollowsTheDtype() {
    const ModelConfig demo = *findModelPreset("demo");
    const BlobLayout fp32 = modelBlobLayout(demo, 16);
    const BlobLayout bf16 = modelBlobLayout(withDtype(demo, ComputeDtype::Bf16), 16);
    const BlobLayout fp16 = modelBlobLayout(withDtype(demo, ComputeDtype::Fp16), 16);
    QCOMPARE(fp32.dtype, BlobDtype::F32);
    QCOMPARE(bf16.dtype, BlobDtype::BF16);
    QCOMPARE(fp16.dtype, BlobDtype::F16);
    QVERIFY(bf16.modelFingerprint != fp16.modelFingerprint);
    QVERIFY(bf16.modelFingerprint != fp32.modelFingerprint);
    QCOMPARE(bf16.payloadBytes() * 2, fp32.payloadBytes());
  }

  void anotherLayoutIsRejected_data() {
    QTest::addColumn<int>("change");
    QTest::newRow("model fingerprint") << 0;
    QTest::newRow("layer range") << 1;
    QTest::newRow("dtype") << 2;
    QTest::newRow("shape") << 3;
    QTest::newRow("block tokens") << 4;
  }
  void anotherLayoutIsRejected() {
    QFETCH(int, change);
    BlobLayout other = layout();
    switch (change) {
      case 0:
        other.modelFingerprint ^= 1;
        break;
      case 1:
        other.layerBegin = 1;
        break;
      case 2:
        other.dtype = BlobDtype::BF16;
        break;  // same element size: only the header tells them apart
      case 3:
        other.shape = {2, 2, 3, 5, 4};
        break;  // same byte count, other shape
      case 4:
        other.blockTokens = 5;
        break;
    }
    QCOMPARE(other.payloadBytes(), layout().payloadBytes());
    const KvBlobCodec ours(layout());
    const std::string foreign = KvBlobCodec::encodeWith(other, 42, payloadFor(other, 3));
    QCOMPARE(ours.decode(foreign, 42).status, KvBlobCodec::Status::LayoutMismatch);
    QVERIFY(KvBlobCodec(other).namespaceId() != ours.namespaceId());
    QVERIFY(KvBlobCodec(other).keyFor(42) != ours.keyFor(42));
  }

  void keysAreNamespaced() {
    const KvBlobCodec codec(layout());
    QCOMPARE(codec.namespaceId().size(), size_t(16));
    QCOMPARE(codec.keyFor(0xABCull), "kvlab:v1:" + codec.namespaceId() + ":0000000000000abc");
    QCOMPARE(codec.keyPattern(), "kvlab:v1:" + codec.namespaceId() + ":*");
    QCOMPARE(KvBlobCodec(layout()).namespaceId(), codec.namespaceId());  // stable across instances
  }

  void wrongPayloadSizeThrows() {
    const KvBlobCodec codec(layout());
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, codec.encode(1, "short"));
  }
};

QTEST_GUILESS_MAIN(TestRedisCodec)
#include "tst_redis_codec.moc"
