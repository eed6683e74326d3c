// SPDX-License-Identifier: MIT
#pragma once
// kvlab-cli's one output convention: every command takes --format table|json|csv, and --json as the short
// spelling of --format json. Each command adds both through addOutputFormatOption, so they are spelled,
// checked and described the same everywhere. Torch-free (the compute module uses it too).
#include <CLI/CLI.hpp>
#include <string>

namespace kvlab {

enum class OutputFormat { Table, Json, Csv };

// Filled by CLI11 while parsing; read after parsing.
class OutputFormatOption {
public:
  OutputFormat format() const;
  // "table", "json" or "csv": the resolved choice (--json counts as json).
  std::string name() const;
  bool table() const { return format() == OutputFormat::Table; }
  bool json() const { return format() == OutputFormat::Json; }
  bool csv() const { return format() == OutputFormat::Csv; }

  // Adds --format and --json to command. csvMeaning completes "csv: ..." in --help: what the command's CSV
  // holds (e.g. "one header row, then one row per configuration"). --format takes table, json or csv (any
  // other value: a parse error naming --format, exit 2); --json excludes --format.
  void addTo(CLI::App& command, const std::string& csvMeaning);

private:
  std::string m_format = "table";
  bool m_json = false;
};

}  // namespace kvlab
