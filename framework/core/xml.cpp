#include "framework/core/xml.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <stdexcept>

#include <fmt/format.h>

namespace hil {

std::string Diagnostic::toString() const {
  if (line > 0) {
    return fmt::format("{}:{}: {}", file, line, message);
  }
  return fmt::format("{}: {}", file, message);
}

void sortByLine(Diagnostics& diagnostics) {
  std::stable_sort(diagnostics.begin(), diagnostics.end(),
                   [](const Diagnostic& a, const Diagnostic& b) { return a.line < b.line; });
}

std::string toString(const Diagnostics& diagnostics) {
  std::string text;
  for (const auto& d : diagnostics) {
    text += d.toString();
    text += '\n';
  }
  return text;
}

namespace xml {
namespace {

std::string joinAllowed(Names allowed) {
  std::string text;
  for (auto word : allowed) {
    text += text.empty() ? "" : ", ";
    text += word;
  }
  return text;
}

/// The start of a text for a message: its first line, at most 30 characters.
std::string excerpt(std::string_view text) {
  constexpr std::size_t kMost = 30;
  const auto line = text.substr(0, text.find_first_of("\r\n"));
  return line.size() > kMost ? fmt::format("{}...", line.substr(0, kMost)) : std::string{line};
}

bool isText(pugi::xml_node node) {
  return node.type() == pugi::node_pcdata || node.type() == pugi::node_cdata;
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    return {};
  }
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

} // namespace

namespace {

// UTF-16 files (Windows PowerShell's Out-File default) become UTF-8 first, so that pugixml's
// offsets and our line table count the same bytes.
std::string utf16ToUtf8(std::string_view bytes, bool bigEndian) {
  std::string out;
  auto unit = [&](std::size_t i) -> std::uint32_t {
    const auto a = static_cast<unsigned char>(bytes[i]);
    const auto b = static_cast<unsigned char>(bytes[i + 1]);
    return bigEndian ? (a << 8 | b) : (b << 8 | a);
  };
  for (std::size_t i = 2; i + 1 < bytes.size(); i += 2) {
    std::uint32_t cp = unit(i);
    if (cp >= 0xd800 && cp <= 0xdbff && i + 3 < bytes.size()) {
      const std::uint32_t low = unit(i + 2);
      if (low >= 0xdc00 && low <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        i += 2;
      }
    }
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xc0 | cp >> 6);
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xe0 | cp >> 12);
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | cp >> 18);
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }
  return out;
}

} // namespace

Parsed<Document> Document::parse(std::string text, std::string file, bool keepLineEnds) {
  if (text.starts_with("\xff\xfe") || text.starts_with("\xfe\xff")) {
    text = utf16ToUtf8(text, text[0] == '\xfe');
  }
  Document doc;
  doc.file_ = std::move(file);
  doc.lineStarts_.push_back(0);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') {
      doc.lineStarts_.push_back(static_cast<std::ptrdiff_t>(i + 1));
    }
  }
  doc.doc_ = std::make_unique<pugi::xml_document>();
  // parse_fragment keeps text outside the root element as nodes (pugixml drops it otherwise),
  // so that outsideTheRoot() can report it.
  auto flags = pugi::parse_default | pugi::parse_ws_pcdata_single | pugi::parse_fragment;
  if (keepLineEnds) {
    flags &= ~pugi::parse_eol;
  }
  const auto result = doc.doc_->load_buffer(text.data(), text.size(), flags);
  if (!result) {
    return std::unexpected(
        Diagnostics{{doc.file_, doc.lineAtOffset(result.offset),
                     fmt::format("XML syntax error: {}", result.description())}});
  }
  if (!doc.doc_->document_element()) {
    return std::unexpected(
        Diagnostics{{doc.file_, 1, "no root element; expected one root element"}});
  }
  if (auto stray = doc.outsideTheRoot(); !stray.empty()) {
    return std::unexpected(std::move(stray));
  }
  return doc;
}

Diagnostics Document::outsideTheRoot() const {
  const auto root = doc_->document_element();
  Diagnostics stray;
  for (auto node : doc_->children()) {
    if (node.type() == pugi::node_element && node != root) {
      stray.push_back({file_, lineOf(node),
                       fmt::format("another root element <{}> after <{}> at line {}; expected one "
                                   "root element",
                                   node.name(), root.name(), lineOf(root))});
    } else if (isText(node) && !trim(node.value()).empty()) {
      stray.push_back(
          {file_, textLine(node),
           fmt::format("text \"{}\" {} the root element <{}>; expected one root element, with "
                       "only comments and white space around it",
                       excerpt(trim(node.value())),
                       node.offset_debug() < root.offset_debug() ? "before" : "after",
                       root.name())});
    }
  }
  return stray;
}

int Document::textLine(pugi::xml_node text) const {
  const std::string_view value = text.value();
  const auto blank = value.substr(0, value.find_first_not_of(" \t\r\n"));
  return lineOf(text) + static_cast<int>(std::count(blank.begin(), blank.end(), '\n'));
}

