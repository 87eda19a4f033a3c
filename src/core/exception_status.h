// ExceptionStatus: what a thread boundary makes of an exception, so that no
// exception ends the process (std::terminate) because of one file.
//
// Call it inside `catch (...)`. An allocation failure (std::bad_alloc,
// std::length_error) while one file is processed is that file's doing as far as
// sluice can tell: InvalidData, so the file is quarantined with the exception in
// its reason rather than taking the daemon down, again after every restart. Any
// other exception is a bug: Internal (also not retried; the file is quarantined).
//
// Thread-safety: free function.
#pragma once

#include "core/status.h"

namespace sluice {

// The Status for the exception being handled; requires an active catch block.
// `context` says what was going on ("reading", "loading").
Status ExceptionStatus(std::string_view context) noexcept;

}  // namespace sluice
