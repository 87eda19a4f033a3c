#include "sink/clickhouse/clickhouse_sink.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstring>
#include <limits>
#include <thread>
#include <utility>

#include "core/clock.h"
#include "core/hash.h"
#include "sink/clickhouse/native.h"

namespace sluice {
namespace {

constexpr char kMarkerTable[] = "sluice_loads";
constexpr char kLoadIdColumn[] = "_sluice_load_id";
// A load is one streamed insert (one part per min_insert_block_size_rows, so a
// large file cannot run into TOO_MANY_PARTS); serialised rows are handed to the
// connection whenever this much is buffered.
constexpr size_t kSendBytes = 1u << 20;
// How long Begin waits for a crashed attempt's inserts to end, and for the
// removal of its rows.
constexpr auto kCleanupTimeout = std::chrono::seconds(300);
// Every query_id sluice gives an insert starts with this.
constexpr char kQueryIdPrefix[] = "sluice-";

using Kind = ClickHouseColumnEncoding::Kind;

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// Undoes TabSeparated escaping (\t, \n, \\, \', \0, …) of one field.
std::string UnescapeTsv(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] != '\\' || i + 1 == field.size()) {
      out.push_back(field[i]);
      continue;
    }
    const char c = field[++i];
    switch (c) {
      case 't':
        out.push_back('\t');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case '0':
        out.push_back('\0');
        break;
      default:
        out.push_back(c);
        break;
    }
  }
  return out;
}

// Rows of a TabSeparated response, each split into unescaped fields.
std::vector<std::vector<std::string>> ParseTsv(std::string_view body) {
  std::vector<std::vector<std::string>> rows;
  while (!body.empty()) {
    size_t eol = body.find('\n');
    std::string_view line = body.substr(0, eol);
    body = eol == std::string_view::npos ? std::string_view() : body.substr(eol + 1);
    std::vector<std::string> fields;
    while (true) {
      size_t tab = line.find('\t');
      fields.push_back(UnescapeTsv(line.substr(0, tab)));
      if (tab == std::string_view::npos) break;
      line = line.substr(tab + 1);
    }
    rows.push_back(std::move(fields));
  }
  return rows;
}

Result<uint64_t> ParseCount(std::string_view body, std::string_view context) {
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.remove_suffix(1);
  uint64_t value = 0;
  auto [p, ec] = std::from_chars(body.data(), body.data() + body.size(), value);
  if (ec != std::errc() || p != body.data() + body.size()) {
    return Status::Internal(std::string(context) + ": unexpected answer \"" +
                            std::string(body.substr(0, 100)) + "\"");
  }
  return value;
}

// Strips "Wrapper(" … ")" from `type` if it is present; returns whether it was.
bool Unwrap(std::string_view& type, std::string_view wrapper) {
  if (type.size() > wrapper.size() + 2 && type.starts_with(wrapper) &&
      type[wrapper.size()] == '(' && type.back() == ')') {
    type = type.substr(wrapper.size() + 1, type.size() - wrapper.size() - 2);
    return true;
  }
  return false;
}

ColumnType TypeFromClickHouse(std::string_view type, bool* nullable) {
  *nullable = Unwrap(type, "Nullable");
  Unwrap(type, "LowCardinality");
  if (Unwrap(type, "Nullable")) *nullable = true;
  if (type == "UInt8" || type == "Bool") return ColumnType::kBoolean;
  if (type.starts_with("Int") || type.starts_with("UInt")) return ColumnType::kInteger;
  if (type.starts_with("Float")) return ColumnType::kFloat;
  if (type == "Date" || type == "Date32") return ColumnType::kDate;
  if (type.starts_with("DateTime")) return ColumnType::kTimestamp;
  return ColumnType::kString;
}

Status ValidateTable(const TableDef& table) {
  if (table.name == kMarkerTable) {
    return Status::InvalidArgument("table name \"" + table.name + "\" is reserved");
  }
  for (const ColumnDef& column : table.columns) {
    if (column.name == kLoadIdColumn) {
      return Status::InvalidArgument("column name \"" + column.name + "\" is reserved");
    }
  }
  return ValidateTableDef(table, /*case_insensitive_names=*/false);
}

bool IsKey(const TableDef& table, std::string_view column) {
  for (const std::string& key : table.key) {
    if (key == column) return true;
  }
  return false;
}

Status OutOfRange(const Column& column, std::string_view type) {
  return Status::InvalidData("column \"" + column.def.name + "\": value out of the range of " +
                             std::string(type));
}

