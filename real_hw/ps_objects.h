#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "framework/core/error.h"

namespace hil::real_hw {

/// ASCII case-insensitive ordering: PowerShell property names ignore case.
struct CaseInsensitiveLess {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const;
};

/// One pipeline object as `ConvertTo-Xml -As String` writes it: an <Object Type="...">
/// whose <Property Name="..."> children are its properties. Scalars are kept as text (numbers,
/// booleans "True"/"False", null and empty as ""); a collection property's items (nested
/// <Property> elements without a Name, e.g. DEVPKEY_Device_LocationPaths's Data) are kept as a
/// list; a nested object's properties are kept as "Outer.Inner". A primitive pipeline object
/// (a string, a number) has no properties, only `text`.
struct PsObject {
  std::string type; // the Type attribute: "System.Management.Automation.PSCustomObject"
  std::string text; // the object's own text, for a primitive object
  std::map<std::string, std::string, CaseInsensitiveLess> values;
  std::map<std::string, std::vector<std::string>, CaseInsensitiveLess> collections;

  [[nodiscard]] bool has(std::string_view name) const;
  /// The property's text; a property the object lacks is operation-failed, naming it.
  [[nodiscard]] Result<std::string> value(std::string_view name) const;
  /// The property's text, or `fallback` when the object lacks it.
  [[nodiscard]] std::string valueOr(std::string_view name, std::string_view fallback) const;
  /// A collection's items; a scalar property is one item, an empty one none, a missing one is
  /// operation-failed.
  [[nodiscard]] Result<std::vector<std::string>> items(std::string_view name) const;
};

/// Parses what a PowerShell command piped to `ConvertTo-Xml -As String` printed: the objects in
/// pipeline order (none for `<Objects />`). Text around the document (a blank line, a framing
/// newline) is ignored; missing or malformed output is operation-failed, quoting what was
/// received (truncated, on one line).
[[nodiscard]] Result<std::vector<PsObject>> parsePsObjects(std::string_view output);

/// `text` on one line and at most `limit` bytes, for quoting received output in a message.
[[nodiscard]] std::string excerpt(std::string_view text, std::size_t limit = 160);

} // namespace hil::real_hw
