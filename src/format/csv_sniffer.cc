#include "format/csv_sniffer.h"

#include <algorithm>
#include <string>
#include <vector>

#include "format/csv_scanner.h"

namespace sluice {
namespace {

constexpr size_t kSampleRecords = 100;

// Calls visit(fields, record) for each non-blank record among the first
// kSampleRecords of `sample`.
template <typename Visit>
void ForEachRecord(const CsvScanner& scanner, std::string_view sample, bool complete,
                   Visit&& visit) {
  std::vector<CsvField> fields;
  const char* p = sample.data();
  const char* end = p + sample.size();
  for (size_t records = 0; records < kSampleRecords && p < end;) {
    CsvScanner::Scan scan = scanner.Next(p, end, complete, fields);
    if (scan.outcome != CsvScanner::Outcome::kRecord) return;
    if (scan.content > 0) {
      visit(fields, p);
      ++records;
    }
    p += scan.length;
  }
}

// How many records share the most common field count above one; 0 when
// `must_quote` and no field is quoted.
size_t Consistency(const CsvScanner& scanner, std::string_view sample, bool complete,
                   bool must_quote) {
  std::vector<size_t> counts;
  bool quoted = false;
  ForEachRecord(scanner, sample, complete, [&](const std::vector<CsvField>& fields, const char*) {
    if (fields.size() > 1) counts.push_back(fields.size());
    for (const CsvField& f : fields) quoted |= f.kind != CsvField::kPlain;
  });
  if (must_quote && !quoted) return 0;
  std::sort(counts.begin(), counts.end());
  size_t best = 0;
  for (size_t i = 0, j = 0; i < counts.size(); i = j) {
    while (j < counts.size() && counts[j] == counts[i]) ++j;
    best = std::max(best, j - i);
  }
  return best;
}

enum class CellClass : uint8_t { kUnknown, kEmpty, kNumber, kDate, kText };

size_t CountDigits(std::string_view s, size_t& i) {
  size_t start = i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  return i - start;
}

bool IsNumber(std::string_view s) {
  size_t i = 0;
  if (s[i] == '+' || s[i] == '-') ++i;
  size_t digits = CountDigits(s, i);
  if (i < s.size() && s[i] == '.') digits += CountDigits(s, ++i);
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (CountDigits(s, i) == 0) return false;
  }
  return i == s.size();
}

// YYYY-MM-DD or D/M/YY(YY) with '-', '/' or '.', optionally followed by a time.
bool IsDate(std::string_view s) {
  size_t i = 0;
  size_t a = CountDigits(s, i);
  if (i == s.size() || (s[i] != '-' && s[i] != '/' && s[i] != '.')) return false;
  char sep = s[i++];
  size_t b = CountDigits(s, i);
  if (i == s.size() || s[i] != sep) return false;
  size_t c = CountDigits(s, ++i);
  if (b < 1 || b > 2) return false;
  bool year_first = a == 4 && c >= 1 && c <= 2;
  bool year_last = a >= 1 && a <= 2 && (c == 2 || c == 4);
  return (year_first || year_last) && (i == s.size() || s[i] == ' ' || s[i] == 'T');
}

CellClass Classify(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  if (v.empty()) return CellClass::kEmpty;
  if (IsNumber(v)) return CellClass::kNumber;
  if (IsDate(v)) return CellClass::kDate;
  return CellClass::kText;
}

bool LooksLikeHeader(const CsvScanner& scanner, std::string_view sample, bool complete) {
  std::vector<std::string> first;
  std::vector<CellClass> later;  // per column, the class all later values share
  bool have_later = false;
  bool have_first = false;
  ForEachRecord(scanner, sample, complete,
                [&](const std::vector<CsvField>& fields, const char* record) {
                  if (!have_first) {
                    for (const CsvField& f : fields) first.push_back(scanner.Value(record, f));
                    later.assign(first.size(), CellClass::kUnknown);
                    have_first = true;
                    return;
                  }
                  if (fields.size() != first.size()) return;
                  have_later = true;
                  for (size_t j = 0; j < fields.size(); ++j) {
                    CellClass c = Classify(scanner.Value(record, fields[j]));
                    if (c == CellClass::kEmpty) continue;
                    CellClass& acc = later[j];
                    acc = (acc == CellClass::kUnknown || acc == c) ? c : CellClass::kText;
                  }
                });
  if (!have_first) return true;

  int header_votes = 0;
  int data_votes = 0;
  bool empty = false;
  bool all_typed = true;
  for (size_t j = 0; j < first.size(); ++j) {
    CellClass c = Classify(first[j]);
    empty |= c == CellClass::kEmpty;
    all_typed &= c != CellClass::kText;
    if (later[j] != CellClass::kNumber && later[j] != CellClass::kDate) continue;
    if (c == later[j]) ++data_votes;
    if (c == CellClass::kText) ++header_votes;
  }
  if (data_votes != header_votes) return header_votes > data_votes;
  if (!have_later && all_typed) return false;
  std::sort(first.begin(), first.end());
  bool repeated = std::adjacent_find(first.begin(), first.end()) != first.end();
  return !empty && !repeated;
}

}  // namespace

CsvDialect SniffCsvDialect(std::string_view sample, bool complete, const CsvDialect& given) {
  CsvDialect out = given;
  if (!out.delimiter || !out.quote) {
    std::string_view delimiters =
        given.delimiter ? std::string_view(&*given.delimiter, 1) : ",;\t|";
    std::string_view quotes = given.quote ? std::string_view(&*given.quote, 1) : "\"'";
    out.delimiter = delimiters.front();
    out.quote = quotes.front();
    size_t best = 0;
    for (char delimiter : delimiters) {
      for (char quote : quotes) {
        // Only the first quote may win without quoting anything: otherwise a file
        // whose '"' is left open would read as if quoted with '\''.
        size_t score =
            Consistency(CsvScanner(delimiter, quote), sample, complete, quote != quotes.front());
        if (score > best) {
          best = score;
          out.delimiter = delimiter;
          out.quote = quote;
        }
      }
    }
  }
  if (!out.header)
    out.header = LooksLikeHeader(CsvScanner(*out.delimiter, *out.quote), sample, complete);
  return out;
}

}  // namespace sluice
