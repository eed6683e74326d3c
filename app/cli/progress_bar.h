// SPDX-License-Identifier: MIT
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace kvlab {

// A one-line progress bar on stderr, drawn only when stderr is a terminal, at most ~10 times a second.
class ProgressBar {
public:
  explicit ProgressBar(std::string label);
  ~ProgressBar();  // clears the line
  void update(double fraction, const std::string& detail = {});

private:
  std::string m_label;
  bool m_enabled = false;
  std::chrono::steady_clock::time_point m_lastDraw{};
};

}  // namespace kvlab
