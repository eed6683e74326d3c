// SPDX-License-Identifier: MIT
// What the lab derives from a model's config (core/arch/: the reader, the K/V specs, the parameter count),
// checked three ways, none of them the code under test:
//  - parameter counts against the model cards' published figures, within the card's rounding;
//  - K/V bytes per token and per sequence worked by hand for a GQA, an MLA, two sliding-window and a
//    hybrid (linear attention) model;
//  - every preset against tools/model_reference.py, a plain-Python reference that counts the weight
//    tensors each Hugging Face modeling file creates and sizes K/V as vLLM's specs do (exact equality).
// And: a preset and its config.json (the same file without the lab's "kvlab" object, read from a model
// directory) give the same figures.
#include <QDir>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <cmath>
#include <map>

#include "core/arch/hf_config_reader.h"
#include "core/arch/kv_cache_layout.h"
#include "core/arch/model_figures.h"
#include "core/arch/model_loader.h"
#include "core/arch/model_preset_data.h"
#include "core/arch/model_presets.h"
#include "test_requirements.h"

using namespace kvlab;

namespace {
ModelConfig presetWithKv(const QString& name, const QString& kvDtype) {
  ModelConfig m = loadModel(name.toStdString());
  return kvDtype.isEmpty() ? m : withKvDtype(m, parseKvDtype(kvDtype.toStdString()));
}
}  // namespace

class TestModelFigures : public QObject {
  Q_OBJECT
private slots:
  void initTestCase();
  void publishedParameterCounts_data();
  void publishedParameterCounts();
  void publishedCheckpointSizes_data();
  void publishedCheckpointSizes();
  void kvBytesByHand_data();
  void kvBytesByHand();
  void layerPatterns();
  void pythonReferenceAgrees_data();
  void pythonReferenceAgrees();
  void presetEqualsItsConfigJson_data();
  void presetEqualsItsConfigJson();
  void existingPresetsKeepTheirFigures();

private:
  std::map<QString, QJsonObject> m_reference;  // preset name -> tools/model_reference.py's figures
  QString m_referenceError;
};

void TestModelFigures::initTestCase() {
  // One run of the reference over every preset file (it reads the same models/*.json the build compiles in).
  const QString python = kvlab::test::findPython3();
  if (python.isEmpty()) return;
  QStringList args{QStringLiteral(KVLAB_TOOLS_DIR "/model_reference.py"), QStringLiteral("--tokens"),
                   QStringLiteral("100000")};
  for (const ModelPresetFile& f : modelPresetFiles())
    args << QStringLiteral(KVLAB_MODELS_DIR "/%1.json").arg(QString::fromUtf8(f.name));
  QProcess p;
  p.start(python, args);
  if (!p.waitForFinished(120000) || p.exitCode() != 0) {
    m_referenceError = QString::fromUtf8(p.readAllStandardError());
    return;
  }
  for (const QByteArray& line : p.readAllStandardOutput().split('\n')) {
    if (line.trimmed().isEmpty()) continue;
    const QJsonObject o = QJsonDocument::fromJson(line).object();
    m_reference[o.value(QStringLiteral("name")).toString()] = o;
  }
}

