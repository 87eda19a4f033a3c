// The ledger's state machine: the states of a file record, the operations that
// change them, and the one table of allowed transitions. The ledger builds the
// guard of every state-changing statement from this table (UPDATE ... WHERE
// id = ? AND state IN <the allowed sources>), so a write the table does not allow
// changes nothing and is reported as Internal. docs/ARCHITECTURE.md ("The ledger's states") draws
// it.
//
// Thread-safety: constants and pure functions only.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace sluice {

enum class FileState { kProcessing, kPending, kLoaded, kDuplicate, kQuarantined };

inline constexpr std::array<FileState, 5> kAllFileStates = {
    FileState::kProcessing, FileState::kPending, FileState::kLoaded, FileState::kDuplicate,
    FileState::kQuarantined};

// The state's name as the ledger stores it and status shows it.
constexpr std::string_view FileStateName(FileState state) {
  switch (state) {
    case FileState::kProcessing:
      return "processing";
    case FileState::kPending:
      return "pending";
    case FileState::kLoaded:
      return "loaded";
    case FileState::kDuplicate:
      return "duplicate";
    case FileState::kQuarantined:
      return "quarantined";
  }
  return "?";
}

// The state named `name` (FileStateName), or nullopt.
constexpr std::optional<FileState> ParseFileState(std::string_view name) {
  for (FileState state : kAllFileStates) {
    if (FileStateName(state) == name) return state;
  }
  return std::nullopt;
}

// The ledger's operations that create, change or delete records (Ledger's
// methods of the same names).
enum class LedgerOp {
  kClaim,
  kMarkLoaded,
  kMarkQuarantined,
  kRelease,
  kUnclaim,
  kSettleCrashed,
  kRequeue,
  kForget,
  kSetFinalPath,
};

inline constexpr std::array<LedgerOp, 9> kAllLedgerOps = {
    LedgerOp::kClaim,   LedgerOp::kMarkLoaded, LedgerOp::kMarkQuarantined,
    LedgerOp::kRelease, LedgerOp::kUnclaim,    LedgerOp::kSettleCrashed,
    LedgerOp::kRequeue, LedgerOp::kForget,     LedgerOp::kSetFinalPath};

// The operation's name in errors ("mark loaded").
constexpr std::string_view LedgerOpName(LedgerOp op) {
  switch (op) {
    case LedgerOp::kClaim:
      return "claim";
    case LedgerOp::kMarkLoaded:
      return "mark loaded";
    case LedgerOp::kMarkQuarantined:
      return "mark quarantined";
    case LedgerOp::kRelease:
      return "release";
    case LedgerOp::kUnclaim:
      return "unclaim";
    case LedgerOp::kSettleCrashed:
      return "settle crashed";
    case LedgerOp::kRequeue:
      return "requeue";
    case LedgerOp::kForget:
      return "forget";
    case LedgerOp::kSetFinalPath:
      return "set final path";
  }
  return "?";
}

// One allowed transition. `from` nullopt: the operation creates the record;
// `to` nullopt: it deletes it; from == to: it changes the record, not its state.
struct FileTransition {
  std::optional<FileState> from;
  std::optional<FileState> to;
  LedgerOp op;
};

// Every allowed transition; whatever is not here is refused.
inline constexpr FileTransition kFileTransitions[] = {
    // A sighting of new content; of content loaded under another path; of content
    // quarantined before.
    {std::nullopt, FileState::kProcessing, LedgerOp::kClaim},
    {std::nullopt, FileState::kDuplicate, LedgerOp::kClaim},
    {std::nullopt, FileState::kQuarantined, LedgerOp::kClaim},
    // A sighting takes the pending record over; or, if the same content was
    // quarantined meanwhile, refuses this path's record too.
    {FileState::kPending, FileState::kProcessing, LedgerOp::kClaim},
    {FileState::kPending, FileState::kQuarantined, LedgerOp::kClaim},
    // The load committed in the sink (or its marker says it did, at start-up).
    {FileState::kProcessing, FileState::kLoaded, LedgerOp::kMarkLoaded},
    // The file is refused; or the refusal is recorded on a record the claim or the
    // crash guard already quarantined; or the crash guard's file that a failed move
    // to quarantine left pending stays refused.
    {FileState::kProcessing, FileState::kQuarantined, LedgerOp::kMarkQuarantined},
    {FileState::kQuarantined, FileState::kQuarantined, LedgerOp::kMarkQuarantined},
    {FileState::kPending, FileState::kQuarantined, LedgerOp::kMarkQuarantined},
    // A failed attempt (counted): a transient failure past the retry budget, the
    // sink down; or a refused file that could not be moved to quarantine.
    {FileState::kProcessing, FileState::kPending, LedgerOp::kRelease},
    {FileState::kQuarantined, FileState::kPending, LedgerOp::kRelease},
    // Put off, not failed (not counted): a stop was requested, or the file must
    // load alone.
    {FileState::kProcessing, FileState::kPending, LedgerOp::kUnclaim},
    // At start-up, a load that was in flight and did not commit (counted as a
    // crash and a failed attempt); quarantined at max_crashes.
    {FileState::kProcessing, FileState::kPending, LedgerOp::kSettleCrashed},
    {FileState::kProcessing, FileState::kQuarantined, LedgerOp::kSettleCrashed},
    // `sluice requeue`: tried again from scratch (counts reset).
    {FileState::kQuarantined, FileState::kPending, LedgerOp::kRequeue},
    // The file changed while it loaded: its new content gets a record of its own.
    {FileState::kProcessing, std::nullopt, LedgerOp::kForget},
    // Where a finished file went.
    {FileState::kLoaded, FileState::kLoaded, LedgerOp::kSetFinalPath},
    {FileState::kDuplicate, FileState::kDuplicate, LedgerOp::kSetFinalPath},
    {FileState::kQuarantined, FileState::kQuarantined, LedgerOp::kSetFinalPath},
};

// A set of states (a bit per FileState).
class FileStateSet {
 public:
  constexpr FileStateSet() = default;
  constexpr void Add(FileState state) { bits_ |= Bit(state); }
  constexpr bool Has(FileState state) const { return (bits_ & Bit(state)) != 0; }
  constexpr bool empty() const { return bits_ == 0; }
  friend constexpr bool operator==(FileStateSet, FileStateSet) = default;

 private:
  static constexpr uint8_t Bit(FileState state) {
    return static_cast<uint8_t>(1u << static_cast<unsigned>(state));
  }
  uint8_t bits_ = 0;
};

// The states from which `op` may lead to `to` (nullopt: deletes the record).
constexpr FileStateSet TransitionSources(LedgerOp op, std::optional<FileState> to) {
  FileStateSet sources;
  for (const FileTransition& t : kFileTransitions) {
    if (t.op == op && t.to == to && t.from) sources.Add(*t.from);
  }
  return sources;
}

// The states `op` applies to, whatever it leads to.
constexpr FileStateSet TransitionSources(LedgerOp op) {
  FileStateSet sources;
  for (const FileTransition& t : kFileTransitions) {
    if (t.op == op && t.from) sources.Add(*t.from);
  }
  return sources;
}

// True if `op` may create a record in state `to`.
constexpr bool CreatesIn(LedgerOp op, FileState to) {
  for (const FileTransition& t : kFileTransitions) {
    if (t.op == op && !t.from && t.to == to) return true;
  }
  return false;
}

}  // namespace sluice
