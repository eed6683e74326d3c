// SPDX-License-Identifier: MIT
#include "core/hardware/hardware_profile.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>

namespace kvlab {

namespace {

constexpr double kTera = 1e12;

std::vector<HardwareProfile> buildProfiles() {
  // denseTflops: peak dense BF16 tensor FLOP/s (half the "with sparsity" figure where a sheet prints that);
  // tbPerS: memory bandwidth; gb: memory; linkGBps: the peer link as the sheet prints it (both directions
  // together) or 0 for none; pcieGBps: the host link, both directions together.
  const auto gpu = [](std::string name, std::string description, double denseTflops, double tbPerS, double gb,
                      double linkGBps, double pcieGBps, std::string source) {
    HardwareProfile p;
    p.name = std::move(name);
    p.description = std::move(description);
    p.peakFlops = denseTflops * kTera;
    p.memoryBandwidth = tbPerS * kTera;
    p.memoryBytes = std::uint64_t(gb * 1e9);
    // One way: half of the sheets' bidirectional figures. Without a peer link, all-reduces cross PCIe.
    p.pcieBandwidth = pcieGBps * 1e9 / 2;
    p.interconnectBandwidth = (linkGBps > 0 ? linkGBps : pcieGBps) * 1e9 / 2;
    p.source = std::move(source);
    return p;
  };
  return {
      // BF16 1,979 TFLOPS with sparsity (989.5 dense), 80 GB HBM3, 3.35 TB/s, NVLink 900 GB/s, PCIe Gen5
      // 128 GB/s.
      gpu("h100-sxm", "NVIDIA H100 SXM5 80 GB: 989.5 TFLOP/s dense bf16, 3.35 TB/s HBM3", 989.5, 3.35, 80,
          900, 128, "NVIDIA H100 Tensor Core GPU datasheet, H100 SXM column"),
      // BF16 1,979 TFLOPS with sparsity (989.5 dense), 141 GB HBM3e, 4.8 TB/s, NVLink 900 GB/s, PCIe Gen5.
      gpu("h200", "NVIDIA H200 SXM 141 GB: 989.5 TFLOP/s dense bf16, 4.8 TB/s HBM3e", 989.5, 4.8, 141, 900,
          128, "NVIDIA H200 Tensor Core GPU datasheet, H200 SXM column"),
      // BF16 312 TFLOPS dense (624 with sparsity), 80 GB HBM2e, 2,039 GB/s, NVLink 600 GB/s, PCIe Gen4.
      gpu("a100-80gb", "NVIDIA A100 SXM 80 GB: 312 TFLOP/s dense bf16, 2.04 TB/s HBM2e", 312, 2.039, 80, 600,
          64, "NVIDIA A100 Tensor Core GPU datasheet, A100 80GB SXM column"),
      // BF16 733 TFLOPS with sparsity (366.5 dense; the sheet prints 362.05 for dense), 48 GB GDDR6,
      // 864 GB/s, PCIe Gen4 x16 64 GB/s, no NVLink. The sheet's dense figure is used.
      gpu("l40s", "NVIDIA L40S 48 GB: 362 TFLOP/s dense bf16, 864 GB/s GDDR6", 362.05, 0.864, 48, 0, 64,
          "NVIDIA L40S GPU datasheet"),
      // HGX B200 (8 GPUs): FP16/BF16 tensor 36 PFLOPS with sparsity = 2.25 PFLOPS dense per GPU; 1,440 GB
      // HBM3e = 180 GB per GPU; 64 TB/s = 8 TB/s per GPU; NVLink 5: 1.8 TB/s per GPU; PCIe Gen5.
      gpu("b200", "NVIDIA B200 180 GB: 2250 TFLOP/s dense bf16, 8 TB/s HBM3e", 2250, 8.0, 180, 1800, 128,
          "NVIDIA HGX B200 datasheet (8-GPU figures divided by 8)"),
      // Peak BF16 1,307.4 TFLOPS dense (2,614.9 with sparsity), 192 GB HBM3, 5.3 TB/s, Infinity Fabric
      // 896 GB/s peer bandwidth (7 links x 128 GB/s), PCIe Gen5 x16 128 GB/s.
      gpu("mi300x", "AMD Instinct MI300X 192 GB: 1307 TFLOP/s dense bf16, 5.3 TB/s HBM3", 1307.4, 5.3, 192,
          896, 128, "AMD Instinct MI300X accelerator datasheet"),
      // FP16/BF16 148 TFLOPS dense, 96 GB HBM3, 4.0 TB/s, NVLink 900 GB/s, PCIe Gen5 x16 128 GB/s. NVIDIA
      // publishes no H20 datasheet on its site; these are the figures of its partners' HGX H20 product
      // briefs.
      gpu("h20", "NVIDIA H20 96 GB: 148 TFLOP/s dense bf16, 4.0 TB/s HBM3", 148, 4.0, 96, 900, 128,
          "NVIDIA HGX H20 specification (partner product briefs)"),
      // BF16 242 TFLOPS with sparsity (121 dense), 24 GB GDDR6, 300 GB/s, PCIe Gen4 x16 64 GB/s, no NVLink.
      gpu("l4", "NVIDIA L4 24 GB: 121 TFLOP/s dense bf16, 300 GB/s GDDR6", 121, 0.3, 24, 0, 64,
          "NVIDIA L4 Tensor Core GPU datasheet"),
      // Peak BF16 tensor TFLOPS with FP32 accumulate 165.2 dense (330.4 with sparsity), 24 GB GDDR6X,
      // 1,008 GB/s, PCIe Gen4 x16 64 GB/s, no NVLink.
      gpu("rtx-4090", "NVIDIA GeForce RTX 4090 24 GB: 165 TFLOP/s dense bf16, 1.01 TB/s GDDR6X", 165.2, 1.008,
          24, 0, 64, "NVIDIA Ada Lovelace GPU architecture whitepaper, appendix table (GeForce RTX 4090)"),
  };
}

// Multiply-adds on independent accumulators (so the loop is throughput-bound, not latency-bound); the
// compiler vectorises it with the build's flags (no -march=native). Returns FLOPs done.
double fmaLoop(double seconds, float* sink) {
  constexpr int kLanes = 64;
  float acc[kLanes];
  for (int i = 0; i < kLanes; ++i) acc[i] = float(i) * 1e-3f;
  const float a = 0.999999f, b = 1e-7f;
  std::uint64_t iterations = 0;
  const auto start = std::chrono::steady_clock::now();
  do {
    for (int rep = 0; rep < 4096; ++rep)
      for (int i = 0; i < kLanes; ++i) acc[i] = acc[i] * a + b;
    iterations += 4096;
  } while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < seconds);
  float s = 0;
  for (float v : acc) s += v;
  *sink = s;
  return double(iterations) * kLanes * 2.0;
}

// Streams `bytes` of floats `passes` times, summing them. Returns bytes read.
double streamLoop(const float* data, std::size_t count, int passes, float* sink) {
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (int p = 0; p < passes; ++p)
    for (std::size_t i = 0; i + 3 < count; i += 4) {
      s0 += data[i];
      s1 += data[i + 1];
      s2 += data[i + 2];
      s3 += data[i + 3];
    }
  *sink = s0 + s1 + s2 + s3;
  return double(count) * sizeof(float) * passes;
}

template <typename Work>
double parallelRate(unsigned threads, Work work) {
  std::vector<double> done(threads, 0);
  std::vector<std::thread> pool;
  const auto start = std::chrono::steady_clock::now();
  for (unsigned t = 0; t < threads; ++t) pool.emplace_back([&, t] { done[t] = work(t); });
  for (auto& th : pool) th.join();
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double total = 0;
  for (double d : done) total += d;
  return elapsed > 0 ? total / elapsed : 0;
}

}  // namespace

