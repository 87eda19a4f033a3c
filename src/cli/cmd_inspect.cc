// sluice infer FILE / sluice check FILE: look at a file without loading it.
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/options.h"
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

int Check(const CLI::App& cmd, const SharedOptions& o, const std::string& file, size_t show) {
  auto config = BuildConfig(cmd, o);
  if (!config) return Fail(config.error());
  auto result =
      CheckFile(file, config->Resolve(std::filesystem::path(file).filename().string()), show);
  if (!result) return Fail(result.error());
  for (const auto& e : result->first) {
    std::cout << file << ":" << e.line << ": " << (e.column.empty() ? "" : e.column + ": ")
              << e.message << " [" << RowErrorKindName(e.kind)
              << (e.hint.empty() ? "" : ": " + e.hint) << "]\n";
  }
  if (result->rejected > result->first.size()) {
    std::cout << "... and " << result->rejected - result->first.size() << " more bad rows\n";
  }
  if (!result->file_error.ok()) std::cout << file << ": " << result->file_error.message() << "\n";
  std::cout << file << ": " << result->rows << " rows read, " << result->rejected << " bad; "
            << (result->would_load ? "would load" : "would NOT load") << "\n";
  return result->would_load ? 0 : 2;
}

}  // namespace

void AddInspectCommands(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<SharedOptions>();
  auto file = std::make_shared<std::string>();
  auto show = std::make_shared<size_t>(20);
  CLI::App* infer = app.add_subcommand("infer", "Print the inferred schema of FILE as YAML");
  CLI::App* check = app.add_subcommand(
      "check", "Validate FILE without loading it: exit 0 if it would load cleanly, 2 if not");
  for (CLI::App* cmd : {infer, check}) {
    AddLedgerOptions(*cmd, *o);
    AddTableOptions(*cmd, *o);
    cmd->add_option("FILE", *file, "The data file")->required();
  }
  check->add_option("--show", *show, "How many bad rows to list (default 20)");
  infer->callback([infer, o, file, &exit_code] { exit_code = Infer(*infer, *o, *file); });
  check->callback(
      [check, o, file, show, &exit_code] { exit_code = Check(*check, *o, *file, *show); });
}

}  // namespace sluice::cli
