// The transform keys of a table rule in the YAML configuration (normalize, derive,
// filter, drop, aggregates), and the start-up check of their expressions and
// aggregates. See docs/configuration.md#transforms.
//
// Thread-safety: free functions.
#pragma once

#include <string>

#include "core/status.h"
#include "pipeline/config.h"

namespace YAML {
class Node;
}  // namespace YAML

namespace sluice {

// Parses `key` of a rule into `rule` if it is a transform key: true if it was one,
// false if `key` is some other key. `file` names the configuration file in errors.
// Errors: InvalidArgument "FILE:LINE: RULE: key 'KEY': what is wrong", RULE being
// rule.origin without the file.
Result<bool> ParseTransformKey(const std::string& file, const std::string& key,
                               const YAML::Node& value, TableRule& rule);

// The rule's label in messages: "tables[INDEX] (match \"GLOB\")" or "defaults".
std::string RuleLabel(const std::string& file, const YAML::Node& rule, int index);

// Compiles every derive and filter expression of the configuration as the files
// each rule matches would (a rule's own keys, the defaults' where it has none).
// Against a declared schema (the rule's or the defaults') the expressions are
// checked completely: names, functions, types, and a boolean filter. Without one
// the file's columns and types are known only per file: syntax, functions and the
// derived columns' own references are checked here, and an unknown column waits
// for the file (which is quarantined with the same message if it lacks it).
// The effective aggregates are checked too: the aggregates table is neither the
// rule's table nor the table of any rule; the columns they name are not dropped,
// and, as far as the loaded columns are known (all of them with a declared
// schema; without one the derived and metadata columns), aggregated columns exist
// and are integer or float and `by` columns exist.
// Errors: InvalidArgument "FILE: RULE: derive 'NAME' \"EXPR\": at POS: what", or
// "FILE: RULE: aggregates: what".
Status CheckTransforms(const Config& config);

}  // namespace sluice
