// The databases behind the sink contract suite (sink_contract_test.cc): for each
// sink, how to reach a database to test against (a fresh SQLite file, or the
// PostgreSQL, ClickHouse and MariaDB test servers named by SLUICE_TEST_POSTGRES_URL,
// SLUICE_TEST_CLICKHOUSE_URL and SLUICE_TEST_MYSQL_URL), how to read what it holds
// without the sink (the sqlite3 C API, libpq, ClickHouse's HTTP interface through
// libcurl, MariaDB Connector/C, DuckDB over the Parquet files), and its traits: the documented ways
// in which the sinks differ.
//
// Only the public Sink interface (sink/sink.h, OpenSink) is used for loading, so
// the suite does not depend on how the sinks are built inside.
//
// Thread-safety: none needed (each test runs on one thread).
#pragma once

#include <curl/curl.h>
#include <libpq-fe.h>
#include <mysql.h>
#include <sqlite3.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/table.h"
#include "duckdb_oracle.h"
#include "sink/mysql/mysql_url.h"
#include "sink/parquet/parquet_files.h"
#include "sink/sink_test_rows.h"
#include "test_util.h"

namespace sluice::contract {

// A cell as text; nullopt for SQL NULL.
using Cell = std::optional<std::string>;
using Rows = std::vector<std::vector<Cell>>;

// How a sink departs from the strictest reading of the contract, as documented
// in its header. Each is checked as stated by the suite.
struct SinkTraits {
  // LoadCounts::skipped_by_key counts rows skipped by key (ClickHouse: always 0,
  // its ReplacingMergeTree collapses duplicates later; reads use FINAL).
  bool counts_skipped_by_key = true;
  // Uncommitted rows are invisible to other readers (ClickHouse: no transactions;
  // Abort's delete is best effort and the next Begin of the ids is the guarantee).
  bool transactional = true;
  // NaN is kept (SQLite stores it as NULL).
  bool keeps_nan = true;
  // -0.0 keeps its sign (SQLite stores an integral REAL as an integer: 0).
  bool keeps_negative_zero = true;
  // Timestamps keep their microseconds (ClickHouse before 20.1: DateTime, whole
  // seconds, the fraction truncated).
  bool keeps_micros = true;
  // Days since 1970 and microseconds since 1970 the sink stores and gives back as
  // the same day or instant. Values outside are either refused as InvalidData
  // (those listed below) or not part of the contract.
  int64_t min_day = -719162, max_day = 2932896;  // 0001-01-01 .. 9999-12-31
  int64_t min_micros = -62135596800000000;       // 0001-01-01 00:00:00
  int64_t max_micros = 253402300799999999;       // 9999-12-31 23:59:59.999999
  // Values the sink must refuse (InvalidData) rather than store altered.
  std::vector<int64_t> refused_days, refused_micros;
  // Strings must be valid UTF-8 (PostgreSQL's text in a UTF8 database): other
  // bytes are refused as InvalidData instead of kept as they are.
  bool requires_utf8 = false;
  // NaN and infinite floats are refused as InvalidData (MySQL's DOUBLE holds
  // finite values only) instead of stored.
  bool refuses_non_finite_floats = false;
  // Table and column names may hold characters outside Unicode's Basic
  // Multilingual Plane (MySQL's names are utf8mb3: such a name is refused as
  // InvalidArgument instead).
  bool supplementary_names = true;
};

// "YYYY-MM-DD" of `days` after 1970-01-01 (years 0..9999).
inline std::string DayText(int64_t days) {
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{days}}};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

// "YYYY-MM-DD HH:MM:SS.ffffff" of `micros` after the epoch, UTC.
inline std::string MicrosText(int64_t micros) {
  constexpr int64_t kDay = 86400000000;
  const int64_t days = micros >= 0 ? micros / kDay : -((-micros + kDay - 1) / kDay);
  const int64_t in_day = micros - days * kDay;
  char buf[32];
  std::snprintf(buf, sizeof buf, " %02d:%02d:%02d.%06d", static_cast<int>(in_day / 3600000000),
                static_cast<int>(in_day / 60000000 % 60), static_cast<int>(in_day / 1000000 % 60),
                static_cast<int>(in_day % 1000000));
  return DayText(days) + buf;
}