void TestModelFigures::publishedParameterCounts_data() {
  QTest::addColumn<QString>("preset");
  QTest::addColumn<QString>("figure");  // total | active | active-no-embedding | non-embedding
  QTest::addColumn<double>("published");
  QTest::addColumn<double>("unit");  // the card's last digit: ours must be within one unit of it
  // Hugging Face model pages, "Model size" (safetensors): 8.03B, 70.6B.
  QTest::newRow("llama-3.1-8b total") << "llama-3.1-8b"
                                      << "total" << 8.03e9 << 0.01e9;
  QTest::newRow("llama-3.1-70b total") << "llama-3.1-70b"
                                       << "total" << 70.6e9 << 0.1e9;
  // Qwen3 model cards: "Number of Parameters: 8.2B; Number of Paramaters (Non-Embedding): 6.95B", 32.8B /
  // 31.2B; MoE: "30.5B in total and 3.3B activated", "235B in total and 22B activated".
  QTest::newRow("qwen3-8b total") << "qwen3-8b"
                                  << "total" << 8.2e9 << 0.1e9;
  QTest::newRow("qwen3-8b non-embedding") << "qwen3-8b"
                                          << "non-embedding" << 6.95e9 << 0.01e9;
  QTest::newRow("qwen3-32b total") << "qwen3-32b"
                                   << "total" << 32.8e9 << 0.1e9;
  QTest::newRow("qwen3-32b non-embedding") << "qwen3-32b"
                                           << "non-embedding" << 31.2e9 << 0.1e9;
  QTest::newRow("qwen3-30b-a3b total") << "qwen3-30b-a3b"
                                       << "total" << 30.5e9 << 0.1e9;
  QTest::newRow("qwen3-30b-a3b active") << "qwen3-30b-a3b"
                                        << "active" << 3.3e9 << 0.1e9;
  QTest::newRow("qwen3-235b-a22b total") << "qwen3-235b-a22b"
                                         << "total" << 235e9 << 1e9;
  QTest::newRow("qwen3-235b-a22b active") << "qwen3-235b-a22b"
                                          << "active" << 22e9 << 1e9;
  // Qwen3-Next-80B-A3B card: "80B in total and 3B activated", non-embedding 79B.
  QTest::newRow("qwen3-next total") << "qwen3-next-80b-a3b"
                                    << "total" << 80e9 << 1e9;
  QTest::newRow("qwen3-next non-embedding") << "qwen3-next-80b-a3b"
                                            << "non-embedding" << 79e9 << 1e9;
  // DeepSeek-V3 card and report: "671B total parameters with 37B activated for each token".
  QTest::newRow("deepseek-v3 total") << "deepseek-v3"
                                     << "total" << 671e9 << 1e9;
  QTest::newRow("deepseek-v3 active") << "deepseek-v3"
                                      << "active" << 37e9 << 1e9;
  // Kimi K2 card: "32 billion activated parameters and 1 trillion total parameters".
  QTest::newRow("kimi-k2 total") << "kimi-k2"
                                 << "total" << 1e12 << 0.1e12;
  QTest::newRow("kimi-k2 active") << "kimi-k2"
                                  << "active" << 32e9 << 1e9;
  // gpt-oss model card (Table 1): 120b 116.83B total, 5.13B active; 20b 20.91B, 3.61B. Its active figure
  // counts the unembedding but not the embedding table.
  QTest::newRow("gpt-oss-120b total") << "gpt-oss-120b"
                                      << "total" << 116.83e9 << 0.01e9;
  QTest::newRow("gpt-oss-120b active") << "gpt-oss-120b"
                                       << "active-no-embedding" << 5.13e9 << 0.01e9;
  QTest::newRow("gpt-oss-20b total") << "gpt-oss-20b"
                                     << "total" << 20.91e9 << 0.01e9;
  QTest::newRow("gpt-oss-20b active") << "gpt-oss-20b"
                                      << "active-no-embedding" << 3.61e9 << 0.01e9;
  // Gemma 3 technical report, Table 1: 27B: 25,600M non-embedding parameters.
  QTest::newRow("gemma-3-27b non-embedding") << "gemma-3-27b"
                                             << "non-embedding" << 25600e6 << 100e6;
  // Mistral Small 3 announcement: "a 24B-parameter model".
  QTest::newRow("mistral-small-3 total") << "mistral-small-3"
                                         << "total" << 24e9 << 1e9;
}

void TestModelFigures::publishedParameterCounts() {
  QFETCH(QString, preset);
  QFETCH(QString, figure);
  QFETCH(double, published);
  QFETCH(double, unit);
  const ModelFigures f = modelFigures(loadModel(preset.toStdString()), 0);
  const double embeddingTable = double(f.vocab) * f.hidden;
  const double ours = figure == "total"                 ? f.paramsTotal
                      : figure == "active"              ? f.paramsActive
                      : figure == "active-no-embedding" ? f.paramsActive - embeddingTable
                                                        : f.paramsTotal - f.paramsEmbedding;
  QVERIFY2(
      std::abs(ours - published) <= unit,
      qPrintable(QStringLiteral("%1 %2: %3 vs published %4").arg(preset, figure).arg(ours).arg(published)));
}

