// latency_probe: the writer and the reader of bench/latency.sh in one process, so that the
// rename time and the time a file's rows are first seen come from one monotonic clock
// (CLOCK_MONOTONIC via std::chrono::steady_clock).
//
// The writer (main thread) writes each file under a sibling folder (--staging, same file
// system) and renames it into the watched landing folder, one file every 1/--rate seconds on
// an absolute schedule (no drift). File n (sensor_id n) holds --rows rows; file 1 is a warm-up
// (table created, connections open) that is loaded before the clock starts and not counted.
// The reader thread polls the target table from its own connection while some renamed file
// is not yet visible, and sleeps on a condition variable otherwise, so that it takes no CPU
// from sluice between files:
//   SQLite:     read-only connection; SELECT rowid, sensor_id ... WHERE rowid > last seen
//               (SQLite serialises writers, so a later commit always has larger rowids).
//   PostgreSQL: libpq; SELECT pg_current_snapshot() each poll (a committed write changes it),
//               and only when it changed the scan for the pending sensor_ids.
// A file counts as visible at the start of the first query that returned its rows (an upper
// bound: it committed before that query's snapshot); it was not visible at the start of the
// poll before, nor before its rename (the lower bound). Their difference, the resolution, is
// written beside each latency so that the poll loop can be seen not to dominate.
//
// Output (--out): CSV id,latency_ms,resolution_ms for the measured files. Summary of the poll
// loop on stdout (one line, key=value). Exit 0 when every file was seen within --timeout-s.
//
// Build (bench/latency.sh does it): c++ -std=c++20 -O2 -pthread latency_probe.cc
//   $(pkg-config --cflags --libs sqlite3 libpq)
// Thread-safety: the writer and reader share `Progress` and `PollStats` under Progress's mutex;
// the backend is used by the reader thread only.
#include <libpq-fe.h>
#include <sqlite3.h>
#include <sys/prctl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "latency_probe: %s\n", message.c_str());
  std::exit(1);
}

// What one poll saw: the ids whose rows are visible (possibly some seen before), and when the
// query that returned them started.
struct Observation {
  std::vector<int64_t> ids;
  int64_t query_start_ns = 0;
};

// Reads the target table. Not ready yet (no database, no table) is an empty observation;
// anything else that fails ends the probe.
class Backend {
 public:
  virtual ~Backend() = default;
  // Ids >= min_pending visible now (the backend may return fewer when it knows which it
  // returned before).
  virtual Observation Poll(int64_t min_pending) = 0;
};

class SqliteBackend : public Backend {
 public:
  explicit SqliteBackend(std::string path) : path_(std::move(path)) {}
  ~SqliteBackend() override {
    sqlite3_finalize(stmt_);
    sqlite3_close(db_);
  }

  Observation Poll(int64_t) override {
    Observation o;
    o.query_start_ns = NowNs();
    if (!Ready()) return o;
    sqlite3_bind_int64(stmt_, 1, last_rowid_);
    int rc;
    while ((rc = sqlite3_step(stmt_)) == SQLITE_ROW) {
      last_rowid_ = sqlite3_column_int64(stmt_, 0);
      o.ids.push_back(sqlite3_column_int64(stmt_, 1));
    }
    // A busy WAL index (sluice checkpointing) is a poll that saw nothing new.
    if (rc != SQLITE_DONE && rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
      Die("sqlite: " + std::string(sqlite3_errmsg(db_)));
    sqlite3_reset(stmt_);
    return o;
  }

 private:
  bool Ready() {
    if (stmt_ != nullptr) return true;
    if (db_ == nullptr &&
        sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      sqlite3_close(db_);  // no database yet: sluice has not opened it
      db_ = nullptr;
      return false;
    }
    return sqlite3_prepare_v2(db_,
                              "SELECT rowid, sensor_id FROM readings WHERE rowid > ?1 "
                              "ORDER BY rowid",
                              -1, &stmt_, nullptr) == SQLITE_OK;  // else: no table yet
  }

  std::string path_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  int64_t last_rowid_ = 0;
};

class PostgresBackend : public Backend {
 public:
  explicit PostgresBackend(const std::string& url) : conn_(PQconnectdb(url.c_str())) {
    if (PQstatus(conn_) != CONNECTION_OK) Die("postgres: " + std::string(PQerrorMessage(conn_)));
    Prepare("snapshot", "SELECT pg_current_snapshot()::text");
  }
  ~PostgresBackend() override { PQfinish(conn_); }

