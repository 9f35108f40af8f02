#include "real_hw/ps_objects.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <pugixml.hpp>

namespace hil::real_hw {
namespace {

// The shape is PowerShell's own CustomSerialization (ConvertTo-Xml): <Objects> holds one
// <Object Type="..."> per pipeline object; a property is <Property Name="..." Type="...">text
// </Property>, a null one has no text, a collection's items are <Property Type="..."> children
// without a Name, and a nested object's properties are named <Property> children.

bool isProperty(pugi::xml_node node) {
  return node.type() == pugi::node_element && std::string_view{node.name()} == "Property";
}

bool hasPropertyChildren(pugi::xml_node node) {
  for (auto child : node.children()) {
    if (isProperty(child)) {
      return true;
    }
  }
  return false;
}

bool hasNamedPropertyChildren(pugi::xml_node node) {
  for (auto child : node.children()) {
    if (isProperty(child) && child.attribute("Name")) {
      return true;
    }
  }
  return false;
}

void readProperty(pugi::xml_node node, const std::string& prefix, PsObject& object) {
  const auto name = prefix + node.attribute("Name").value();
  if (!hasPropertyChildren(node)) {
    object.values[name] = node.child_value();
    return;
  }
  object.values[name] = "";
  if (hasNamedPropertyChildren(node)) {
    for (auto child : node.children()) {
      if (isProperty(child) && child.attribute("Name")) {
        readProperty(child, name + ".", object);
      }
    }
    return;
  }
  auto& items = object.collections[name];
  for (auto child : node.children()) {
    if (isProperty(child)) {
      items.emplace_back(child.child_value());
    }
  }
}

std::unexpected<Error> malformed(std::string_view why, std::string_view output) {
  return fail(ErrorCode::OperationFailed, fmt::format("{}: received \"{}\"", why, excerpt(output)));
}

/// Where the document in `output` ends: after </Objects>, or after an empty <Objects/>.
std::size_t documentEnd(std::string_view output, std::size_t start) {
  const auto close = output.rfind("</Objects>");
  if (close != std::string_view::npos && close >= start) {
    return close + std::string_view{"</Objects>"}.size();
  }
  const auto open = output.find("<Objects", start);
  if (open == std::string_view::npos) {
    return std::string_view::npos;
  }
  auto at = open + std::string_view{"<Objects"}.size();
  while (at < output.size() && std::isspace(static_cast<unsigned char>(output[at])) != 0) {
    ++at;
  }
  if (output.substr(at, 2) == "/>") {
    return at + 2;
  }
  return std::string_view::npos;
}

} // namespace

bool CaseInsensitiveLess::operator()(std::string_view a, std::string_view b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) <
           std::tolower(static_cast<unsigned char>(y));
  });
}

bool PsObject::has(std::string_view name) const { return values.find(name) != values.end(); }

Result<std::string> PsObject::value(std::string_view name) const {
  const auto it = values.find(name);
  if (it == values.end()) {
    return fail(ErrorCode::OperationFailed,
                fmt::format("the {} object has no property {}",
                            type.empty() ? std::string{"output"} : type, name));
  }
  return it->second;
}

std::string PsObject::valueOr(std::string_view name, std::string_view fallback) const {
  const auto it = values.find(name);
  return it == values.end() ? std::string{fallback} : it->second;
}

Result<std::vector<std::string>> PsObject::items(std::string_view name) const {
  if (const auto it = collections.find(name); it != collections.end()) {
    return it->second;
  }
  auto text = value(name);
  if (!text) {
    return std::unexpected(text.error());
  }
  if (text->empty()) {
    return std::vector<std::string>{};
  }
  return std::vector<std::string>{*text};
}

Result<std::vector<PsObject>> parsePsObjects(std::string_view output) {
  auto start = output.find("<?xml");
  if (start == std::string_view::npos) {
    start = output.find("<Objects");
  }
  if (start == std::string_view::npos) {
    const bool blank = std::all_of(output.begin(), output.end(), [](char c) {
      return std::isspace(static_cast<unsigned char>(c)) != 0;
    });
    if (blank) {
      return fail(ErrorCode::OperationFailed,
                  "no output where ConvertTo-Xml was expected to print <Objects>");
    }
    return malformed("not ConvertTo-Xml output (no <Objects>)", output);
  }
  const auto end = documentEnd(output, start);
  if (end == std::string_view::npos) {
    return malformed("truncated ConvertTo-Xml output (no </Objects>)", output);
  }
  const auto text = output.substr(start, end - start);

  pugi::xml_document doc;
  const auto parsed =
      doc.load_buffer(text.data(), text.size(), pugi::parse_default | pugi::parse_ws_pcdata_single);
  if (!parsed) {
    return malformed(fmt::format("malformed ConvertTo-Xml output ({} at offset {})",
                                 parsed.description(), parsed.offset),
                     text);
  }
  const auto root = doc.document_element();
  if (std::string_view{root.name()} != "Objects") {
    return malformed(
        fmt::format("ConvertTo-Xml output has <{}> where <Objects> belongs", root.name()), text);
  }
  std::vector<PsObject> objects;
  for (auto node : root.children()) {
    if (node.type() != pugi::node_element) {
      continue;
    }
    if (std::string_view{node.name()} != "Object") {
      return malformed(fmt::format("ConvertTo-Xml output has <{}> inside <Objects>", node.name()),
                       text);
    }
    PsObject object;
    object.type = node.attribute("Type").value();
    if (hasPropertyChildren(node)) {
      for (auto child : node.children()) {
        if (isProperty(child) && child.attribute("Name")) {
          readProperty(child, "", object);
        }
      }
    } else {
      object.text = node.child_value();
    }
    objects.push_back(std::move(object));
  }
  return objects;
}

std::string excerpt(std::string_view text, std::size_t limit) {
  std::string line;
  for (const char c : text) {
    if (c == '\r') {
      continue;
    }
    if (c == '\n' || c == '\t') {
      if (!line.empty() && line.back() != ' ') {
        line += ' ';
      }
      continue;
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      line += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
      continue;
    }
    line += c;
  }
  while (!line.empty() && line.back() == ' ') {
    line.pop_back();
  }
  const auto first = line.find_first_not_of(' ');
  line.erase(0, first == std::string::npos ? line.size() : first);
  if (line.size() <= limit) {
    return line;
  }
  auto cut = limit;
  // Never cut a UTF-8 sequence in half.
  while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  return line.substr(0, cut) + "...";
}

} // namespace hil::real_hw
