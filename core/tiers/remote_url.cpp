// SPDX-License-Identifier: MIT
#include "core/tiers/remote_url.h"

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>

#include "core/util/input_error.h"

namespace kvlab {

namespace {

int parseInt(std::string_view text, int lo, int hi, const std::string& field, const char* what) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value < lo || value > hi)
    throw InputError("", 0, field,
                     std::string(what) + " must be an integer in [" + std::to_string(lo) + ", " +
                         std::to_string(hi) + "], got " + quoteForError(text));
  return value;
}

RemoteEndpoint parseEndpoint(std::string_view text, bool portRequired, const std::string& field) {
  RemoteEndpoint endpoint;
  const size_t colon = text.rfind(':');
  endpoint.host = std::string(text.substr(0, colon));
  if (colon != std::string_view::npos)
    endpoint.port = parseInt(text.substr(colon + 1), 1, 65535, field, "port");
  else if (portRequired)
    throw InputError("", 0, field, "expected host:port, got " + quoteForError(text));
  if (endpoint.host.empty()) throw InputError("", 0, field, "missing host in " + quoteForError(text));
  for (char c : endpoint.host)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_'))
      throw InputError("", 0, field, "invalid host " + quoteForError(endpoint.host));
  return endpoint;
}

}  // namespace

RemoteUrl RemoteUrl::parse(std::string_view text, std::string_view fieldName) {
  const std::string field(fieldName);
  RemoteUrl url;
  std::string_view rest;
  if (text.starts_with("redis://")) {
    rest = text.substr(8);
  } else if (text.starts_with("rediss://")) {
    url.tls.enabled = true;
    rest = text.substr(9);
  } else if (text.starts_with("redis-cluster://")) {
    url.cluster = true;
    rest = text.substr(16);
  } else if (text.starts_with("rediss-cluster://")) {
    url.cluster = true;
    url.tls.enabled = true;
    rest = text.substr(17);
  } else {
    throw InputError("", 0, field,
                     "expected redis[s]://[user:password@]host:port[/db] or "
                     "redis[s]-cluster://host:port[,host:port...], got " +
                         quoteForError(redactUserInfo(text)));
  }
  if (const size_t at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view credentials = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const size_t colon = credentials.find(':');
    if (colon == std::string_view::npos) {
      url.password = std::string(credentials);  // redis://secret@host: a bare password
    } else {
      url.user = std::string(credentials.substr(0, colon));
      url.password = std::string(credentials.substr(colon + 1));
    }
    // redis://user:@host: the user's password comes from the environment (withEnvironment).
    if (url.password.empty() && url.user.empty()) throw InputError("", 0, field, "empty password before '@'");
  }
  if (const size_t slash = rest.find('/'); slash != std::string_view::npos) {
    if (url.cluster) throw InputError("", 0, field, "a Redis Cluster has no database number");
    url.db = parseInt(rest.substr(slash + 1), 0, 1'000'000, field, "database number");
    rest = rest.substr(0, slash);
  }
  if (url.cluster && rest.empty())
    throw InputError("", 0, field, "redis-cluster:// needs at least one seed host:port");
  while (true) {
    const size_t comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    if (url.cluster && item.empty())
      throw InputError("", 0, field,
                       "seed " + std::to_string(url.endpoints.size() + 1) +
                           " of the list is empty (a stray ','), in " + quoteForError(redactUserInfo(text)));
    RemoteEndpoint endpoint = parseEndpoint(item, url.cluster, field);
    for (const RemoteEndpoint& seen : url.endpoints)
      if (seen.host == endpoint.host && seen.port == endpoint.port)
        throw InputError("", 0, field, "seed " + quoteForError(item) + " is listed twice");
    url.endpoints.push_back(std::move(endpoint));
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  if (!url.cluster && url.endpoints.size() != 1)
    throw InputError("", 0, field, "redis:// takes one host:port; use redis-cluster:// for several");
  return url;
}

std::string redactUserInfo(std::string_view text) {
  const size_t scheme = text.find("://");
  const size_t at = text.rfind('@');
  if (at == std::string_view::npos) return std::string(text);
  const size_t from = scheme == std::string_view::npos || scheme > at ? 0 : scheme + 3;
  return std::string(text.substr(0, from)) + "***" + std::string(text.substr(at));
}

RemoteUrl RemoteUrl::withEnvironment(std::string_view fieldName) const {
  RemoteUrl url = *this;
  if (!url.password.empty()) return url;
  const std::string field(fieldName);
  if (const char* env = std::getenv(kRemotePasswordEnv); env != nullptr && *env != '\0') {
    url.password = env;
  } else if (const char* path = std::getenv(kRemotePasswordFileEnv); path != nullptr && *path != '\0') {
    std::ifstream in(path);
    std::string line;
    if (!in || !std::getline(in, line))
      throw InputError("", 0, field,
                       std::string("cannot read the password file ") + quoteForError(path, 200) +
                           " named by " + kRemotePasswordFileEnv);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty())
      throw InputError("", 0, field,
                       std::string("the password file ") + quoteForError(path, 200) + " named by " +
                           kRemotePasswordFileEnv + " starts with an empty line");
    url.password = std::move(line);
  }
  if (url.tls.enabled) {
    const auto fromEnv = [](const char* name) {
      const char* value = std::getenv(name);
      return std::string(value != nullptr ? value : "");
    };
    url.tls.caFile = fromEnv(kRemoteTlsCaEnv);
    url.tls.certFile = fromEnv(kRemoteTlsCertEnv);
    url.tls.keyFile = fromEnv(kRemoteTlsKeyEnv);
  }
  if (url.password.empty() && !url.user.empty())
    throw InputError("", 0, field,
                     "user " + quoteForError(url.user) + " has no password: give it in the URL, or set " +
                         kRemotePasswordEnv + " or " + kRemotePasswordFileEnv);
  return url;
}

std::string RemoteUrl::redacted() const {
  std::string out = std::string(tls.enabled ? "rediss" : "redis") + (cluster ? "-cluster://" : "://");
  // "user:***@", ":***@" or "user:@" (password from the environment): re-parsed, it still means the same
  // user (a bare "user@" would read as a password).
  if (!user.empty() || !password.empty()) out += user + ":" + (password.empty() ? "" : "***") + "@";
  for (size_t i = 0; i < endpoints.size(); ++i)
    out += (i ? "," : "") + endpoints[i].host + ":" + std::to_string(endpoints[i].port);
  if (db != 0) out += "/" + std::to_string(db);
  return out;
}

}  // namespace kvlab
