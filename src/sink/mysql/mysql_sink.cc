#include "sink/mysql/mysql_sink.h"

#include <mysqld_error.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <utility>

#include "sink/mysql/mysql_load_data.h"
#include "sink/mysql/mysql_tables.h"
#include "sink/mysql/mysql_url.h"

namespace sluice {
namespace {

using mysql::kMarkerTable;
using mysql::Quote;

// Rows in one prepared INSERT at most (the fallback); a statement takes at most
// 65535 parameters.
constexpr size_t kInsertRows = 512;

// Says once per process that the fast path is off, and how to turn it on.
void NoteLocalInfile(const MysqlConnection& db) {
  static std::atomic<bool> told{false};
  if (db.local_infile() || !db.local_infile_wanted() || told.exchange(true)) return;
  SinkWarning("mysql_local_infile_off",
              "the server " + db.display() +
                  " does not allow LOAD DATA LOCAL (local_infile is OFF): rows are loaded with "
                  "batched INSERT statements, which is slower; enable the fast path with "
                  "SET GLOBAL local_infile = 1 or the server option local_infile=1");
}

// The marker rows "(id, table, file[, rows, skipped])" of `loads`, in the order
// of their ids: groups that share ids then lock them in one order.
std::string MarkerValues(MysqlConnection& db, const std::string& table,
                         const std::vector<LoadId>& loads, const std::vector<LoadCounts>* counts) {
  std::vector<size_t> order(loads.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return loads[a].id < loads[b].id; });
  std::string values;
  for (size_t i : order) {
    values += values.empty() ? "(" : ", (";
    values += db.Literal(loads[i].id) + ", " + db.Literal(table) + ", " + db.Literal(loads[i].file);
    if (counts != nullptr) {
      values += ", " + std::to_string((*counts)[i].inserted) + ", " +
                std::to_string((*counts)[i].skipped_by_key);
    }
    values += ")";
  }
  return values;
}

// A locking read: it waits for the transaction that inserted the markers, if the
// server is still committing or rolling it back, and then sees its outcome.
std::string MarkersIn(MysqlConnection& db, const std::vector<LoadId>& loads) {
  std::string ids;
  for (const LoadId& load : loads) ids += (ids.empty() ? "" : ", ") + db.Literal(load.id);
  return std::string("SELECT count(*) FROM ") + kMarkerTable + " WHERE load_id IN (" + ids +
         ") LOCK IN SHARE MODE";
}

// MySQL's names are utf8mb3: a character outside the Basic Multilingual Plane
// (4 bytes in UTF-8, such as an emoji) cannot be one's part.
Status CheckNames(const TableDef& table) {
  auto check = [](const std::string& name) -> Status {
    for (char c : name) {
      if (static_cast<unsigned char>(c) >= 0xF0) {
        return Status::InvalidArgument("name \"" + name +
                                       "\": MySQL names cannot hold characters outside Unicode's "
                                       "Basic Multilingual Plane (such as emoji)");
      }
    }
    return Status::Ok();
  };
  RETURN_IF_ERROR(check(table.name));
  for (const ColumnDef& column : table.columns) RETURN_IF_ERROR(check(column.name));
  return Status::Ok();
}

// Whether each column of `table` is NOT NULL on the server, whose columns are
// `info`. Errors: InvalidData (a column is missing), InvalidArgument (a column of
// a type sluice cannot load its values into).
Result<std::vector<bool>> CheckColumns(const TableDef& table,
                                       const std::vector<mysql::ColumnInfo>& info) {
  std::vector<bool> not_null;
  for (const ColumnDef& column : table.columns) {
    const mysql::ColumnInfo* found = nullptr;
    for (const mysql::ColumnInfo& c : info) {
      if (mysql::SameColumnName(c.name, column.name)) found = &c;
    }
    if (found == nullptr) {
      return Status::InvalidData("table \"" + table.name + "\" has no column \"" + column.name +
                                 "\"");
    }
    not_null.push_back(!found->nullable);
    if (mysql::TypeFromMysql(*found) != column.type) {
      return Status::InvalidArgument("column \"" + column.name + "\" of table \"" + table.name +
                                     "\" has type " + found->column_type +
                                     ", which sluice cannot load " +
                                     std::string(ColumnTypeName(column.type)) + " values into");
    }
  }
  return not_null;
}

// LOAD DATA LOCAL of `table`'s columns from the text mysql_load_data.h writes.
std::string LoadDataSql(const TableDef& table) {
  return std::string("LOAD DATA LOCAL INFILE 'sluice' ") + (table.key.empty() ? "" : "IGNORE ") +
         "INTO TABLE " + Quote(table.name) +
         " CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' "
         "LINES TERMINATED BY '\\n' (" +
         mysql::ColumnList(table) + ")";
}

}  // namespace

