// SPDX-License-Identifier: MIT
#include "core/runner/scenario_runner.h"

#include <cstdlib>
#include <filesystem>

#include "core/runner/decode_run.h"
#include "core/runner/live_run.h"
#include "core/runner/run_controls.h"
#include "core/runner/trace_run.h"
#include "core/util/input_error.h"
#include "core/workload/scenario.h"

#ifndef KVLAB_SOURCE_SCENARIO_DIR
#define KVLAB_SOURCE_SCENARIO_DIR ""
#endif

namespace kvlab {

namespace {

bool isTraceFile(const std::string& path) {
  return path.size() > 6 && path.compare(path.size() - 6, 6, ".jsonl") == 0;
}

}  // namespace

struct ScenarioRunner::Impl {
  RunControls controls;
};

ScenarioRunner::ScenarioRunner() : m_impl(std::make_unique<Impl>()) {}
ScenarioRunner::~ScenarioRunner() { cancel(); }

void ScenarioRunner::setMaxBytes(Bytes bytes) { m_impl->controls.setMaxBytes(bytes); }
void ScenarioRunner::setTtlMs(TimeMs ttlMs) { m_impl->controls.setTtlMs(ttlMs); }
void ScenarioRunner::setPolicy(const std::string& policy) { m_impl->controls.setPolicy(policy); }
void ScenarioRunner::pause() { m_impl->controls.pause(); }
void ScenarioRunner::resume() { m_impl->controls.resume(); }
void ScenarioRunner::cancel() { m_impl->controls.cancel(); }
void ScenarioRunner::cancelRun(int runId) { m_impl->controls.cancelRun(runId); }
void ScenarioRunner::setPinnedBudget(Bytes bytes) { m_impl->controls.setPinnedBudget(bytes); }
void ScenarioRunner::pinRequestPrefix(int requestIndex) { m_impl->controls.pinRequestPrefix(requestIndex); }
bool ScenarioRunner::isPaused() const { return m_impl->controls.isPaused(); }

std::string defaultScenarioDir() {
  if (const char* env = std::getenv("KVLAB_SCENARIO_DIR")) return env;
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto installed = exe.parent_path() / ".." / "share" / "kvlab" / "scenarios";
    if (std::filesystem::is_directory(installed, ec)) return installed.lexically_normal().string();
  }
  return KVLAB_SOURCE_SCENARIO_DIR;
}

RunSummary ScenarioRunner::run(const RunSettings& settings, RunObserver& observer, int runId) {
  RunControls& controls = m_impl->controls;
  controls.beginRun(runId);
  const std::string dir = settings.scenarioDir.empty() ? defaultScenarioDir() : settings.scenarioDir;
  const bool trace = isTraceFile(settings.scenario);
  if (!settings.remoteUrl.empty() && trace)
    throw InputError("", 0, "remote",
                     "a remote tier holds real K/V: it applies to live runs, not to a simulated trace "
                     "(kvlab-cli replay models tiers)");
  if (settings.hostMaxBytes > 0 && trace)
    throw InputError("", 0, "host-size",
                     "a host tier holds real K/V: it applies to live runs, not to a simulated trace "
                     "(kvlab-cli replay --host-size models tiers)");
  if (trace) return runTrace(settings, settings.scenario, controls, observer, runId);
  const std::string path = resolveScenario(settings.scenario, dir);
  const ScenarioSpec spec = loadScenarioFile(path);
  if (spec.kind == ScenarioKind::Decode && !settings.remoteUrl.empty())
    throw InputError("", 0, "remote", "the decode scenario uses no shared prefix cache, so no remote tier");
  if (spec.kind == ScenarioKind::Decode && settings.hostMaxBytes > 0)
    throw InputError("", 0, "host-size", "the decode scenario uses no shared prefix cache, so no host tier");
  if (spec.kind == ScenarioKind::Decode) return runDecode(settings, spec, controls, observer, runId);
  return runLive(settings, spec, controls, observer, runId);
}

}  // namespace kvlab
