// Leftovers: entries a stop in the middle of an archive or a removal left under a
// pending name (PendingName in archive.h), settled so that no file is lost and
// none is loaded twice.
//
//   In the source folder, ".sluice-removing-<pid>-<n>-<name>": if the ledger
//   knows its content as finished at that path (loaded, duplicate or
//   quarantined: its bytes are in the sink, or archived, or quarantined already)
//   it is removed; otherwise it is a newcomer swapped in, renamed back to <name>
//   (or a free numbered name beside it) to be sighted and loaded as any file.
//   An earlier version's ".sluice-removing-<pid>-<n>" (no name recorded): removed
//   if the ledger knows its content as finished at any path, otherwise renamed to
//   "recovered-<pid>-<n>" beside it, to be loaded.
//   In an archive folder (processed/, quarantine/), ".sluice-archiving-..." in its
//   pending folder (kPendingFolder, archive.h): if the ledger knows its content at
//   the path it records, the move is finished (renamed to that path in the
//   archive, or a free numbered name there); otherwise it goes back to the source
//   folder, into the folder it came from (the archive mirrors the source's
//   folders), or the source folder itself if that one is gone. An unpublished
//   archive file (".<name>.sluice-tmp-<pid>-<n>", PendingArchive) is removed.
//
// A start reads the source folder (walked, as its scan does) and the pending
// folder of each archive folder, never the archive itself (it may hold millions
// of files): only once per archive folder, until that succeeds, are its folders
// walked for the names earlier versions left beside the archived files.
//
// Only regular files and symlinks under such names are touched; folders are
// walked without following links and hidden folders are not entered; contents
// are read through SourceFolder (never beyond the folder walked), and every
// rename is RENAME_NOREPLACE. Each settlement is logged (event
// "leftover_settled").
//
// Thread-safety: free function; it renames and removes entries, so it must not
// run beside another SettleLeftovers on the same folders. Beside running
// workers it must pass their process id as `skip_pid` (their pending names are
// in use, not left over).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "ledger/ledger.h"

namespace sluice {

struct LeftoversSettled {
  uint64_t removed = 0;   // content known, or an unpublished archive file: removed
  uint64_t archived = 0;  // content known: the move into the archive folder was finished
  uint64_t restored = 0;  // a newcomer: back in the source folder
  uint64_t failed = 0;    // could not be settled now (logged); tried at the next start
};

// Settles the leftovers under `source` (the source folder) and under each of
// `archive_dirs` (absolute; one missing is skipped). `skip_pid` > 0: names made by
// that process are left alone. Errors: Unavailable when `source` cannot be
// opened or walked (a failure on one entry is counted in `failed` instead).
Result<LeftoversSettled> SettleLeftovers(const std::string& source,
                                         const std::vector<std::string>& archive_dirs,
                                         Ledger& ledger, int64_t skip_pid = 0);

}  // namespace sluice
