// SPDX-License-Identifier: MIT
#include "core/util/atomic_file.h"

#include <cstdio>
#include <stdexcept>

namespace kvlab {

AtomicFile::AtomicFile(std::string path) : m_path(std::move(path)), m_tempPath(m_path + ".partial") {
  m_stream.open(m_tempPath, std::ios::binary | std::ios::trunc);
  if (!m_stream) throw std::runtime_error("cannot write '" + m_tempPath + "'");
}

AtomicFile::~AtomicFile() {
  if (!m_committed) {
    m_stream.close();
    std::remove(m_tempPath.c_str());
  }
}

void AtomicFile::commit() {
  m_stream.flush();
  const bool ok = bool(m_stream);
  m_stream.close();
  if (!ok) throw std::runtime_error("write error on '" + m_tempPath + "' (disk full?)");
  if (std::rename(m_tempPath.c_str(), m_path.c_str()) != 0)
    throw std::runtime_error("cannot rename '" + m_tempPath + "' to '" + m_path + "'");
  m_committed = true;
}

void writeFileAtomically(const std::string& path, const std::string& text) {
  AtomicFile file(path);
  file.stream() << text;
  file.commit();
}

}  // namespace kvlab
