#include "pipeline/config.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <utility>

#include "pipeline/config_transforms.h"
#include "sink/parquet/parquet_url.h"
#include "sink/registry.h"
#include "sink/sqlite/sqlite_url.h"
#include "source/dir_watcher.h"

namespace sluice {
namespace {

// Builds config errors that name the file, the key and the line.
class YamlContext {
 public:
  explicit YamlContext(std::string file) : file_(std::move(file)) {}

  Status Error(const YAML::Node& node, std::string_view key, std::string_view what) const {
    std::string m = file_;
    if (node.IsDefined() && node.Mark().line >= 0) m += ":" + std::to_string(node.Mark().line + 1);
    m += ": ";
    if (!key.empty()) m += "key '" + std::string(key) + "': ";
    m += what;
    return Status::InvalidArgument(m);
  }

  template <typename T>
  Status Get(const YAML::Node& node, std::string_view key, T& out) const {
    try {
      out = node.as<T>();
      return Status::Ok();
    } catch (const YAML::Exception&) {
      return Error(node, key, ExpectedName<T>());
    }
  }

  Status GetList(const YAML::Node& node, std::string_view key,
                 std::vector<std::string>& out) const {
    if (node.IsScalar()) {
      out = SplitList(node.Scalar());
      return Status::Ok();
    }
    if (!node.IsSequence()) return Error(node, key, "expected a list of strings");
    out.clear();
    for (const auto& item : node) {
      std::string s;
      RETURN_IF_ERROR(Get(item, key, s));
      out.push_back(std::move(s));
    }
    return Status::Ok();
  }

  const std::string& file() const { return file_; }