// Appends the values of `column` converted by `convert` (int64 -> optional T:
// nullopt when out of T's range) as a Native array of T; NULL rows are T{}.
// Returns the first row that does not convert, or -1.
template <typename T, typename Convert>
int64_t AppendConverted(const Column& column, std::string& out, Convert convert) {
  const size_t rows = column.nulls.size();
  const size_t at = out.size();
  out.resize(at + rows * sizeof(T));
  char* dest = out.data() + at;
  for (size_t row = 0; row < rows; ++row) {
    T value{};
    if (column.nulls[row] == 0) {
      std::optional<T> converted = convert(column.ints[row]);
      if (!converted) return static_cast<int64_t>(row);
      value = *converted;
    }
    std::memcpy(dest + row * sizeof(T), &value, sizeof(T));
  }
  return -1;
}

// `v` as T if it is in T's range.
template <typename T>
std::optional<T> InRange(int64_t v) {
  if constexpr (std::is_signed_v<T>) {
    if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) return {};
  } else {
    if (v < 0 || static_cast<uint64_t>(v) > std::numeric_limits<T>::max()) return {};
  }
  return static_cast<T>(v);
}

// Appends a vector's bytes as they are (its element is the wire type).
template <typename T>
void AppendArray(const std::vector<T>& values, std::string& out) {
  out.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

// A group's name in query ids and deduplication tokens: XXH3-128 of its load ids
// (each ended by NUL), as 32 hex digits.
std::string GroupTag(const std::vector<LoadId>& loads) {
  std::string ids;
  for (const LoadId& load : loads) {
    ids += load.id;
    ids += '\0';
  }
  return HashHex(XXH3_128bits(ids.data(), ids.size()));
}

// "/* sluice loads: ID ID … */ ", put before the SQL of a group's inserts so that
// system.processes shows which loads a running insert belongs to: each id stands
// between spaces, percent-encoded (so it holds no space, quote, backslash or "*/";
// content hashes stay as they are).
std::string LoadsComment(const std::vector<LoadId>& loads) {
  std::string comment = "/* sluice loads:";
  for (const LoadId& load : loads) {
    comment += ' ';
    comment += PercentEncode(load.id);
  }
  return comment + " */ ";
}

// A condition on system.processes: a query sluice started for any of `loads`.
std::string RunningInsertsOf(const std::vector<LoadId>& loads) {
  std::string where =
      "query_id LIKE " + QuoteClickHouseString(std::string(kQueryIdPrefix) + "%") + " AND (";
  for (size_t i = 0; i < loads.size(); ++i) {
    if (i > 0) where += " OR ";
    std::string delimited = " ";
    delimited += PercentEncode(loads[i].id);
    delimited += ' ';
    where += "position(query, " + QuoteClickHouseString(delimited) + ") > 0";
  }
  return where + ")";
}

// "'a', 'b', …" for an IN list.
std::string QuotedList(const std::vector<std::string>& values) {
  std::string list;
  for (const std::string& value : values) {
    if (!list.empty()) list += ", ";
    list += QuoteClickHouseString(value);
  }
  return list;
}

std::vector<std::string> Ids(const std::vector<LoadId>& loads) {
  std::vector<std::string> ids;
  ids.reserve(loads.size());
  for (const LoadId& load : loads) ids.push_back(load.id);
  return ids;
}

}  // namespace

std::string QuoteClickHouseIdentifier(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 2);
  out += '`';
  for (char c : name) {
    if (c == '`' || c == '\\') out += '\\';
    out += c;
  }
  out += '`';
  return out;
}

std::string QuoteClickHouseString(std::string_view value) {
  std::string out;
  out.reserve(value.size() + 2);
  out += '\'';
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  out += '\'';
  return out;
}