void MysqlSink::Chunk::Add(const std::vector<uint64_t>& batch_lines, size_t begin, size_t end,
                           size_t load) {
  if (starts.empty() || starts.back().second != load) starts.emplace_back(lines.size(), load);
  lines.insert(lines.end(), batch_lines.begin() + static_cast<ptrdiff_t>(begin),
               batch_lines.begin() + static_cast<ptrdiff_t>(end));
}

size_t MysqlSink::Chunk::LoadOf(size_t row) const {
  auto it = std::upper_bound(starts.begin(), starts.end(), row,
                             [](size_t r, const auto& start) { return r < start.first; });
  return std::prev(it)->second;
}

MysqlSink::MysqlSink(MysqlTarget target) : db_(std::move(target)) {}

MysqlSink::~MysqlSink() { Abort(); }

Result<std::unique_ptr<MysqlSink>> MysqlSink::Open(std::string_view url) {
  ASSIGN_OR_RETURN(MysqlTarget target, ParseMysqlUrl(url));
  std::unique_ptr<MysqlSink> sink(new MysqlSink(std::move(target)));
  RETURN_IF_ERROR(sink->db_.Connect());
  RETURN_IF_ERROR(mysql::EnsureMarkerTable(sink->db_));
  NoteLocalInfile(sink->db_);
  return sink;
}

Result<std::optional<TableDef>> MysqlSink::DescribeTable(std::string_view name) {
  if (in_load()) Quiesce();
  RETURN_IF_ERROR(db_.EnsureConnected());
  return mysql::DescribeTable(db_, name);
}

Status MysqlSink::EnsureTable(const TableDef& table) {
  if (in_load()) return Status::Internal("EnsureTable during a load");
  RETURN_IF_ERROR(
      ValidateTableDef(table, /*case_insensitive_names=*/true, mysql::kMaxIdentifierBytes));
  RETURN_IF_ERROR(CheckNames(table));
  RETURN_IF_ERROR(db_.EnsureConnected());
  return mysql::CreateTable(db_, table);
}

Result<std::vector<ColumnDef>> MysqlSink::AddColumns(const std::string& table,
                                                     const std::vector<ColumnDef>& columns) {
  if (in_load()) return Status::Internal("AddColumns during a load");
  const TableDef added{table, columns, {}};
  RETURN_IF_ERROR(
      ValidateTableDef(added, /*case_insensitive_names=*/true, mysql::kMaxIdentifierBytes));
  RETURN_IF_ERROR(CheckNames(added));
  RETURN_IF_ERROR(db_.EnsureConnected());
  return mysql::AddColumns(db_, table, columns);
}

