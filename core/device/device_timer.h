// SPDX-License-Identifier: MIT
#pragma once
#include <chrono>
#include <string>

namespace kvlab {

// Wall-clock interval timer whose every reading is a device barrier. CUDA kernels run asynchronously: without
// a barrier, work launched in one measured interval (a K/V copy in store, say) finishes inside the next one
// (the following lookup), and both figures are wrong. On a CUDA device start() and elapsedMs() first wait
// for everything queued on the device's current stream (the only stream the runner uses); on the CPU they
// are plain steady_clock readings. Not thread-safe; one per run thread.
class DeviceTimer {
public:
  // device: "cpu", "cuda" (the current CUDA device) or "cuda:N". Throws std::invalid_argument otherwise.
  explicit DeviceTimer(const std::string& device);

  // Waits for queued device work, then restarts the interval.
  void start();
  // Waits for queued device work, then returns milliseconds since start(); the interval keeps running.
  double elapsedMs() const;

  bool isCuda() const { return m_cuda; }

private:
  void synchronize() const;

  bool m_cuda = false;
  int m_index = -1;  // CUDA device index; -1: the current device
  std::chrono::steady_clock::time_point m_start = std::chrono::steady_clock::now();
};

}  // namespace kvlab
