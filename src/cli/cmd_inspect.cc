// sluice infer FILE / sluice check FILE [--show N]: look at a file without loading it.
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/options.h"
#include "core/text_table.h"
#include "pipeline/inspect.h"

namespace sluice::cli {
namespace {

std::string DelimiterName(char c) { return c == '\t' ? "tab" : "'" + std::string(1, c) + "'"; }

int Infer(const CLI::App& cmd, const SharedOptions& o, const std::string& file) {
  auto config = BuildConfig(cmd, o);
  if (!config) return Fail(config.error());
  auto result = InferFile(file, config->Resolve(std::filesystem::path(file).filename().string()));
  if (!result) return Fail(result.error());
  std::cout << "# inferred by sluice from " << result->sampled_rows << " rows of " << file << " ("
            << FormatName(result->format);
  if (result->dialect && result->dialect->delimiter) {
    std::cout << ", delimiter " << DelimiterName(*result->dialect->delimiter);
    if (result->dialect->header)
      std::cout << (*result->dialect->header ? ", header" : ", no header");
  }
  std::cout << ")\n" << SchemaToYaml(result->schema);
  return 0;
}

// Widest a value is shown in the --show table (display columns).
constexpr size_t kCellWidth = 40;

// The rows of `preview` as an aligned table: a line column, then the load's
// columns, named and typed in two header lines.
std::string PreviewTable(const RowPreview& preview) {
  TextTable table;
  std::vector<std::string> names{"line"}, types{""};
  table.AlignRight(0);
  for (size_t c = 0; c < preview.columns.size(); ++c) {
    const ColumnDef& column = preview.columns[c];
    names.push_back(DisplayCell(column.name, kCellWidth));
    types.emplace_back(ColumnTypeName(column.type));
    if (column.type == ColumnType::kInteger || column.type == ColumnType::kFloat) {
      table.AlignRight(c + 1);
    }
  }
  table.AddHeader(std::move(names));
  table.AddHeader(std::move(types));
  for (const RowPreview::Row& row : preview.rows) {
    std::vector<std::string> cells{std::to_string(row.line)};
    for (const auto& value : row.values) cells.push_back(DisplayCell(value, kCellWidth));
    table.AddRow(std::move(cells));
  }
  return table.Render();
}

std::string Plural(uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

int Check(const CLI::App& cmd, const SharedOptions& o, const std::string& file,
          std::optional<size_t> show) {
  auto config = BuildConfig(cmd, o);
  if (!config) return Fail(config.error());
  CheckOptions options;
  if (show) options = {*show, *show};
  auto result =
      CheckFile(file, config->Resolve(std::filesystem::path(file).filename().string()), options);
  if (!result) return Fail(result.error());
  const RowPreview& preview = result->preview;
  if (show && !preview.columns.empty()) {
    std::cout << file << ": table " << preview.table << ", ";
    if (result->loaded == 0) {
      std::cout << "no rows would load:\n";
    } else {
      std::cout << "the first " << preview.rows.size() << " of the "
                << Plural(result->loaded, "row", "rows") << " that would load:\n";
    }
    std::cout << PreviewTable(preview);
  }
  if (show && result->filtered > 0) {
    std::cout << file << ": " << Plural(result->filtered, "row", "rows")
              << " skipped by the filter";
    if (preview.filtered.size() < result->filtered) {
      std::cout << ", the first " << preview.filtered.size();
    }
    std::cout << ":\n";
    for (const RowPreview::Skipped& s : preview.filtered) {
      std::cout << file << ":" << s.line << ": " << FitWidth(VisibleText(s.raw), 2 * kCellWidth)
                << "\n";
    }
  }
  for (const auto& e : result->first) {
    std::cout << file << ":" << e.line << ": " << (e.column.empty() ? "" : e.column + ": ")
              << e.message << " [" << RowErrorKindName(e.kind)
              << (e.hint.empty() ? "" : ": " + e.hint) << "]\n";
  }
  if (result->rejected > result->first.size()) {
    std::cout << "... and " << result->rejected - result->first.size() << " more bad rows\n";
  }
  if (!result->file_error.ok()) std::cout << file << ": " << result->file_error.message() << "\n";
  std::cout << file << ": " << result->rows << " rows read, " << result->rejected << " bad";
  if (result->filtered > 0) std::cout << ", " << result->filtered << " skipped by the filter";
  std::cout << "; " << (result->would_load ? "would load" : "would NOT load") << "\n";
  return result->would_load ? 0 : 2;
}

}  // namespace

void AddInspectCommands(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<SharedOptions>();
  auto file = std::make_shared<std::string>();
  auto show = std::make_shared<std::optional<size_t>>();
  CLI::App* infer = app.add_subcommand("infer", "Print the inferred schema of FILE as YAML");
  CLI::App* check = app.add_subcommand(
      "check", "Validate FILE without loading it: exit 0 if it would load cleanly, 2 if not");
  for (CLI::App* cmd : {infer, check}) {
    AddLedgerOptions(*cmd, *o);
    AddTableOptions(*cmd, *o);
    cmd->add_option("FILE", *file, "The data file")->required();
  }
  check->add_option("--show", *show,
                    "Print the first N rows as they would load (after normalize, validation, "
                    "derive, filter and drop), and list the first N rows the filter skips and "
                    "the first N bad rows (default: no rows, 20 bad rows)");
  infer->callback([infer, o, file, &exit_code] { exit_code = Infer(*infer, *o, *file); });
  check->callback(
      [check, o, file, show, &exit_code] { exit_code = Check(*check, *o, *file, *show); });
}

}  // namespace sluice::cli
