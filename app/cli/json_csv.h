// SPDX-License-Identifier: MIT
#pragma once
// `--format csv` for outputs that are JSON objects: the same fields, in the same order, as CSV records
// (core/util/csv_writer.h). Torch-free.
#include <nlohmann/json.hpp>
#include <ostream>
#include <vector>

#include "core/util/csv_writer.h"

namespace kvlab {

// One JSON value as one CSV field: null (not measured / not counted) is an empty field, a bool 1/0, an
// array or object its compact JSON text.
void csvJsonField(CsvWriter& csv, const nlohmann::ordered_json& value);

// A single-object output as CSV: one header row, then one row. Nested objects are flattened, their keys
// joined with '.' ("miss_breakdown.cold", "tiers.device.hits"); arrays stay JSON text in one field.
void writeJsonObjectCsv(std::ostream& out, const nlohmann::ordered_json& object);

// A table of objects as CSV: one header row (the first row's keys, flattened as above), then one row per
// object. Every row must have the same keys (CsvWriter throws std::logic_error otherwise).
void writeJsonRowsCsv(std::ostream& out, const std::vector<nlohmann::ordered_json>& rows);

}  // namespace kvlab