Status MysqlSink::BeginLoads(const TableDef& table, const std::vector<LoadId>& loads) {
  RETURN_IF_ERROR(db_.EnsureConnected());
  NoteLocalInfile(db_);
  const std::string context = "begin " + DescribeLoads(loads) + " into \"" + table.name + "\"";
  ASSIGN_OR_RETURN(std::optional<std::vector<mysql::ColumnInfo>> info,
                   mysql::LookUpTable(db_, table.name));
  if (!info) return Status::InvalidData("table \"" + table.name + "\" does not exist");
  ASSIGN_OR_RETURN(not_null_, CheckColumns(table, *info));
  if (const TableDef* side = side_table()) {
    ASSIGN_OR_RETURN(info, mysql::LookUpTable(db_, side->name));
    if (!info) return Status::InvalidData("table \"" + side->name + "\" does not exist");
    RETURN_IF_ERROR(CheckColumns(*side, *info).status());
  }
  keyed_ = !table.key.empty();
  local_infile_ = db_.local_infile();
  load_sql_ = LoadDataSql(table);
  RETURN_IF_ERROR(db_.Exec("START TRANSACTION", context));
  // The markers first: their row locks claim the ids until COMMIT or ROLLBACK.
  Status claimed =
      db_.Exec(std::string("INSERT INTO ") + kMarkerTable + "(load_id, table_name, file) VALUES " +
                   MarkerValues(db_, table.name, loads, nullptr),
               context);
  if (claimed.code() == StatusCode::kAlreadyExists) {
    for (const LoadId& load : loads) {
      if (claimed.message().find("'" + load.id + "'") != std::string::npos) {
        return Status::AlreadyExists("load " + load.id + " (" + load.file +
                                     ") is already committed");
      }
    }
    return Status::AlreadyExists(DescribeLoads(loads) + ": already committed");
  }
  return claimed;
}

std::string MysqlSink::InsertContext() const { return "insert into \"" + table().name + "\""; }

std::string MysqlSink::RowContext(size_t load, uint64_t line) const {
  return InsertContext() + ", " + loads()[load].file + ", line " + std::to_string(line);
}

Status MysqlSink::Settle(const Chunk& chunk, const StatementOutcome& outcome) {
  RETURN_IF_ERROR(outcome.status);
  const size_t rows = chunk.lines.size();
  const uint64_t stored = outcome.stored;
  if (const unsigned count = outcome.warning_count; count > 0) {
    const std::vector<MysqlWarning>& warnings = outcome.warnings;
    // The value was refused or would be stored altered: the row is bad. Every
    // row the warnings name is reported (refused()), so that one try of the file
    // finds them all; the message names the first.
    std::string first;
    size_t bad = 0;
    for (const MysqlWarning& warning : warnings) {
      if (keyed_ && warning.code == ER_DUP_ENTRY) continue;
      const uint64_t row = mysqlload::WarningRow(warning.message);
      const std::string reason =
          warning.message + " (MySQL warning " + std::to_string(warning.code) + ")";
      std::string at = InsertContext();
      if (row >= 1 && row <= rows) {
        at = RowContext(chunk.LoadOf(row - 1), chunk.lines[row - 1]);
        const std::string column = mysqlload::WarningColumn(warning.message);
        if (!column.empty()) at += ", column " + column;
        Refuse({chunk.LoadOf(row - 1), chunk.lines[row - 1], column, reason});
      }
      if (bad++ == 0) first = at + ": " + reason;
    }
    if (bad > 0) {
      if (bad > 1) first += " (and " + std::to_string(bad - 1) + " more warnings)";
      return Status::InvalidData(first);
    }
    // Every warning shown was a skipped row's; any not shown must be too.
    if (warnings.size() < count && count != rows - std::min<uint64_t>(stored, rows)) {
      return Status::Internal(InsertContext() + ": " + std::to_string(count - warnings.size()) +
                              " warnings were not shown");
    }
  }
  if (stored > rows || (!keyed_ && stored != rows)) {
    return Status::Internal(InsertContext() + ": the server stored " + std::to_string(stored) +
                            " rows of " + std::to_string(rows));
  }
  if (keyed_) {
    LoadCounts& c = counts()[chunk.starts.front().second];
    c.inserted += stored;
    c.skipped_by_key += rows - stored;
    return Status::Ok();
  }
  for (size_t i = 0; i < chunk.starts.size(); ++i) {
    const size_t end = i + 1 < chunk.starts.size() ? chunk.starts[i + 1].first : rows;
    counts()[chunk.starts[i].second].inserted += end - chunk.starts[i].first;
  }
  return Status::Ok();
}