// One database to test a sink against.
class Backend {
 public:
  virtual ~Backend() = default;
  // The URL for OpenSink.
  virtual std::string Url() const = 0;
  // Runs `sql` as another client would; each row's cells as text.
  virtual Rows Query(const std::string& sql) = 0;
  virtual std::string QuoteId(const std::string& name) const = 0;
  // `table` as a query reads its rows once keys are applied (ClickHouse: FINAL).
  virtual std::string From(const std::string& table, bool keyed) const {
    (void)keyed;
    return QuoteId(table);
  }
  // An expression reading `column`, of `type`, for Canonical.
  virtual std::string Render(ColumnType type, const std::string& column) const {
    (void)type;
    return QuoteId(column);
  }
  // What Render read as canonical text: integers and floats as the database
  // prints them, booleans 0/1, dates YYYY-MM-DD, timestamps YYYY-MM-DD
  // HH:MM:SS.ffffff in UTC.
  virtual Cell Canonical(ColumnType type, Cell text) const {
    if (type == ColumnType::kTimestamp && text && text->size() == 19) *text += ".000000";
    return text;
  }
  // The (file, rows) of the commit marker of `load_id`, one row per marker.
  virtual std::string MarkerSql(const std::string& load_id) const = 0;
  const SinkTraits& traits() const { return traits_; }

 protected:
  SinkTraits traits_;
};

// Single-quotes an SQL string literal the standard way ('' for ').
inline std::string SqlString(const std::string& value) {
  std::string out = "'";
  for (char c : value) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

inline std::string DoubleQuoted(const std::string& name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// Shortest text that reads back as `value` (strtod reads it, "inf" and "nan" too).
inline std::string FloatText(double value) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, end);
}

class SqliteBackend final : public Backend {
 public:
  SqliteBackend() {
    traits_.keeps_nan = false;
    traits_.keeps_negative_zero = false;
  }
  std::string Url() const override { return "sqlite:" + path_; }
  Rows Query(const std::string& sql) override {
    sqlite3* db = nullptr;
    Rows rows;
    EXPECT_EQ(sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
        << sql << ": " << sqlite3_errmsg(db);
    while (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW) {
      std::vector<Cell>& row = rows.emplace_back();
      for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
        switch (sqlite3_column_type(stmt, i)) {
          case SQLITE_NULL:
            row.emplace_back();
            break;
          case SQLITE_FLOAT:  // sqlite3_column_text keeps 15 digits only
            row.emplace_back(FloatText(sqlite3_column_double(stmt, i)));
            break;
          default:
            row.emplace_back(
                std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, i)),
                            static_cast<size_t>(sqlite3_column_bytes(stmt, i))));
        }
      }
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return rows;
  }
  std::string QuoteId(const std::string& name) const override { return DoubleQuoted(name); }
  std::string MarkerSql(const std::string& load_id) const override {
    return "SELECT file, rows FROM _sluice_loads WHERE load_id = " + SqlString(load_id);
  }

 private:
  testing::TempDir dir_;
  std::string path_ = dir_ / "contract.sqlite";
};

class PostgresBackend final : public Backend {
 public:
  explicit PostgresBackend(std::string url) : url_(std::move(url)) {
    traits_.requires_utf8 = true;
    // Before 4713 BC: the server's own range check. INT64_MIN µs is the instant
    // farthest from the server's epoch (2000), the edge of the sink's shift.
    traits_.refused_days = {-2500000, std::numeric_limits<int64_t>::min(),
                            std::numeric_limits<int64_t>::max()};
    traits_.refused_micros = {-300000000000000000, std::numeric_limits<int64_t>::min()};
  }
  std::string Url() const override { return url_; }
  Rows Query(const std::string& sql) override { return testing::PgQuery(url_, sql); }
  std::string QuoteId(const std::string& name) const override { return DoubleQuoted(name); }
  std::string Render(ColumnType type, const std::string& column) const override {
    const std::string c = QuoteId(column);
    switch (type) {
      case ColumnType::kBoolean:
        return c + "::int::text";
      case ColumnType::kDate:
        return "to_char(" + c + ", 'YYYY-MM-DD')";
      case ColumnType::kTimestamp:
        return "to_char(" + c + " AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')";
      default:
        return c;
    }
  }
  std::string MarkerSql(const std::string& load_id) const override {
    return "SELECT file, rows::text FROM sluice.loads WHERE load_id = " + SqlString(load_id);
  }

