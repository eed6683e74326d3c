// SPDX-License-Identifier: MIT
// Real weights: the memory-mapped safetensors reader (single files and sharded checkpoints), its errors
// naming the tensor, and LlamaModel on checkpoints of every supported architecture against an independent
// float64 NumPy forward pass written from Hugging Face's modeling code (tools/hf_reference_forward.py, which
// also writes the tiny checkpoints: hidden 64, 2 layers, random weights). Cached and uncached computation
// must give the same logits and the same greedy tokens.
#include <ATen/ATen.h>

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <cstring>
#include <functional>
#include <span>
#include <fstream>

#include "core/arch/hf_config_reader.h"
#include "core/arch/model_config.h"
#include "core/model/checkpoint_weights.h"
#include "core/model/llama_model.h"
#include "core/runner/run_recorder.h"
#include "core/runner/scenario_runner.h"
#include "core/util/input_error.h"
#include "core/weights/safetensors_checkpoint.h"
#include "core/weights/safetensors_file.h"
#include "test_requirements.h"

using namespace kvlab;

namespace {

// Writes a safetensors file by hand: 8-byte little-endian header length, the header text as given, data.
void writeRaw(const QString& path, const std::string& header, const std::string& data) {
  std::ofstream out(path.toStdString(), std::ios::binary);
  const std::uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out.put(char((n >> (8 * i)) & 0xFF));
  out << header << data;
}

// A python3 that can import numpy: CMake's, then the PATH's, then Debian's (pyenv shims may lack numpy).
QString pythonWithNumpy() {
  QStringList candidates;
#ifdef KVLAB_PYTHON3
  candidates << QStringLiteral(KVLAB_PYTHON3);
#endif
  candidates << test::findPython3() << QStringLiteral("/usr/bin/python3");
  for (const QString& python : candidates) {
    if (test::executableOrEmpty(python).isEmpty()) continue;
    QProcess p;
    p.start(python, {QStringLiteral("-c"), QStringLiteral("import numpy")});
    if (p.waitForFinished(30000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0) return python;
  }
  return {};
}

std::string errorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

}  // namespace

class TestCheckpointWeights : public QObject {
  Q_OBJECT

private slots:
  // A hand-made file: two tensors, read through the mapping, bytes as written.
  void readsTensors() {
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("model.safetensors"));
    // a: F32 [2] = {1.5, -2}; b: BF16 [1, 1] = 0x3F80 (1.0). Offsets count from the end of the header.
    const float a[2] = {1.5f, -2.0f};
    std::string data(reinterpret_cast<const char*>(a), 8);
    data += std::string("\x80\x3F", 2);
    writeRaw(path,
             R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
             R"("b":{"dtype":"BF16","shape":[1,1],"data_offsets":[8,10]},"__metadata__":{"format":"pt"}})",
             data);
    const auto file = SafetensorsFile::open(path.toStdString());
    QCOMPARE(file->tensors().size(), std::size_t(2));
    QCOMPARE(file->metadata().at("format"), std::string("pt"));
    const SafetensorsTensor* ta = file->find("a");
    QVERIFY(ta);
    QCOMPARE(ta->shape, std::vector<std::int64_t>({2}));
    float back[2];
    std::memcpy(back, ta->data, 8);
    QCOMPARE(back[0], 1.5f);
    QCOMPARE(back[1], -2.0f);
    const SafetensorsTensor* tb = file->find("b");
    QVERIFY(tb && tb->dtype == SafetensorsDtype::BF16 && tb->bytes == 2);
    QCOMPARE(int(std::to_integer<unsigned char>(tb->data[1])), 0x3F);
    QVERIFY(!file->find("c"));
  }

