// SPDX-License-Identifier: MIT
// The config.json reader (core/arch/hf_config_reader.h) and `--model` resolution (model_loader.h): bad
// configs are refused with an InputError naming the file and the field; a model directory, a config.json
// and a nested text_config are read; the families' layer rules (hand-worked from transformers'
// configuration classes) give the layers they should.
#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include "core/arch/hf_config_reader.h"
#include "core/arch/kv_cache_layout.h"
#include "core/arch/model_loader.h"
#include "core/arch/parameter_count.h"
#include "core/util/input_error.h"

using namespace kvlab;

namespace {
// A minimal Llama config; `extra` is spliced in as more fields (overriding none of these).
std::string llamaWith(const std::string& extra) {
  return R"({"model_type": "llama", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 4,
             "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 100)" +
         (extra.empty() ? std::string() : ", " + extra) + "}";
}
}  // namespace

class TestHfConfigReader : public QObject {
  Q_OBJECT
private slots:
  void badConfigs_data();
  void badConfigs();
  void readsAFileAndADirectory();
  void directoryWithoutConfig();
  void unknownModelNamesThePresets();
  void textConfigAndDefaults();
  void qwenWindowOnlyWhenEnabled();
  void mixtralAndQuantization();
  void kvDtypes();
};

void TestHfConfigReader::badConfigs_data() {
  QTest::addColumn<QString>("json");
  QTest::addColumn<QString>("field");
  QTest::addColumn<QString>("message");  // a fragment of the error
  QTest::newRow("not json") << "{\"model_type\": \"llama\",\n \"hidden_size\": }"
                            << ""
                            << "not valid JSON";
  QTest::newRow("array") << "[1, 2]"
                         << ""
                         << "expected a JSON object";
  QTest::newRow("no model_type") << R"({"hidden_size": 64})"
                                 << "model_type"
                                 << "is missing";
  QTest::newRow("unknown model_type") << R"({"model_type": "rwkv"})"
                                      << "model_type"
                                      << "supported: llama";
  QTest::newRow("missing hidden_size") << R"({"model_type": "llama", "num_hidden_layers": 2})"
                                       << "hidden_size"
                                       << "is missing";
  QTest::newRow("negative layers")
      << QString::fromStdString(R"({"model_type": "llama", "num_hidden_layers": -3, "hidden_size": 8})")
      << "num_hidden_layers"
      << "must be an integer in [1, 65536]";
  QTest::newRow("string heads") << QString::fromStdString(R"({"model_type": "llama", "num_hidden_layers": 2,
                                      "hidden_size": 8, "num_attention_heads": "8"})")
                                << "num_attention_heads"
                                << "expected an integer";
  QTest::newRow("kv heads do not divide")
      << R"({"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2,
                                                "num_attention_heads": 4, "num_key_value_heads": 3})"
      << "num_key_value_heads"
      << "must divide";
  QTest::newRow("layer_types length")
      << QString::fromStdString(llamaWith(R"("layer_types": ["full_attention"])")) << "layer_types"
      << "has 1 entries for 4 layers";
  QTest::newRow("layer type")
      << QString::fromStdString(llamaWith(
             R"("layer_types": ["full_attention", "full_attention", "chunked_attention",
                                         "full_attention"])"))
      << "layer_types[2]"
      << "unsupported layer type";
  QTest::newRow("window missing") << QString::fromStdString(llamaWith(
                                         R"("layer_types": ["sliding_attention", "full_attention",
                                             "full_attention", "full_attention"])"))
                                  << "sliding_window"
                                  << "is missing";
  QTest::newRow("dtype") << QString::fromStdString(llamaWith(R"("torch_dtype": "int4")")) << "torch_dtype"
                         << "unsupported dtype";
  QTest::newRow("quantization") << QString::fromStdString(
                                       llamaWith(R"("quantization_config": {"quant_method": "hqq"})"))
                                << "quantization_config.quant_method"
                                << "unsupported quantization";
  QTest::newRow("nested field") << R"({"model_type": "gemma3", "text_config": {"hidden_size": 8}})"
                                << "text_config.num_hidden_layers"
                                << "is missing";
  QTest::newRow("moe without experts")
      << QString::fromStdString(R"({"model_type": "gpt_oss", "hidden_size": 64,
                                          "num_hidden_layers": 2, "num_attention_heads": 4,
                                          "sliding_window": 128})")
      << "num_local_experts"
      << "is missing";
  QTest::newRow("dense without ffn") << R"({"model_type": "qwen3", "hidden_size": 64, "num_hidden_layers": 2,
                                           "num_attention_heads": 4, "vocab_size": 10})"
                                     << "intermediate_size"
                                     << "dense layers";
}

