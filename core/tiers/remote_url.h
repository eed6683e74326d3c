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
//   redis://password@host[:port][/db]                   the same (a bare user-info is a password, as in
//                                                       redis-cli -u)
//   redis://user:@host[:port][/db]                      user, password from the environment (below)
//   redis-cluster://[user:password@]host:port[,host:port...]   seed nodes of a Redis Cluster (db 0 only;
//                                  at least one seed, each with a port, no empty item, none twice)
//   rediss://... and rediss-cluster://...              the same over TLS (the server's certificate is
//                                                       verified against the system's CAs or
//                                                       KVLAB_REMOTE_TLS_CA, and must name the host)
// No percent-decoding: user and password are taken verbatim and must not contain ':' or '/'.
//
// Secrets: a password on the command line is visible to every user of the machine (ps, shell history).
// Leave it out of the URL and the password comes from, in this order, the environment variable
// KVLAB_REMOTE_PASSWORD or the first line of the file KVLAB_REMOTE_PASSWORD_FILE names (as redis-cli reads
// REDISCLI_AUTH); withEnvironment() applies them, and the TLS files. Every error message shows the URL with
// its user-info replaced by "***"; redacted() is what reports and logs show.
struct RemoteEndpoint {
  std::string host;
  int port = 6379;
};

// TLS settings of a rediss:// URL (files from the environment, withEnvironment()).
struct RemoteTls {
  bool enabled = false;  // rediss:// or rediss-cluster://
  std::string caFile;    // KVLAB_REMOTE_TLS_CA: PEM CA bundle for the server ("" = the system's CAs)
  std::string certFile;  // KVLAB_REMOTE_TLS_CERT: client certificate (Redis' tls-auth-clients), PEM
  std::string keyFile;   // KVLAB_REMOTE_TLS_KEY: its private key ("" = in the certificate file)
};

struct RemoteUrl {
  bool cluster = false;
  std::string user;  // "" = Redis' default user
  std::string password;
  std::vector<RemoteEndpoint> endpoints;  // exactly one unless cluster
  int db = 0;
  RemoteTls tls;

  // Throws InputError (field = `field`) naming what is wrong, e.g.
  //   "field 'remote': port must be an integer in [1, 65535], got '99999'".
  static RemoteUrl parse(std::string_view text, std::string_view field = "remote");

  // The URL again with the password replaced by "***" (for logs and reports).
  std::string redacted() const;

  // This URL completed from the environment: the password from KVLAB_REMOTE_PASSWORD or
  // KVLAB_REMOTE_PASSWORD_FILE when the URL carries none, and for TLS the KVLAB_REMOTE_TLS_* files. Throws
  // InputError (field `field`) for a password file that cannot be read or is empty, or a user name left
  // without a password; the message never contains a password.
  RemoteUrl withEnvironment(std::string_view field = "remote") const;
};

// text with everything between "://" and the last '@' replaced by "***" (no '@': text as is): what an
// error message may quote of a URL that may carry a password.
std::string redactUserInfo(std::string_view text);

inline constexpr const char* kRemotePasswordEnv = "KVLAB_REMOTE_PASSWORD";
inline constexpr const char* kRemotePasswordFileEnv = "KVLAB_REMOTE_PASSWORD_FILE";
inline constexpr const char* kRemoteTlsCaEnv = "KVLAB_REMOTE_TLS_CA";
inline constexpr const char* kRemoteTlsCertEnv = "KVLAB_REMOTE_TLS_CERT";
inline constexpr const char* kRemoteTlsKeyEnv = "KVLAB_REMOTE_TLS_KEY";

}  // namespace kvlab
