#include "core/row_error.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace sluice {
namespace {

TEST(RowErrorKindTest, EveryKindHasOneNameThatParsesBack) {
  std::set<std::string_view> names;
  for (size_t k = 0; k < kRowErrorKinds; ++k) {
    const auto kind = static_cast<RowErrorKind>(k);
    const std::string_view name = RowErrorKindName(kind);
    EXPECT_FALSE(name.empty());
    EXPECT_TRUE(names.insert(name).second) << name;
    EXPECT_EQ(ParseRowErrorKind(name), kind) << name;
  }
  EXPECT_EQ(RowErrorKindName(RowErrorKind::kTooLong), "too_long");
  EXPECT_EQ(RowErrorKindName(RowErrorKind::kUnknownColumn), "unknown_column");
  EXPECT_EQ(ParseRowErrorKind("no such kind"), std::nullopt);
}

}  // namespace
}  // namespace sluice