void TestModelFigures::publishedCheckpointSizes_data() {
  QTest::addColumn<QString>("preset");
  QTest::addColumn<double>("gib");
  // gpt-oss model card, Table 1 "Checkpoint Size": 60.8 GiB and 12.8 GiB (MXFP4 experts: 4.25 bits a
  // weight with their scales, everything else bf16).
  QTest::newRow("gpt-oss-120b") << "gpt-oss-120b" << 60.8;
  QTest::newRow("gpt-oss-20b") << "gpt-oss-20b" << 12.8;
}

void TestModelFigures::publishedCheckpointSizes() {
  QFETCH(QString, preset);
  QFETCH(double, gib);
  const double ours = modelFigures(loadModel(preset.toStdString()), 0).weightBytes / double(1ull << 30);
  QVERIFY2(std::abs(ours - gib) <= 0.1, qPrintable(QString::number(ours)));
}

void TestModelFigures::kvBytesByHand_data() {
  QTest::addColumn<QString>("preset");
  QTest::addColumn<QString>("kvDtype");
  QTest::addColumn<qulonglong>("tokens");
  QTest::addColumn<qulonglong>("perToken");  // the layers that keep every token
  QTest::addColumn<qulonglong>("total");     // one sequence of `tokens`, all layers
  // GQA, Llama 3.1 8B: 32 layers x 2 (K, V) x 8 KV heads x 128 x 2 B = 131072; 1000 tokens: 131,072,000.
  QTest::newRow("gqa bf16") << "llama-3.1-8b"
                            << "" << 1000ull << 131072ull << 131072000ull;
  QTest::newRow("gqa fp8") << "llama-3.1-8b"
                           << "fp8" << 1000ull << 65536ull << 65536000ull;
  QTest::newRow("gqa fp4") << "llama-3.1-8b"
                           << "fp4" << 1000ull << 32768ull << 32768000ull;
  // MLA, DeepSeek V3: 61 layers x (kv_lora_rank 512 + qk_rope_head_dim 64) x 2 B = 70272.
  QTest::newRow("mla bf16") << "deepseek-v3"
                            << "" << 1000ull << 70272ull << 70272000ull;
  QTest::newRow("mla fp8") << "deepseek-v3"
                           << "fp8" << 1000ull << 35136ull << 35136000ull;
  // Sliding window, gpt-oss-120b: 18 full + 18 window-128 layers, 2 x 8 x 64 x 2 B = 2048 B per layer per
  // token; per token 18 x 2048 = 36864; 1000 tokens: 18 x 2048 x 1000 + 18 x 2048 x 128 = 41,582,592;
  // 100 tokens (inside the window): 36 x 2048 x 100 = 7,372,800.
  QTest::newRow("window long") << "gpt-oss-120b"
                               << "" << 1000ull << 36864ull << 41582592ull;
  QTest::newRow("window short") << "gpt-oss-120b"
                                << "" << 100ull << 36864ull << 7372800ull;
  // Gemma 3 27B: 62 layers, every 6th global (layers 5, 11, ..., 59: 10), 52 with a 1024 window;
  // 2 x 16 x 128 x 2 B = 8192 per layer per token: per token 81920; 4096 tokens: 10 x 8192 x 4096 +
  // 52 x 8192 x 1024 = 771,751,936.
  QTest::newRow("gemma 5:1") << "gemma-3-27b"
                             << "" << 4096ull << 81920ull << 771751936ull;
  // Hybrid, Qwen3-Next-80B-A3B: 12 full-attention layers x 2 x 2 KV heads x 256 x 2 B = 24576 per token; 36
  // Gated DeltaNet layers each hold (3 x (2 x 16 x 128 + 32 x 128) + 32 x 128 x 128) x 2 B = 1,097,728
  // (vLLM's gated_delta_net_state_shape: conv (8192, 3), state (32, 128, 128)); 1000 tokens: 24,576,000 +
  // 36 x 1,097,728 = 64,094,208. The state stays bf16 under --kv-dtype fp8: 12,288,000 + 39,518,208.
  QTest::newRow("hybrid bf16") << "qwen3-next-80b-a3b"
                               << "" << 1000ull << 24576ull << 64094208ull;
  QTest::newRow("hybrid fp8") << "qwen3-next-80b-a3b"
                              << "fp8" << 1000ull << 12288ull << 51806208ull;
}

