// The fixture of the MySQL sink's tests against a real server
// (SLUICE_TEST_MYSQL_URL): a sink on either load path (the parameter: the INSERT
// fallback, as on a server with local_infile off) and a backend to look at the
// server directly.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "sink/contract_backends.h"
#include "sink/registry.h"
#include "sink/sink_test_rows.h"
#include "test_util.h"

namespace sluice {

// 40,000 rows of `def` (id, label): more than a LOAD DATA statement, the rest
// more than MysqlSink::kMinSendBytes, so that after one Write of them the first
// statement has ended and the second has its first rows and waits for more.
inline Batch MoreThanAStatement(const TableDef& def, std::vector<std::string>& storage) {
  return testing::IdLabelBatch(def, testing::IdRange(0, 40000), storage, std::string(60, 'l'));
}

class MysqlSinkTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    SLUICE_SERVER_OR_SKIP(url, "SLUICE_TEST_MYSQL_URL");
    backend_ = std::make_unique<contract::MysqlBackend>(url);
    // The parameter: the INSERT fallback, as on a server with local_infile off.
    url_ = GetParam() ? url + (url.find('?') == std::string::npos ? "?" : "&") + "local-infile=0"
                      : url;
    auto sink = OpenSink(url_);
    ASSERT_TRUE(sink.has_value()) << sink.status().ToString();
    sink_ = std::move(*sink);
  }

  // Begin, Write(batch), Commit of one new load from /in/f.csv; the first error.
  Status Load(const TableDef& def, const Batch& batch, const LoadId& load) {
    RETURN_IF_ERROR(sink_->Begin(def, {load}));
    Status status = sink_->Write(batch, 0);
    if (status.ok()) status = sink_->Commit().status();
    if (!status.ok()) sink_->Abort();
    return status;
  }

  // A table (id BIGINT NOT NULL, `column` `sql_type`) made by hand, as sluice
  // sees it: `column` of `type`.
  TableDef HandMadeTable(const std::string& name, const std::string& column,
                         const std::string& sql_type, ColumnType type) {
    const std::string table = contract::UniqueName(name);
    backend_->Query("CREATE TABLE " + backend_->QuoteId(table) + "(id BIGINT NOT NULL, " + column +
                    " " + sql_type + ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4");
    return {table, {{"id", ColumnType::kInteger, false}, {column, type, true}}, {}};
  }

  std::unique_ptr<contract::MysqlBackend> backend_;
  std::string url_;
  std::unique_ptr<Sink> sink_;
};

}  // namespace sluice
