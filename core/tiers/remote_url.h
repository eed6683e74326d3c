// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kvlab {

// A parsed --remote value:
//   redis://[user:password@]host[:port][/db]            one server (port 6379 and db 0 by default)
//   redis://[:password@]host[:port][/db]                password only (Redis' default user)
//   redis-cluster://[user:password@]host:port[,host:port...]   seed nodes of a Redis Cluster (db 0 only;
//                                  at least one seed, each with a port, no empty item, none twice)
// No percent-decoding: user and password are taken verbatim and must not contain '@', ':' or '/'.
struct RemoteEndpoint {
  std::string host;
  int port = 6379;
};

struct RemoteUrl {
  bool cluster = false;
  std::string user;  // "" = Redis' default user
  std::string password;
  std::vector<RemoteEndpoint> endpoints;  // exactly one unless cluster
  int db = 0;

  // Throws InputError (field = `field`) naming what is wrong, e.g.
  //   "field 'remote': port must be an integer in [1, 65535], got '99999'".
  static RemoteUrl parse(std::string_view text, std::string_view field = "remote");

  // The URL again with the password replaced by "***" (for logs and reports).
  std::string redacted() const;
};

}  // namespace kvlab
