// SPDX-License-Identifier: MIT
#pragma once
// The GUI's one way to tell a trace from a scenario and to ask for a trace file: every page that reads a
// trace (live replay, serving, fleet, tune) uses these, so each opens every format core/trace reads
// (core/trace/trace_format.h), detected from the content, never from the file name.
#include <QString>

class QWidget;

namespace kvlab {

// A file dialog filter listing every trace format's patterns (and scenario .json files when asked).
QString traceFileFilter(bool withScenarios);
// True when source is a file or a directory some trace format accepts (a bundled scenario name is not).
bool isTraceSource(const QString& source);
// Asks for a trace (or scenario) file; "" when cancelled. A directory format is opened by choosing its
// index file (RAGPulse's 0_trace.jsonl), a kv-cache-tester conversation by its .json, or by dropping the
// folder on the page (TraceDropFilter).
QString askForTrace(QWidget* parent, const QString& title, const QString& startDir, bool withScenarios);

}  // namespace kvlab
