// LoadGate: lets a file suspected of crashing sluice load with no other file in
// flight.
//
// When sluice stops in the middle of loads (killed, or crashed by a file), every
// file it had claimed is charged with the stop (Ledger::SettleCrashed), the file
// that caused it and the ones merely claimed beside it alike. Such a suspect is
// loaded again alone: while it holds the gate no other worker has a file claimed,
// so a stop then is charged to it only, and a file that was only ever beside the
// culprit never reaches the crash limit.
//
// Ordinary loads share the gate; a suspect holds it alone. A waiting suspect
// goes first (new shared holders wait for it), so a busy engine cannot starve it.
//
// Thread-safety: all methods are thread-safe.
#pragma once

#include <condition_variable>
#include <mutex>

namespace sluice {

class LoadGate {
 public:
  // Holds the gate shared for its lifetime.
  class Shared {
   public:
    explicit Shared(LoadGate& gate) : gate_(gate) { gate_.EnterShared(); }
    ~Shared() { Leave(); }
    Shared(const Shared&) = delete;
    Shared& operator=(const Shared&) = delete;
    // Releases the gate before the end of the scope.
    void Leave() {
      if (held_) gate_.LeaveShared();
      held_ = false;
    }

   private:
    LoadGate& gate_;
    bool held_ = true;
  };

  // Holds the gate alone for its lifetime.
  class Alone {
   public:
    explicit Alone(LoadGate& gate) : gate_(gate) { gate_.EnterAlone(); }
    ~Alone() { gate_.LeaveAlone(); }
    Alone(const Alone&) = delete;
    Alone& operator=(const Alone&) = delete;

   private:
    LoadGate& gate_;
  };

  void EnterShared() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !alone_ && alone_waiting_ == 0; });
    ++shared_;
  }
  void LeaveShared() {
    std::lock_guard lock(mu_);
    if (--shared_ == 0) cv_.notify_all();
  }
  void EnterAlone() {
    std::unique_lock lock(mu_);
    ++alone_waiting_;
    cv_.wait(lock, [&] { return !alone_ && shared_ == 0; });
    --alone_waiting_;
    alone_ = true;
  }
  void LeaveAlone() {
    std::lock_guard lock(mu_);
    alone_ = false;
    cv_.notify_all();
  }
  // How many wait to hold the gate alone.
  int waiting_alone() {
    std::lock_guard lock(mu_);
    return alone_waiting_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int shared_ = 0;
  int alone_waiting_ = 0;
  bool alone_ = false;
};

}  // namespace sluice