const std::vector<HardwareProfile>& hardwareProfiles() {
  static const std::vector<HardwareProfile> profiles = buildProfiles();
  return profiles;
}

std::string_view defaultHardwareProfileName() { return "h100-sxm"; }

HardwareProfile measureCpuProfile() {
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<float> sinks(threads, 0);
  HardwareProfile p;
  p.name = "cpu-here";
  p.peakFlops = parallelRate(threads, [&](unsigned t) { return fmaLoop(0.1, &sinks[t]); });
  // 256 MiB in total, split over the threads, far larger than any cache.
  const std::size_t perThread = (std::size_t(256) << 20) / sizeof(float) / threads;
  std::vector<std::unique_ptr<float[]>> buffers(threads);
  for (unsigned t = 0; t < threads; ++t) {
    buffers[t] = std::make_unique<float[]>(perThread);
    std::fill_n(buffers[t].get(), perThread, 1.0f);  // touch every page before timing
  }
  p.memoryBandwidth = parallelRate(
      threads, [&](unsigned t) { return streamLoop(buffers[t].get(), perThread, 2, &sinks[t]); });
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long pageSize = sysconf(_SC_PAGE_SIZE);
  p.memoryBytes = pages > 0 && pageSize > 0 ? std::uint64_t(pages) * std::uint64_t(pageSize) : 0;
  p.computeUtilisation = 1.0;
  p.memoryUtilisation = 1.0;
  p.measured = true;
  p.source = "measured on this machine";
  p.description = "this machine, measured at start: " + std::to_string(threads) + " threads, " +
                  std::to_string(int(p.peakFlops / 1e9)) + " GFLOP/s fp32 loop, " +
                  std::to_string(int(p.memoryBandwidth / 1e9)) + " GB/s streaming read";
  return p;
}

const HardwareProfile* findHardwareProfile(std::string_view name) {
  for (const HardwareProfile& p : hardwareProfiles())
    if (p.name == name) return &p;
  if (name == "cpu-here") {
    static std::once_flag once;
    static HardwareProfile cpu;
    std::call_once(once, [] { cpu = measureCpuProfile(); });
    return &cpu;
  }
  return nullptr;
}

std::vector<std::string> hardwareProfileNames() {
  std::vector<std::string> names;
  for (const HardwareProfile& p : hardwareProfiles()) names.push_back(p.name);
  names.push_back("cpu-here");
  return names;
}

}  // namespace kvlab