  Observation Poll(int64_t min_pending) override {
    Observation o;
    o.query_start_ns = NowNs();
    if (!table_ready_) {
      table_ready_ =
          TryPrepare("pending", "SELECT DISTINCT sensor_id FROM readings WHERE sensor_id >= $1");
      if (!table_ready_) return o;
    }
    std::string snapshot = Exec("snapshot", {});
    if (snapshot == last_snapshot_) return o;  // nothing committed since the last scan
    o.query_start_ns = NowNs();
    std::string min = std::to_string(min_pending);
    PGresult* r = ExecPrepared("pending", {min.c_str()});
    for (int i = 0; i < PQntuples(r); ++i) o.ids.push_back(std::atoll(PQgetvalue(r, i, 0)));
    PQclear(r);
    last_snapshot_ = snapshot;
    return o;
  }

 private:
  bool TryPrepare(const char* name, const char* sql) {
    PGresult* r = PQprepare(conn_, name, sql, 0, nullptr);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    return ok;
  }
  void Prepare(const char* name, const char* sql) {
    if (!TryPrepare(name, sql)) Die("postgres: " + std::string(PQerrorMessage(conn_)));
  }
  PGresult* ExecPrepared(const char* name, const std::vector<const char*>& params) {
    PGresult* r = PQexecPrepared(conn_, name, static_cast<int>(params.size()), params.data(),
                                 nullptr, nullptr, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
      Die("postgres: " + std::string(PQerrorMessage(conn_)));
    return r;
  }
  std::string Exec(const char* name, const std::vector<const char*>& params) {
    PGresult* r = ExecPrepared(name, params);
    std::string value = PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "";
    PQclear(r);
    return value;
  }

  PGconn* conn_;
  bool table_ready_ = false;
  std::string last_snapshot_;
};

// Shared by the writer and the reader: index = file id (sensor_id); 0 = not yet.
struct Progress {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<int64_t> renamed_ns, visible_ns, lower_ns;
  int64_t renamed = 0;  // ids 1..renamed have been renamed (in order)
  int64_t seen = 0;     // how many of them are visible
  bool stop = false;
};

struct PollStats {
  int64_t polls = 0;
  std::vector<int64_t> periods_ns;  // start to start of consecutive polls, while pending
  std::vector<int64_t> durations_ns;
};

void ReadLoop(Backend& backend, Progress& p, std::chrono::microseconds poll, PollStats& stats) {
  int64_t previous_start = 0;  // start of the previous poll, 0 after an idle wait
  for (;;) {
    int64_t min_pending;
    {
      std::unique_lock lock(p.mu);
      if (p.seen == p.renamed) previous_start = 0;
      p.cv.wait(lock, [&] { return p.stop || p.seen < p.renamed; });
      if (p.stop) return;
      min_pending = 1;
      while (min_pending <= p.renamed && p.visible_ns[min_pending] != 0) ++min_pending;
    }
    int64_t start = NowNs();
    Observation o = backend.Poll(min_pending);
    int64_t end = NowNs();
    {
      std::lock_guard lock(p.mu);
      ++stats.polls;
      stats.durations_ns.push_back(end - start);
      if (previous_start != 0) stats.periods_ns.push_back(start - previous_start);
      for (int64_t id : o.ids) {
        if (id < 1 || id > p.renamed || p.visible_ns[id] != 0) continue;
        p.visible_ns[id] = o.query_start_ns;
        p.lower_ns[id] = std::max(previous_start, p.renamed_ns[id]);
        ++p.seen;
      }
      if (!o.ids.empty()) p.cv.notify_all();
    }
    previous_start = start;
    std::this_thread::sleep_for(poll);
  }
}

std::string Timestamp(int64_t second, int64_t millis) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "2026-01-01T%02lld:%02lld:%02lld.%03lldZ",
                static_cast<long long>(second / 3600), static_cast<long long>(second / 60 % 60),
                static_cast<long long>(second % 60), static_cast<long long>(millis));
  return buf;
}

// Writes file `id` into staging and renames it into landing; returns the time just before the
// rename (the rename is the moment the file appears, so its own cost counts as latency).
int64_t Deliver(const std::string& staging, const std::string& landing, int64_t id, int rows) {
  char name[64];
  std::snprintf(name, sizeof name, "readings_%05lld.csv", static_cast<long long>(id));
  std::string from = staging + "/" + name, to = landing + "/" + name;
  {
    std::ofstream out(from, std::ios::binary);
    out << "sensor_id,ts,temperature,humidity,pressure,status\n";
    for (int r = 0; r < rows; ++r) {
      out << id << ',' << Timestamp(id, r) << ',' << 20 + r << ".5," << 40 + r << ".25,"
          << 1000 + id % 100 << ".125,ok\n";
    }
    if (!out) Die("cannot write " + from);
  }
  int64_t t = NowNs();
  if (std::rename(from.c_str(), to.c_str()) != 0)
    Die("rename " + from + ": " + std::strerror(errno));
  return t;
}

