#include <gtest/gtest.h>

#include "ledger/ledger.h"
#include "test_util.h"

namespace sluice {
namespace {

TEST(LedgerTransitionTest, MarkLoadedIsRefusedOnAQuarantinedRecord) {
  testing::TempDir dir;
  auto ledger = Ledger::Open(dir / "ledger.db");
  ASSERT_TRUE(ledger.has_value());
  auto claim = (*ledger)->ClaimFile({"0123456789abcdef0123456789abcdef", "/in/a.csv", 1, 1}, "t");
  ASSERT_TRUE(claim.has_value());
  ASSERT_TRUE((*ledger)->MarkQuarantined(claim->file_id, {}, "bad").ok());
  const Status loaded = (*ledger)->MarkLoaded(claim->file_id, {});
  EXPECT_EQ(loaded.code(), StatusCode::kInternal) << loaded.ToString();
}

}  // namespace
}  // namespace sluice
