// SPDX-License-Identifier: MIT
#include "core/device/device_timer.h"

#include <c10/core/Device.h>
#include <c10/core/DeviceType.h>
#include <c10/core/Stream.h>
#include <c10/core/impl/DeviceGuardImplInterface.h>

#include <stdexcept>

namespace kvlab {

DeviceTimer::DeviceTimer(const std::string& device) {
  if (device == "cpu") return;
  if (device == "cuda") {
    m_cuda = true;
    return;
  }
  const std::string prefix = "cuda:";
  const std::string index = device.rfind(prefix, 0) == 0 ? device.substr(prefix.size()) : std::string();
  if (index.empty() || index.size() > 3 || index.find_first_not_of("0123456789") != std::string::npos)
    throw std::invalid_argument("DeviceTimer: unknown device '" + device + "' (use cpu, cuda or cuda:N)");
  m_cuda = true;
  m_index = std::stoi(index);
}

void DeviceTimer::start() {
  synchronize();
  m_start = std::chrono::steady_clock::now();
}

double DeviceTimer::elapsedMs() const {
  synchronize();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - m_start).count();
}

void DeviceTimer::synchronize() const {
  if (!m_cuda) return;
  // Device-generic c10 interface (present in LibTorch 1.13 and 2.x): no CUDA headers needed, so this compiles
  // against a CPU-only LibTorch and is only reached when a CUDA device is in use.
  const c10::impl::DeviceGuardImplInterface* impl = c10::impl::getDeviceGuardImpl(c10::DeviceType::CUDA);
  const c10::Device device =
      m_index < 0 ? impl->getDevice() : c10::Device(c10::DeviceType::CUDA, c10::DeviceIndex(m_index));
  impl->getStream(device).synchronize();
}

}  // namespace kvlab
