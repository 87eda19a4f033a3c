// ColumnReader::ReadRecords: a nested column's leaf read as level entries, whole
// records at a time (see column_reader.h).
#include <algorithm>

#include "parquet/column_reader.h"

namespace sluice::parquet {

Status ColumnReader::ReadRecords(size_t n, LevelEntries& out, std::vector<BadValue>& bad) {
  out.Clear();
  if (static_cast<uint64_t>(n) > static_cast<uint64_t>(rows_left_)) {
    return Status::Internal("read past the row group's rows");
  }
  if (!started_records_) {
    started_records_ = true;
    levels_left_ = meta_.num_values;
  }
  constexpr size_t kAhead = 1024;
  while (true) {
    if (ahead_next_ == rep_ahead_.size()) {
      if (levels_left_ == 0) break;
      if (page_left_ == 0) {
        RETURN_IF_ERROR(NextPage());
        continue;
      }
      size_t take = static_cast<size_t>(
          std::min<int64_t>({page_left_, levels_left_, static_cast<int64_t>(kAhead)}));
      RETURN_IF_ERROR(GetLevels(rep_, take, 0, rep_ahead_));
      RETURN_IF_ERROR(GetLevels(def_, take, leaf_.max_def, def_ahead_));
      ahead_next_ = 0;
      page_left_ -= static_cast<int64_t>(take);
      levels_left_ -= static_cast<int64_t>(take);
    }
    int16_t rep = rep_ahead_[ahead_next_];
    int16_t def = def_ahead_[ahead_next_];
    if (rep == 0) {
      if (out.records.size() == n) break;
      out.records.push_back(out.rep.size());
    } else if (out.records.empty()) {
      return Fail(
          "page", page_at_,
          "a record that starts with repetition level " + std::to_string(rep) + " instead of 0");
    }
    if (rep < 0 || rep > leaf_.max_rep || def < 0 || def > leaf_.max_def) {
      return Fail("page", page_at_,
                  "levels " + std::to_string(rep) + "/" + std::to_string(def) +
                      " outside the column's maximum " + std::to_string(leaf_.max_rep) + "/" +
                      std::to_string(leaf_.max_def));
    }
    ++ahead_next_;
    out.rep.push_back(rep);
    out.def.push_back(def);
    if (def == leaf_.max_def) {
      value_.clear();
      ASSIGN_OR_RETURN(bool ok, NextValue(value_));
      if (ok) {
        if (out.text.size() + value_.size() > kMaxBatchArena) {
          return Fail("page", page_at_, "values too long for one batch of rows (over 2 GiB)");
        }
        out.text += value_;
      } else {
        Type type = static_cast<Type>(*leaf_.element.type);
        bad.push_back({out.records.size() - 1, type == Type::kInt96
                                                   ? "INT96 timestamp out of range"
                                                   : "invalid UTF-8 in a byte array"});
      }
    }
    out.offsets.push_back(out.text.size());
  }
  if (out.records.size() < n) {
    return Fail(where_, pos_,
                "ends with " + std::to_string(rows_left_ - int64_t(out.records.size())) +
                    " of the row group's rows unread");
  }
  rows_left_ -= static_cast<int64_t>(n);
  if (rows_left_ == 0 && (levels_left_ > 0 || ahead_next_ < rep_ahead_.size())) {
    return Fail(where_, pos_, "holds more records than the row group's rows");
  }
  if (levels_left_ == 0 && page_left_ > 0) {
    return Fail(
        "page", page_at_,
        "holds " + std::to_string(page_left_) + " levels more than the column chunk's num_values");
  }
  out.records.push_back(out.rep.size());
  return Status::Ok();
}

}  // namespace sluice::parquet