Result<ClickHouseColumnEncoding> ClickHouseEncodingFor(std::string_view type, ColumnType source) {
  ClickHouseColumnEncoding e;
  e.type = std::string(type);
  std::string_view base = type;
  e.nullable = Unwrap(base, "Nullable");
  bool fits = false;
  switch (source) {
    case ColumnType::kInteger:
    case ColumnType::kBoolean: {
      static constexpr std::pair<std::string_view, Kind> kInts[] = {
          {"Int8", Kind::kInt8},     {"Int16", Kind::kInt16},   {"Int32", Kind::kInt32},
          {"Int64", Kind::kInt64},   {"UInt8", Kind::kUInt8},   {"UInt16", Kind::kUInt16},
          {"UInt32", Kind::kUInt32}, {"UInt64", Kind::kUInt64}, {"Bool", Kind::kUInt8},
      };
      for (const auto& [name, kind] : kInts) {
        if (base == name) {
          e.kind = kind;
          fits = true;
        }
      }
      break;
    }
    case ColumnType::kFloat:
      if (base == "Float32" || base == "Float64") {
        e.kind = base == "Float32" ? Kind::kFloat32 : Kind::kFloat64;
        fits = true;
      }
      break;
    case ColumnType::kDate:
      if (base == "Date" || base == "Date32") {
        e.kind = base == "Date" ? Kind::kDate : Kind::kDate32;
        fits = true;
      }
      break;
    case ColumnType::kTimestamp:
      if (base == "DateTime" || base.starts_with("DateTime(")) {
        e.kind = Kind::kDateTime;
        fits = true;
      } else if (base.starts_with("DateTime64(")) {
        e.kind = Kind::kDateTime64;
        const char* start = base.data() + 11;
        auto [p, ec] = std::from_chars(start, base.data() + base.size(), e.scale);
        fits = ec == std::errc() && e.scale >= 0 && e.scale <= 9;
      }
      break;
    case ColumnType::kString:
      if (base == "String") {
        e.kind = Kind::kString;
        fits = true;
      }
      break;
  }
  if (!fits) {
    return Status::InvalidArgument("ClickHouse type " + std::string(type) + " cannot hold " +
                                   std::string(ColumnTypeName(source)) + " values");
  }
  return e;
}

Status AppendNativeColumn(const Column& column, const ClickHouseColumnEncoding& encoding,
                          std::string& out, size_t* bad_row) {
  const size_t rows = column.nulls.size();
  auto refuse = [&](int64_t row, std::string_view type) {
    *bad_row = static_cast<size_t>(row);
    return OutOfRange(column, type);
  };
  if (encoding.nullable) {
    AppendArray(column.nulls, out);
  } else if (const void* null = std::memchr(column.nulls.data(), 1, rows); null != nullptr) {
    *bad_row = static_cast<size_t>(static_cast<const uint8_t*>(null) - column.nulls.data());
    return Status::InvalidData("column \"" + column.def.name +
                               "\": NULL in a column that is not Nullable");
  }
  int64_t bad = -1;
  switch (encoding.kind) {
    case Kind::kInt8:
      bad = AppendConverted<int8_t>(column, out, InRange<int8_t>);
      return bad < 0 ? Status::Ok() : refuse(bad, "Int8");
    case Kind::kInt16:
      bad = AppendConverted<int16_t>(column, out, InRange<int16_t>);
      return bad < 0 ? Status::Ok() : refuse(bad, "Int16");
    case Kind::kInt32:
      bad = AppendConverted<int32_t>(column, out, InRange<int32_t>);
      return bad < 0 ? Status::Ok() : refuse(bad, "Int32");
    case Kind::kInt64:
      // NULL rows hold 0 in the batch already.
      AppendArray(column.ints, out);
      return Status::Ok();
    case Kind::kUInt8:
      bad = AppendConverted<uint8_t>(column, out, InRange<uint8_t>);
      return bad < 0 ? Status::Ok() : refuse(bad, "UInt8");
    case Kind::kUInt16:
      bad = AppendConverted<uint16_t>(column, out, InRange<uint16_t>);
      return bad < 0 ? Status::Ok() : refuse(bad, "UInt16");
    case Kind::kUInt32:
      bad = AppendConverted<uint32_t>(column, out, InRange<uint32_t>);
      return bad < 0 ? Status::Ok() : refuse(bad, "UInt32");
    case Kind::kUInt64:
      bad = AppendConverted<uint64_t>(column, out, InRange<uint64_t>);
      return bad < 0 ? Status::Ok() : refuse(bad, "UInt64");
    case Kind::kFloat32: {
      const size_t at = out.size();
      out.resize(at + rows * sizeof(float));
      for (size_t row = 0; row < rows; ++row) {
        const float value = static_cast<float>(column.floats[row]);
        std::memcpy(out.data() + at + row * sizeof(float), &value, sizeof(float));
      }
      return Status::Ok();
    }
    case Kind::kFloat64:
      AppendArray(column.floats, out);
      return Status::Ok();
    case Kind::kDate:
      bad = AppendConverted<uint16_t>(column, out, InRange<uint16_t>);
      return bad < 0 ? Status::Ok() : refuse(bad, "Date (1970-01-01..2149-06-06)");
    case Kind::kDate32:
      bad = AppendConverted<int32_t>(column, out, InRange<int32_t>);
      return bad < 0 ? Status::Ok() : refuse(bad, "Date32");
    case Kind::kDateTime:
      bad = AppendConverted<uint32_t>(
          column, out, [](int64_t micros) { return InRange<uint32_t>(FloorDiv(micros, 1000000)); });
      return bad < 0 ? Status::Ok() : refuse(bad, "DateTime (1970..2106)");
    case Kind::kDateTime64: {
      const int scale = encoding.scale;
      bad = AppendConverted<int64_t>(column, out, [scale](int64_t ticks) -> std::optional<int64_t> {
        if (scale <= 6) {
          int64_t divisor = 1;
          for (int i = scale; i < 6; ++i) divisor *= 10;
          return FloorDiv(ticks, divisor);
        }
        for (int i = 6; i < scale; ++i) {
          if (__builtin_mul_overflow(ticks, int64_t{10}, &ticks)) return {};
        }
        return ticks;
      });
      return bad < 0 ? Status::Ok() : refuse(bad, "DateTime64");
    }
    case Kind::kString:
      // NULL rows hold "" in the batch already.
      for (std::string_view value : column.strings) native::AppendString(out, value);
      return Status::Ok();
  }
  return Status::Internal("unknown column encoding");
}