void TestHfConfigReader::badConfigs() {
  QFETCH(QString, json);
  QFETCH(QString, field);
  QFETCH(QString, message);
  try {
    (void)parseHfConfig(json.toStdString(), "m/config.json", "m");
    QFAIL("accepted");
  } catch (const InputError& e) {
    QCOMPARE(QString::fromStdString(e.file), QStringLiteral("m/config.json"));
    QCOMPARE(QString::fromStdString(e.field), field);
    QVERIFY2(QString::fromStdString(e.message).contains(message), e.what());
    if (field.isEmpty() && message == "not valid JSON") QCOMPARE(e.line, std::int64_t(2));
  }
}

void TestHfConfigReader::readsAFileAndADirectory() {
  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  const QString modelDir = dir.filePath("TinyLlama");
  QVERIFY(QDir().mkpath(modelDir));
  QFile f(modelDir + "/config.json");
  QVERIFY(f.open(QIODevice::WriteOnly));
  f.write(QByteArray::fromStdString(llamaWith(R"("torch_dtype": "float16")")));
  f.close();
  for (const QString& path : QStringList{modelDir, modelDir + "/", modelDir + "/config.json"}) {
    const ModelConfig m = loadModel(path.toStdString());
    QCOMPARE(QString::fromStdString(m.name), QStringLiteral("TinyLlama"));
    QCOMPARE(m.layers, 4);
    QCOMPARE(m.headDim, 16);  // hidden_size / num_attention_heads
    QVERIFY(m.dtype == ComputeDtype::Fp16);
    QVERIFY(!m.computable);
    // 4 layers x 2 x 2 KV heads x 16 x 2 B (fp16, the weights' dtype) = 512
    QCOMPARE(kvBytesPerToken(m), std::uint64_t(512));
  }
  QVERIFY_THROWS_EXCEPTION(InputError, loadModel(dir.filePath("nothing-here").toStdString()));
}

void TestHfConfigReader::directoryWithoutConfig() {
  QTemporaryDir dir;
  try {
    (void)loadModel(dir.path().toStdString());
    QFAIL("accepted");
  } catch (const InputError& e) {
    QCOMPARE(QString::fromStdString(e.file), dir.path());
    QVERIFY(QString::fromStdString(e.message).contains("without a config.json"));
  }
}

void TestHfConfigReader::unknownModelNamesThePresets() {
  try {
    (void)loadModel("llama-9", "model");
    QFAIL("accepted");
  } catch (const InputError& e) {
    QCOMPARE(QString::fromStdString(e.field), QStringLiteral("model"));
    QVERIFY(QString::fromStdString(e.message).contains("deepseek-v3"));
    QVERIFY(QString::fromStdString(e.message).contains("config.json"));
  }
}

void TestHfConfigReader::textConfigAndDefaults() {
  // Gemma 3 as published: dtype on the outer level, vocab_size / tie_word_embeddings / the 5:1 pattern left
  // to Gemma3TextConfig's defaults (262208, true, 6).
  const ModelConfig m = parseHfConfig(R"({"model_type": "gemma3", "torch_dtype": "bfloat16",
      "text_config": {"model_type": "gemma3_text", "hidden_size": 64, "intermediate_size": 128,
                      "num_hidden_layers": 12, "num_attention_heads": 4, "num_key_value_heads": 2,
                      "head_dim": 32, "sliding_window": 512}})",
                                      "g.json", "g");
  QCOMPARE(m.family, std::string("gemma3_text"));
  QCOMPARE(m.vocab, 262208);
  QVERIFY(m.tiedEmbeddings);
  QVERIFY(m.dtype == ComputeDtype::Bf16);
  const KvCacheLayout layout(m);
  QCOMPARE(layout.windowLayers(), 10);  // layers 5 and 11 global
  QCOMPARE(layout.window(), 512u);
  QCOMPARE(countParameters(m).lmHead, 0.0);  // tied
}

