#include "pipeline/load_gate.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace sluice {
namespace {

// Waits (bounded) until `done` is true.
bool WaitFor(const std::atomic<bool>& done) {
  for (int i = 0; i < 10000 && !done.load(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return done.load();
}

TEST(LoadGateTest, AloneWaitsForSharedHoldersAndNewOnesWaitForIt) {
  LoadGate gate;
  auto first = std::make_unique<LoadGate::Shared>(gate);
  std::atomic<bool> first_left{false}, alone_done{false}, other_in{false};
  std::atomic<bool> alone_saw_first_left{false}, other_saw_alone_done{false};
  std::thread suspect([&] {
    LoadGate::Alone alone(gate);
    alone_saw_first_left = first_left.load();
    alone_done = true;
  });
  for (int i = 0; i < 10000 && gate.waiting_alone() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(gate.waiting_alone(), 1);
  // A file that comes while the suspect waits goes after it.
  std::thread other([&] {
    LoadGate::Shared shared(gate);
    other_saw_alone_done = alone_done.load();
    other_in = true;
  });
  first_left = true;
  first.reset();
  suspect.join();
  other.join();
  EXPECT_TRUE(alone_saw_first_left.load()) << "the suspect loaded beside another file";
  EXPECT_TRUE(other_saw_alone_done.load()) << "a file loaded beside the suspect";
}

TEST(LoadGateTest, SharedHoldersDoNotExcludeEachOther) {
  LoadGate gate;
  LoadGate::Shared a(gate);
  std::atomic<bool> in{false};
  std::thread t([&] {
    LoadGate::Shared b(gate);
    in = true;
  });
  EXPECT_TRUE(WaitFor(in));
  t.join();
}

}  // namespace
}  // namespace sluice