  // Malformed files: an InputError naming the file and, where there is one, the tensor.
  void rejectsMalformed_data() {
    QTest::addColumn<QString>("header");
    QTest::addColumn<int>("dataBytes");
    QTest::addColumn<QString>("expected");
    QTest::newRow("offsets past the end") << R"({"w.weight":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})"
                                          << 8 << "'w.weight'";
    QTest::newRow("shape vs bytes") << R"({"w.weight":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})" << 8
                                    << "shape needs 12 bytes";
    QTest::newRow("unknown dtype") << R"({"w.weight":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}})" << 8
                                   << "unsupported dtype";
    QTest::newRow("not json") << "{nope" << 0 << "not valid JSON";
    QTest::newRow("no offsets") << R"({"w.weight":{"dtype":"F32","shape":[2]}})" << 8 << "data_offsets";
  }
  void rejectsMalformed() {
    QFETCH(QString, header);
    QFETCH(int, dataBytes);
    QFETCH(QString, expected);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("bad.safetensors"));
    writeRaw(path, header.toStdString(), std::string(std::size_t(dataBytes), '\0'));
    const std::string message = errorOf([&] { SafetensorsFile::open(path.toStdString()); });
    QVERIFY2(message.find(expected.toStdString()) != std::string::npos, message.c_str());
    QVERIFY2(message.find("bad.safetensors") != std::string::npos, message.c_str());
  }

  // The header length itself out of range (a truncated or foreign file).
  void rejectsTruncatedHeader() {
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("short.safetensors"));
    writeRaw(path, "{}", "");
    std::ofstream(path.toStdString(), std::ios::binary | std::ios::trunc) << std::string("\xff\0\0\0\0\0\0\0{}", 10);
    const std::string message = errorOf([&] { SafetensorsFile::open(path.toStdString()); });
    QVERIFY2(message.find("does not fit the file") != std::string::npos, message.c_str());
  }

  // An index naming a shard that is not there, or a tensor the shard lacks.
  void rejectsBrokenIndex() {
    QTemporaryDir dir;
    writeRaw(dir.filePath(QStringLiteral("a.safetensors")),
             R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", std::string(4, '\0'));
    std::ofstream(dir.filePath(QStringLiteral("model.safetensors.index.json")).toStdString())
        << R"({"weight_map": {"x": "a.safetensors", "y": "a.safetensors"}})";
    std::string message = errorOf([&] { SafetensorsCheckpoint(dir.path().toStdString()); });
    QVERIFY2(message.find("'y'") != std::string::npos && message.find("not in it") != std::string::npos,
             message.c_str());
    std::ofstream(dir.filePath(QStringLiteral("model.safetensors.index.json")).toStdString())
        << R"({"weight_map": {"x": "b.safetensors"}})";
    message = errorOf([&] { SafetensorsCheckpoint(dir.path().toStdString()); });
    QVERIFY2(message.find("b.safetensors") != std::string::npos, message.c_str());
    QDir empty(dir.filePath(QStringLiteral("empty")));
    QVERIFY(QDir().mkpath(empty.path()));
    message = errorOf([&] { SafetensorsCheckpoint(empty.path().toStdString()); });
    QVERIFY2(message.find("no *.safetensors") != std::string::npos, message.c_str());
  }

  // Every architecture, one file or sharded, fp32 or bf16: logits within 1e-4 of the float64 reference,
  // cached == uncached, and the loader's errors for a missing tensor, a wrong shape and a foreign model_type.
  void matchesReference_data() {
    QTest::addColumn<QString>("arch");
    QTest::addColumn<bool>("sharded");
    QTest::addColumn<bool>("bf16");
    QTest::newRow("llama (tied, llama3 rope), sharded") << "llama" << true << false;
    QTest::newRow("mistral (linear rope), bf16 file") << "mistral" << false << true;
    QTest::newRow("qwen2 (qkv bias, tied, yarn)") << "qwen2" << false << false;
    QTest::newRow("qwen3 (q/k norm, head_dim 32), sharded") << "qwen3" << true << false;
  }
  void matchesReference() {
    QFETCH(QString, arch);
    QFETCH(bool, sharded);
    QFETCH(bool, bf16);
    const QString python = pythonWithNumpy();
    KVLAB_REQUIRE(!python.isEmpty(), QStringLiteral("python3 with numpy"));
    QTemporaryDir dir;
    const QString modelDir = dir.filePath(arch);
    const std::vector<std::int32_t> tokens{1, 17, 42, 7, 256, 3, 99, 5, 120, 64, 11};
    QStringList args{QStringLiteral(KVLAB_TOOLS_DIR "/hf_reference_forward.py"), modelDir,
                     QStringLiteral("--arch"), arch, QStringLiteral("--tokens"),
                     QStringLiteral("1,17,42,7,256,3,99,5,120,64,11")};
    if (sharded) args << QStringLiteral("--sharded");
    if (bf16) args << QStringLiteral("--bf16");
    QProcess p;
    p.start(python, args);
    QVERIFY(p.waitForFinished(120000));
    QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
    const QJsonArray expected = QJsonDocument::fromJson(p.readAllStandardOutput()).object()[QLatin1String("logits")].toArray();
    QCOMPARE(expected.size(), 300);

    const ModelConfig config = withDtype(readHfConfig(modelDir.toStdString()), ComputeDtype::Fp32);
    const CheckpointWeights weights(config, modelDir.toStdString());
    QCOMPARE(weights.checkpoint().sharded(), sharded);
    const LlamaModel model(config, "cpu", weights);
    const PrefillResult full = model.prefill(tokens, {});
    QCOMPARE(full.lastLogits.size(0), std::int64_t(300));
    double maxDiff = 0;
    const at::Tensor logits = full.lastLogits.to(at::kDouble).contiguous();
    for (int i = 0; i < expected.size(); ++i)
      maxDiff = std::max(maxDiff, std::abs(logits.data_ptr<double>()[i] - expected[i].toDouble()));
    QVERIFY2(maxDiff <= 1e-4, qPrintable(QStringLiteral("max |logit - reference| = %1").arg(maxDiff)));

    // Cached: the first 6 tokens' K/V reused; same last logits (fp32 rounding only) and same greedy tokens.
    const std::span<const std::int32_t> all(tokens);
    const PrefillResult prefix = model.prefill(all.first(6), {});
    const PrefillResult cached = model.prefill(all, prefix.newKv);
    // Tolerance: the lab's fp32 cached-vs-uncached bound (defaultVerifyTolerance); logits here reach ~15.
    const double cachedDiff = (cached.lastLogits - full.lastLogits).abs().max().item<double>();
    QVERIFY2(cachedDiff <= defaultVerifyTolerance(ComputeDtype::Fp32),
             qPrintable(QStringLiteral("cached vs uncached: %1").arg(cachedDiff)));
    SequenceKv seq = model.newSequence(int64_t(tokens.size()) + 4);
    std::vector<std::int32_t> withCache = tokens, without = tokens;
    PrefillResult step = model.extend(withCache, seq);
    for (int i = 0; i < 4; ++i) {
      withCache.push_back(std::int32_t(step.lastLogits.argmax().item<std::int64_t>()));
      without.push_back(std::int32_t(model.prefill(without, {}).lastLogits.argmax().item<std::int64_t>()));
      if (i < 3) step = model.extend(withCache, seq);
    }
    QCOMPARE(withCache, without);

    // The loader's errors name the tensor.
    ModelConfig wrongShape = config;
    wrongShape.ffnHidden += 1;
    std::string message = errorOf([&] { CheckpointWeights(wrongShape, modelDir.toStdString()).layer(0); });
    QVERIFY2(message.find("model.layers.0.mlp.gate_proj.weight") != std::string::npos &&
                 message.find("does not match") != std::string::npos,
             message.c_str());
    ModelConfig moreLayers = config;
    moreLayers.layers += 1;
    message = errorOf([&] { CheckpointWeights(moreLayers, modelDir.toStdString()).layer(2); });
    QVERIFY2(message.find("model.layers.2.input_layernorm.weight") != std::string::npos &&
                 message.find("missing") != std::string::npos,
             message.c_str());
    ModelConfig foreign = config;
    foreign.family = "gemma3_text";
    message = errorOf([&] { CheckpointWeights(foreign, modelDir.toStdString()); });
    QVERIFY2(message.find("model_type") != std::string::npos && message.find("gemma3_text") != std::string::npos,
             message.c_str());
  }

  // kvlab-cli run SCENARIO --model DIR, through the runner: the directory's weights and tokenizer.json are
  // used, the cache changes no logit beyond fp32 rounding, decoding with and without the K/V cache gives the
  // same tokens, and the decode lesson reports their text. A foreign model_type is refused by field.
  void runsScenarioWithModelDirectory_data() {
    QTest::addColumn<QString>("scenario");
    QTest::newRow("repeated prefix, block cache") << QStringLiteral(KVLAB_TEST_DATA_DIR "/tiny-repeated-prefix.json");
    QTest::newRow("decode lesson") << QStringLiteral(KVLAB_TEST_DATA_DIR "/tiny-decode.json");
  }
  void runsScenarioWithModelDirectory() {
    QFETCH(QString, scenario);
    const QString python = pythonWithNumpy();
    KVLAB_REQUIRE(!python.isEmpty(), QStringLiteral("python3 with numpy"));
    QTemporaryDir dir;
    const QString modelDir = dir.filePath(QStringLiteral("qwen2"));
    QProcess p;
    p.start(python, {QStringLiteral(KVLAB_TOOLS_DIR "/hf_reference_forward.py"), modelDir, QStringLiteral("--arch"),
                     QStringLiteral("qwen2"), QStringLiteral("--bf16")});
    QVERIFY(p.waitForFinished(120000));
    QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());

    RunSettings settings;
    settings.scenario = scenario.toStdString();
    settings.scenarioDir = KVLAB_SCENARIO_DIR;
    settings.model = modelDir.toStdString();
    ScenarioRunner runner;
    RunRecorder recorder;
    const RunSummary summary = runner.run(settings, recorder);
    QVERIFY2(summary.error.empty(), summary.error.c_str());
    QCOMPARE(recorder.info().tokenizer, QString(modelDir + QStringLiteral("/tokenizer.json")).toStdString());
    QVERIFY2(recorder.info().weights.rfind("checkpoint ", 0) == 0, recorder.info().weights.c_str());
    if (summary.decode) {
      QVERIFY(summary.decode->tokensIdentical);
      QCOMPARE(summary.decode->tokens.size(), std::size_t(24));
      QVERIFY(!summary.decode->text.empty());
    } else {
      QVERIFY(summary.tokenHitRate > 0);
      QVERIFY(summary.maxAbsLogitDiff >= 0 && summary.maxAbsLogitDiff <= defaultVerifyTolerance(ComputeDtype::Fp32));
    }

    // The same directory claiming an architecture the live model does not compute.
    std::string config;
    {
      std::ifstream in(QString(modelDir + QStringLiteral("/config.json")).toStdString());
      config.assign(std::istreambuf_iterator<char>(in), {});
    }
    const std::size_t at = config.find("\"qwen2\"");
    QVERIFY(at != std::string::npos);
    config.replace(at, 7, "\"mixtral\", \"num_local_experts\": 4, \"num_experts_per_tok\": 2");
    std::ofstream(QString(modelDir + QStringLiteral("/config.json")).toStdString()) << config;
    const RunSummary refused = [&] {
      try {
        return runner.run(settings, recorder);
      } catch (const InputError& e) {
        RunSummary s;
        s.error = e.what();
        return s;
      }
    }();
    QVERIFY2(refused.error.find("model_type") != std::string::npos &&
                 refused.error.find("mixtral") != std::string::npos,
             refused.error.c_str());
  }
};

KVLAB_TEST_GUILESS_MAIN(TestCheckpointWeights)
#include "tst_checkpoint_weights.moc"
