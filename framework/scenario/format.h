#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace hil::scenario {

/// What an attribute's value may be.
enum class ValueKind {
  Text,    // any text
  Words,   // words separated by white space
  Boolean, // true | false
  Integer, // a whole number from `min` to `max`
  Choice,  // one of `choices`
};

/// One attribute of a scenario element, as the loader reads it and the reference documents it.
struct AttributeFormat {
  std::string_view name{};
  bool required = false;
  ValueKind kind = ValueKind::Text;
  std::vector<std::string_view> choices{}; // Choice: the words allowed
  std::int64_t min = 0;                    // Integer: the range allowed
  std::int64_t max = 0;
  std::string_view values{};   // the values allowed, in words, where the kind does not say it all
  std::string_view fallback{}; // the value an absent attribute means; empty: none (or required)
  std::string_view meaning{};  // one line
};

/// One element of the scenario format: its attributes and the child elements it may hold.
struct ElementFormat {
  std::string_view name{};
  std::string_view meaning{}; // one line
  std::vector<AttributeFormat> attributes{};
  std::vector<std::string_view> children{};

  /// The attribute's format, or nullptr when the element has no such attribute.
  [[nodiscard]] const AttributeFormat* attribute(std::string_view attributeName) const;
  [[nodiscard]] std::vector<std::string_view> attributeNames() const;
};

/// Every element of the scenario format, the root elements first: the one table the loader
/// reads by and docs/scenario-format.md documents.
[[nodiscard]] std::span<const ElementFormat> formatReference();

/// The element's format; std::logic_error for a name the format does not have, since the
/// loader asks only for the elements the table lists.
[[nodiscard]] const ElementFormat& elementFormat(std::string_view name);

} // namespace hil::scenario
