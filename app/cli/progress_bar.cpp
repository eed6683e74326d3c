// SPDX-License-Identifier: MIT
#include "progress_bar.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace kvlab {

ProgressBar::ProgressBar(std::string label)
    : m_label(std::move(label)), m_enabled(::isatty(STDERR_FILENO) == 1) {}

ProgressBar::~ProgressBar() {
  if (m_enabled) std::fprintf(stderr, "\r\033[K");
}

void ProgressBar::update(double fraction, const std::string& detail) {
  if (!m_enabled) return;
  const auto now = std::chrono::steady_clock::now();
  if (fraction < 1.0 && now - m_lastDraw < std::chrono::milliseconds(100)) return;
  m_lastDraw = now;
  constexpr int kWidth = 30;
  const int filled = int(std::clamp(fraction, 0.0, 1.0) * kWidth);
  std::string bar(std::size_t(filled), '#');
  bar.append(std::size_t(kWidth - filled), '.');
  std::fprintf(stderr, "\r\033[K%s [%s] %3d%% %s", m_label.c_str(), bar.c_str(), int(fraction * 100),
               detail.c_str());
  std::fflush(stderr);
}

}  // namespace kvlab