void TestHfConfigReader::qwenWindowOnlyWhenEnabled() {
  // Qwen2: sliding_window is ignored unless use_sliding_window; then layers >= max_window_layers slide.
  const std::string base = R"({"model_type": "qwen2", "hidden_size": 64, "intermediate_size": 128,
      "num_hidden_layers": 6, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 100,
      "sliding_window": 32, "max_window_layers": 4)";
  QCOMPARE(KvCacheLayout(parseHfConfig(base + "}", "q.json", "q")).windowLayers(), 0);
  QCOMPARE(
      KvCacheLayout(parseHfConfig(base + R"(, "use_sliding_window": true})", "q.json", "q")).windowLayers(),
      2);
  // Mistral v0.1: a window on every layer.
  const ModelConfig mistral = parseHfConfig(R"({"model_type": "mistral", "hidden_size": 64,
      "intermediate_size": 128, "num_hidden_layers": 3, "num_attention_heads": 4, "vocab_size": 10,
      "sliding_window": 4096})",
                                            "m.json", "m");
  QCOMPARE(KvCacheLayout(mistral).windowLayers(), 3);
  QCOMPARE(KvCacheLayout(mistral).bytesPerToken(), std::uint64_t(0));
  // No every-token layer: a cached token costs the windowed layers' bytes (3 x 2 x 4 x 16 x 2 = 768).
  QCOMPARE(KvCacheLayout(mistral).cacheBytesPerToken(), std::uint64_t(768));
}

void TestHfConfigReader::mixtralAndQuantization() {
  // Mixtral 8x7B-like: 8 experts, 2 per token; one layer: attention 64 x (64 + 2 x 32 + 64) + experts
  // 8 x 3 x 64 x 128 + router 8 x 64.
  const ModelConfig m = parseHfConfig(R"({"model_type": "mixtral", "hidden_size": 64,
      "intermediate_size": 128, "num_hidden_layers": 1, "num_attention_heads": 4, "num_key_value_heads": 2,
      "vocab_size": 10, "num_local_experts": 8, "num_experts_per_tok": 2,
      "quantization_config": {"quant_method": "awq", "bits": 4}})",
                                      "x.json", "x");
  const ParameterCount p = countParameters(m);
  QCOMPARE(p.expertMatrices, 8.0 * 3 * 64 * 128);
  QCOMPARE(p.activeExpertMatrices(m), 2.0 * 3 * 64 * 128);
  QCOMPARE(p.attentionMatrices, 64.0 * (64 + 2 * 32 + 64));
  QCOMPARE(p.mlpMatrices, 8.0 * 64);
  QCOMPARE(linearWeightBits(m), 4.0);
  QCOMPARE(expertWeightBits(m), 4.0);
  QCOMPARE(baseWeightBits(m), 16.0);  // no torch_dtype: served as bf16
}

void TestHfConfigReader::kvDtypes() {
  QVERIFY(parseKvDtype("fp8_e4m3") == KvDtype::Fp8);
  QCOMPARE(bitsPerElement(parseKvDtype("fp4")), 4);
  QCOMPARE(kvBytes(3, KvDtype::Fp4), 2ull);  // rounded up to whole bytes
  try {
    (void)parseKvDtype("fp6");
    QFAIL("accepted");
  } catch (const InputError& e) {
    QCOMPARE(QString::fromStdString(e.field), QStringLiteral("kv-dtype"));
  }
}

QTEST_GUILESS_MAIN(TestHfConfigReader)
#include "tst_hf_config_reader.moc"