ClickHouseSink::ClickHouseSink(ClickHouseEndpoint endpoint, std::unique_ptr<ClickHouseHttp> http)
    : endpoint_(std::move(endpoint)), http_(std::move(http)) {}

ClickHouseSink::~ClickHouseSink() { Abort(); }

Result<std::unique_ptr<ClickHouseSink>> ClickHouseSink::Open(std::string_view url) {
  ASSIGN_OR_RETURN(ClickHouseEndpoint endpoint, ParseClickHouseUrl(url));
  ASSIGN_OR_RETURN(std::unique_ptr<ClickHouseHttp> http, ClickHouseHttp::Create(endpoint));
  const std::string where = "clickhouse sink " + endpoint.Redacted();
  std::unique_ptr<ClickHouseSink> sink(new ClickHouseSink(std::move(endpoint), std::move(http)));
  ASSIGN_OR_RETURN(std::string version,
                   sink->http_->Query("SELECT version()", where + ": ask the server version"));
  // "18.16.1", "24.3.2.23": major.minor decide the features.
  const char* end = version.data() + version.size();
  auto [p, ec] = std::from_chars(version.data(), end, sink->version_.major);
  if (ec == std::errc() && p < end && *p == '.') {
    std::from_chars(p + 1, end, sink->version_.minor);
  }
  if (sink->version_.major == 0) {
    return Status::Internal(where + ": unexpected version \"" + version.substr(0, 50) + "\"");
  }
  RETURN_IF_ERROR(sink->http_
                      ->Query("CREATE TABLE IF NOT EXISTS " + sink->Qualified(kMarkerTable) +
                                  " (load_id String, table String, file String, rows UInt64, "
                                  "committed_at DateTime) ENGINE = MergeTree ORDER BY load_id",
                              where + ": create " + kMarkerTable)
                      .status());
  return sink;
}

std::string ClickHouseSink::Qualified(std::string_view table) const {
  return QuoteClickHouseIdentifier(endpoint_.database) + "." + QuoteClickHouseIdentifier(table);
}

Result<std::vector<std::pair<std::string, std::string>>> ClickHouseSink::ColumnTypes(
    std::string_view table) {
  ASSIGN_OR_RETURN(std::string body,
                   http_->Query("SELECT name, type FROM system.columns WHERE database = " +
                                    QuoteClickHouseString(endpoint_.database) + " AND table = " +
                                    QuoteClickHouseString(table) + " FORMAT TabSeparated",
                                "describe table \"" + std::string(table) + "\""));
  std::vector<std::pair<std::string, std::string>> columns;
  for (auto& row : ParseTsv(body)) {
    if (row.size() < 2) return Status::Internal("describe table: malformed answer");
    columns.emplace_back(std::move(row[0]), std::move(row[1]));
  }
  return columns;
}

Result<std::optional<TableDef>> ClickHouseSink::DescribeTable(std::string_view name) {
  const std::string context = "describe table \"" + std::string(name) + "\"";
  ASSIGN_OR_RETURN(std::string engine,
                   http_->Query("SELECT engine FROM system.tables WHERE database = " +
                                    QuoteClickHouseString(endpoint_.database) + " AND name = " +
                                    QuoteClickHouseString(name) + " FORMAT TabSeparated",
                                context));
  if (engine.empty()) return std::optional<TableDef>();
  while (!engine.empty() && engine.back() == '\n') engine.pop_back();
  ASSIGN_OR_RETURN(
      std::string body,
      http_->Query("SELECT name, type, is_in_sorting_key FROM system.columns WHERE database = " +
                       QuoteClickHouseString(endpoint_.database) +
                       " AND table = " + QuoteClickHouseString(name) + " FORMAT TabSeparated",
                   context));
  TableDef table;
  table.name = std::string(name);
  for (const auto& row : ParseTsv(body)) {
    if (row.size() < 3) return Status::Internal(context + ": malformed answer");
    if (row[0] == kLoadIdColumn) continue;
    bool nullable = false;
    const ColumnType type = TypeFromClickHouse(row[1], &nullable);
    table.columns.push_back({row[0], type, nullable});
    // Only a ReplacingMergeTree collapses rows by key; another engine's sorting key
    // is just an order.
    if (row[2] == "1" && engine == "ReplacingMergeTree") table.key.push_back(row[0]);
  }
  if (table.columns.empty()) return std::optional<TableDef>();
  return std::optional<TableDef>(std::move(table));
}

