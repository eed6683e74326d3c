// SPDX-License-Identifier: MIT
#include "core/util/csv_writer.h"

#include <stdexcept>

namespace kvlab {

std::string CsvWriter::quote(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out;
  out.reserve(text.size() + 2);
  out += '"';
  for (const char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

CsvWriter& CsvWriter::raw(std::string_view text) {
  if (m_fields++ > 0) m_out << ',';
  m_out << text;
  return *this;
}

CsvWriter& CsvWriter::field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return raw(text);
  return raw(quote(text));
}

void CsvWriter::endRow() {
  if (m_rows == 0) m_columns = m_fields;
  if (m_fields != m_columns)
    throw std::logic_error("CSV record " + std::to_string(m_rows + 1) + " has " + std::to_string(m_fields) +
                           " fields, the header " + std::to_string(m_columns));
  m_out << '\n';
  m_fields = 0;
  ++m_rows;
}

void CsvWriter::row(std::initializer_list<std::string_view> fields) {
  for (const std::string_view f : fields) field(f);
  endRow();
}

}  // namespace kvlab
