// SPDX-License-Identifier: MIT
#pragma once
// The bandwidth/latency model of moving K/V blocks between tiers in replay (no bytes move there, so every
// transfer_ms it reports is labelled "cost model"). One batch per request and direction: a request's
// promotions from a tier are one transfer, the blocks demoted into a tier while serving it are another.
//   cost(batch) = latency + bytes / bandwidth            (0 for an empty batch)
// device <-> host: PCIe; device or host <-> remote: the network (its PCIe hop is not added: the network
// is the bottleneck). Defaults are round public figures, overridable
// with kvlab-cli replay --pcie-bandwidth / --pcie-latency / --net-bandwidth / --net-latency:
//   PCIe Gen4 x16: 25 GB/s sustained of its 32 GB/s raw, 10 us per DMA batch;
//   network: 100 Gb/s Ethernet = 12.5 GB/s, 0.2 ms per round trip (a Redis GET pipeline on a LAN).
#include <cstdint>

namespace kvlab {

struct TierCostModel {
  double pcieBytesPerS = 25e9;
  double pcieLatencyMs = 0.01;
  double networkBytesPerS = 12.5e9;
  double networkLatencyMs = 0.2;

  double pcieMs(std::uint64_t bytes) const {
    return bytes ? pcieLatencyMs + 1e3 * double(bytes) / pcieBytesPerS : 0.0;
  }
  // A remote batch: one network round trip, then the PCIe hop (0 when the batch is empty).
  double networkMs(std::uint64_t bytes) const {
    return bytes ? networkLatencyMs + 1e3 * double(bytes) / networkBytesPerS : 0.0;
  }
};

}  // namespace kvlab
