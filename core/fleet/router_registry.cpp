// SPDX-License-Identifier: MIT
#include "core/fleet/router_registry.h"

#include <stdexcept>

#include "core/fleet/kv_aware_router.h"
#include "core/fleet/kv_score_router.h"
#include "core/fleet/least_loaded_router.h"
#include "core/fleet/oracle_shared_router.h"
#include "core/fleet/random_router.h"
#include "core/fleet/round_robin_router.h"
#include "core/fleet/session_affinity_router.h"
#include "core/fleet/prefix_hash_router.h"

namespace kvlab {

namespace {
template <typename R>
std::unique_ptr<Router> make(const RouterParams&, std::size_t) {
  return std::make_unique<R>();
}
std::unique_ptr<Router> makeRandom(const RouterParams& p, std::size_t) {
  return std::make_unique<RandomRouter>(p.seed);
}
std::unique_ptr<Router> makeSession(const RouterParams& p, std::size_t replicas) {
  return std::make_unique<PrefixHashRouter>(replicas, p.affinityBlocks, p.virtualNodes);
}
std::unique_ptr<Router> makeKvAware(const RouterParams& p, std::size_t replicas) {
  return std::make_unique<KvAwareRouter>(replicas, p.overlapWeight);
}
std::unique_ptr<Router> makeKvScore(const RouterParams& p, std::size_t) {
  return std::make_unique<KvScoreRouter>(p.loadWeight);
}
}  // namespace

const std::vector<RouterInfo>& routerRegistry() {
  static const std::vector<RouterInfo> registry = {
      {"round-robin", "request i goes to replica i mod N (blind to load and cache)", &make<RoundRobinRouter>},
      {"random", "a uniformly drawn replica per request (--seed)", &makeRandom},
      {"least-loaded", "fewest requests so far (--serving: fewest waiting + running) (blind to the cache)",
       &make<LeastLoadedRouter>},
      {"prefix-hash", "consistent hash of the first K blocks (--affinity-blocks) on a ring", &makeSession},
      {"session-affinity", "sticky per session id; a new session to the least loaded (traces with sessions)",
       &make<SessionAffinityRouter>, /*sharedCache=*/false, /*needsSessions=*/true},
      {"kv-aware",
       "Dynamo's cost: --overlap-weight x prefill blocks to compute + active blocks, lowest wins",
       &makeKvAware},
      {"kv-score", "most cached leading blocks minus --load-weight x load (kvlab's earlier kv-aware)",
       &makeKvScore},
      {"oracle-shared", "bound: one cache of N x capacity shared by every replica", &make<OracleSharedRouter>,
       /*sharedCache=*/true},
  };
  return registry;
}

bool formatCarriesSessions(std::string_view format) {
  return format == "ragpulse" || format == "qwen-bailian" || format == "kv-cache-tester";
}

std::string_view renamedRouter(std::string_view name) {
  return name == "session" ? std::string_view("prefix-hash") : std::string_view();
}

const RouterInfo* findRouter(std::string_view name) {
  if (const std::string_view now = renamedRouter(name); !now.empty()) name = now;
  for (const RouterInfo& info : routerRegistry())
    if (info.name == name) return &info;
  return nullptr;
}

std::vector<std::string> routerNames() {
  std::vector<std::string> names;
  for (const RouterInfo& info : routerRegistry()) names.push_back(info.name);
  return names;
}

std::unique_ptr<Router> createRouter(std::string_view name, const RouterParams& params,
                                     std::size_t replicas) {
  if (const RouterInfo* info = findRouter(name)) return info->create(params, replicas);
  std::string valid;
  for (const RouterInfo& info : routerRegistry()) valid += (valid.empty() ? "" : ", ") + info.name;
  throw std::invalid_argument("unknown router '" + std::string(name) + "' (choose from: " + valid + ")");
}

}  // namespace kvlab
