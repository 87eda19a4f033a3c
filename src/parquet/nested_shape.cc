#include "parquet/nested_shape.h"

#include <nlohmann/json.hpp>

#include "parquet/value_text.h"

namespace sluice::parquet {
namespace {

constexpr int kMaxDepth = 64;
constexpr int32_t kRepeated = 2;

// The index after the subtree at `at`, counting its leaves into `leaves`.
size_t SkipSubtree(const std::vector<SchemaElement>& schema, size_t at, size_t& leaves) {
  size_t next = at + 1;
  if (schema[at].num_children == 0) {
    ++leaves;
    return next;
  }
  for (int32_t i = 0; i < schema[at].num_children && next < schema.size(); ++i) {
    next = SkipSubtree(schema, next, leaves);
  }
  return next;
}

void AppendJsonString(std::string_view text, std::string& out) {
  // Invalid UTF-8 (bytes of a declared string column) becomes U+FFFD rather than
  // JSON that no parser accepts.
  out += nlohmann::json(std::string(text))
             .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::vector<TopField> TopFields(const std::vector<SchemaElement>& schema,
                                const std::vector<LeafColumn>& leaves) {
  std::vector<TopField> fields;
  if (schema.empty()) return fields;
  size_t at = 1;
  size_t leaf = 0;
  for (int32_t i = 0; i < schema[0].num_children && at < schema.size(); ++i) {
    TopField f;
    f.name = schema[at].name;
    f.schema_index = at;
    f.first_leaf = leaf;
    f.nested = schema[at].num_children > 0 || schema[at].repetition.value_or(0) == kRepeated;
    at = SkipSubtree(schema, at, leaf);
    f.end_leaf = std::min(leaf, leaves.size());
    fields.push_back(std::move(f));
  }
  return fields;
}

struct NestedShape::Node {
  enum class Kind { kLeaf, kStruct, kList, kMap } kind = Kind::kLeaf;
  enum class Json { kNumber, kBool, kString } json = Json::kString;  // kLeaf
  std::string name;
  int16_t def = 0;       // null below this definition level
  int16_t elem_def = 0;  // kList, kMap: at least one element from this level
  int16_t rep = 0;       // kList, kMap: an element starts at this repetition level
  size_t first = 0;      // the subtree's leaves, indexes among the field's
  size_t end = 0;
  std::vector<Node> children;  // fields; the list's element; the map's key and value
};

namespace {

using Node = NestedShape::Node;

// Builds the tree from the schema elements of one top-level field.
struct Builder {
  const std::vector<SchemaElement>& schema;
  const std::vector<LeafColumn>& leaves;
  size_t first_leaf;  // the field's first leaf among the file's
  std::string column;
  size_t next = 0;  // schema index
  size_t leaf = 0;  // leaves built so far

  Status Refuse(const std::string& why) const {
    return Status::InvalidData("column '" + column +
                               "' is nested in a form sluice cannot load as JSON: " + why);
  }

  // The element at `next` with its repetition, under a parent defined at `def`.
  Result<Node> Field(int16_t def, int16_t rep, int depth) {
    if (next >= schema.size()) return Refuse("its schema ends early");
    int32_t repetition = schema[next].repetition.value_or(0);
    int16_t d = static_cast<int16_t>(def + (repetition != 0 ? 1 : 0));
    if (repetition != kRepeated) return Value(d, rep, depth);
    int16_t r = static_cast<int16_t>(rep + 1);
    Node list;
    list.kind = Node::Kind::kList;
    list.name = schema[next].name;
    list.def = def;  // a repeated field is never null, at most empty
    list.elem_def = d;
    list.rep = r;
    ASSIGN_OR_RETURN(Node element, Value(d, r, depth));
    list.first = element.first;
    list.end = element.end;
    list.children.push_back(std::move(element));
    return list;
  }

  // The element at `next` as a value defined at level `d`, its repetition handled.
  Result<Node> Value(int16_t d, int16_t r, int depth) {
    if (depth > kMaxDepth) return Refuse("nested deeper than 64");
    if (next >= schema.size()) return Refuse("its schema ends early");
    const SchemaElement& e = schema[next++];
    Node n;
    n.name = e.name;
    n.def = d;
    n.first = leaf;
    if (e.num_children == 0) {
      if (first_leaf + leaf >= leaves.size()) return Refuse("its schema ends early");
      std::string_view kind = ValueText(leaves[first_leaf + leaf]).kind_name();
      n.json = kind == "integer" || kind == "float" ? Node::Json::kNumber
               : kind == "boolean"                  ? Node::Json::kBool
                                                    : Node::Json::kString;
      n.end = ++leaf;
      return n;
    }
    int32_t converted = e.converted_type.value_or(0);
    bool list = e.logical.kind == LogicalKind::kList ||
                converted == static_cast<int32_t>(ConvertedType::kList);
    bool map = e.logical.kind == LogicalKind::kMap ||
               converted == static_cast<int32_t>(ConvertedType::kMap) ||
               converted == static_cast<int32_t>(ConvertedType::kMapKeyValue);
    if ((list || map) && e.num_children == 1 && next < schema.size() &&
        schema[next].repetition.value_or(0) == kRepeated) {
      const SchemaElement& repeated = schema[next];
      n.kind = list ? Node::Kind::kList : Node::Kind::kMap;
      n.elem_def = static_cast<int16_t>(d + 1);
      n.rep = static_cast<int16_t>(r + 1);
      if (map) {
        if (repeated.num_children != 2) {
          return Refuse("map '" + e.name + "' has " + std::to_string(repeated.num_children) +
                        " fields in its key_value group, not a key and a value");
        }
        ++next;
        for (int i = 0; i < 2; ++i) {
          ASSIGN_OR_RETURN(Node child, Field(n.elem_def, n.rep, depth + 2));
          n.children.push_back(std::move(child));
        }
      } else if (repeated.num_children == 1 && repeated.name != "array" &&
                 repeated.name != e.name + "_tuple") {
        ++next;  // three levels: the repeated group wraps the element
        ASSIGN_OR_RETURN(Node element, Field(n.elem_def, n.rep, depth + 2));
        n.children.push_back(std::move(element));
      } else {  // two levels (the backward-compatibility rules of the format)
        ASSIGN_OR_RETURN(Node element, Value(n.elem_def, n.rep, depth + 1));
        n.children.push_back(std::move(element));
      }
      n.end = leaf;
      return n;
    }
    n.kind = Node::Kind::kStruct;
    for (int32_t i = 0; i < e.num_children; ++i) {
      ASSIGN_OR_RETURN(Node child, Field(d, r, depth + 1));
      n.children.push_back(std::move(child));
    }
    n.end = leaf;
    return n;
  }
};

struct Range {
  size_t begin;
  size_t end;
};

struct Renderer {
  const std::vector<LevelEntries>& entries;
  const std::string& column;

  Status Disagree() const {
    return Status::InvalidData("column '" + column +
                               "': the repetition and definition levels of its leaves disagree");
  }

  void Leaf(const Node& n, size_t leaf, size_t i, std::string& out) const {
    const LevelEntries& e = entries[leaf];
    std::string_view text(e.text.data() + e.offsets[i], e.offsets[i + 1] - e.offsets[i]);
    if (n.json == Node::Json::kString ||
        (n.json == Node::Json::kNumber &&
         (text == "NaN" || text == "Infinity" || text == "-Infinity"))) {
      AppendJsonString(text, out);
    } else {
      out += text;
    }
  }

  Status Render(const Node& n, std::vector<Range>& ranges, std::string& out) const {
    const Range& first = ranges[n.first];
    if (first.begin >= first.end) return Disagree();
    int16_t def = entries[n.first].def[first.begin];
    if (def < n.def) {
      out += "null";
      return Status::Ok();
    }
    switch (n.kind) {
      case Node::Kind::kLeaf:
        if (first.end - first.begin != 1) return Disagree();
        Leaf(n, n.first, first.begin, out);
        return Status::Ok();
      case Node::Kind::kStruct: {
        out += '{';
        for (size_t c = 0; c < n.children.size(); ++c) {
          if (c > 0) out += ',';
          AppendJsonString(n.children[c].name, out);
          out += ':';
          RETURN_IF_ERROR(Render(n.children[c], ranges, out));
        }
        out += '}';
        return Status::Ok();
      }
      case Node::Kind::kList:
      case Node::Kind::kMap:
        return Repeated(n, ranges, out);
    }
    return Status::Ok();
  }

  // A list or map present at its level: its elements split where the repetition
  // level comes back to the node's.
  Status Repeated(const Node& n, std::vector<Range>& ranges, std::string& out) const {
    bool map = n.kind == Node::Kind::kMap;
    int16_t def = entries[n.first].def[ranges[n.first].begin];
    if (def < n.elem_def) {
      out += map ? "{}" : "[]";
      return Status::Ok();
    }
    std::vector<Range> element = ranges;
    std::vector<size_t> cursor(ranges.size());
    for (size_t l = n.first; l < n.end; ++l) cursor[l] = ranges[l].begin;
    out += map ? '{' : '[';
    std::string key;
    for (size_t count = 0; cursor[n.first] < ranges[n.first].end; ++count) {
      for (size_t l = n.first; l < n.end; ++l) {
        size_t at = cursor[l];
        const Range& outer = ranges[l];
        if (at >= outer.end) return Disagree();
        size_t stop = at + 1;
        while (stop < outer.end && entries[l].rep[stop] > n.rep) ++stop;
        element[l] = {at, stop};
        cursor[l] = stop;
      }
      if (count > 0) out += ',';
      if (map) {
        key.clear();
        RETURN_IF_ERROR(Render(n.children[0], element, key));
        if (key.empty() || key[0] != '"') {
          AppendJsonString(key, out);  // a number, boolean or null key as its text
        } else {
          out += key;
        }
        out += ':';
        RETURN_IF_ERROR(Render(n.children[1], element, out));
      } else {
        RETURN_IF_ERROR(Render(n.children[0], element, out));
      }
    }
    for (size_t l = n.first; l < n.end; ++l) {
      if (cursor[l] != ranges[l].end) return Disagree();
    }
    out += map ? '}' : ']';
    return Status::Ok();
  }
};

}  // namespace

NestedShape::NestedShape() = default;
NestedShape::~NestedShape() = default;

Result<std::unique_ptr<NestedShape>> NestedShape::Make(const std::vector<SchemaElement>& schema,
                                                       const std::vector<LeafColumn>& leaves,
                                                       const TopField& field) {
  Builder b{schema, leaves, field.first_leaf, field.name};
  b.next = field.schema_index;
  ASSIGN_OR_RETURN(Node root, b.Field(0, 0, 0));
  if (b.leaf != field.end_leaf - field.first_leaf) return b.Refuse("its leaves do not add up");
  std::unique_ptr<NestedShape> shape(new NestedShape());
  shape->root_ = std::make_unique<Node>(std::move(root));
  shape->name_ = field.name;
  return shape;
}

Status NestedShape::Render(const std::vector<LevelEntries>& entries, size_t record,
                           std::string& out) const {
  std::vector<Range> ranges(entries.size());
  for (size_t l = 0; l < entries.size(); ++l) {
    const std::vector<size_t>& records = entries[l].records;
    if (record + 1 >= records.size()) return Status::Internal("record beyond those read");
    ranges[l] = {records[record], records[record + 1]};
  }
  return Renderer{entries, name_}.Render(*root_, ranges, out);
}

}  // namespace sluice::parquet
