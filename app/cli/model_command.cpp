// SPDX-License-Identifier: MIT
#include "model_command.h"

#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "core/arch/model_figures.h"
#include "core/arch/model_presets.h"
#include "core/util/csv_writer.h"
#include "core/util/input_error.h"
#include "core/util/units.h"
#include "model_options.h"
#include "output_format.h"

namespace kvlab {

namespace {

using nlohmann::ordered_json;

struct ModelText {
  std::vector<std::string> models;  // empty = every preset
  std::string tokens = "131072";
  std::string kvDtype;
  OutputFormatOption format;
};

ordered_json figuresJson(const ModelFigures& f) {
  ordered_json j;
  j["name"] = f.name;
  j["source"] = f.source;
  j["family"] = f.family;
  j["attention"] = f.attention;
  j["kv_dtype"] = f.kvDtype;
  j["layers"] = f.layers;
  j["every_token_layers"] = f.everyTokenLayers;
  j["window_layers"] = f.windowLayers;
  j["window"] = f.window;
  j["state_layers"] = f.stateLayers;
  j["kv_bytes_per_token"] = f.kvBytesPerToken;
  j["cache_bytes_per_token"] = f.cacheBytesPerToken;
  j["sequence_fixed_bytes"] = f.sequenceFixedBytes;
  j["tokens"] = f.tokens;
  j["kv_bytes_total"] = f.kvBytesTotal;
  j["params_total"] = f.paramsTotal;
  j["params_active"] = f.paramsActive;
  j["params_embedding"] = f.paramsEmbedding;
  j["weight_bytes"] = f.weightBytes;
  j["hidden_size"] = f.hidden;
  j["vocab_size"] = f.vocab;
  j["heads"] = f.heads;
  j["kv_heads"] = f.kvHeads;
  j["head_dim"] = f.headDim;
  j["moe_layers"] = f.moeLayers;
  j["experts"] = f.experts;
  j["experts_per_token"] = f.expertsPerToken;
  return j;
}

std::string billions(double params) {
  char buf[32];
  std::snprintf(buf, sizeof buf,
                params >= 1e11  ? "%.1f B"
                : params >= 1e9 ? "%.2f B"
                                : "%.1f M",
                params >= 1e9 ? params / 1e9 : params / 1e6);
  return buf;
}

// "36: 18 full + 18 window 128", "48: 12 full + 36 state", "61".
std::string layerText(const ModelFigures& f) {
  std::string s = std::to_string(f.layers);
  if (f.windowLayers == 0 && f.stateLayers == 0) return s;
  s += ": " + std::to_string(f.everyTokenLayers) + " full";
  if (f.windowLayers) s += " + " + std::to_string(f.windowLayers) + " window " + std::to_string(f.window);
  if (f.stateLayers) s += " + " + std::to_string(f.stateLayers) + " state";
  return s;
}

void printTable(const std::vector<ModelFigures>& all) {
  std::printf("%-19s %-4s %-5s %-28s %11s %12s %10s %10s %10s\n", "model", "attn", "kv", "layers", "KV/token",
              ("KV " + std::to_string(all.empty() ? 0 : all.front().tokens) + " tok").c_str(), "params",
              "active", "weights");
  for (const ModelFigures& f : all)
    std::printf("%-19s %-4s %-5s %-28s %11s %12s %10s %10s %10s\n", f.name.c_str(), f.attention.c_str(),
                f.kvDtype.c_str(), layerText(f).c_str(), formatBytes(f.kvBytesPerToken).c_str(),
                formatBytes(f.kvBytesTotal).c_str(), billions(f.paramsTotal).c_str(),
                billions(f.paramsActive).c_str(), formatBytes(std::uint64_t(f.weightBytes)).c_str());
  std::printf(
      "KV/token: the layers that keep every token; KV N tok: one sequence of N tokens, all layers (windows "
      "and states included); active: per token, embeddings and LM head counted.\n");
}

// The JSON's keys as the header, one row per model (the same fields, the same order).
void printCsv(const std::vector<ModelFigures>& all) {
  CsvWriter csv(std::cout);
  bool header = false;
  for (const ModelFigures& f : all) {
    const ordered_json j = figuresJson(f);
    if (!header) {
      for (const auto& item : j.items()) csv.field(item.key());
      csv.endRow();
      header = true;
    }
    for (const auto& item : j.items()) {
      const ordered_json& v = item.value();
      if (v.is_string())
        csv.field(v.get<std::string>());
      else if (v.is_number_unsigned())
        csv.field(v.get<std::uint64_t>());
      else if (v.is_number_integer())
        csv.field(v.get<std::int64_t>());
      else
        csv.field(v.get<double>());
    }
    csv.endRow();
  }
  std::cout.flush();
}

}  // namespace

CommandAction addModelCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "model",
      "A model's K/V cache and size, from its architecture: K/V bytes per token and per sequence (windows "
      "and recurrent states included), layers by kind, parameters total and active, weight bytes");
  auto t = std::make_shared<ModelText>();
  cmd->add_option("model", t->models,
                  "presets, Hugging Face config.json files or model directories (default: every preset)");
  cmd->add_option("--tokens", t->tokens, "sequence length for kv_bytes_total")->capture_default_str();
  addKvDtypeOption(*cmd, t->kvDtype);
  t->format.addTo(*cmd, "one header row (the JSON's keys), then one row per model");
  cmd->footer(
      "JSON: one object for one model, {\"models\": [...]} for several (docs/models.md names every field).\n"
      "Examples:\n  kvlab-cli model\n  kvlab-cli model deepseek-v3 --kv-dtype fp8 --tokens 131072 --json\n"
      "  kvlab-cli model ~/models/Qwen3-0.6B");
  return [cmd, t]() -> int {
    if (!cmd->parsed()) return -1;
    const std::uint64_t tokens = parseCount(t->tokens, "tokens", 0, std::uint64_t(1) << 40);
    std::vector<std::string> names = t->models.empty() ? modelPresetNames() : t->models;
    std::vector<ModelFigures> all;
    for (const std::string& name : names) all.push_back(modelFigures(resolveModel(name, t->kvDtype), tokens));
    if (t->format.json()) {
      // One model: its object; several: {"models": [...]}.
      ordered_json list = ordered_json::array();
      for (const ModelFigures& f : all) list.push_back(figuresJson(f));
      const ordered_json out = t->models.size() == 1 ? list.front() : ordered_json{{"models", list}};
      std::cout << out.dump(2) << '\n';
    } else if (t->format.csv()) {
      printCsv(all);
    } else {
      printTable(all);
    }
    return 0;
  };
}

}  // namespace kvlab
