// SPDX-License-Identifier: MIT
#include "output_format.h"

namespace kvlab {

OutputFormat OutputFormatOption::format() const {
  if (m_json || m_format == "json") return OutputFormat::Json;
  return m_format == "csv" ? OutputFormat::Csv : OutputFormat::Table;
}

std::string OutputFormatOption::name() const {
  switch (format()) {
    case OutputFormat::Json:
      return "json";
    case OutputFormat::Csv:
      return "csv";
    case OutputFormat::Table:
      break;
  }
  return "table";
}

void OutputFormatOption::addTo(CLI::App& command, const std::string& csvMeaning) {
  auto* format =
      command
          .add_option("--format", m_format,
                      "output: table (for people), json (one JSON object) or csv (" + csvMeaning + ")")
          ->check(CLI::IsMember({"table", "json", "csv"}))
          ->capture_default_str();
  command.add_flag("--json", m_json, "short for --format json")->excludes(format);
}

}  // namespace kvlab