Status ClickHouseSink::EnsureTable(const TableDef& table) {
  if (in_load_) return Status::Internal("EnsureTable during a load");
  RETURN_IF_ERROR(ValidateTable(table));
  std::string create = "CREATE TABLE IF NOT EXISTS " + Qualified(table.name) + " (";
  for (const ColumnDef& column : table.columns) {
    // Sorting-key columns cannot be Nullable (without allow_nullable_key, 21.8+).
    create += QuoteClickHouseIdentifier(column.name) + " " +
              TypeName(column.type, column.nullable && !IsKey(table, column.name)) + ", ";
  }
  create += QuoteClickHouseIdentifier(kLoadIdColumn) + " String) ENGINE = ";
  if (table.key.empty()) {
    create += "MergeTree ORDER BY tuple()";
  } else {
    create += "ReplacingMergeTree ORDER BY (";
    for (size_t i = 0; i < table.key.size(); ++i) {
      if (i > 0) create += ", ";
      create += QuoteClickHouseIdentifier(table.key[i]);
    }
    create += ")";
  }
  return http_->Query(create, "create table \"" + table.name + "\"").status();
}

std::string ClickHouseSink::TypeName(ColumnType type, bool nullable) const {
  std::string name;
  switch (type) {
    case ColumnType::kInteger:
      name = "Int64";
      break;
    case ColumnType::kFloat:
      name = "Float64";
      break;
    case ColumnType::kBoolean:
      name = "UInt8";
      break;
    case ColumnType::kDate:
      name = version_.AtLeast(21, 9) ? "Date32" : "Date";
      break;
    case ColumnType::kTimestamp:
      name = version_.AtLeast(20, 1) ? "DateTime64(6, 'UTC')" : "DateTime";
      break;
    case ColumnType::kString:
      name = "String";
      break;
  }
  return nullable ? "Nullable(" + name + ")" : name;
}

Result<std::vector<ColumnDef>> ClickHouseSink::AddColumns(const std::string& table,
                                                          const std::vector<ColumnDef>& columns) {
  if (in_load_) return Status::Internal("AddColumns during a load");
  RETURN_IF_ERROR(ValidateTable(TableDef{table, columns, {}}));
  const std::string context = "add columns to table \"" + table + "\"";
  ASSIGN_OR_RETURN(auto present, ColumnTypes(table));
  if (present.empty()) return Status::NotFound("table \"" + table + "\" does not exist");
  auto has = [&](const std::string& name) {
    for (const auto& column : present) {
      if (column.first == name) return true;
    }
    return false;
  };
  std::vector<ColumnDef> added;
  for (const ColumnDef& column : columns) {
    if (has(column.name)) continue;
    // One column per ALTER, without IF NOT EXISTS (18.16 lacks it): when another
    // worker adds the same column first, this ALTER fails and the column is there.
    Status status = http_
                        ->Query("ALTER TABLE " + Qualified(table) + " ADD COLUMN " +
                                    QuoteClickHouseIdentifier(column.name) + " " +
                                    TypeName(column.type, /*nullable=*/true),
                                context)
                        .status();
    if (!status.ok()) {
      // Whatever the error says (its code differs between versions), the
      // column being there now is what counts.
      auto now = ColumnTypes(table);
      if (!now.has_value()) return status;
      present = std::move(*now);
      if (!has(column.name)) return status;
      continue;
    }
    added.push_back({column.name, column.type, true});
  }
  return added;
}

struct ClickHouseSink::LoadState {
  std::vector<std::string> committed;  // ids with a marker
  std::vector<std::string> with_rows;  // ids with rows in the table
  bool running = false;                // an insert of one of them is running
};