 private:
  std::string url_;
};

// Reads "clickhouse://user:password@host:port/database" as the test server
// script writes it, and queries over HTTP with the credentials as parameters.
class ClickHouseBackend final : public Backend {
 public:
  explicit ClickHouseBackend(std::string url) : url_(std::move(url)) {
    std::string rest = url_.substr(url_.find("://") + 3);
    const size_t at = rest.rfind('@');
    std::string user = "default", password;
    if (at != std::string::npos) {
      const std::string info = rest.substr(0, at);
      const size_t colon = info.find(':');
      user = info.substr(0, colon);
      if (colon != std::string::npos) password = info.substr(colon + 1);
      rest = rest.substr(at + 1);
    }
    const size_t slash = rest.find('/');
    std::string database = "default";
    if (slash != std::string::npos) {
      database = rest.substr(slash + 1, rest.find('?', slash) - slash - 1);
      rest = rest.substr(0, slash);
    }
    endpoint_ =
        "http://" + rest + "/?user=" + user + "&password=" + password + "&database=" + database;
    traits_.counts_skipped_by_key = false;
    traits_.transactional = false;
    // Sluice's types on this server (clickhouse_sink.h): Date32 and DateTime64(6)
    // on newer servers; Date (UInt16 days) and DateTime (UInt32 s) on older ones.
    const Rows version = Query("SELECT version()");
    const std::string v = version.empty() ? "0.0" : version[0][0].value_or("0.0");
    const int major = std::atoi(v.c_str());
    const int minor = std::atoi(v.c_str() + v.find('.') + 1);
    date32_ = major > 21 || (major == 21 && minor >= 9);
    datetime64_ = major >= 20;
    traits_.keeps_micros = datetime64_;
    constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
    constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
    if (!date32_) {
      traits_.min_day = 0;
      traits_.max_day = 65535;  // 2149-06-06
      traits_.refused_days = {-1, 65536, kMin, kMax};
    } else {
      traits_.min_day = -25567;  // 1900-01-01 .. 2299-12-31
      traits_.max_day = 120529;
      traits_.refused_days = {kMin, kMax};
    }
    if (!datetime64_) {
      traits_.min_micros = 0;
      traits_.max_micros = int64_t{4294967295} * 1000000;  // 2106-02-07 06:28:15
      traits_.refused_micros = {-1, int64_t{4294967296} * 1000000, kMin, kMax};
    } else {
      // Not run yet (the test server is 18.16): the encoder passes any int64 to
      // DateTime64(6), whose range the server documents as 1900..2299.
      traits_.min_micros = -2208988800000000;  // 1900-01-01 .. 2262-04-11
      traits_.max_micros = 9214646399999999;
      traits_.refused_micros = {kMin, kMax};
    }
  }
  std::string Url() const override { return url_; }
  Rows Query(const std::string& sql) override {
    const std::string body = Post(sql + " FORMAT TabSeparated");
    Rows rows;
    size_t start = 0;
    while (start < body.size()) {
      const size_t end = body.find('\n', start);
      rows.push_back(SplitRow(body.substr(start, end - start)));
      start = end == std::string::npos ? body.size() : end + 1;
    }
    return rows;
  }
  std::string QuoteId(const std::string& name) const override {
    std::string out = "`";
    for (char c : name) {
      if (c == '`' || c == '\\') out += '\\';
      out += c;
    }
    return out + "`";
  }
  std::string From(const std::string& table, bool keyed) const override {
    return QuoteId(table) + (keyed ? " FINAL" : "");
  }
  // Old servers print day 0 and instant 0 as "0000-00-00" and dates past their
  // date table (2105) wrongly, so Date and DateTime are read as numbers there.
  std::string Render(ColumnType type, const std::string& column) const override {
    const std::string c = QuoteId(column);
    if (type == ColumnType::kDate) return (date32_ ? "toString(" : "toUInt16(") + c + ")";
    if (type == ColumnType::kTimestamp) {
      return datetime64_ ? "toString(" + c + ", 'UTC')" : "toUInt32(" + c + ")";
    }
    return c;
  }
  Cell Canonical(ColumnType type, Cell text) const override {
    if (text && type == ColumnType::kDate && !date32_) return DayText(std::stoll(*text));
    if (text && type == ColumnType::kTimestamp && !datetime64_) {
      return MicrosText(std::stoll(*text) * 1000000);
    }
    return Backend::Canonical(type, std::move(text));
  }
  std::string MarkerSql(const std::string& load_id) const override {
    return "SELECT file, toString(rows) FROM sluice_loads WHERE load_id = " +
           ClickHouseString(load_id);
  }

