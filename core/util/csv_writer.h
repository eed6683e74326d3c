// SPDX-License-Identifier: MIT
#pragma once
// The one CSV writer of the apps: every CSV that kvlab-cli and the GUI write goes through it.
//
// RFC 4180: fields separated by commas; a field that holds a comma, a double quote, a CR or an LF is
// enclosed in double quotes, and each double quote inside it is doubled (§2.5-2.7); any other field is
// written as is (spaces included, §2.4). Every record has the same number of fields as the first (the
// header): a row of another length throws std::logic_error, so a schema cannot drift silently.
// Records end with LF, not CRLF as §2.1 has it: every reader we target (Python's csv, pandas, spreadsheets)
// reads both, and LF keeps line tools (wc -l, grep) exact; line breaks inside fields are quoted either way.
// Numbers are written locale-independently: integers in decimal, doubles as the shortest text that reads
// back to the same double (std::to_chars). An empty field means "not measured".
#include <charconv>
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>

namespace kvlab {

class CsvWriter {
public:
  // Writes to out, which must outlive the writer (e.g. AtomicFile::stream()).
  explicit CsvWriter(std::ostream& out) : m_out(out) {}

  // One text field of the current record, quoted per RFC 4180 when needed.
  CsvWriter& field(std::string_view text);
  // One number (bool as 1/0).
  template <typename T>
  requires std::is_arithmetic_v<T> CsvWriter& field(T value) {
    if constexpr (std::is_same_v<T, bool>) {
      return raw(value ? "1" : "0");
    } else {
      char buffer[64];
      const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
      return raw(std::string_view(buffer, std::size_t(result.ptr - buffer)));
    }
  }
  // An empty field: a value that was not measured.
  CsvWriter& empty() { return raw({}); }
  // Ends the current record. Throws std::logic_error if its field count differs from the first record's.
  void endRow();
  // A whole record of text fields (e.g. the header).
  void row(std::initializer_list<std::string_view> fields);

  std::uint64_t rows() const { return m_rows; }  // records ended so far, header included

  // The field as RFC 4180 writes it (quoted and escaped only if needed).
  static std::string quote(std::string_view text);

private:
  CsvWriter& raw(std::string_view text);

  std::ostream& m_out;
  std::size_t m_fields = 0;   // fields in the current record
  std::size_t m_columns = 0;  // fields per record, fixed by the first one
  std::uint64_t m_rows = 0;
};

}  // namespace kvlab