Status MysqlSink::SendText() {
  if (text_.empty()) return Status::Ok();
  Status sent = stream_.Send(load_sql_, InsertContext(), std::move(text_));
  text_ = stream_.TakeBuffer();
  return sent;
}

Status MysqlSink::EndStatement() {
  if (open_.lines.empty()) return Status::Ok();
  Status sent = SendText();
  stream_.End();
  sent_.push_back(std::move(open_));
  open_.Clear();
  return sent;
}

Status MysqlSink::SettleSent(bool wait) {
  while (!sent_.empty()) {
    std::optional<StatementOutcome> outcome = stream_.Take(wait);
    if (!outcome) return Status::Ok();
    const Chunk chunk = std::move(sent_.front());
    sent_.pop_front();
    RETURN_IF_ERROR(Settle(chunk, *outcome));
  }
  return Status::Ok();
}

Status MysqlSink::Flush() {
  RETURN_IF_ERROR(EndStatement());
  return SettleSent(/*wait=*/true);
}

void MysqlSink::Quiesce() {
  // An error here is the stream's: the next settling reports it.
  (void)EndStatement();
  stream_.Idle();
}

Status MysqlSink::InsertBatch(const TableDef& into, const Batch& batch, const std::string& context,
                              const SettleRows& settle) {
  const auto& columns = batch.columns();
  const size_t width = columns.size();
  const size_t most = std::max<size_t>(1, std::min(kInsertRows, 65535 / width));
  std::string head =
      "INSERT IGNORE INTO " + Quote(into.name) + "(" + mysql::ColumnList(into) + ") VALUES ";
  std::string row_sql = "(";
  for (size_t i = 0; i < width; ++i) row_sql += i == 0 ? "?" : ", ?";
  row_sql += ")";
  std::vector<MYSQL_BIND> binds;
  std::vector<my_bool> nulls;
  for (size_t begin = 0; begin < batch.rows();) {
    // A full statement, or the largest power of two that fits what is left: the
    // connection prepares a few statement shapes, not one per remainder.
    size_t n = std::min(most, batch.rows() - begin);
    if (n < most) n = size_t{1} << (63 - __builtin_clzll(n));
    std::string sql = head;
    for (size_t r = 0; r < n; ++r) {
      if (r > 0) sql += ", ";
      sql += row_sql;
    }
    binds.assign(n * width, MYSQL_BIND{});
    nulls.assign(n * width, 0);
    texts_.assign(n * width, std::string());
    for (size_t r = 0; r < n; ++r) {
      const size_t row = begin + r;
      for (size_t i = 0; i < width; ++i) {
        const size_t k = r * width + i;
        const Column& column = columns[i];
        MYSQL_BIND& b = binds[k];
        nulls[k] = column.nulls[row] != 0;
        b.is_null = &nulls[k];
        b.buffer_type = MYSQL_TYPE_NULL;
        if (nulls[k]) continue;
        switch (column.def.type) {
          case ColumnType::kInteger:
          case ColumnType::kBoolean:
            b.buffer_type = MYSQL_TYPE_LONGLONG;
            b.buffer = const_cast<int64_t*>(&column.ints[row]);
            break;
          case ColumnType::kFloat:
            b.buffer_type = MYSQL_TYPE_DOUBLE;
            b.buffer = const_cast<double*>(&column.floats[row]);
            break;
          case ColumnType::kDate:
          case ColumnType::kTimestamp:
            mysqlload::AppendValue(column, row, texts_[k]);
            b.buffer_type = MYSQL_TYPE_STRING;
            b.buffer = texts_[k].data();
            b.buffer_length = texts_[k].size();
            break;
          case ColumnType::kString:
            b.buffer_type = MYSQL_TYPE_STRING;
            b.buffer = const_cast<char*>(column.strings[row].data());
            b.buffer_length = column.strings[row].size();
            break;
        }
      }
    }
    ASSIGN_OR_RETURN(uint64_t stored, db_.ExecPrepared(sql, binds.data(), context));
    RETURN_IF_ERROR(settle(begin, n, stored));
    begin += n;
  }
  return Status::Ok();
}