double Percentile(std::vector<int64_t> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::max(1.0, std::ceil(p / 100 * v.size())));
  return static_cast<double>(v[rank - 1]) / 1000;
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> a = {{"--files", "1000"},
                                          {"--rate", "20"},
                                          {"--rows", "3"},
                                          {"--poll-us", "100"},
                                          {"--timeout-s", "60"}};
  for (int i = 1; i + 1 < argc; i += 2) a[argv[i]] = argv[i + 1];
  for (const char* k : {"--sink", "--staging", "--landing", "--out"})
    if (a[k].empty()) Die(std::string("missing ") + k);
  const int64_t files = std::atoll(a["--files"].c_str());
  const double rate = std::atof(a["--rate"].c_str());
  const int rows = std::atoi(a["--rows"].c_str());
  const auto poll = std::chrono::microseconds(std::atoll(a["--poll-us"].c_str()));
  const auto timeout = std::chrono::seconds(std::atoll(a["--timeout-s"].c_str()));
  if (files < 1 || files + 1 > 5000 || rate <= 0 || rows < 1 || rows > 999)
    Die("need 1 <= files < 5000 (sensor_id is checked 1..5000), rate > 0, 1 <= rows <= 999");
  // The default timer slack (50 us) would lengthen every sleep of the poll loop.
  prctl(PR_SET_TIMERSLACK, 1UL);

  std::unique_ptr<Backend> backend;
  const std::string& sink = a["--sink"];
  if (sink.rfind("sqlite:", 0) == 0) {
    backend = std::make_unique<SqliteBackend>(sink.substr(7));
  } else {
    backend = std::make_unique<PostgresBackend>(sink);
  }

  Progress p;
  const int64_t last = files + 1;  // id 1: warm-up; 2..last: measured
  p.renamed_ns.assign(last + 1, 0);
  p.visible_ns.assign(last + 1, 0);
  p.lower_ns.assign(last + 1, 0);
  PollStats stats;
  std::thread reader([&] { ReadLoop(*backend, p, poll, stats); });

  auto wait_seen = [&](int64_t count) {
    std::unique_lock lock(p.mu);
    return p.cv.wait_for(lock, timeout, [&] { return p.seen >= count; });
  };
  auto deliver = [&](int64_t id) {
    int64_t t = Deliver(a["--staging"], a["--landing"], id, rows);
    std::lock_guard lock(p.mu);
    p.renamed_ns[id] = t;
    p.renamed = id;
    p.cv.notify_all();
  };

  deliver(1);
  bool ok = wait_seen(1);
  if (ok) {
    {
      std::lock_guard lock(p.mu);
      stats = PollStats{};  // the warm-up's polls (no database or table yet) do not count
    }
    const auto period = std::chrono::duration<double>(1.0 / rate);
    const auto t0 = Clock::now() + std::chrono::milliseconds(100);
    for (int64_t id = 2; id <= last; ++id) {
      std::this_thread::sleep_until(t0 +
                                    std::chrono::duration_cast<Clock::duration>(period * (id - 2)));
      deliver(id);
    }
    ok = wait_seen(last);
  }
  {
    std::lock_guard lock(p.mu);
    p.stop = true;
    p.cv.notify_all();
  }
  reader.join();
  if (!ok) Die(std::to_string(last - p.seen) + " files not visible within the timeout");

  std::ofstream out(a["--out"]);
  out << "id,latency_ms,resolution_ms\n";
  std::vector<int64_t> latency_ns, resolution_ns;
  for (int64_t id = 2; id <= last; ++id) {
    latency_ns.push_back(p.visible_ns[id] - p.renamed_ns[id]);
    resolution_ns.push_back(p.visible_ns[id] - p.lower_ns[id]);
    char line[96];
    std::snprintf(line, sizeof line, "%lld,%.3f,%.3f\n", static_cast<long long>(id),
                  latency_ns.back() / 1e6, resolution_ns.back() / 1e6);
    out << line;
  }
  if (!out) Die("cannot write " + a["--out"]);
  std::printf(
      "polls=%lld poll_period_p50_us=%.0f poll_query_p50_us=%.0f poll_query_p99_us=%.0f "
      "resolution_p50_us=%.0f resolution_max_us=%.0f\n",
      static_cast<long long>(stats.polls), Percentile(stats.periods_ns, 50),
      Percentile(stats.durations_ns, 50), Percentile(stats.durations_ns, 99),
      Percentile(resolution_ns, 50), Percentile(resolution_ns, 100));
  return 0;
}
