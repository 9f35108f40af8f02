#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <pugixml.hpp>

#include "framework/core/diagnostic.h"

namespace hil::xml {

/// A parsed XML file that knows the line of every element, so loaders can say file:line.
class Document {
public:
  /// Parses text; a syntax error becomes one diagnostic at its line, and so does each element
  /// or text outside the one root element (comments, processing instructions, the XML
  /// declaration and white space may surround it). With `keepLineEnds`, CR bytes in text stay as
  /// they are (XML normally turns CRLF into LF), for exact transcripts.
  static Parsed<Document> parse(std::string text, std::string file, bool keepLineEnds = false);

  [[nodiscard]] pugi::xml_node root() const { return doc_->document_element(); }
  [[nodiscard]] int lineOf(pugi::xml_node node) const;
  [[nodiscard]] const std::string& file() const { return file_; }

private:
  Document() = default;
  [[nodiscard]] int lineAtOffset(std::ptrdiff_t offset) const;
  /// A diagnostic for each element or text beside the root element.
  [[nodiscard]] Diagnostics outsideTheRoot() const;
  /// The line of a text node's first character that is not white space.
  [[nodiscard]] int textLine(pugi::xml_node text) const;

  std::string file_;
  std::unique_ptr<pugi::xml_document> doc_;
  std::vector<std::ptrdiff_t> lineStarts_;
};

/// Reads one element strictly: every attribute it does not consume and every child element it
/// does not expect is reported, with the element's line.
class Element {
public:
  Element(const Document& doc, pugi::xml_node node, Diagnostics& out);
  Element(const Element&) = delete;
  Element& operator=(const Element&) = delete;
  /// Reports the attributes nobody asked for.
  ~Element();

  [[nodiscard]] pugi::xml_node node() const { return node_; }
  [[nodiscard]] int line() const { return line_; }
  [[nodiscard]] std::string_view name() const { return node_.name(); }

  /// The attribute's text, or nullopt (reported) when required and missing.
  std::optional<std::string> required(const char* attribute);
  std::optional<std::string> optional(const char* attribute);

  /// "true" | "false"; a bad value is reported and fallback returned.
  bool boolean(const char* attribute, bool fallback);
  /// A whole number in [min, max]; nullopt when absent or bad (bad is reported).
  std::optional<std::int64_t> integer(const char* attribute, std::int64_t min, std::int64_t max,
                                      bool required = false);
  std::optional<double> number(const char* attribute, double min, double max,
                               bool required = false);
  /// A required unsigned 64-bit count (sizes in bytes); reported and 0 when missing or bad.
  std::uint64_t requiredBytes(const char* attribute);
  /// A required "true" | "false"; reported and false when missing or bad.
  bool requiredFlag(const char* attribute);
  /// One of the given words.
  std::optional<std::string> choice(const char* attribute,
                                    std::initializer_list<std::string_view> allowed,
                                    bool required = false);

  /// Child elements, each checked against the allowed names (others are reported).
  std::vector<pugi::xml_node> children(std::initializer_list<std::string_view> allowed);
  /// The element's text content (trimmed); elements with child elements are reported.
  std::string text();

  /// Adds a diagnostic at this element's line.
  void error(std::string message);

private:
  const Document& doc_;
  pugi::xml_node node_;
  Diagnostics& out_;
  int line_;
  std::set<std::string, std::less<>> consumed_;
};

/// The document as text (two-space indent, UTF-8).
[[nodiscard]] std::string toText(const pugi::xml_document& doc);

/// Appends an attribute with a string, a number or "true"/"false".
void setAttribute(pugi::xml_node node, const char* name, std::string_view value);
void setNumber(pugi::xml_node node, const char* name, std::uint64_t value);
void setBool(pugi::xml_node node, const char* name, bool value);

/// Splits on ASCII white space.
[[nodiscard]] std::vector<std::string> words(std::string_view text);

} // namespace hil::xml
