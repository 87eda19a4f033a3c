// LedgerTest: a fresh ledger in a temporary folder, and helpers to claim files
// and read records back, for the ledger's tests.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "ledger/ledger.h"
#include "test_util.h"

namespace sluice {
namespace testing {

inline constexpr char kHashA[] = "0123456789abcdef0123456789abcdef";
inline constexpr char kHashB[] = "fedcba9876543210fedcba9876543210";

inline FileIdentity File(const std::string& hash, const std::string& path, uint64_t size = 100,
                         int64_t mtime_ns = 1'000) {
  return {hash, path, size, mtime_ns};
}

class LedgerTest : public ::testing::Test {
 protected:
  void SetUp() override { ledger_ = Open(); }

  std::unique_ptr<Ledger> Open() {
    auto ledger = Ledger::Open(path_);
    EXPECT_TRUE(ledger.has_value()) << ledger.status().ToString();
    return ledger.has_value() ? std::move(*ledger) : nullptr;
  }

  Claim ClaimOk(const FileIdentity& file, std::string_view table = "events") {
    auto claim = ledger_->ClaimFile(file, table);
    EXPECT_TRUE(claim.has_value()) << claim.status().ToString();
    return claim.has_value() ? *claim : Claim{};
  }

  // The record with this id, found through Report (which lists every record
  // when asked for enough).
  FileRecord Record(int64_t id) {
    auto report = ledger_->Report(1000);
    EXPECT_TRUE(report.has_value()) << report.status().ToString();
    for (const FileRecord& record : report->recent) {
      if (record.id == id) return record;
    }
    ADD_FAILURE() << "no record " << id;
    return {};
  }

  uint64_t Count(FileState state) {
    auto report = ledger_->Report(0);
    EXPECT_TRUE(report.has_value());
    return report->files_by_state.at(state);
  }

  TempDir dir_;
  std::string path_ = dir_ / "state/ledger.db";
  std::unique_ptr<Ledger> ledger_;
};

}  // namespace testing
}  // namespace sluice