 private:
  template <typename T>
  static std::string ExpectedName() {
    if constexpr (std::is_same_v<T, bool>) return "expected true or false";
    if constexpr (std::is_integral_v<T>) return "expected a whole number";
    if constexpr (std::is_floating_point_v<T>) return "expected a number";
    return "expected a string";
  }
  std::string file_;
};

Status ParseDelimiter(const YamlContext& ctx, const YAML::Node& node, std::string_view key,
                      std::optional<char>& out) {
  std::string s;
  RETURN_IF_ERROR(ctx.Get(node, key, s));
  if (s == "\\t" || s == "tab") s = "\t";
  if (s.size() != 1) return ctx.Error(node, key, "expected a single character");
  out = s[0];
  return Status::Ok();
}

Status ParseRule(const YamlContext& ctx, const YAML::Node& node, bool is_table_entry,
                 TableRule& rule) {
  if (!node.IsMap()) return ctx.Error(node, "", "expected a mapping");
  std::filesystem::path base = std::filesystem::path(ctx.file()).parent_path();
  for (const auto& kv : node) {
    std::string key = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    if (key == "match" && is_table_entry) {
      RETURN_IF_ERROR(ctx.Get(v, key, rule.match));
    } else if (key == "table" && is_table_entry) {
      std::string t;
      RETURN_IF_ERROR(ctx.Get(v, key, t));
      if (t.empty()) return ctx.Error(v, key, "table name is empty");
      rule.table = t;
    } else if (key == "schema") {
      std::string p;
      RETURN_IF_ERROR(ctx.Get(v, key, p));
      std::filesystem::path path = p;
      if (path.is_relative()) path = base / path;
      auto schema = LoadSchemaFile(path.string());
      if (!schema) return ctx.Error(v, key, schema.error().message());
      rule.schema = std::move(*schema);
      rule.schema_origin = path.string();
    } else if (key == "columns") {
      YAML::Node wrapper;
      wrapper["columns"] = v;
      auto schema = SchemaFromYaml(wrapper, ctx.file());
      if (!schema) return ctx.Error(v, key, schema.error().message());
      rule.schema = std::move(*schema);
      rule.schema_origin = ctx.file();
    } else if (key == "key") {
      std::vector<std::string> k;
      RETURN_IF_ERROR(ctx.GetList(v, key, k));
      rule.key = std::move(k);
    } else if (key == "max_rejects") {
      int64_t n = 0;
      RETURN_IF_ERROR(ctx.Get(v, key, n));
      if (n < 0) return ctx.Error(v, key, "must not be negative");
      rule.max_rejects = static_cast<uint64_t>(n);
    } else if (key == "max_columns") {
      int64_t n = 0;
      RETURN_IF_ERROR(ctx.Get(v, key, n));
      if (n < 1) return ctx.Error(v, key, "must be at least 1");
      rule.max_columns = static_cast<uint64_t>(n);
    } else if (key == "max_reject_ratio") {
      double r = 0;
      RETURN_IF_ERROR(ctx.Get(v, key, r));
      if (!(r >= 0 && r <= 1)) return ctx.Error(v, key, "must be between 0 and 1");
      rule.max_reject_ratio = r;
    } else if (key == "after_load") {
      std::string s;
      RETURN_IF_ERROR(ctx.Get(v, key, s));
      rule.after_load = ParseAfterLoad(s);
      if (!rule.after_load) return ctx.Error(v, key, "expected move, delete, keep or parquet");
    } else if (key == "format") {
      std::string s;
      RETURN_IF_ERROR(ctx.Get(v, key, s));
      rule.format = FormatFromPath("x." + s);
      if (!rule.format) return ctx.Error(v, key, "expected csv, tsv, json or jsonl");
    } else if (key == "delimiter") {
      RETURN_IF_ERROR(ParseDelimiter(ctx, v, key, rule.dialect.delimiter));
    } else if (key == "quote") {
      RETURN_IF_ERROR(ParseDelimiter(ctx, v, key, rule.dialect.quote));
    } else if (key == "header") {
      bool b = true;
      RETURN_IF_ERROR(ctx.Get(v, key, b));
      rule.dialect.header = b;
    } else if (key == "normalize_names") {
      bool b = false;
      RETURN_IF_ERROR(ctx.Get(v, key, b));
      rule.normalize_names = b;
    } else if (key == "metadata") {
      std::vector<std::string> names;
      RETURN_IF_ERROR(ctx.GetList(v, key, names));
      auto m = ParseMetadataOptions(names);
      if (!m) return ctx.Error(v, key, m.error().message());
      rule.metadata = *m;
    } else if (key == "schema_evolution") {
      std::string s;
      RETURN_IF_ERROR(ctx.Get(v, key, s));
      rule.schema_evolution = ParseSchemaEvolution(s);
      if (!rule.schema_evolution) return ctx.Error(v, key, "expected none or add_columns");
    } else {
      ASSIGN_OR_RETURN(bool transform, ParseTransformKey(ctx.file(), key, v, rule));
      if (!transform) return ctx.Error(kv.first, key, "unknown key");
    }
  }
  if (is_table_entry && rule.match.empty()) return ctx.Error(node, "match", "missing");
  return Status::Ok();
}

template <typename T>
void Take(std::optional<T>& out, const std::optional<T>& a, const std::optional<T>& b,
          const std::optional<T>& c) {
  // First set value among override (a), matching rule (b), defaults (c).
  out = a ? a : b ? b : c;
}

}  // namespace

std::optional<SchemaEvolution> ParseSchemaEvolution(std::string_view name) {
  if (name == "none") return SchemaEvolution::kNone;
  if (name == "add_columns") return SchemaEvolution::kAddColumns;
  return std::nullopt;
}

std::optional<AfterLoad> ParseAfterLoad(std::string_view name) {
  if (name == "move") return AfterLoad::kMove;
  if (name == "delete") return AfterLoad::kDelete;
  if (name == "keep") return AfterLoad::kKeep;
  if (name == "parquet") return AfterLoad::kParquet;
  return std::nullopt;
}

ReaderOptions TablePlan::Reader() const {
  ReaderOptions options;
  options.csv = dialect;
  options.max_columns = max_columns;
  return options;
}

bool TablePlan::WithinThreshold(uint64_t rejected, uint64_t total) const {
  if (rejected == 0) return true;
  if (!max_rejects && !max_reject_ratio) return false;
  if (max_rejects && rejected > *max_rejects) return false;
  if (max_reject_ratio && total > 0 &&
      static_cast<double>(rejected) / static_cast<double>(total) > *max_reject_ratio) {
    return false;
  }
  return true;
}

bool TablePlan::CountExceeded(uint64_t rejected) const {
  if (rejected == 0) return false;
  if (!max_rejects && !max_reject_ratio) return true;
  return max_rejects && rejected > *max_rejects;
}

TablePlan Config::Resolve(const std::string& relative_path) const {
  const TableRule* match = nullptr;
  for (const auto& rule : tables) {
    if (GlobMatches(rule.match, relative_path)) {
      match = &rule;
      break;
    }
  }
  static const TableRule kNone;
  const TableRule& r = match ? *match : kNone;
  const TableRule& o = overrides;
  const TableRule& d = defaults;

  TablePlan plan;
  std::optional<std::string> table;
  Take(table, o.table, r.table, d.table);
  plan.table = table ? *table : TableNameFromPath(relative_path);
  Take(plan.schema, o.schema, r.schema, d.schema);
  std::optional<std::vector<std::string>> key;
  Take(key, o.key, r.key, d.key);
  if (key) plan.key = *key;
  // A threshold set at one level replaces both thresholds below it, so that a rule
  // saying only "max_reject_ratio: 0.01" is not capped by a default count.
  for (const TableRule* level : {&o, &r, &d}) {
    if (level->max_rejects || level->max_reject_ratio) {
      plan.max_rejects = level->max_rejects;
      plan.max_reject_ratio = level->max_reject_ratio;
      break;
    }
  }
  std::optional<uint64_t> max_columns;
  Take(max_columns, o.max_columns, r.max_columns, d.max_columns);
  plan.max_columns = max_columns.value_or(kDefaultMaxColumns);
  std::optional<AfterLoad> after;
  Take(after, o.after_load, r.after_load, d.after_load);
  plan.after_load = after.value_or(AfterLoad::kMove);
  Take(plan.format, o.format, r.format, d.format);
  Take(plan.dialect.delimiter, o.dialect.delimiter, r.dialect.delimiter, d.dialect.delimiter);
  Take(plan.dialect.quote, o.dialect.quote, r.dialect.quote, d.dialect.quote);
  Take(plan.dialect.header, o.dialect.header, r.dialect.header, d.dialect.header);
  std::optional<bool> normalize;
  Take(normalize, o.normalize_names, r.normalize_names, d.normalize_names);
  plan.normalize_names = normalize.value_or(false);
  std::optional<MetadataOptions> metadata;
  Take(metadata, o.metadata, r.metadata, d.metadata);
  plan.metadata = metadata.value_or(MetadataOptions{});
  std::optional<SchemaEvolution> evolution;
  Take(evolution, o.schema_evolution, r.schema_evolution, d.schema_evolution);
  plan.schema_evolution = evolution.value_or(SchemaEvolution::kNone);
  std::optional<NormalizeOptions> normalize_values;
  Take(normalize_values, o.normalize, r.normalize, d.normalize);
  plan.normalize = normalize_values.value_or(NormalizeOptions{});
  // Derive and filter are taken with the rule they come from, for messages.
  for (const TableRule* level : {&d, &r, &o}) {
    if (level->derive) {
      plan.derive = *level->derive;
      plan.derive_origin = level->origin;
    }
    if (level->filter) {
      plan.filter = *level->filter;
      plan.filter_origin = level->origin;
    }
  }
  std::optional<std::vector<std::string>> drop;
  Take(drop, o.drop, r.drop, d.drop);
  if (drop) plan.drop = *drop;
  for (const TableRule* level : {&o, &r, &d}) {
    if (level->aggregates || level->aggregates_off) {
      plan.aggregates = level->aggregates;
      break;
    }
  }
  return plan;
}

// Durations in seconds are converted to int64 milliseconds: larger values would
// overflow it (undefined behaviour, found by fuzz/config_yaml_fuzz.cc). 1e9 s is
// about 31 years.
constexpr double kMaxSeconds = 1e9;
constexpr std::string_view kMaxSecondsMessage = "must be at most 1000000000 (seconds)";

Status LoadConfigFile(const std::string& path, Config& config) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return Status::NotFound("configuration file " + path + " does not exist");
  }
  YamlContext ctx(path);
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::ParserException& e) {
    return Status::InvalidArgument(path + ":" + std::to_string(e.mark.line + 1) +
                                   ": invalid YAML: " + e.msg);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(path + ": " + e.what());
  }
  if (root.IsNull()) return Status::Ok();
  if (!root.IsMap()) return ctx.Error(root, "", "expected a mapping at the top level");
  try {
    for (const auto& kv : root) {
      std::string key = kv.first.as<std::string>();
      const YAML::Node& v = kv.second;
      if (key == "source") {
        RETURN_IF_ERROR(ctx.Get(v, key, config.source));
      } else if (key == "sink") {
        RETURN_IF_ERROR(ctx.Get(v, key, config.sink));
      } else if (key == "sink_password_file") {
        RETURN_IF_ERROR(ctx.Get(v, key, config.sink_password_file));
      } else if (key == "ledger") {
        RETURN_IF_ERROR(ctx.Get(v, key, config.ledger));
      } else if (key == "processed") {
        RETURN_IF_ERROR(ctx.Get(v, key, config.processed));
      } else if (key == "quarantine") {
        RETURN_IF_ERROR(ctx.Get(v, key, config.quarantine));
      } else if (key == "after_load") {
        std::string s;
        RETURN_IF_ERROR(ctx.Get(v, key, s));
        config.defaults.after_load = ParseAfterLoad(s);
        if (!config.defaults.after_load)
          return ctx.Error(v, key, "expected move, delete, keep or parquet");
      } else if (key == "workers") {
        RETURN_IF_ERROR(ctx.Get(v, key, config.workers));
        if (config.workers < 1) return ctx.Error(v, key, "must be at least 1");
      } else if (key == "settle_ms") {
        int64_t ms = 0;
        RETURN_IF_ERROR(ctx.Get(v, key, ms));
        if (ms < 0) return ctx.Error(v, key, "must not be negative");
        config.settle = std::chrono::milliseconds(ms);
      } else if (key == "rescan_seconds") {
        double s = 0;
        RETURN_IF_ERROR(ctx.Get(v, key, s));
        if (!(s > 0)) return ctx.Error(v, key, "must be positive");
        if (s > kMaxSeconds) return ctx.Error(v, key, kMaxSecondsMessage);
        config.rescan = std::chrono::milliseconds(static_cast<int64_t>(s * 1000));
      } else if (key == "retry_budget_seconds") {
        double s = 0;
        RETURN_IF_ERROR(ctx.Get(v, key, s));
        if (!(s >= 0)) return ctx.Error(v, key, "must not be negative");
        if (s > kMaxSeconds) return ctx.Error(v, key, kMaxSecondsMessage);
        config.retry_budget = std::chrono::milliseconds(static_cast<int64_t>(s * 1000));
      } else if (key == "max_crashes") {
        RETURN_IF_ERROR(ctx.Get(v, key, config.max_crashes));
        if (config.max_crashes < 0) return ctx.Error(v, key, "must not be negative");
      } else if (key == "recursive") {
        RETURN_IF_ERROR(ctx.Get(v, key, config.recursive));
      } else if (key == "include") {
        RETURN_IF_ERROR(ctx.GetList(v, key, config.include));
      } else if (key == "exclude") {
        RETURN_IF_ERROR(ctx.GetList(v, key, config.exclude));
      } else if (key == "log_format") {
        std::string s;
        RETURN_IF_ERROR(ctx.Get(v, key, s));
        if (!ParseLogFormat(s, &config.log_format))
          return ctx.Error(v, key, "expected text or json");
      } else if (key == "defaults") {
        config.defaults.origin = RuleLabel(path, v, -1);
        RETURN_IF_ERROR(ParseRule(ctx, v, false, config.defaults));
      } else if (key == "tables") {
        if (!v.IsSequence()) return ctx.Error(v, key, "expected a list of table entries");
        for (const auto& item : v) {
          TableRule rule;
          rule.origin = RuleLabel(path, item, static_cast<int>(config.tables.size()));
          RETURN_IF_ERROR(ParseRule(ctx, item, true, rule));
          config.tables.push_back(std::move(rule));
        }
      } else {
        return ctx.Error(kv.first, key, "unknown key");
      }
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  return CheckTransforms(config);
}

Status ApplyEnvironment(Config& config) {
  auto env = [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') return std::nullopt;
    return std::string(v);
  };
  if (auto v = env("SLUICE_SOURCE")) config.source = *v;
  if (auto v = env("SLUICE_SINK")) config.sink = *v;
  if (auto v = env("SLUICE_SINK_PASSWORD_FILE")) config.sink_password_file = *v;
  if (auto v = env("SLUICE_LEDGER")) config.ledger = *v;
  if (auto v = env("SLUICE_PROCESSED")) config.processed = *v;
  if (auto v = env("SLUICE_QUARANTINE")) config.quarantine = *v;
  if (auto v = env("SLUICE_AFTER_LOAD")) {
    config.overrides.after_load = ParseAfterLoad(*v);
    if (!config.overrides.after_load) {
      return Status::InvalidArgument("SLUICE_AFTER_LOAD: expected move, delete, keep or parquet");
    }
  }
  if (auto v = env("SLUICE_WORKERS")) {
    char* end = nullptr;
    long n = std::strtol(v->c_str(), &end, 10);
    if (*end != '\0' || n < 1)
      return Status::InvalidArgument("SLUICE_WORKERS: expected a number >= 1");
    config.workers = static_cast<int>(n);
  }
  if (auto v = env("SLUICE_TABLE")) config.overrides.table = *v;
  if (auto v = env("SLUICE_SCHEMA")) {
    auto schema = LoadSchemaFile(*v);
    if (!schema) return schema.error().WithContext("SLUICE_SCHEMA");
    config.overrides.schema = std::move(*schema);
    config.overrides.schema_origin = *v;
  }
  if (auto v = env("SLUICE_SCHEMA_EVOLUTION")) {
    config.overrides.schema_evolution = ParseSchemaEvolution(*v);
    if (!config.overrides.schema_evolution) {
      return Status::InvalidArgument("SLUICE_SCHEMA_EVOLUTION: expected none or add_columns");
    }
  }
  if (auto v = env("SLUICE_LOG_FORMAT")) {
    if (!ParseLogFormat(*v, &config.log_format)) {
      return Status::InvalidArgument("SLUICE_LOG_FORMAT: expected text or json");
    }
  }
  return Status::Ok();
}

Status ApplySinkPasswordFile(Config& config) {
  if (config.sink_password_file.empty()) return Status::Ok();
  const std::string context = "sink password file " + config.sink_password_file;
  std::ifstream in(config.sink_password_file, std::ios::binary);
  if (!in) return Status::InvalidArgument(context + ": " + std::strerror(errno));
  std::string password;
  std::getline(in, password);
  // A directory opens but cannot be read.
  if (in.bad()) return Status::InvalidArgument(context + ": cannot be read");
  if (password.ends_with('\r')) password.pop_back();
  if (password.empty()) return Status::InvalidArgument(context + ": the first line is empty");
  auto url = SinkUrlWithPassword(config.sink, password);
  if (!url) return url.error().WithContext(context);
  config.sink = std::move(*url);
  return Status::Ok();
}

WatchOptions MakeWatchOptions(const Config& config) {
  WatchOptions options;
  options.root = config.source;
  options.recursive = config.recursive;
  options.include = config.include;
  options.exclude = config.exclude;
  options.skip_dirs = {config.processed, config.quarantine};
  options.settle = config.settle;
  options.rescan = config.rescan;
  return options;
}

Status CheckOutputsOutsideSource(const Config& config) {
  namespace fs = std::filesystem;
  const WatchOptions watch = MakeWatchOptions(config);
  auto canonical = [](const std::string& path) {
    std::error_code ec;
    fs::path out = fs::weakly_canonical(fs::absolute(path, ec), ec);
    std::string text = (ec ? fs::path(path) : out).lexically_normal().string();
    while (text.size() > 1 && text.ends_with('/')) text.pop_back();
    return text;
  };
  const std::string source = canonical(config.source);
  // By name, or as the same directory under two names (a bind mount).
  auto same = [&](const std::string& dir) {
    std::error_code ec;
    return canonical(dir) == source || fs::equivalent(dir, config.source, ec);
  };
  for (const auto& [dir, option] :
       {std::pair{&config.processed, "processed"}, std::pair{&config.quarantine, "quarantine"}}) {
    if (same(*dir)) {
      return Status::InvalidArgument(
          std::string("the ") + option + " folder " + *dir + " is the source folder " +
          config.source +
          ": sluice would load the files it moves there again, for ever; choose "
          "another folder (--" +
          option +
          "; a sub-folder of the source folder is fine, it is "
          "skipped)");
    }
  }
  auto check_database = [&](const std::string& path, const std::string& what,
                            const char* option) -> Status {
    for (const char* suffix : {"", "-wal", "-shm", "-journal", ".lock"}) {
      const std::string file = path + suffix;
      if (WouldWatch(watch, file)) {
        const std::string its = *suffix ? " (its file " + file + ")" : "";
        return Status::InvalidArgument(
            "the " + what + " " + path + its + " is inside the source folder " + config.source +
            ", where sluice would take it for a file to load; move it out (" + option +
            ") or exclude it from watching (--exclude)");
      }
    }
    return Status::Ok();
  };
  RETURN_IF_ERROR(check_database(config.ledger, "ledger", "--ledger"));
  if (std::optional<std::string> db = SqliteSinkPath(config.sink)) {
    RETURN_IF_ERROR(check_database(*db, "sink database", "--sink"));
  }
  // sluice reads Parquet: the files of a Parquet sink under the source would load again.
  if (std::optional<std::string> lake = ParquetSinkDir(config.sink)) {
    if (WouldWatch(watch, *lake + "/table/load.parquet")) {
      return Status::InvalidArgument("the Parquet sink folder " + *lake +
                                     " is inside the source folder " + config.source +
                                     ", where sluice would load the files it writes again, for "
                                     "ever; move it out (--sink) or exclude it (--exclude)");
    }
  }
  return Status::Ok();
}

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view item = text.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    start = comma + 1;
  }
  return out;
}

}  // namespace sluice
