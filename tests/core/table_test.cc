#include "core/table.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TableDef Table(std::vector<std::string> columns, std::vector<std::string> key = {}) {
  TableDef t{"t", {}, std::move(key)};
  for (auto& c : columns) t.columns.push_back({std::move(c), ColumnType::kString, true});
  return t;
}

TEST(ValidateTableDefTest, AcceptsAWellFormedTable) {
  EXPECT_TRUE(ValidateTableDef(Table({"a", "B", "日本"}, {"a"}), true).ok());
}

TEST(ValidateTableDefTest, RefusesWhatNoSinkCanCreate) {
  EXPECT_EQ(ValidateTableDef(Table({}), false).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateTableDef(Table({""}), false).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateTableDef(Table({std::string("a\0b", 3)}), false).code(),
            StatusCode::kInvalidArgument);
  Status key = ValidateTableDef(Table({"a"}, {"b"}), false);
  EXPECT_NE(key.message().find("key column \"b\""), std::string::npos) << key.message();
  Status longer = ValidateTableDef(Table({std::string(64, 'x')}), false, 63);
  EXPECT_NE(longer.message().find("longer than 63 bytes"), std::string::npos) << longer.message();
  EXPECT_TRUE(ValidateTableDef(Table({std::string(63, 'x')}), false, 63).ok());
}

TEST(ValidateTableDefTest, DuplicateColumnsRespectCaseRule) {
  EXPECT_TRUE(ValidateTableDef(Table({"id", "ID"}), false).ok());
  Status dup = ValidateTableDef(Table({"id", "ID"}), true);
  EXPECT_NE(dup.message().find("duplicate column \"ID\""), std::string::npos) << dup.message();
}

}  // namespace
}  // namespace sluice
