// SPDX-License-Identifier: MIT
#pragma once
// The Workload page's words and tables for a TraceAnalysis (kvlab-cli analyze's report): the headline, the
// sentence under it, and the report as HTML, one function each, so the page and the PDF show the same
// text. Sizes come in blocks, tokens and, with a model, bytes of K/V; with a hardware profile, the prefill
// time the cache saves (cost model, said so). Any thread (pure functions of their arguments).
#include <QString>
#include <cstdint>

namespace kvlab {

struct TraceAnalysis;

struct WorkloadPricing {
  QString model;                     // "" = sizes in blocks and tokens only
  std::uint64_t bytesPerToken = 0;   // K/V bytes of one cached token of the model (0 = none)
  QString hardware;                  // "" = no time figures
  double prefillSecondsPerToken = 0; // cost model: from-scratch prefill at the trace's mean prompt
};

QString workloadHeadline(const TraceAnalysis& a, const WorkloadPricing& pricing);
QString workloadDetail(const TraceAnalysis& a, const WorkloadPricing& pricing);
// Tables: summary, sizes for shares of the bound, what idle TTLs lose, top shared prefixes, and the bound
// by segment, request type, model and session where the trace has them.
QString workloadReportHtml(const TraceAnalysis& a, const WorkloadPricing& pricing, const QString& sourceName);

}  // namespace kvlab
