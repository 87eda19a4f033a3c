// Type inference from a sample of rows.
//
// For each column the narrowest type that every non-empty sampled value parses as,
// in the order boolean, integer, float, date, timestamp, string. Integers with a
// leading zero ("007", zip codes) are strings. A column with an empty or null value
// in the sample is nullable; a column whose sampled values are all empty is a
// nullable string.
//
// Values are judged with the validator's own cell parsers (core/cell_parse.h),
// trimmed as the validator trims them, so an inferred schema accepts its sample.
// Two choices are narrower than the validator: booleans are inferred only from
// words (true/false, yes/no, t/f, y/n), since a column of 0/1 is more often a
// number; and integers beyond int64 are strings, not floats that lose digits.
//
// Thread-safety: free functions.
#pragma once

#include <optional>
#include <vector>

#include "core/text_batch.h"
#include "schema/schema.h"

namespace sluice {

// Infers a schema from the rows of `sample` (its column names, in order). Where
// `declared` (the file's own types, RecordReader::declared_types) has a type for a
// column, that type is taken instead of the text's guess.
Schema InferSchema(const TextBatch& sample,
                   const std::vector<std::optional<ColumnType>>& declared = {});

// True if every value of a column of type `from` is a value of type `into`: the
// same type, integer into float, anything into string.
bool TypeFits(ColumnType from, ColumnType into);

// True if `value` (trimmed, not empty) is a value of `type` by the validator's
// default rules (ISO dates and timestamps; booleans include 0/1).
bool ParsesAs(std::string_view value, ColumnType type);

}  // namespace sluice