Status MysqlSink::WriteRows(const Batch& batch, size_t load) {
  if (std::optional<mysqlload::UnfitValue> unfit = mysqlload::FindUnfit(batch)) {
    Refuse({load, batch.Line(unfit->row), batch.columns()[unfit->column].def.name, unfit->problem});
    return Status::InvalidData(RowContext(load, batch.Line(unfit->row)) + ", column " +
                               batch.columns()[unfit->column].def.name + ": " + unfit->problem);
  }
  // A multi-row INSERT's warning for a NULL in a NOT NULL column names no row:
  // such rows are found here, for both paths alike.
  for (size_t i = 0; i < not_null_.size(); ++i) {
    if (!not_null_[i]) continue;
    const auto& nulls = batch.columns()[i].nulls;
    if (auto it = std::find(nulls.begin(), nulls.end(), 1); it != nulls.end()) {
      const uint64_t line = batch.Line(static_cast<size_t>(it - nulls.begin()));
      Refuse({load, line, batch.columns()[i].def.name, "NULL in a NOT NULL column"});
      return Status::InvalidData(RowContext(load, line) + ", column " +
                                 batch.columns()[i].def.name + ": NULL in a NOT NULL column");
    }
  }
  if (batch.rows() == 0) return Status::Ok();
  if (!local_infile_) {
    return InsertBatch(table(), batch, InsertContext(),
                       [&](size_t begin, size_t n, uint64_t stored) {
                         Chunk chunk;
                         chunk.Add(batch.lines(), begin, begin + n, load);
                         return Settle(chunk, FinishStatement(db_, stored, InsertContext()));
                       });
  }
  // The statements that finished meanwhile: a refused row stops the load early.
  RETURN_IF_ERROR(SettleSent(/*wait=*/false));
  // With a key, each load's rows are a statement of their own: its skipped rows
  // are counted for it.
  if (keyed_ && !open_.starts.empty() && open_.starts.back().second != load) {
    RETURN_IF_ERROR(EndStatement());
  }
  for (size_t begin = 0; begin < batch.rows();) {
    const size_t end = std::min(batch.rows(), begin + (kMaxChunkRows - open_.lines.size()));
    mysqlload::AppendRows(batch, begin, end, text_);
    open_.Add(batch.lines(), begin, end, load);
    // Small loads' text waits for more (or the statement's end): a handover to
    // the stream's thread per few rows would cost more than it saves.
    if (text_.size() >= kMinSendBytes) RETURN_IF_ERROR(SendText());
    if (open_.lines.size() >= kMaxChunkRows) RETURN_IF_ERROR(EndStatement());
    begin = end;
  }
  return Status::Ok();
}

Status MysqlSink::CommitLoads() {
  const std::string context = "commit " + DescribeLoads(loads());
  RETURN_IF_ERROR(Flush());
  RETURN_IF_ERROR(db_.Exec(std::string("INSERT INTO ") + kMarkerTable +
                               "(load_id, table_name, file, `rows`, skipped) VALUES " +
                               MarkerValues(db_, table().name, loads(), &counts()) +
                               " ON DUPLICATE KEY UPDATE `rows` = VALUES(`rows`), "
                               "skipped = VALUES(skipped)",
                           context));
  Status committed = db_.Exec("COMMIT", context);
  if (!committed.ok() && !db_.up()) {
    // Lost while COMMIT was under way: the server may have committed. The markers
    // tell (all or none: one transaction), once a new connection can ask;
    // otherwise the pipeline's retry will.
    if (db_.Connect().ok()) {
      Result<std::vector<MysqlConnection::Row>> found = db_.Query(MarkersIn(db_, loads()), context);
      if (found.has_value() && !found->empty() &&
          (*found)[0][0].value_or("0") == std::to_string(loads().size())) {
        committed = Status::Ok();
      }
    }
  }
  if (committed.ok()) EndLoad();
  return committed;
}