Result<ClickHouseSink::LoadState> ClickHouseSink::ReadLoadState(const std::string& table,
                                                                const std::vector<LoadId>& loads) {
  const std::string context = "check " + DescribeLoads(loads) + " in \"" + table + "\"";
  const std::string ids = QuotedList(Ids(loads));
  ASSIGN_OR_RETURN(
      std::string body,
      http_->Query("SELECT 'committed', load_id, toUInt64(0) FROM " + Qualified(kMarkerTable) +
                       " WHERE load_id IN (" + ids + ") UNION ALL SELECT 'rows', " +
                       QuoteClickHouseIdentifier(kLoadIdColumn) + ", count() FROM " +
                       Qualified(table) + " WHERE " + QuoteClickHouseIdentifier(kLoadIdColumn) +
                       " IN (" + ids + ") GROUP BY " + QuoteClickHouseIdentifier(kLoadIdColumn) +
                       " UNION ALL SELECT 'running', '', count() FROM system.processes WHERE " +
                       RunningInsertsOf(loads) + " FORMAT TabSeparated",
                   context));
  LoadState state;
  for (auto& row : ParseTsv(body)) {
    if (row.size() != 3) return Status::Internal(context + ": malformed answer");
    if (row[0] == "committed") {
      state.committed.push_back(std::move(row[1]));
    } else if (row[0] == "rows") {
      state.with_rows.push_back(std::move(row[1]));
    } else if (row[0] == "running") {
      state.running = row[2] != "0";
    }
  }
  return state;
}

Status ClickHouseSink::AwaitZero(const std::string& sql, const std::string& context,
                                 std::string_view what) {
  const auto deadline = std::chrono::steady_clock::now() + kCleanupTimeout;
  auto pause = std::chrono::milliseconds(20);
  while (true) {
    ASSIGN_OR_RETURN(std::string body, http_->Query(sql, context));
    ASSIGN_OR_RETURN(uint64_t count, ParseCount(body, context));
    if (count == 0) return Status::Ok();
    if (std::chrono::steady_clock::now() > deadline) {
      return Status::Unavailable(context + ": " + std::to_string(count) + " " + std::string(what));
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(500));
  }
}

Status ClickHouseSink::StopInserts(const std::vector<LoadId>& loads) {
  const std::string context = "stop running inserts of " + DescribeLoads(loads);
  const std::string where = RunningInsertsOf(loads);
  // 18.16 refuses to kill an insert while it reads its body (error 380); the
  // insert of a process that died then ends by itself once the server reaches the
  // end of what was sent. So the kill's answer does not matter, the wait does.
  Result<std::string> killed = http_->Query("KILL QUERY WHERE " + where + " SYNC", context);
  (void)killed;
  return AwaitZero("SELECT count() FROM system.processes WHERE " + where, context,
                   "inserts still running");
}

Status ClickHouseSink::RemoveRows(const std::string& table, const std::vector<std::string>& ids) {
  const std::string context =
      "remove rows of " + std::to_string(ids.size()) + " load(s) from \"" + table + "\"";
  const std::string where =
      " WHERE " + QuoteClickHouseIdentifier(kLoadIdColumn) + " IN (" + QuotedList(ids) + ")";
  // ALTER … DELETE is a mutation: it returns at once and rewrites the parts in
  // the background. It only touches parts that exist now, so the rows must be
  // gone (count 0) before this load inserts anything.
  RETURN_IF_ERROR(
      http_->Query("ALTER TABLE " + Qualified(table) + " DELETE" + where, context).status());
  return AwaitZero("SELECT count() FROM " + Qualified(table) + where, context,
                   "rows still there after the delete mutation");
}

