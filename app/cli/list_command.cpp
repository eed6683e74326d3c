// SPDX-License-Identifier: MIT
#include "list_command.h"

#include <cstdio>
#include <exception>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "compute_bridge.h"
#include "core/arch/model_config.h"
#include "core/arch/model_presets.h"
#include "core/fleet/router_registry.h"
#include "core/hardware/hardware_profile.h"
#include "core/policies/policy_registry.h"
#include "core/trace/trace_format.h"
#include "core/util/units.h"
#include "core/workload/scenario.h"
#include "json_csv.h"
#include "output_format.h"
#include "scenario_dir.h"

namespace kvlab {

namespace {

using nlohmann::ordered_json;

ordered_json item(const std::string& name, const std::string& description) {
  return ordered_json{{"name", name}, {"description", description}};
}

// Everything `list` shows without LibTorch, as one JSON object of named lists.
ordered_json catalogue() {
  ordered_json j;
  const std::string dir = cliScenarioDir();
  j["scenario_dir"] = dir;
  j["scenarios"] = ordered_json::array();
  for (const std::string& name : bundledScenarioNames()) {
    try {
      j["scenarios"].push_back(item(name, loadScenarioFile(resolveScenario(name, dir)).title));
    } catch (const std::exception& e) {
      j["scenarios"].push_back(item(name, std::string("(cannot load: ") + e.what() + ")"));
    }
  }
  j["policies"] = ordered_json::array();
  for (const PolicyInfo& p : allPolicies())
    j["policies"].push_back(
        item(p.name, p.description + (p.needsWholeTrace ? " (replay and sweep only)" : "")));
  j["trace_formats"] = ordered_json::array();
  for (const TraceFormat& f : traceFormats()) j["trace_formats"].push_back(item(f.name, f.description));
  j["routers"] = ordered_json::array();
  for (const RouterInfo& r : routerRegistry()) j["routers"].push_back(item(r.name, r.description));
  j["granularities"] = ordered_json::array({
      item("prompt", "one entry per (prompt prefix, layer), SHA-256 keys (the original SimpleKVCache)"),
      item("block", "vLLM-style hashed token blocks (XXH3-128 chain, or SHA-256)"),
      item("radix", "SGLang-style token radix tree, leaves evicted first"),
  });
  j["models"] = ordered_json::array();
  for (const ModelConfig& m : modelPresets()) {
    char line[160];
    std::snprintf(line, sizeof line, "%s, %d layers, %s per cached token%s", attentionName(m).c_str(),
                  m.layers, formatBytes(kvBytesPerToken(m)).c_str(),
                  m.computable ? "" : " (accounting only)");
    ordered_json one = item(m.name, line);
    one["kv_bytes_per_token"] = kvBytesPerToken(m);
    one["computable"] = m.computable;
    j["models"].push_back(std::move(one));
  }
  j["hardware"] = ordered_json::array();
  for (const HardwareProfile& h : hardwareProfiles()) j["hardware"].push_back(item(h.name, h.description));
  j["hardware"].push_back(item("cpu-here", "this machine, measured when selected"));
  return j;
}

// The section names of catalogue() and --devices, singular, as the csv's `kind` column has them.
constexpr std::pair<const char*, const char*> kSections[] = {
    {"scenarios", "scenario"}, {"policies", "policy"},
    {"trace_formats", "trace_format"}, {"routers", "router"},     {"granularities", "granularity"},
    {"models", "model"},       {"hardware", "hardware"},
    {"devices", "device"}};

void printTable(const ordered_json& j) {
  const auto names = [](const ordered_json& list, int width) {
    for (const auto& e : list)
      std::printf("  %-*s %s\n", width, e["name"].get<std::string>().c_str(),
                  e["description"].get<std::string>().c_str());
  };
  std::printf("scenarios (%s):\n", j["scenario_dir"].get<std::string>().c_str());
  names(j["scenarios"], 16);
  std::printf("policies:\n");
  names(j["policies"], 8);
  std::printf("trace formats (--input-format; detected from the content when not given):\n");
  names(j["trace_formats"], 18);
  std::printf("fleet routers (kvlab-cli fleet --router):\n");
  names(j["routers"], 13);
  std::printf("granularities:\n");
  names(j["granularities"], 8);
  std::printf("model presets (kvlab-cli model for every figure):\n");
  names(j["models"], 19);
  std::printf("hardware profiles (simulate's cost model; spec sheets):\n");
  names(j["hardware"], 12);
}

}  // namespace

CommandAction addListCommand(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("list",
                         "List bundled scenarios, model presets, policies, trace formats, fleet routers, "
                         "granularities and hardware profiles (and, with --devices, compute devices)");
  auto format = std::make_shared<OutputFormatOption>();
  auto devices = std::make_shared<bool>(false);
  cmd->add_flag("--devices", *devices,
                "also list compute devices (CPU BLAS, CUDA): loads the compute module (LibTorch, ~0.5 s)");
  format->addTo(*cmd, "one header row kind,name,description, then one row per item");
  return [cmd, format, devices]() -> int {
    if (!cmd->parsed()) return -1;
    ordered_json j = catalogue();
    if (*devices) {
      if (!computeModuleAvailable()) {
        std::fprintf(stderr, "kvlab-cli: --devices needs the compute module (not in this build)\n");
        return 3;
      }
      std::string text;
      if (const int code = runComputeCommandCapturing({"list-compute"}, text); code != 0) return code;
      const ordered_json compute = ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
      if (compute.is_discarded() || !compute.contains("devices"))
        throw std::runtime_error("the compute module's device list is not JSON: " + text.substr(0, 200));
      j["devices"] = compute["devices"];
      j["libtorch"] = compute.value("libtorch", "");
      j["attention_kernel"] = compute.value("attention_kernel", "");
    }
    if (format->json()) {
      std::cout << j.dump(2) << '\n';
    } else if (format->csv()) {
      std::vector<ordered_json> rows;
      for (const auto& [section, kind] : kSections)
        if (j.contains(section))
          for (const auto& e : j[section])
            rows.push_back(
                ordered_json{{"kind", kind}, {"name", e["name"]}, {"description", e["description"]}});
      std::fflush(stdout);  // the CSV goes through std::cout
      writeJsonRowsCsv(std::cout, rows);
      std::cout.flush();
    } else {
      printTable(j);
      if (j.contains("devices")) {
        std::printf("devices:\n");
        for (const auto& e : j["devices"])
          std::printf("  %-8s %s\n", e["name"].get<std::string>().c_str(),
                      e["description"].get<std::string>().c_str());
        std::printf("LibTorch %s, attention kernel: %s\n", j["libtorch"].get<std::string>().c_str(),
                    j["attention_kernel"].get<std::string>().c_str());
      } else {
        std::printf("devices: kvlab-cli list --devices (loads LibTorch)\n");
      }
    }
    return 0;
  };
}

}  // namespace kvlab
