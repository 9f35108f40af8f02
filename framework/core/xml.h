#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
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

/// Names an element allows: its attributes or its child elements.
using Names = std::span<const std::string_view>;

/// The one name among `candidates` that `name` is an obvious slip of: the same but for case, or
/// within two edits (fewer than half of `name`'s length, so that short names do not match
/// unrelated ones) and nearer than every other candidate. Nullopt when there is none.
[[nodiscard]] std::optional<std::string_view> nearestName(std::string_view name, Names candidates);

/// Reads one element strictly: every attribute it does not consume and every child element it
/// does not expect is reported, with the element's line, the names allowed there and the
/// nearest of them.
class Element {
public:
  /// The allowed attributes are those the reader asks for.
  Element(const Document& doc, pugi::xml_node node, Diagnostics& out);
  /// With the attributes the element's format allows: asking for another is a bug in the reader
  /// (std::logic_error), and an unknown one in the file is reported with this list.
  Element(const Document& doc, pugi::xml_node node, Diagnostics& out,
          std::vector<std::string_view> allowedAttributes);
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
  std::optional<std::string> choice(const char* attribute, Names allowed, bool required = false);
  std::optional<std::string> choice(const char* attribute,
                                    std::initializer_list<std::string_view> allowed,
                                    bool required = false);

  /// Child elements, each checked against the allowed names (others are reported).
  std::vector<pugi::xml_node> children(Names allowed);
  std::vector<pugi::xml_node> children(std::initializer_list<std::string_view> allowed);
  /// The element's text content (trimmed); elements with child elements are reported.
  std::string text();

  /// Adds a diagnostic at this element's line.
  void error(std::string message);

private:
  /// The allowed attributes: the format's, else those asked for so far.
  [[nodiscard]] std::vector<std::string_view> allowedAttributes() const;
  void reportUnknownAttribute(std::string_view attribute);

  const Document& doc_;
  pugi::xml_node node_;
  Diagnostics& out_;
  int line_;
  std::optional<std::vector<std::string_view>> format_;
  std::vector<std::string> consumed_; // in the order asked
};

/// The document as text (two-space indent, UTF-8).
[[nodiscard]] std::string toText(const pugi::xml_document& doc);

/// Appends an attribute with a string, a number or "true"/"false".
void setAttribute(pugi::xml_node node, const char* name, std::string_view value);
void setNumber(pugi::xml_node node, const char* name, std::uint64_t value);
void setBool(pugi::xml_node node, const char* name, bool value);

/// Splits on ASCII white space.
[[nodiscard]] std::vector<std::string> words(std::string_view text);

/// The text with & < > " ' written as entities, for XML or HTML text and attribute values
/// written by hand. It does not check the bytes: what is not XML-safe stays as it is.
[[nodiscard]] std::string escape(std::string_view text);

} // namespace hil::xml
