// SPDX-License-Identifier: MIT
#pragma once
// A live run: the scenario's requests served with real tensors through the shared prefix cache, each also
// prefilled without it (the baseline), then decoded for its output tokens. Internal to core/runner;
// ScenarioRunner::run calls it on its worker thread.
#include "core/runner/run_controls.h"
#include "core/runner/run_types.h"
#include "core/workload/scenario.h"

namespace kvlab {

// Runs to completion, cancel or error; always ends with observer.onRunFinished. Bad settings throw
// InputError before anything starts.
RunSummary runLive(const RunSettings& settings, const ScenarioSpec& spec, RunControls& controls,
                   RunObserver& observer, int runId);

}  // namespace kvlab
