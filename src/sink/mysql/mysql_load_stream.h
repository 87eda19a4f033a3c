// MysqlLoadStream: runs the MySQL sink's LOAD DATA LOCAL INFILE statements on a
// thread of their own, fed from a bounded queue of LOAD DATA text, so that the
// server stores one part of a load while the sink validates and encodes the next
// (a statement spans several Writes; the caller's Write returns once its rows
// are queued, not once the server has them).
//
// A statement starts with the first text sent after the previous one ended and
// ends at End(); its outcome (the rows stored, the warnings, or its error) is
// taken by the caller in the order the statements ended, and settled there (the
// warnings name rows of the statement, which only the caller can map to lines).
// The thread reads the warnings right after the statement, before the next
// one starts, as the connection keeps only the last statement's.
//
// After a failed statement nothing more is sent: Send refuses with its error and
// the text not yet sent is dropped, until Stop. Stop ends the running statement
// early (the infile's read reports an error, the server ends the statement with
// what it read) and drops what was not sent: the caller rolls the transaction
// back. The connection is the caller's: it must not use it while the stream
// may be running a statement, i.e. from the first Send until Idle() returns, the
// last ended statement's outcome was taken, or Stop returned.
//
// Thread-safety: the public calls are for one thread (the sink's); the stream's
// own thread uses the connection only between them as described.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/status.h"
#include "sink/mysql/mysql_connection.h"

namespace sluice {

// What a statement that loads rows came to: its error, or the rows it stored
// and its warnings (all of them, up to max_error_count, and their count, which
// may be larger).
struct StatementOutcome {
  Status status;
  uint64_t stored = 0;
  unsigned warning_count = 0;
  std::vector<MysqlWarning> warnings;
};

// The outcome of the statement `db` just ran, which returned `stored`: reads its
// warnings if it has any.
StatementOutcome FinishStatement(MysqlConnection& db, Result<uint64_t> stored,
                                 std::string_view context);

class MysqlLoadStream {
 public:
  // Text waiting to be sent, at most (Send blocks beyond it).
  static constexpr size_t kMaxQueuedBytes = size_t{8} << 20;

  explicit MysqlLoadStream(MysqlConnection& db);
  // Stops and joins the thread.
  ~MysqlLoadStream();
  MysqlLoadStream(const MysqlLoadStream&) = delete;
  MysqlLoadStream& operator=(const MysqlLoadStream&) = delete;

  // An empty buffer to encode text into: one the stream has sent, to save the
  // allocation.
  std::string TakeBuffer();
  // Queues `text` (not empty) for the statement in progress, or for a new one of
  // `sql` (errors named after `context`) if none is. Blocks while
  // kMaxQueuedBytes are waiting. Errors: the error of a failed statement.
  Status Send(const std::string& sql, std::string_view context, std::string text);
  // Ends the statement in progress, if any: its outcome follows.
  void End();
  // The outcome of the oldest ended statement not taken yet: waits for it with
  // `wait`, else nullopt if it has not finished. After a failed statement, its
  // outcome and then that error.
  std::optional<StatementOutcome> Take(bool wait);
  // Waits until the thread is done with every ended statement (their outcomes
  // stay to be taken): the connection is free. Requires none in progress (End).
  void Idle();
  // Ends the running statement with an error, drops the text not sent and the
  // outcomes not taken, and returns once the thread has let go of the
  // connection. The stream can be used again afterwards.
  void Stop() noexcept;

 private:
  // The queue: a statement's start (its SQL in `text`), its text, its end.
  struct Item {
    enum Kind { kStart, kText, kEnd } kind;
    std::string text;
    std::string context;
  };
  void Run();
  // The infile's read (see MysqlConnection::InfileRead).
  int Read(char* buf, unsigned len) noexcept;
  // Drops the queued items, keeping their buffers; requires mu_.
  void DropQueued();

  MysqlConnection& db_;
  const MysqlConnection::InfileRead read_;
  std::mutex mu_;
  std::condition_variable changed_;  // any of the below changed
  std::deque<Item> items_;
  size_t queued_ = 0;       // bytes of text in items_
  size_t read_offset_ = 0;  // in items_.front(), while it is text
  bool open_ = false;       // a statement was started and not ended
  bool running_ = false;    // the thread is running a statement
  bool stopping_ = false;   // Stop: the running statement must end now
  bool quit_ = false;
  Status failed_;  // a statement's error: nothing more is sent
  std::deque<StatementOutcome> outcomes_;
  std::vector<std::string> spare_;  // buffers already sent
  std::thread thread_;              // started by the first Send
};

}  // namespace sluice