int Document::lineAtOffset(std::ptrdiff_t offset) const {
  const auto it = std::upper_bound(lineStarts_.begin(), lineStarts_.end(), offset);
  return static_cast<int>(it - lineStarts_.begin());
}

int Document::lineOf(pugi::xml_node node) const { return lineAtOffset(node.offset_debug()); }

namespace {

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

/// Optimal string alignment distance, ignoring ASCII case: insertions, deletions, substitutions
/// and swaps of two neighbours ("modle" is one edit from "model").
std::size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) {
    d[i][0] = i;
  }
  for (std::size_t j = 0; j <= b.size(); ++j) {
    d[0][j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
          lower(a[i - 2]) == lower(b[j - 1])) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

/// "name", or "one of name, state"
std::string oneOf(Names allowed) {
  return allowed.size() == 1 ? std::string{allowed.front()}
                             : fmt::format("one of {}", joinAllowed(allowed));
}

/// " (did you mean 'model'?)", or nothing when no name is near.
std::string suggestion(std::string_view name, Names candidates, std::string_view open,
                       std::string_view close) {
  const auto nearest = nearestName(name, candidates);
  return nearest ? fmt::format(" (did you mean {}{}{}?)", open, *nearest, close) : std::string{};
}

} // namespace

std::optional<std::string_view> nearestName(std::string_view name, Names candidates) {
  constexpr std::size_t kMostEdits = 2;
  std::optional<std::string_view> nearest;
  std::size_t nearestDistance = kMostEdits + 1;
  bool tied = false;
  for (auto candidate : candidates) {
    const auto distance = editDistance(name, candidate);
    if (distance < nearestDistance) {
      nearest = candidate;
      nearestDistance = distance;
      tied = false;
    } else if (distance == nearestDistance) {
      tied = true;
    }
  }
  if (!nearest || tied || 2 * nearestDistance > name.size()) {
    return std::nullopt;
  }
  return nearest;
}

Element::Element(const Document& doc, pugi::xml_node node, Diagnostics& out)
    : doc_(doc), node_(node), out_(out), line_(doc.lineOf(node)) {}

Element::Element(const Document& doc, pugi::xml_node node, Diagnostics& out,
                 std::vector<std::string_view> allowedAttributes)
    : doc_(doc), node_(node), out_(out), line_(doc.lineOf(node)),
      format_(std::move(allowedAttributes)) {}

Element::~Element() {
  for (auto attribute : node_.attributes()) {
    const std::string_view name = attribute.name();
    if (std::find(consumed_.begin(), consumed_.end(), name) == consumed_.end()) {
      reportUnknownAttribute(name);
    }
  }
}

std::vector<std::string_view> Element::allowedAttributes() const {
  if (format_) {
    return *format_;
  }
  return {consumed_.begin(), consumed_.end()};
}

void Element::reportUnknownAttribute(std::string_view attribute) {
  const auto allowed = allowedAttributes();
  error(fmt::format("unknown attribute '{}' on <{}>; expected {}{}", attribute, node_.name(),
                    allowed.empty() ? "no attributes" : oneOf(allowed),
                    suggestion(attribute, allowed, "'", "'")));
}

void Element::error(std::string message) {
  out_.push_back({doc_.file(), line_, std::move(message)});
}

std::optional<std::string> Element::optional(const char* attribute) {
  const std::string_view name = attribute;
  if (format_ && std::find(format_->begin(), format_->end(), name) == format_->end()) {
    throw std::logic_error(fmt::format("<{}> is read for the attribute '{}', which its format "
                                       "does not allow",
                                       node_.name(), name));
  }
  if (std::find(consumed_.begin(), consumed_.end(), name) == consumed_.end()) {
    consumed_.emplace_back(name);
  }
  const auto attr = node_.attribute(attribute);
  if (!attr) {
    return std::nullopt;
  }
  return std::string{attr.value()};
}

std::optional<std::string> Element::required(const char* attribute) {
  auto value = optional(attribute);
  if (!value) {
    error(fmt::format("<{}> needs the attribute '{}'", node_.name(), attribute));
  }
  return value;
}

bool Element::boolean(const char* attribute, bool fallback) {
  const auto value = optional(attribute);
  if (!value) {
    return fallback;
  }
  if (*value == "true") {
    return true;
  }
  if (*value == "false") {
    return false;
  }
  error(fmt::format("{}=\"{}\" on <{}>: expected true or false", attribute, *value, node_.name()));
  return fallback;
}

std::optional<std::int64_t> Element::integer(const char* attribute, std::int64_t min,
                                             std::int64_t max, bool isRequired) {
  const auto value = isRequired ? required(attribute) : optional(attribute);
  if (!value) {
    return std::nullopt;
  }
  std::int64_t parsed = 0;
  const auto* end = value->data() + value->size();
  auto [ptr, ec] = std::from_chars(value->data(), end, parsed);
  if (ec != std::errc{} || ptr != end || parsed < min || parsed > max) {
    error(fmt::format("{}=\"{}\" on <{}>: expected a whole number from {} to {}", attribute, *value,
                      node_.name(), min, max));
    return std::nullopt;
  }
  return parsed;
}

