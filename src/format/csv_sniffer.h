// CSV dialect sniffing: guesses the delimiter, the quote and whether the first
// record is a header from the start of a stream.
//
// Delimiter and quote: each candidate pair (delimiters , ; tab |, quotes " ')
// splits the first records of the sample; the pair whose most common field count
// (above one) is shared by the most records wins, earlier candidates winning
// ties; the quote ' must be seen quoting a field to win. Without such a pair the
// file has one column: delimiter ',' and quote '"'.
//
// Header: for each column whose later values are all numbers or all dates, a
// first-row value of that type votes "data" and a text value votes "header". The
// majority decides; on a tie the first row is data when it has an empty or
// repeated value (or is all numbers and dates with no rows after it) and a header
// otherwise.
//
// Thread-safety: a pure function.
#pragma once

#include <string_view>

#include "format/record_reader.h"

namespace sluice {

// Returns `given` with its unset fields sniffed from `sample`, the first bytes of
// a stream (after any byte order mark); `complete` says the sample is the whole
// stream. Requires the sample to be a StreamBuffer's data (see CsvScanner::Next).
CsvDialect SniffCsvDialect(std::string_view sample, bool complete, const CsvDialect& given);

}  // namespace sluice