 private:
  static std::string ClickHouseString(const std::string& value) {
    std::string out = "'";
    for (char c : value) {
      if (c == '\'' || c == '\\') out += '\\';
      out += c;
    }
    return out + "'";
  }
  // One TabSeparated line: \N is NULL, backslash escapes undone.
  static std::vector<Cell> SplitRow(const std::string& line) {
    std::vector<Cell> cells;
    size_t start = 0;
    while (true) {
      const size_t tab = line.find('\t', start);
      const std::string raw = line.substr(start, tab - start);
      if (raw == "\\N") {
        cells.emplace_back();
      } else {
        std::string text;
        for (size_t i = 0; i < raw.size(); ++i) {
          if (raw[i] != '\\' || i + 1 == raw.size()) {
            text += raw[i];
            continue;
          }
          const char e = raw[++i];
          text += e == 'n'   ? '\n'
                  : e == 't' ? '\t'
                  : e == 'r' ? '\r'
                  : e == '0' ? '\0'
                  : e == 'b' ? '\b'
                  : e == 'f' ? '\f'
                             : e;
        }
        cells.emplace_back(std::move(text));
      }
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    return cells;
  }
  std::string Post(const std::string& sql) {
    CURL* curl = curl_easy_init();
    std::string body;
    curl_easy_setopt(curl, CURLOPT_URL, endpoint_.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, sql.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(sql.size()));
    curl_easy_setopt(
        curl, CURLOPT_WRITEFUNCTION, +[](char* data, size_t, size_t n, void* out) {
          static_cast<std::string*>(out)->append(data, n);
          return n;
        });
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    const CURLcode rc = curl_easy_perform(curl);
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(curl);
    EXPECT_EQ(rc, CURLE_OK) << sql;
    EXPECT_EQ(code, 200) << sql << ": " << body;
    return code == 200 ? body : "";
  }

  std::string url_;
  std::string endpoint_;
  bool date32_ = false;      // sluice makes dates Date32 (else Date)
  bool datetime64_ = false;  // sluice makes timestamps DateTime64(6) (else DateTime)
};

// Reads "mysql://user[:password]@host:port/database" as the test server script
// writes it, and queries through MariaDB Connector/C, one connection per query.
class MysqlBackend final : public Backend {
 public:
  explicit MysqlBackend(std::string url) : url_(std::move(url)) {
    traits_.requires_utf8 = true;
    traits_.refuses_non_finite_floats = true;
    traits_.supplementary_names = false;
    traits_.keeps_negative_zero = false;  // a DOUBLE stores -0 as 0
    // DATE and DATETIME(6) hold the years 0001..9999 (the default range); the
    // days and instants just outside it are refused, not stored as zero dates.
    traits_.refused_days = {traits_.min_day - 1, traits_.max_day + 1,
                            std::numeric_limits<int64_t>::min(),
                            std::numeric_limits<int64_t>::max()};
    traits_.refused_micros = {traits_.min_micros - 1, traits_.max_micros + 1,
                              std::numeric_limits<int64_t>::min(),
                              std::numeric_limits<int64_t>::max()};
  }
  std::string Url() const override { return url_; }
  Rows Query(const std::string& sql) override {
    Rows rows;
    auto target = ParseMysqlUrl(url_);
    EXPECT_TRUE(target.has_value()) << target.status().ToString();
    if (!target.has_value()) return rows;
    MYSQL* db = mysql_init(nullptr);
    mysql_options(db, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    const bool connected =
        mysql_real_connect(db, target->host.c_str(), target->user.c_str(), target->password.c_str(),
                           target->database.c_str(), target->port,
                           target->socket.empty() ? nullptr : target->socket.c_str(), 0) != nullptr;
    EXPECT_TRUE(connected) << mysql_error(db);
    if (connected && mysql_real_query(db, sql.data(), sql.size()) != 0) {
      ADD_FAILURE() << sql << ": " << mysql_error(db);
    } else if (MYSQL_RES* result = connected ? mysql_store_result(db) : nullptr) {
      const unsigned fields = mysql_num_fields(result);
      while (MYSQL_ROW row = mysql_fetch_row(result)) {
        const unsigned long* lengths = mysql_fetch_lengths(result);
        std::vector<Cell>& out = rows.emplace_back();
        for (unsigned i = 0; i < fields; ++i) {
          out.push_back(row[i] == nullptr ? Cell() : Cell(std::string(row[i], lengths[i])));
        }
      }
      mysql_free_result(result);
    }
    mysql_close(db);
    return rows;
  }
  std::string QuoteId(const std::string& name) const override {
    std::string out = "`";
    for (char c : name) out += c == '`' ? std::string("``") : std::string(1, c);
    return out + "`";
  }
  std::string Render(ColumnType type, const std::string& column) const override {
    // The text protocol prints a DOUBLE with fewer digits than round-trip; as
    // DECIMAL-free text with 17 significant digits it reads back exactly.
    if (type == ColumnType::kFloat) return "CAST(" + QuoteId(column) + " AS CHAR)";
    return QuoteId(column);
  }
  std::string MarkerSql(const std::string& load_id) const override {
    std::string literal = "'";
    for (char c : load_id) {
      if (c == '\\' || c == '\'') literal += '\\';
      literal += c;
    }
    return "SELECT file, CAST(`rows` AS CHAR) FROM sluice_loads WHERE load_id = " + literal + "'";
  }

 private:
  std::string url_;
};

// A folder of Parquet files read by DuckDB as another client would: each table
// is a view over its _schema's columns (an empty typed table) united by name with
// read_parquet('DIR/TABLE/*.parquet'), and sluice_loads is the commit markers whose
// data file exists (DIR/_sluice/loads/*.json).
class ParquetBackend final : public Backend {
 public:
  ParquetBackend() {
    traits_.requires_utf8 = true;  // Parquet's STRING is UTF-8; DuckDB refuses other bytes
    // DATE is 32-bit days; the int64 extremes of TIMESTAMP are DuckDB's infinities.
    traits_.refused_days = {std::numeric_limits<int64_t>::min(),
                            std::numeric_limits<int64_t>::max()};
    traits_.refused_micros = {std::numeric_limits<int64_t>::min(),
                              std::numeric_limits<int64_t>::max()};
  }
  std::string Url() const override { return "parquet:" + dir_.path(); }
  // Whether DuckDB runs; its error otherwise.
  testing::DuckDbRun Probe() { return testing::RunDuckDb(scripts_, "SELECT 1"); }
  Rows Query(const std::string& sql) override {
    const testing::DuckDbRun run = testing::RunDuckDb(scripts_, Views() + sql);
    EXPECT_TRUE(run.error.empty()) << run.error;
    return run.results.empty() ? Rows() : run.results.back();
  }
  std::string QuoteId(const std::string& name) const override { return DoubleQuoted(name); }
  std::string Render(ColumnType type, const std::string& column) const override {
    const std::string c = QuoteId(column);
    switch (type) {
      case ColumnType::kBoolean:
        return "CAST(CAST(" + c + " AS INTEGER) AS VARCHAR)";
      case ColumnType::kTimestamp:  // instants as µs: no time zone in the way
        return "CAST(epoch_us(" + c + ") AS VARCHAR)";
      default:
        return "CAST(" + c + " AS VARCHAR)";
    }
  }
  Cell Canonical(ColumnType type, Cell text) const override {
    if (text && type == ColumnType::kTimestamp) return MicrosText(std::stoll(*text));
    return text;
  }
  std::string MarkerSql(const std::string& load_id) const override {
    return "SELECT file, CAST(rows AS VARCHAR) FROM sluice_loads WHERE load_id = " +
           SqlString(load_id);
  }

