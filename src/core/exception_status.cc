#include "core/exception_status.h"

#include <exception>
#include <new>
#include <stdexcept>
#include <string>

namespace sluice {

Status ExceptionStatus(std::string_view context) noexcept {
  // The messages are built with as little memory as possible: the process may be
  // short of it. Should even this throw, noexcept ends the process as before.
  try {
    throw;
  } catch (const std::bad_alloc&) {
    return Status::InvalidData(std::string(context) + ": out of memory (std::bad_alloc)");
  } catch (const std::length_error& e) {
    return Status::InvalidData(std::string(context) +
                               ": too large (std::length_error: " + e.what() + ")");
  } catch (const std::exception& e) {
    return Status::Internal(std::string(context) + ": unexpected exception: " + e.what());
  } catch (...) {
    return Status::Internal(std::string(context) + ": unexpected exception of unknown type");
  }
}

}  // namespace sluice