void TestModelFigures::kvBytesByHand() {
  QFETCH(QString, preset);
  QFETCH(QString, kvDtype);
  QFETCH(qulonglong, tokens);
  QFETCH(qulonglong, perToken);
  QFETCH(qulonglong, total);
  const ModelFigures f = modelFigures(presetWithKv(preset, kvDtype), tokens);
  QCOMPARE(qulonglong(f.kvBytesPerToken), perToken);
  QCOMPARE(qulonglong(f.kvBytesTotal), total);
}

void TestModelFigures::layerPatterns() {
  // gpt-oss: sliding first, then alternating (layer_types); Gemma 3: every 6th layer global.
  const KvCacheLayout oss(loadModel("gpt-oss-20b"));
  QCOMPARE(oss.windowLayers(), 12);
  QCOMPARE(oss.window(), 128u);
  QVERIFY(layerKind(loadModel("gpt-oss-20b"), 0).attention == LayerAttention::SlidingWindow);
  QVERIFY(layerKind(loadModel("gpt-oss-20b"), 1).attention == LayerAttention::Full);
  const ModelConfig gemma = loadModel("gemma-3-27b");
  for (int i = 0; i < gemma.layers; ++i)
    QVERIFY(layerKind(gemma, i).attention ==
            ((i + 1) % 6 == 0 ? LayerAttention::Full : LayerAttention::SlidingWindow));
  // DeepSeek V3: the first 3 layers dense (first_k_dense_replace), the other 58 MoE; Kimi K2: 1 dense.
  const ModelFigures ds = modelFigures(loadModel("deepseek-v3"), 0);
  QCOMPARE(ds.moeLayers, 58);
  QCOMPARE(ds.attention, std::string("MLA"));
  QCOMPARE(modelFigures(loadModel("kimi-k2"), 0).moeLayers, 60);
  // Qwen3-Next: linear attention except every 4th layer.
  const ModelFigures next = modelFigures(loadModel("qwen3-next-80b-a3b"), 0);
  QCOMPARE(next.stateLayers, 36);
  QCOMPARE(next.everyTokenLayers, 12);
  QVERIFY(layerKind(loadModel("qwen3-next-80b-a3b"), 3).attention == LayerAttention::Full);
}

void TestModelFigures::pythonReferenceAgrees_data() {
  QTest::addColumn<QString>("preset");
  for (const std::string& name : modelPresetNames())
    QTest::newRow(name.c_str()) << QString::fromStdString(name);
}

void TestModelFigures::pythonReferenceAgrees() {
  QFETCH(QString, preset);
  KVLAB_REQUIRE_PYTHON3(kvlab::test::findPython3());
  QVERIFY2(m_referenceError.isEmpty(), qPrintable(m_referenceError));
  QVERIFY2(m_reference.count(preset), "tools/model_reference.py printed no figures for it");
  const QJsonObject r = m_reference[preset];
  const ModelFigures f = modelFigures(loadModel(preset.toStdString()), 100000);
  QCOMPARE(r.value("layers").toInt(), f.layers);
  QCOMPARE(r.value("attention").toString().toStdString(), f.attention);
  QCOMPARE(r.value("window_layers").toInt(), f.windowLayers);
  QCOMPARE(qint64(r.value("window").toDouble()), qint64(f.window));
  QCOMPARE(r.value("state_layers").toInt(), f.stateLayers);
  QCOMPARE(qint64(r.value("kv_bytes_per_token").toDouble()), qint64(f.kvBytesPerToken));
  QCOMPARE(qint64(r.value("kv_bytes_total").toDouble()), qint64(f.kvBytesTotal));
  QCOMPARE(r.value("params_total").toDouble(), f.paramsTotal);
  QCOMPARE(r.value("params_active").toDouble(), f.paramsActive);
  QCOMPARE(r.value("params_embedding").toDouble(), f.paramsEmbedding);
  QVERIFY(std::abs(r.value("weight_bytes").toDouble() - f.weightBytes) <= 1e-9 * f.weightBytes);
}

