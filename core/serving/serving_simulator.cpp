// SPDX-License-Identifier: MIT
#include "core/serving/serving_simulator.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "core/serving/serving_engine.h"

namespace kvlab {

ServingSimulator::ServingSimulator(ServingConfig config) : m_config(std::move(config)) {
  validateServingConfig(m_config);
}

ServingResult ServingSimulator::run(const std::vector<TraceRequest>& requests,
                                    ServingObserver* observer) const {
  for (std::size_t i = 1; i < requests.size(); ++i)
    if (requests[i].timestampMs < requests[i - 1].timestampMs)
      throw std::invalid_argument("request " + std::to_string(i) + " arrives before the one before it");
  ServingEngine engine(m_config, observer);
  for (const TraceRequest& r : requests) engine.submit(r);
  engine.drain();
  return engine.result();
}

double nearestRankPercentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double rank = std::ceil(p / 100.0 * double(values.size()));
  const std::size_t index = rank < 1 ? 0 : std::min(values.size() - 1, std::size_t(rank) - 1);
  return values[index];
}

}  // namespace kvlab
