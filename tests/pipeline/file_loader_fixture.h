// FileLoaderTest: a real FileLoader with a real Ledger (an SQLite file), real
// landing, processed and quarantine folders, and a FakeSink that fails, throws
// or loses answers on demand. Shared by the FileLoader tests (file_loader_test.cc,
// file_loader_transforms_test.cc).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fake_sink.h"
#include "pipeline/file_loader.h"
#include "source/landed_file.h"
#include "test_util.h"

namespace sluice::testing {

inline constexpr char kOrders[] = "id,name\n1,a\n2,b\n";

inline bool Exists(const std::string& path) { return std::filesystem::exists(path); }

class FileLoaderTest : public ::testing::Test {
 protected:
  FileLoaderTest() {
    config_.source = dir_ / "in";
    config_.processed = dir_ / "processed";
    config_.quarantine = dir_ / "quarantine";
    config_.ledger = dir_ / "ledger.db";
    // Long enough for a retry or two (the first waits 125-250 ms), short enough
    // that a fault that never ends gives up soon.
    config_.retry_budget = std::chrono::seconds(5);
    for (const std::string& d : {config_.source, config_.processed, config_.quarantine}) {
      std::filesystem::create_directories(d);
    }
    auto ledger = Ledger::Open(config_.ledger);
    if (!ledger) throw std::runtime_error(ledger.error().ToString());
    ledger_ = std::move(*ledger);
    auto sink = std::make_unique<FakeSink>();
    sink_ = sink.get();
    loader_ =
        std::make_unique<FileLoader>(config_, config_.source, *ledger_, std::move(sink), signals_);
  }

  std::string Land(const std::string& name, const std::string& content) {
    testing::WriteFile(config_.source + "/" + name, content);
    return config_.source + "/" + name;
  }
  std::vector<FileResult> Process(const std::vector<std::string>& paths) {
    return loader_->Process(paths);
  }
  FileResult ProcessOne(const std::string& path) { return Process({path}).front(); }
  // The ledger's latest record of the file called `name`.
  std::optional<FileRecord> Record(const std::string& name) {
    auto records = ledger_->FindByName(name);
    if (!records || records->empty()) return std::nullopt;
    return records->front();
  }
  std::string Hash(const std::string& name) {
    auto folder = SourceFolder::Open(config_.source);
    auto landed = LandedFile::Open(*folder, name);
    return landed->Fingerprint()->hash;
  }
  std::string Processed(const std::string& name) { return config_.processed + "/" + name; }
  std::string Quarantined(const std::string& name) { return config_.quarantine + "/" + name; }
  void ExpectLoaded(const std::string& name) {
    auto record = Record(name);
    ASSERT_TRUE(record.has_value()) << name;
    EXPECT_EQ(record->state, FileState::kLoaded) << name;
    EXPECT_TRUE(Exists(Processed(name))) << name;
    EXPECT_FALSE(Exists(config_.source + "/" + name)) << name;
  }
  void ExpectPending(const std::string& name) {
    auto record = Record(name);
    ASSERT_TRUE(record.has_value()) << name;
    EXPECT_EQ(record->state, FileState::kPending) << name;
    EXPECT_TRUE(Exists(config_.source + "/" + name)) << name;
  }
  // Sets things up so that loading kOrders makes `call`: AddColumns is made only
  // for a table that lacks a column, with add_columns.
  void Reach(FakeCall call) {
    if (call == FakeCall::kAddColumns) {
      config_.defaults.schema_evolution = SchemaEvolution::kAddColumns;
      sink_->CreateTable({"orders", {{"id", ColumnType::kInteger, true}}, {}});
    }
  }
  void TearDown() override {
    EXPECT_TRUE(sink_->protocol_errors().empty()) << sink_->protocol_errors().front();
    EXPECT_FALSE(sink_->load_open()) << "a load was left open: " << sink_->CallLog();
  }

  testing::TempDir dir_;
  Config config_;
  LoaderSignals signals_;
  std::unique_ptr<Ledger> ledger_;
  FakeSink* sink_ = nullptr;
  std::unique_ptr<FileLoader> loader_;
};

}  // namespace sluice::testing
