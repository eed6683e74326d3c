// SPDX-License-Identifier: MIT
#pragma once
// Output files appear whole or not at all: data goes to "<path>.partial" and is renamed over <path> only by
// commit(). An interrupted or failed run leaves no file that looks complete (the .partial is removed by the
// destructor when commit() was not reached).
#include <fstream>
#include <string>

namespace kvlab {

class AtomicFile {
public:
  explicit AtomicFile(std::string path);  // throws std::runtime_error naming the path if it cannot open
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  std::ofstream& stream() { return m_stream; }
  void commit();  // flush, close, rename; throws on a write error
  const std::string& path() const { return m_path; }

private:
  std::string m_path;
  std::string m_tempPath;
  std::ofstream m_stream;
  bool m_committed = false;
};

// Writes text to path through an AtomicFile.
void writeFileAtomically(const std::string& path, const std::string& text);

}  // namespace kvlab
