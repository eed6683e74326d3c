// SPDX-License-Identifier: MIT
#include "json_csv.h"

#include <string>
#include <utility>

namespace kvlab {

namespace {

using nlohmann::ordered_json;

// (column, value) pairs of object, nested objects flattened depth-first in key order.
void flatten(const ordered_json& object, const std::string& prefix,
             std::vector<std::pair<std::string, const ordered_json*>>& out) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    const std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
    if (it.value().is_object() && !it.value().empty())
      flatten(it.value(), key, out);
    else
      out.emplace_back(key, &it.value());
  }
}

void writeRows(std::ostream& out, const std::vector<ordered_json>& rows) {
  CsvWriter csv(out);
  bool header = true;
  for (const ordered_json& row : rows) {
    std::vector<std::pair<std::string, const ordered_json*>> fields;
    flatten(row, "", fields);
    if (header) {
      for (const auto& [column, value] : fields) csv.field(column);
      csv.endRow();
      header = false;
    }
    for (const auto& [column, value] : fields) csvJsonField(csv, *value);
    csv.endRow();
  }
}

}  // namespace

void csvJsonField(CsvWriter& csv, const ordered_json& v) {
  if (v.is_null())
    csv.empty();
  else if (v.is_string())
    csv.field(v.get<std::string>());
  else if (v.is_boolean())
    csv.field(v.get<bool>());
  else if (v.is_number_unsigned())
    csv.field(v.get<std::uint64_t>());
  else if (v.is_number_integer())
    csv.field(v.get<std::int64_t>());
  else if (v.is_number_float())
    csv.field(v.get<double>());
  else
    csv.field(v.dump());
}

void writeJsonObjectCsv(std::ostream& out, const ordered_json& object) { writeRows(out, {object}); }

void writeJsonRowsCsv(std::ostream& out, const std::vector<ordered_json>& rows) { writeRows(out, rows); }

}  // namespace kvlab