 private:
  static std::string DuckType(ColumnType type) {
    switch (type) {
      case ColumnType::kInteger:
        return "BIGINT";
      case ColumnType::kFloat:
        return "DOUBLE";
      case ColumnType::kBoolean:
        return "BOOLEAN";
      case ColumnType::kDate:
        return "DATE";
      case ColumnType::kTimestamp:
        return "TIMESTAMPTZ";
      default:
        return "VARCHAR";
    }
  }
  bool HasFiles(const std::string& folder, const std::string& suffix) const {
    auto names = parquet_sink::ListDirectory(folder);
    if (!names.has_value()) return false;
    for (const std::string& name : *names) {
      if (name.ends_with(suffix) && !name.starts_with(".")) return true;
    }
    return false;
  }
  std::string Views() const {
    std::string sql;
    const std::string root = dir_.path();
    auto names = parquet_sink::ListDirectory(root);
    int n = 0;
    for (const std::string& folder : names.has_value() ? *names : std::vector<std::string>{}) {
      auto text = parquet_sink::ReadWholeFile(root + "/" + folder + "/_schema");
      if (!text.has_value() || !text->has_value()) continue;
      auto table = parquet_sink::ParseSchemaJson(**text, folder);
      if (!table.has_value()) continue;
      const std::string empty = QuoteId("_empty_" + std::to_string(++n));
      std::string columns;
      for (const ColumnDef& c : table->columns) {
        columns += (columns.empty() ? "" : ", ") + QuoteId(c.name) + " " + DuckType(c.type);
      }
      sql += "CREATE TABLE " + empty + " (" + columns + ");\n";
      sql += "CREATE VIEW " + QuoteId(table->name) + " AS SELECT * FROM " + empty;
      if (HasFiles(root + "/" + folder, ".parquet")) {
        sql += " UNION ALL BY NAME SELECT * FROM read_parquet(" +
               SqlString(root + "/" + folder + "/*.parquet") + ", union_by_name = true)";
      }
      sql += ";\n";
    }
    sql += "CREATE TABLE _markers (load_id VARCHAR, file VARCHAR, rows BIGINT, data VARCHAR);\n";
    if (HasFiles(root + "/_sluice/loads", ".json")) {
      sql += "INSERT INTO _markers SELECT load_id, file, rows, data FROM read_json(" +
             SqlString(root + "/_sluice/loads/*.json") +
             ", columns = {load_id: 'VARCHAR', file: 'VARCHAR', rows: 'BIGINT', data: "
             "'VARCHAR', \"table\": 'VARCHAR', \"group\": 'VARCHAR[]'});\n";
    }
    sql += "CREATE VIEW sluice_loads AS SELECT * FROM _markers WHERE " + SqlString(root + "/") +
           " || data IN (SELECT file FROM glob(" + SqlString(root + "/*/*.parquet") + "));\n";
    return sql;
  }

  testing::TempDir dir_;
  testing::TempDir scripts_;
};

// A name no other test process (tests run in parallel against one server, and
// the servers outlive a run) uses: a random tag of this process and a counter.
inline std::string UniqueName(const std::string& base) {
  static const std::string tag = [] {
    std::random_device random;
    const uint64_t bits = (uint64_t{random()} << 32) ^ random() ^ static_cast<uint64_t>(getpid());
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(bits));
    return std::string(hex, 10);
  }();
  static int counter = 0;
  return base + "_" + tag + "_" + std::to_string(++counter);
}

}  // namespace sluice::contract