std::optional<double> Element::number(const char* attribute, double min, double max,
                                      bool isRequired) {
  const auto value = isRequired ? required(attribute) : optional(attribute);
  if (!value) {
    return std::nullopt;
  }
  double parsed = 0;
  const auto* end = value->data() + value->size();
  auto [ptr, ec] = std::from_chars(value->data(), end, parsed);
  if (ec != std::errc{} || ptr != end || !std::isfinite(parsed) || parsed < min || parsed > max) {
    error(fmt::format("{}=\"{}\" on <{}>: expected a number from {} to {}", attribute, *value,
                      node_.name(), min, max));
    return std::nullopt;
  }
  return parsed;
}

std::optional<std::string> Element::choice(const char* attribute,
                                           std::initializer_list<std::string_view> allowed,
                                           bool isRequired) {
  return choice(attribute, Names{allowed.begin(), allowed.size()}, isRequired);
}

std::optional<std::string> Element::choice(const char* attribute, Names allowed, bool isRequired) {
  auto value = isRequired ? required(attribute) : optional(attribute);
  if (!value) {
    return std::nullopt;
  }
  if (std::find(allowed.begin(), allowed.end(), *value) == allowed.end()) {
    error(fmt::format("{}=\"{}\" on <{}>: expected one of {}", attribute, *value, node_.name(),
                      joinAllowed(allowed)));
    return std::nullopt;
  }
  return value;
}

std::vector<pugi::xml_node> Element::children(std::initializer_list<std::string_view> allowed) {
  return children(Names{allowed.begin(), allowed.size()});
}

std::vector<pugi::xml_node> Element::children(Names allowed) {
  std::vector<pugi::xml_node> result;
  for (auto child : node_.children()) {
    if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
      if (!trim(child.value()).empty()) {
        out_.push_back({doc_.file(), doc_.lineOf(child),
                        fmt::format("unexpected text inside <{}>", node_.name())});
      }
      continue;
    }
    if (child.type() != pugi::node_element) {
      continue;
    }
    if (std::find(allowed.begin(), allowed.end(), std::string_view{child.name()}) ==
        allowed.end()) {
      out_.push_back(
          {doc_.file(), doc_.lineOf(child),
           fmt::format("unknown element <{}> inside <{}>; expected {}{}", child.name(),
                       node_.name(), allowed.empty() ? "no child elements" : joinAllowed(allowed),
                       suggestion(child.name(), allowed, "<", ">"))});
      continue;
    }
    result.push_back(child);
  }
  return result;
}

std::string Element::text() {
  std::string text;
  for (auto child : node_.children()) {
    if (child.type() == pugi::node_element) {
      out_.push_back({doc_.file(), doc_.lineOf(child),
                      fmt::format("unknown element <{}> inside <{}>; expected text only",
                                  child.name(), node_.name())});
    } else if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
      text += child.value();
    }
  }
  return std::string{trim(text)};
}

std::uint64_t Element::requiredBytes(const char* attribute) {
  const auto value = required(attribute);
  if (!value) {
    return 0;
  }
  std::uint64_t parsed = 0;
  const char* end = value->data() + value->size();
  const auto [ptr, ec] = std::from_chars(value->data(), end, parsed);
  if (value->empty() || ec != std::errc{} || ptr != end) {
    error(fmt::format("{}=\"{}\" on <{}>: expected a size in bytes", attribute, *value,
                      node_.name()));
    return 0;
  }
  return parsed;
}

bool Element::requiredFlag(const char* attribute) {
  if (!node_.attribute(attribute)) {
    required(attribute);
    return false;
  }
  return boolean(attribute, false);
}

namespace {

class StringWriter : public pugi::xml_writer {
public:
  explicit StringWriter(std::string& out) : out_(out) {}
  void write(const void* data, std::size_t size) override {
    out_.append(static_cast<const char*>(data), size);
  }

private:
  std::string& out_;
};

} // namespace

std::string toText(const pugi::xml_document& doc) {
  std::string text;
  StringWriter writer{text};
  doc.save(writer, "  ", pugi::format_indent, pugi::encoding_utf8);
  return text;
}

void setAttribute(pugi::xml_node node, const char* name, std::string_view value) {
  node.append_attribute(name).set_value(std::string{value}.c_str());
}

void setNumber(pugi::xml_node node, const char* name, std::uint64_t value) {
  setAttribute(node, name, fmt::format("{}", value));
}

void setBool(pugi::xml_node node, const char* name, bool value) {
  setAttribute(node, name, value ? "true" : "false");
}

std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> result;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) {
      ++i;
    }
    std::size_t j = i;
    while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j]))) {
      ++j;
    }
    if (j > i) {
      result.emplace_back(text.substr(i, j - i));
    }
    i = j;
  }
  return result;
}

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    case '\'':
      out += "&#39;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

} // namespace xml
} // namespace hil