Status ClickHouseSink::Begin(const TableDef& table, const std::vector<LoadId>& loads) {
  if (in_load_) return Status::Internal("Begin while a load is in progress");
  if (loads.empty()) return Status::InvalidArgument("no load to begin");
  for (const LoadId& load : loads) {
    if (load.id.empty()) return Status::InvalidArgument("load id is empty");
  }
  if (table.columns.empty()) {
    return Status::InvalidArgument("table \"" + table.name + "\" has no columns");
  }
  ASSIGN_OR_RETURN(auto actual, ColumnTypes(table.name));
  if (actual.empty()) return Status::Internal("table \"" + table.name + "\" does not exist");
  std::vector<ClickHouseColumnEncoding> encodings;
  bool has_load_id = false;
  for (const auto& [name, type] : actual) {
    if (name != kLoadIdColumn) continue;
    has_load_id = true;
    if (type != "String") {
      return Status::InvalidArgument("table \"" + table.name + "\": column " + kLoadIdColumn +
                                     " is " + type + ", not String");
    }
  }
  if (!has_load_id) {
    return Status::InvalidArgument("table \"" + table.name + "\" has no column " + kLoadIdColumn +
                                   ": it was not created by sluice");
  }
  std::string insert = "INSERT INTO " + Qualified(table.name) + " (";
  for (const ColumnDef& column : table.columns) {
    const std::string* type = nullptr;
    for (const auto& [name, t] : actual) {
      if (name == column.name) type = &t;
    }
    if (type == nullptr) {
      return Status::Internal("table \"" + table.name + "\" has no column \"" + column.name + "\"");
    }
    Result<ClickHouseColumnEncoding> encoding = ClickHouseEncodingFor(*type, column.type);
    if (!encoding) {
      return encoding.error().WithContext("table \"" + table.name + "\", column \"" + column.name +
                                          "\"");
    }
    encodings.push_back(*encoding);
    insert += QuoteClickHouseIdentifier(column.name) + ", ";
  }
  insert += QuoteClickHouseIdentifier(kLoadIdColumn) + ") FORMAT Native";
  ASSIGN_OR_RETURN(LoadState state, ReadLoadState(table.name, loads));
  if (state.running) {
    // A process that died mid-insert: rows its insert stores after the delete
    // below would stay, and its marker insert may yet commit a load.
    RETURN_IF_ERROR(StopInserts(loads));
    ASSIGN_OR_RETURN(state, ReadLoadState(table.name, loads));
  }
  for (const LoadId& load : loads) {
    if (std::find(state.committed.begin(), state.committed.end(), load.id) !=
        state.committed.end()) {
      return Status::AlreadyExists("load " + load.id + " (" + load.file + ") is already committed");
    }
  }
  if (!state.with_rows.empty()) RETURN_IF_ERROR(RemoveRows(table.name, state.with_rows));

  const std::string tag = GroupTag(loads);
  std::string settings = "query_id=" + http_->Escape(std::string(kQueryIdPrefix) + tag + "-rows");
  if (version_.AtLeast(22, 2)) settings += "&insert_deduplication_token=" + http_->Escape(tag);

  in_load_ = true;
  failed_ = false;
  sent_ = false;
  table_ = table;
  loads_ = loads;
  encodings_ = std::move(encodings);
  insert_sql_ = LoadsComment(loads) + insert;
  insert_settings_ = std::move(settings);
  current_ = 0;
  load_id_cells_.clear();
  buffer_.clear();
  rows_ = 0;
  open_ = false;
  counts_.assign(loads.size(), LoadCounts{});
  return Status::Ok();
}

Status ClickHouseSink::Write(const Batch& batch, size_t load) {
  if (!in_load_) return Status::Internal("Write without Begin");
  if (failed_) return Status::Internal("Write after a failed Write; the load must be aborted");
  if (load >= loads_.size() || load < current_) {
    return Status::Internal("Write to load " + std::to_string(load) + " after load " +
                            std::to_string(current_) + " of " + std::to_string(loads_.size()));
  }
  RETURN_IF_ERROR(CheckBatchFitsTable(batch, table_));
  const auto& columns = batch.columns();
  if (load != current_) {
    current_ = load;
    load_id_cells_.clear();
  }
  if (batch.rows() == 0) return Status::Ok();
  // One Native block per batch: the server gathers blocks into parts of
  // min_insert_block_size_rows.
  native::AppendBlockHeader(buffer_, columns.size() + 1, batch.rows());
  for (size_t i = 0; i < columns.size(); ++i) {
    native::AppendColumnHeader(buffer_, columns[i].def.name, encodings_[i].type);
    size_t bad_row = 0;
    Status status = AppendNativeColumn(columns[i], encodings_[i], buffer_, &bad_row);
    if (!status.ok()) {
      failed_ = true;
      return status.WithContext("insert into \"" + table_.name + "\", " + loads_[load].file +
                                ", line " + std::to_string(batch.Line(bad_row)));
    }
  }
  native::AppendColumnHeader(buffer_, kLoadIdColumn, "String");
  std::string cell;
  native::AppendString(cell, loads_[load].id);
  while (load_id_cells_.size() < batch.rows() * cell.size()) load_id_cells_ += cell;
  buffer_.append(load_id_cells_, 0, batch.rows() * cell.size());
  rows_ += batch.rows();
  counts_[load].inserted += batch.rows();
  if (buffer_.size() >= kSendBytes) {
    Status status = Send();
    if (!status.ok()) {
      failed_ = true;
      return status;
    }
  }
  return Status::Ok();
}

Status ClickHouseSink::Send() {
  if (!open_) {
    RETURN_IF_ERROR(
        http_->StartInsert(insert_sql_, insert_settings_,
                           "insert into \"" + table_.name + "\" (" + DescribeLoads(loads_) + ")"));
    open_ = true;
    // Set before any row is sent: a request that fails may still have stored some
    // of its blocks (one per min_insert_block_size_rows).
    sent_ = true;
  }
  Status status = http_->SendInsert(buffer_);
  buffer_.clear();
  if (!status.ok()) open_ = false;
  return status;
}

