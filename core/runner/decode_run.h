// SPDX-License-Identifier: MIT
#pragma once
// The `decode` scenario: the lesson that gives the KV cache its name. One prompt is decoded greedily for N
// tokens twice, step by step in alternation: with the per-sequence K/V cache (each step computes one token
// against the stored K/V) and without it (each step recomputes the whole sequence). The tokens must be
// identical and the logits within kDecodeLogitTolerance; otherwise the run reports an error.
// Internal to core/runner; ScenarioRunner::run calls it on its worker thread.
#include "core/runner/run_controls.h"
#include "core/runner/run_types.h"
#include "core/workload/scenario.h"

namespace kvlab {

inline constexpr double kDecodeLogitTolerance = 1e-4;  // max |logit difference| allowed in fp32; other
                                                       // dtypes: logitTolerance(dtype) (run_support.h)

// Runs to completion, cancel or error; reports every step through observer.onDecodeStep, then one
// RequestRecord, then onRunFinished with summary.decode set.
RunSummary runDecode(const RunSettings& settings, const ScenarioSpec& spec, RunControls& controls,
                     RunObserver& observer, int runId);

}  // namespace kvlab
