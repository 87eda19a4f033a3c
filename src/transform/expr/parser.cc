#include "transform/expr/parser.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/cell_parse.h"

namespace sluice::expr {
namespace {

enum class Tok : uint8_t { kEnd, kInt, kFloat, kString, kIdent, kQuoted, kSymbol };

struct Token {
  Tok kind = Tok::kEnd;
  size_t pos = 0;
  std::string text;  // kString/kQuoted: unescaped; kIdent: as written; others: the source
};

bool IsIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c); }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return out;
}

constexpr std::string_view kReserved[] = {"and",  "or",   "not",  "null",   "true", "false",
                                          "case", "when", "then", "else",   "end",  "is",
                                          "in",   "as",   "cast", "between"};

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<Node> Run() {
    RETURN_IF_ERROR(Lex());
    if (tokens_.front().kind == Tok::kEnd) return ErrorAt(text_, 0, "empty expression");
    ASSIGN_OR_RETURN(Node root, ParseOr());
    if (Peek().kind != Tok::kEnd) return Unexpected("an operator or the end");
    return root;
  }

 private:
  // ---- Lexer ----
  Status Lex() {
    size_t i = 0;
    while (true) {
      while (i < text_.size() && (text_[i] == ' ' || (text_[i] >= '\t' && text_[i] <= '\r'))) ++i;
      Token t;
      t.pos = i;
      if (i == text_.size()) {
        tokens_.push_back(t);
        return Status::Ok();
      }
      const char c = text_[i];
      if (IsDigit(c) || (c == '.' && i + 1 < text_.size() && IsDigit(text_[i + 1]))) {
        size_t j = i;
        while (j < text_.size() && IsDigit(text_[j])) ++j;
        t.kind = Tok::kInt;
        if (j < text_.size() && text_[j] == '.') {
          t.kind = Tok::kFloat;
          ++j;
          while (j < text_.size() && IsDigit(text_[j])) ++j;
        }
        if (j < text_.size() && (text_[j] == 'e' || text_[j] == 'E')) {
          size_t k = j + 1;
          if (k < text_.size() && (text_[k] == '+' || text_[k] == '-')) ++k;
          if (k < text_.size() && IsDigit(text_[k])) {
            t.kind = Tok::kFloat;
            j = k;
            while (j < text_.size() && IsDigit(text_[j])) ++j;
          }
        }
        if (j < text_.size() && IsIdentChar(text_[j])) {
          return ErrorAt(text_, i,
                         "malformed number '" + std::string(text_.substr(i, j + 1 - i)) + "'");
        }
        t.text = text_.substr(i, j - i);
        i = j;
      } else if (c == '\'' || c == '"') {
        t.kind = c == '\'' ? Tok::kString : Tok::kQuoted;
        size_t j = i + 1;
        while (true) {
          if (j >= text_.size()) {
            return ErrorAt(text_, i,
                           c == '\'' ? "unterminated string" : "unterminated quoted identifier");
          }
          if (text_[j] == c) {
            if (j + 1 < text_.size() && text_[j + 1] == c) {
              t.text.push_back(c);
              j += 2;
              continue;
            }
            break;
          }
          t.text.push_back(text_[j++]);
        }
        if (t.kind == Tok::kQuoted && t.text.empty()) {
          return ErrorAt(text_, i, "empty quoted identifier");
        }
        i = j + 1;
      } else if (IsIdentStart(c)) {
        size_t j = i;
        while (j < text_.size() && IsIdentChar(text_[j])) ++j;
        t.kind = Tok::kIdent;
        t.text = text_.substr(i, j - i);
        i = j;
      } else {
        static constexpr std::string_view kTwo[] = {"<>", "!=", "<=", ">=", "||"};
        t.kind = Tok::kSymbol;
        const std::string_view two = text_.substr(i, 2);
        if (std::find(std::begin(kTwo), std::end(kTwo), two) != std::end(kTwo)) {
          t.text = two;
        } else if (std::string_view("+-*/%(),=<>").find(c) != std::string_view::npos) {
          t.text = std::string(1, c);
        } else {
          std::string shown =
              static_cast<unsigned char>(c) < 0x20 ? "\\x" + Hex(c) : std::string(1, c);
          return ErrorAt(text_, i, "unexpected character '" + shown + "'");
        }
        i += t.text.size();
      }
      tokens_.push_back(std::move(t));
    }
  }

  static std::string Hex(char c) {
    static constexpr char kDigits[] = "0123456789abcdef";
    const auto u = static_cast<unsigned char>(c);
    return {kDigits[u >> 4], kDigits[u & 15]};
  }

  // ---- Token access ----
  const Token& Peek(size_t ahead = 0) const {
    return tokens_[std::min(next_ + ahead, tokens_.size() - 1)];
  }
  const Token& Take() {
    const Token& t = tokens_[next_];
    if (next_ + 1 < tokens_.size()) ++next_;
    return t;
  }
  bool IsKeyword(const Token& t, std::string_view word) const {
    return t.kind == Tok::kIdent && t.text.size() == word.size() && Lower(t.text) == word;
  }
  bool IsSymbol(const Token& t, std::string_view symbol) const {
    return t.kind == Tok::kSymbol && t.text == symbol;
  }
  bool TakeKeyword(std::string_view word) {
    if (!IsKeyword(Peek(), word)) return false;
    Take();
    return true;
  }
  bool TakeSymbol(std::string_view symbol) {
    if (!IsSymbol(Peek(), symbol)) return false;
    Take();
    return true;
  }
  Status Unexpected(std::string_view expected) const {
    const Token& t = Peek();
    const std::string found = t.kind == Tok::kEnd      ? "the end of the expression"
                              : t.kind == Tok::kString ? "'" + t.text + "'"
                                                       : "'" + std::string(t.text) + "'";
    return ErrorAt(text_, t.pos, "expected " + std::string(expected) + ", found " + found);
  }
  Status ExpectSymbol(std::string_view symbol) {
    if (TakeSymbol(symbol)) return Status::Ok();
    return Unexpected("'" + std::string(symbol) + "'");
  }
  Status ExpectKeyword(std::string_view word) {
    if (TakeKeyword(word)) return Status::Ok();
    return Unexpected("'" + std::string(word) + "'");
  }

  // ---- Tree building ----
  Result<Node> Make(Op op, size_t pos, std::vector<Node> args) {
    Node n;
    n.op = op;
    n.pos = pos;
    for (const Node& a : args) {
      n.depth = std::max(n.depth, a.depth + 1);
      n.size += a.size;
    }
    if (n.depth > kMaxDepth) return ErrorAt(text_, pos, "expression nested too deeply");
    if (n.size > kMaxNodes) return ErrorAt(text_, pos, "expression too large");
    n.args = std::move(args);
    return n;
  }
  Result<Node> Binary(Op op, size_t pos, Node left, Node right) {
    std::vector<Node> args;
    args.push_back(std::move(left));
    args.push_back(std::move(right));
    return Make(op, pos, std::move(args));
  }
  Result<Node> Unary(Op op, size_t pos, Node arg) {
    std::vector<Node> args;
    args.push_back(std::move(arg));
    return Make(op, pos, std::move(args));
  }
  // Guards the recursion of the descent itself (parentheses add no node).
  struct DepthGuard {
    explicit DepthGuard(int& d) : depth(d) { ++depth; }
    ~DepthGuard() { --depth; }
    int& depth;
  };

  // ---- Grammar, lowest precedence first ----
  // left (op left)*, for the binary levels whose operators group left to right;
  // `match` maps a token to its operator.
  template <typename Match>
  Result<Node> LeftAssociative(Result<Node> (Parser::*operand)(), Match match) {
    ASSIGN_OR_RETURN(Node left, (this->*operand)());
    while (std::optional<Op> op = match(Peek())) {
      const size_t pos = Take().pos;
      ASSIGN_OR_RETURN(Node right, (this->*operand)());
      ASSIGN_OR_RETURN(left, Binary(*op, pos, std::move(left), std::move(right)));
    }
    return left;
  }
  std::optional<Op> KeywordOp(const Token& t, std::string_view word, Op op) const {
    return IsKeyword(t, word) ? std::optional<Op>(op) : std::nullopt;
  }

  // ---- Grammar, lowest precedence first ----
  Result<Node> ParseOr() {
    DepthGuard guard(recursion_);
    if (recursion_ > kMaxDepth) return ErrorAt(text_, Peek().pos, "expression nested too deeply");
    return LeftAssociative(&Parser::ParseAnd,
                           [&](const Token& t) { return KeywordOp(t, "or", Op::kOr); });
  }

  Result<Node> ParseAnd() {
    return LeftAssociative(&Parser::ParseNot,
                           [&](const Token& t) { return KeywordOp(t, "and", Op::kAnd); });
  }

  Result<Node> ParseNot() {
    if (!IsKeyword(Peek(), "not")) return ParsePredicate();
    const size_t pos = Take().pos;
    DepthGuard guard(recursion_);
    if (recursion_ > kMaxDepth) return ErrorAt(text_, pos, "expression nested too deeply");
    ASSIGN_OR_RETURN(Node arg, ParseNot());
    return Unary(Op::kNot, pos, std::move(arg));
  }

  static std::optional<Op> ComparisonOp(const Token& t) {
    if (t.kind != Tok::kSymbol) return std::nullopt;
    if (t.text == "=") return Op::kEq;
    if (t.text == "<>" || t.text == "!=") return Op::kNe;
    if (t.text == "<") return Op::kLt;
    if (t.text == "<=") return Op::kLe;
    if (t.text == ">") return Op::kGt;
    if (t.text == ">=") return Op::kGe;
    return std::nullopt;
  }

  // Comparisons, is [not] null, [not] in and [not] between: one level, left to right.
  Result<Node> ParsePredicate() {
    ASSIGN_OR_RETURN(Node left, ParseConcat());
    while (true) {
      const Token& t = Peek();
      if (std::optional<Op> op = ComparisonOp(t)) {
        const size_t pos = Take().pos;
        ASSIGN_OR_RETURN(Node right, ParseConcat());
        ASSIGN_OR_RETURN(left, Binary(*op, pos, std::move(left), std::move(right)));
      } else if (IsKeyword(t, "is")) {
        const size_t pos = Take().pos;
        const bool negated = TakeKeyword("not");
        RETURN_IF_ERROR(ExpectKeyword("null"));
        ASSIGN_OR_RETURN(left, Unary(negated ? Op::kIsNotNull : Op::kIsNull, pos, std::move(left)));
      } else if (IsKeyword(t, "in") || IsKeyword(t, "between") ||
                 (IsKeyword(t, "not") &&
                  (IsKeyword(Peek(1), "in") || IsKeyword(Peek(1), "between")))) {
        const size_t pos = t.pos;
        const bool negated = TakeKeyword("not");
        if (TakeKeyword("in")) {
          ASSIGN_OR_RETURN(left, ParseInList(pos, std::move(left)));
        } else {
          Take();
          ASSIGN_OR_RETURN(left, ParseBetween(pos, std::move(left)));
        }
        if (negated) {
          ASSIGN_OR_RETURN(left, Unary(Op::kNot, pos, std::move(left)));
        }
      } else {
        return left;
      }
    }
  }

  // x in (a, b, ...) → x = a or x = b or ...: the same three-valued result. The
  // disjunction is balanced, so that long lists stay shallow.
  Result<Node> ParseInList(size_t pos, Node subject) {
    RETURN_IF_ERROR(ExpectSymbol("("));
    std::vector<Node> terms;
    do {
      ASSIGN_OR_RETURN(Node item, ParseOr());
      const size_t item_pos = item.pos;
      ASSIGN_OR_RETURN(Node eq, Binary(Op::kEq, item_pos, subject, std::move(item)));
      terms.push_back(std::move(eq));
    } while (TakeSymbol(","));
    RETURN_IF_ERROR(ExpectSymbol(")"));
    while (terms.size() > 1) {
      std::vector<Node> next;
      for (size_t i = 0; i + 1 < terms.size(); i += 2) {
        ASSIGN_OR_RETURN(Node pair,
                         Binary(Op::kOr, pos, std::move(terms[i]), std::move(terms[i + 1])));
        next.push_back(std::move(pair));
      }
      if (terms.size() % 2 == 1) next.push_back(std::move(terms.back()));
      terms = std::move(next);
    }
    return std::move(terms.front());
  }

  // x between a and b → x >= a and x <= b.
  Result<Node> ParseBetween(size_t pos, Node subject) {
    ASSIGN_OR_RETURN(Node low, ParseConcat());
    RETURN_IF_ERROR(ExpectKeyword("and"));
    ASSIGN_OR_RETURN(Node high, ParseConcat());
    ASSIGN_OR_RETURN(Node ge, Binary(Op::kGe, pos, subject, std::move(low)));
    ASSIGN_OR_RETURN(Node le, Binary(Op::kLe, pos, std::move(subject), std::move(high)));
    return Binary(Op::kAnd, pos, std::move(ge), std::move(le));
  }

  Result<Node> ParseConcat() {
    return LeftAssociative(&Parser::ParseAdditive, [](const Token& t) -> std::optional<Op> {
      if (t.kind == Tok::kSymbol && t.text == "||") return Op::kConcat;
      return std::nullopt;
    });
  }

  Result<Node> ParseAdditive() {
    return LeftAssociative(&Parser::ParseMultiplicative, [](const Token& t) -> std::optional<Op> {
      if (t.kind != Tok::kSymbol) return std::nullopt;
      if (t.text == "+") return Op::kAdd;
      if (t.text == "-") return Op::kSub;
      return std::nullopt;
    });
  }

  Result<Node> ParseMultiplicative() {
    return LeftAssociative(&Parser::ParseUnary, [](const Token& t) -> std::optional<Op> {
      if (t.kind != Tok::kSymbol) return std::nullopt;
      if (t.text == "*") return Op::kMul;
      if (t.text == "/") return Op::kDiv;
      if (t.text == "%") return Op::kMod;
      return std::nullopt;
    });
  }

  Result<Node> ParseUnary() {
    if (!IsSymbol(Peek(), "-") && !IsSymbol(Peek(), "+")) return ParsePrimary();
    const Token& sign = Take();
    const bool minus = sign.text == "-";
    const size_t pos = sign.pos;
    // A signed number is one literal, so that -9223372036854775808 is an integer.
    if (Peek().kind == Tok::kInt || Peek().kind == Tok::kFloat) {
      return NumberLiteral(Take(), minus, pos);
    }
    DepthGuard guard(recursion_);
    if (recursion_ > kMaxDepth) return ErrorAt(text_, pos, "expression nested too deeply");
    ASSIGN_OR_RETURN(Node arg, ParseUnary());
    return Unary(minus ? Op::kNeg : Op::kPlus, pos, std::move(arg));
  }

  Result<Node> NumberLiteral(const Token& t, bool negative, size_t pos) {
    Node n;
    n.pos = pos;
    const std::string digits = (negative ? "-" : "") + t.text;
    if (t.kind == Tok::kInt) {
      n.type = ColumnType::kInteger;
      if (ParseInteger(digits, &n.int_value) != ParseResult::kOk) {
        return ErrorAt(text_, pos, "integer literal out of range: " + digits);
      }
    } else {
      n.type = ColumnType::kFloat;
      if (ParseFloat(digits, &n.float_value) != ParseResult::kOk) {
        return ErrorAt(text_, pos, "float literal out of range: " + digits);
      }
    }
    return n;
  }

  Result<Node> ParsePrimary() {
    const Token& t = Peek();
    Node n;
    n.pos = t.pos;
    switch (t.kind) {
      case Tok::kEnd:
      case Tok::kSymbol:
        if (TakeSymbol("(")) {
          ASSIGN_OR_RETURN(Node inner, ParseOr());
          RETURN_IF_ERROR(ExpectSymbol(")"));
          return inner;
        }
        return Unexpected("a value");
      case Tok::kInt:
      case Tok::kFloat:
        return NumberLiteral(Take(), false, t.pos);
      case Tok::kString:
        n.type = ColumnType::kString;
        n.string_value = Take().text;
        return n;
      case Tok::kQuoted:
        n.op = Op::kColumn;
        n.name = Take().text;
        n.quoted = true;
        return n;
      case Tok::kIdent:
        break;
    }
    const std::string word = Lower(t.text);
    if (word == "null") {
      Take();
      n.null_literal = true;
      n.untyped_null = true;
      return n;
    }
    if (word == "true" || word == "false") {
      Take();
      n.type = ColumnType::kBoolean;
      n.int_value = word == "true" ? 1 : 0;
      return n;
    }
    if (word == "case") return ParseCase();
    if (word == "cast") return ParseCast();
    if ((word == "date" || word == "timestamp") && Peek(1).kind == Tok::kString) {
      Take();
      const Token& value = Take();
      if (word == "date") {
        n.type = ColumnType::kDate;
        if (!ParseIsoDate(value.text, &n.int_value)) {
          return ErrorAt(text_, value.pos, "invalid date literal '" + value.text + "'");
        }
      } else {
        n.type = ColumnType::kTimestamp;
        if (!ParseIsoTimestamp(value.text, &n.int_value)) {
          return ErrorAt(text_, value.pos, "invalid timestamp literal '" + value.text + "'");
        }
      }
      return n;
    }
    if (std::find(std::begin(kReserved), std::end(kReserved), word) != std::end(kReserved)) {
      return Unexpected("a value");
    }
    Take();
    if (!TakeSymbol("(")) {
      n.op = Op::kColumn;
      n.name = t.text;
      return n;
    }
    std::vector<Node> args;
    if (!TakeSymbol(")")) {
      do {
        ASSIGN_OR_RETURN(Node arg, ParseOr());
        args.push_back(std::move(arg));
      } while (TakeSymbol(","));
      RETURN_IF_ERROR(ExpectSymbol(")"));
    }
    ASSIGN_OR_RETURN(Node call, Make(Op::kCall, n.pos, std::move(args)));
    call.name = word;
    return call;
  }

  // case [x] when c then v ... [else e] end; with x, each `when v` means x = v.
  Result<Node> ParseCase() {
    const size_t pos = Take().pos;
    std::optional<Node> subject;
    if (!IsKeyword(Peek(), "when")) {
      ASSIGN_OR_RETURN(subject, ParseOr());
    }
    std::vector<Node> args;
    bool has_else = false;
    if (!IsKeyword(Peek(), "when")) return Unexpected("'when'");
    while (TakeKeyword("when")) {
      ASSIGN_OR_RETURN(Node when, ParseOr());
      if (subject) {
        const size_t when_pos = when.pos;
        ASSIGN_OR_RETURN(when, Binary(Op::kEq, when_pos, *subject, std::move(when)));
      }
      RETURN_IF_ERROR(ExpectKeyword("then"));
      ASSIGN_OR_RETURN(Node then, ParseOr());
      args.push_back(std::move(when));
      args.push_back(std::move(then));
    }
    if (TakeKeyword("else")) {
      ASSIGN_OR_RETURN(Node otherwise, ParseOr());
      args.push_back(std::move(otherwise));
      has_else = true;
    }
    RETURN_IF_ERROR(ExpectKeyword("end"));
    ASSIGN_OR_RETURN(Node n, Make(Op::kCase, pos, std::move(args)));
    n.has_else = has_else;
    return n;
  }

  Result<Node> ParseCast() {
    const size_t pos = Take().pos;
    RETURN_IF_ERROR(ExpectSymbol("("));
    ASSIGN_OR_RETURN(Node value, ParseOr());
    RETURN_IF_ERROR(ExpectKeyword("as"));
    const Token& type_name = Peek();
    std::optional<ColumnType> type;
    if (type_name.kind == Tok::kIdent) type = ParseColumnType(Lower(type_name.text));
    if (!type) {
      return ErrorAt(text_, type_name.pos,
                     "expected a type (string, integer, float, boolean, date, timestamp)");
    }
    Take();
    RETURN_IF_ERROR(ExpectSymbol(")"));
    ASSIGN_OR_RETURN(Node n, Unary(Op::kCast, pos, std::move(value)));
    n.cast_to = *type;
    return n;
  }

  std::string_view text_;
  std::vector<Token> tokens_;
  size_t next_ = 0;
  int recursion_ = 0;
};

}  // namespace

size_t CharPosition(std::string_view text, size_t pos) {
  size_t chars = 1;
  for (size_t i = 0; i < pos && i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++chars;
  }
  return chars;
}

Status ErrorAt(std::string_view text, size_t pos, std::string_view what) {
  return Status::InvalidArgument("at " + std::to_string(CharPosition(text, pos)) + ": " +
                                 std::string(what));
}

Result<Node> Parse(std::string_view text) { return Parser(text).Run(); }

}  // namespace sluice::expr