Result<std::vector<LoadCounts>> ClickHouseSink::Commit() {
  if (!in_load_) return Status::Internal("Commit without Begin");
  if (failed_) return Status::Internal("Commit after a failed Write; the load must be aborted");
  Status status = Status::Ok();
  if (rows_ > 0) {
    status = Send();
    if (status.ok()) {
      open_ = false;
      status = http_->FinishInsert();
    }
  }
  if (!status.ok()) {
    Abort();
    return status;
  }
  // One block, so all markers are stored or none. It carries the group's comment
  // and query id like the rows' insert: a Begin that finds it still running waits
  // for it, then sees the loads committed.
  const size_t n = loads_.size();
  const uint32_t now = static_cast<uint32_t>(NowMicros() / 1000000);
  std::string marker;
  native::AppendBlockHeader(marker, 5, n);
  native::AppendColumnHeader(marker, "load_id", "String");
  for (const LoadId& load : loads_) native::AppendString(marker, load.id);
  native::AppendColumnHeader(marker, "table", "String");
  for (size_t i = 0; i < n; ++i) native::AppendString(marker, table_.name);
  native::AppendColumnHeader(marker, "file", "String");
  for (const LoadId& load : loads_) native::AppendString(marker, load.file);
  native::AppendColumnHeader(marker, "rows", "UInt64");
  for (const LoadCounts& counts : counts_) native::AppendFixed(marker, counts.inserted);
  native::AppendColumnHeader(marker, "committed_at", "DateTime");
  for (size_t i = 0; i < n; ++i) native::AppendFixed(marker, now);
  status = http_->Insert(
      LoadsComment(loads_) + "INSERT INTO " + Qualified(kMarkerTable) +
          " (load_id, table, file, rows, committed_at) FORMAT Native",
      "query_id=" + http_->Escape(std::string(kQueryIdPrefix) + GroupTag(loads_) + "-marker"),
      marker, "commit " + DescribeLoads(loads_));
  std::vector<LoadCounts> counts = std::move(counts_);
  // No clean-up after a failed marker insert: the server may have stored it
  // without our hearing so, and then the rows are committed. The next Begin of
  // these loads decides (AlreadyExists, or removes the rows).
  EndLoad();
  if (!status.ok()) return status;
  return counts;
}

void ClickHouseSink::Abort() noexcept {
  if (!in_load_) return;
  if (open_) {
    // Ends the insert with a block the server cannot read, and waits for its
    // answer: the server fails the insert and stores nothing more of it (a body
    // that merely stopped would be stored up to its last whole block, possibly
    // after the delete below). Blocks it stored already are deleted below.
    std::string poison;
    native::AppendBlockHeader(poison, 1, 1);
    native::AppendColumnHeader(poison, kLoadIdColumn, "sluice: load aborted");
    if (http_->SendInsert(poison).ok()) (void)http_->FinishInsert();
    http_->CancelInsert();
    open_ = false;
  }
  if (sent_) {
    // Best effort and not awaited: Begin removes whatever is left.
    Result<std::string> ignored = http_->Query(
        "ALTER TABLE " + Qualified(table_.name) + " DELETE WHERE " +
            QuoteClickHouseIdentifier(kLoadIdColumn) + " IN (" + QuotedList(Ids(loads_)) + ")",
        "abort " + DescribeLoads(loads_));
    (void)ignored;
  }
  EndLoad();
}

void ClickHouseSink::EndLoad() {
  in_load_ = false;
  failed_ = false;
  sent_ = false;
  loads_.clear();
  buffer_.clear();
  rows_ = 0;
  // A buffer that grew for one huge batch is not kept between loads.
  if (buffer_.capacity() > 2 * kSendBytes) buffer_.shrink_to_fit();
  counts_.clear();
}

Result<bool> ClickHouseSink::IsCommitted(std::string_view load_id) {
  const std::string context = "check load " + std::string(load_id);
  ASSIGN_OR_RETURN(std::string body,
                   http_->Query("SELECT count() FROM " + Qualified(kMarkerTable) +
                                    " WHERE load_id = " + QuoteClickHouseString(load_id),
                                context));
  ASSIGN_OR_RETURN(uint64_t count, ParseCount(body, context));
  return count > 0;
}

Status ClickHouseSink::Ping() { return http_->Query("SELECT 1", "ping").status(); }

}  // namespace sluice