void MysqlSink::AbortLoads() noexcept {
  stream_.Stop();
  db_.RollBack();
  EndLoad();
}

void MysqlSink::EndLoad() {
  text_.clear();
  open_.Clear();
  sent_.clear();
  texts_.clear();
}

Result<bool> MysqlSink::IsCommitted(std::string_view load_id) {
  if (in_load()) {
    // This transaction's own markers are not committed yet.
    for (const LoadId& load : loads()) {
      if (load.id == load_id) return false;
    }
    Quiesce();
  } else {
    RETURN_IF_ERROR(db_.EnsureConnected());
  }
  ASSIGN_OR_RETURN(std::vector<MysqlConnection::Row> found,
                   db_.Query(std::string("SELECT 1 FROM ") + kMarkerTable +
                                 " WHERE load_id = " + db_.Literal(load_id),
                             "check load " + std::string(load_id)));
  return !found.empty();
}

Status MysqlSink::Ping() {
  if (in_load()) Quiesce();
  RETURN_IF_ERROR(db_.EnsureConnected());
  return db_.Exec("DO 1", "ping");
}

Status MysqlSink::WriteSideRows(const Batch& rows, const std::vector<size_t>& row_loads) {
  // The loads' pending rows first: a refused one is reported with its line.
  RETURN_IF_ERROR(Flush());
  const std::string context = "insert into side table \"" + side_table()->name + "\"";
  // Side rows are not lines of the file: a refusal names the load's file, no row.
  auto at = [&](size_t row) { return context + ", " + loads()[row_loads[row]].file; };
  if (std::optional<mysqlload::UnfitValue> unfit = mysqlload::FindUnfit(rows)) {
    return Status::InvalidData(at(unfit->row) + ", column " +
                               rows.columns()[unfit->column].def.name + ": " + unfit->problem);
  }
  // Any warning is a value refused or altered (the side table has no key).
  auto settle = [&](size_t begin, size_t n, uint64_t stored) -> Status {
    if (db_.WarningCount() > 0) {
      ASSIGN_OR_RETURN(std::vector<MysqlWarning> warnings, db_.Warnings(context));
      if (warnings.empty()) return Status::InvalidData(context + ": the server warned");
      const MysqlWarning& first = warnings.front();
      const uint64_t row = mysqlload::WarningRow(first.message);
      return Status::InvalidData((row >= 1 && row <= n ? at(begin + row - 1) : context) + ": " +
                                 first.message + " (MySQL warning " + std::to_string(first.code) +
                                 ")");
    }
    if (stored != n) {
      return Status::Internal(context + ": the server stored " + std::to_string(stored) +
                              " rows of " + std::to_string(n));
    }
    return Status::Ok();
  };
  if (!local_infile_) return InsertBatch(*side_table(), rows, context, settle);
  const std::string sql = LoadDataSql(*side_table());
  for (size_t begin = 0; begin < rows.rows(); begin += kMaxChunkRows) {
    const size_t end = std::min(rows.rows(), begin + kMaxChunkRows);
    text_.clear();
    mysqlload::AppendRows(rows, begin, end, text_);
    Result<uint64_t> stored = db_.LoadDataLocal(sql, text_, context);
    text_.clear();
    RETURN_IF_ERROR(stored.status());
    RETURN_IF_ERROR(settle(begin, end - begin, *stored));
  }
  return Status::Ok();
}

}  // namespace sluice