void TestModelFigures::presetEqualsItsConfigJson_data() {
  QTest::addColumn<QString>("preset");
  for (const ModelPresetFile& f : modelPresetFiles()) QTest::newRow(f.name) << QString::fromUtf8(f.name);
}

void TestModelFigures::presetEqualsItsConfigJson() {
  // The preset's file without the lab's "kvlab" object is a config.json as Hugging Face publishes it:
  // read from a model directory, it must give the same figures (the name comes from the directory).
  QFETCH(QString, preset);
  const ModelPresetFile* file = nullptr;
  for (const ModelPresetFile& f : modelPresetFiles())
    if (preset == QString::fromUtf8(f.name)) file = &f;
  QVERIFY(file);
  QJsonObject config = QJsonDocument::fromJson(QByteArray(file->json)).object();
  QVERIFY(config.contains("kvlab"));
  const bool computable = config.value("kvlab").toObject().value("computable").toBool();
  config.remove("kvlab");
  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  const QString modelDir = dir.filePath(preset);
  QVERIFY(QDir().mkpath(modelDir));
  QFile out(modelDir + "/config.json");
  QVERIFY(out.open(QIODevice::WriteOnly));
  out.write(QJsonDocument(config).toJson());
  out.close();
  ModelFigures fromDir = modelFigures(loadModel(modelDir.toStdString()), 100000);
  ModelFigures fromPreset = modelFigures(*findModelPreset(preset.toStdString()), 100000);
  QCOMPARE(QString::fromStdString(fromDir.name), preset);  // the directory's name
  QVERIFY(QString::fromStdString(fromDir.source).endsWith("config.json"));
  QVERIFY(QString::fromStdString(fromPreset.source)
              .startsWith(computable ? "lab-made" : "https://huggingface.co/"));
  QCOMPARE(fromDir.attention, fromPreset.attention);
  QCOMPARE(fromDir.layers, fromPreset.layers);
  QCOMPARE(fromDir.windowLayers, fromPreset.windowLayers);
  QCOMPARE(fromDir.stateLayers, fromPreset.stateLayers);
  QCOMPARE(fromDir.kvBytesPerToken, fromPreset.kvBytesPerToken);
  QCOMPARE(fromDir.kvBytesTotal, fromPreset.kvBytesTotal);
  QCOMPARE(fromDir.paramsTotal, fromPreset.paramsTotal);
  QCOMPARE(fromDir.paramsActive, fromPreset.paramsActive);
  QCOMPARE(fromDir.weightBytes, fromPreset.weightBytes);
}

void TestModelFigures::existingPresetsKeepTheirFigures() {
  // The presets the lab had before the configs (their K/V bytes per token, by hand): llama-3-8b 32 x 2 x 8
  // x 128 x 2 = 131072, llama-3-70b 80 x 4096 = 327680, mistral-7b 131072, qwen2-7b 28 x 2 x 4 x 128 x 2 =
  // 57344; demo 32 x 2 x 1 x 128 x 4 (fp32) = 32768, small 4 x 2 x 2 x 16 x 4 = 1024, gpu-1b 16 x 2 x 8 x
  // 64 x 4 = 65536; computable ones stay computable with their seeds.
  const std::map<std::string, std::uint64_t> expected = {
      {"llama-3-8b", 131072}, {"llama-3-70b", 327680}, {"mistral-7b", 131072}, {"qwen2-7b", 57344},
      {"demo", 32768},        {"small", 1024},         {"gpu-1b", 65536}};
  for (const auto& [name, bytes] : expected) QCOMPARE(kvBytesPerToken(*findModelPreset(name)), bytes);
  QCOMPARE(findModelPreset("demo")->seed, std::uint64_t(1234));
  QVERIFY(findModelPreset("small")->computable && findModelPreset("gpu-1b")->computable);
  QVERIFY(!findModelPreset("llama-3-8b")->computable);
  QCOMPARE(findModelPreset("gpu-1b")->ropeTheta, 500000.0);
  QVERIFY(findModelPreset("demo")->dtype == ComputeDtype::Fp32);
}

KVLAB_TEST_GUILESS_MAIN(TestModelFigures)
#include "tst_model_figures.moc"
