// docs/scenario-format.md against the format table the loader reads by: every element, attribute
// and child list the loader accepts is documented, and the page names nothing else.
//
// What the page must look like, per element:
//
//   ### `<gpu>`
//   ...
//   | attribute | use | values | default | meaning |
//   |---|---|---|---|---|
//   | `model` | required | a GPU catalog id | | the GPU model |
//   | `count` | optional | a whole number from 1 to 16 | `1` | how many identical devices |
//   ...
//   Children: `<a>`, `<b>`        (or "Children: none")
//
// An element without attributes says "Attributes: none." instead of the table. Lines inside
// code fences are not read.

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "framework/scenario/format.h"

namespace hil::scenario {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

struct DocumentedAttribute {
  std::string use;    // "required" | "optional"
  std::string values; // the values cell, as written
  int line = 0;
};

struct DocumentedElement {
  int line = 0;
  std::map<std::string, DocumentedAttribute, std::less<>> attributes;
  bool saysNoAttributes = false;
  std::optional<std::vector<std::string>> children;
};

using DocumentedFormat = std::map<std::string, DocumentedElement, std::less<>>;

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) {
    return {};
  }
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

/// The cells of a table row "| a | b |".
std::vector<std::string> cells(std::string_view row) {
  std::vector<std::string> result;
  row = trim(row);
  row.remove_prefix(1);
  while (!row.empty()) {
    const auto bar = row.find('|');
    result.emplace_back(trim(row.substr(0, bar)));
    row = bar == std::string_view::npos ? std::string_view{} : row.substr(bar + 1);
  }
  return result;
}

/// The text between the first pair of backticks.
std::string firstQuoted(std::string_view text) {
  const auto open = text.find('`');
  const auto close = text.find('`', open + 1);
  return close == std::string_view::npos ? std::string{}
                                         : std::string{text.substr(open + 1, close - open - 1)};
}

/// "`<a>`, `<b>`" or "none".
std::vector<std::string> childNames(std::string_view list) {
  std::vector<std::string> names;
  std::size_t at = 0;
  while ((at = list.find("`<", at)) != std::string_view::npos) {
    const auto end = list.find(">`", at);
    if (end == std::string_view::npos) {
      break;
    }
    names.emplace_back(list.substr(at + 2, end - at - 2));
    at = end;
  }
  return names;
}

/// The element a heading line "### `<gpu>`" names.
std::optional<std::string> elementHeading(std::string_view line) {
  if (!line.starts_with("### `<") || !line.ends_with(">`")) {
    return std::nullopt;
  }
  return std::string{line.substr(6, line.size() - 8)};
}

DocumentedFormat parseReference(const std::string& markdown) {
  DocumentedFormat format;
  DocumentedElement* element = nullptr;
  std::istringstream in{markdown};
  std::string line;
  bool inCode = false;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.starts_with("```")) {
      inCode = !inCode;
    } else if (inCode) {
      continue;
    } else if (auto name = elementHeading(line)) {
      element = &format[*name];
      element->line = number;
    } else if (line.starts_with("#")) {
      element = nullptr;
    } else if (element == nullptr) {
      continue;
    } else if (line.starts_with("| `")) {
      const auto row = cells(line);
      element->attributes[firstQuoted(row.at(0))] = {row.size() > 1 ? row[1] : "",
                                                     row.size() > 2 ? row[2] : "", number};
    } else if (line.starts_with("Attributes: none")) {
      element->saysNoAttributes = true;
    } else if (line.starts_with("Children: ")) {
      element->children = childNames(line.substr(10));
    }
  }
  return format;
}

std::string join(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& name : names) {
    text += text.empty() ? "" : ", ";
    text += name;
  }
  return text.empty() ? "none" : text;
}

class ReferenceCheck {
public:
  ReferenceCheck(std::string file, const DocumentedFormat& documented)
      : file_(std::move(file)), documented_(documented) {}

  /// Every way the page and the table disagree, as "file:line: what".
  std::vector<std::string> differences(std::span<const ElementFormat> table) {
    for (const auto& [name, element] : documented_) {
      if (std::none_of(table.begin(), table.end(),
                       [&](const ElementFormat& e) { return e.name == name; })) {
        problem(element.line, fmt::format("documents <{}>, which the format does not have", name));
      }
    }
    for (const auto& element : table) {
      const auto it = documented_.find(element.name);
      if (it == documented_.end()) {
        problem(0, fmt::format("no section \"### `<{}>`\" for <{}>", element.name, element.name));
        continue;
      }
      compareAttributes(element, it->second);
      compareChildren(element, it->second);
    }
    return problems_;
  }

private:
  void problem(int line, std::string_view what) {
    problems_.push_back(line > 0 ? fmt::format("{}:{}: {}", file_, line, what)
                                 : fmt::format("{}: {}", file_, what));
  }

  void compareAttributes(const ElementFormat& element, const DocumentedElement& doc) {
    for (const auto& [name, attribute] : doc.attributes) {
      if (element.attribute(name) == nullptr) {
        problem(attribute.line, fmt::format("documents the attribute '{}' on <{}>, which the "
                                            "format does not have",
                                            name, element.name));
      }
    }
    for (const auto& attribute : element.attributes) {
      const auto it = doc.attributes.find(attribute.name);
      if (it == doc.attributes.end()) {
        problem(doc.line, fmt::format("<{}> takes the attribute '{}', which is not documented",
                                      element.name, attribute.name));
        continue;
      }
      compareAttribute(element, attribute, it->second);
    }
    if (element.attributes.empty() != doc.saysNoAttributes) {
      problem(doc.line, fmt::format("<{}> {}", element.name,
                                    element.attributes.empty()
                                        ? "takes no attributes; expected \"Attributes: none.\""
                                        : "takes attributes; \"Attributes: none.\" is wrong"));
    }
  }

  void compareAttribute(const ElementFormat& element, const AttributeFormat& attribute,
                        const DocumentedAttribute& doc) {
    const auto use = attribute.required ? "required" : "optional";
    if (doc.use != use) {
      problem(doc.line, fmt::format("'{}' on <{}> is {}, documented as \"{}\"", attribute.name,
                                    element.name, use, doc.use));
    }
    auto allowed = attribute.choices;
    if (attribute.kind == ValueKind::Boolean) {
      allowed = {"true", "false"};
    }
    for (auto value : allowed) {
      if (doc.values.find(fmt::format("`{}`", value)) == std::string::npos) {
        problem(doc.line, fmt::format("'{}' on <{}> takes `{}`, which its values do not name",
                                      attribute.name, element.name, value));
      }
    }
  }

  void compareChildren(const ElementFormat& element, const DocumentedElement& doc) {
    const std::vector<std::string> children{element.children.begin(), element.children.end()};
    if (!doc.children) {
      problem(doc.line, fmt::format("<{}> has no \"Children:\" line; expected \"Children: {}\"",
                                    element.name, join(children)));
    } else if (*doc.children != children) {
      problem(doc.line, fmt::format("<{}> documents the children {}; the format has {}",
                                    element.name, join(*doc.children), join(children)));
    }
  }

  std::string file_;
  const DocumentedFormat& documented_;
  std::vector<std::string> problems_;
};

std::vector<std::string> differences(const std::string& markdown) {
  const auto documented = parseReference(markdown);
  return ReferenceCheck{"doc.md", documented}.differences(formatReference());
}

std::string readReference() {
  std::ifstream in{HIL_SCENARIO_FORMAT_DOC};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(ScenarioFormatDocTest, DocumentsEveryElementAndAttributeTheLoaderAccepts) {
  const auto markdown = readReference();
  ASSERT_FALSE(markdown.empty()) << "cannot read " << HIL_SCENARIO_FORMAT_DOC;
  const auto documented = parseReference(markdown);
  EXPECT_THAT(ReferenceCheck(HIL_SCENARIO_FORMAT_DOC, documented).differences(formatReference()),
              IsEmpty());
}

// The checks themselves, on the page with one thing changed.

std::string replaced(std::string text, std::string_view from, std::string_view to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return at == std::string::npos ? text : text.replace(at, from.size(), to);
}

TEST(ScenarioFormatDocTest, AnUndocumentedAttributeIsFound) {
  const auto markdown = replaced(readReference(), "| `bad-memory` |", "| bad-memory |");
  EXPECT_THAT(
      differences(markdown),
      Contains(HasSubstr("<gpu> takes the attribute 'bad-memory', which is not documented")));
}

TEST(ScenarioFormatDocTest, AnAttributeTheFormatLacksIsFound) {
  const auto markdown =
      replaced(readReference(), "| `in-use` |", "| `in-use` | optional | |\n| `colour` |");
  EXPECT_THAT(differences(markdown), Contains(HasSubstr("documents the attribute 'colour' on "
                                                        "<gpu>, which the format does not have")));
}

TEST(ScenarioFormatDocTest, AMissingOrExtraElementIsFound) {
  auto markdown = replaced(readReference(), "### `<smoke>`", "### `<smoke-test>`");
  EXPECT_THAT(differences(markdown), Contains(HasSubstr("no section \"### `<smoke>`\"")));
  EXPECT_THAT(differences(markdown),
              Contains(HasSubstr("documents <smoke-test>, which the format does not have")));
}

TEST(ScenarioFormatDocTest, ADifferentChildListIsFound) {
  const auto markdown =
      replaced(readReference(), "Children: `<windows>`, `<hyperv>`, `<gpu>`, `<vm>`, `<fault>`",
               "Children: `<windows>`, `<gpu>`, `<vm>`, `<fault>`");
  EXPECT_THAT(differences(markdown), Contains(HasSubstr("<host> documents the children windows, "
                                                        "gpu, vm, fault; the format has windows, "
                                                        "hyperv, gpu, vm, fault")));
}

TEST(ScenarioFormatDocTest, AWrongUseOrAMissingValueIsFound) {
  const auto markdown =
      replaced(replaced(readReference(), "| `model` | required |", "| `model` | optional |"),
               "`running` or `off`", "`running`");
  const auto found = differences(markdown);
  EXPECT_THAT(found,
              Contains(HasSubstr("'model' on <gpu> is required, documented as \"optional\"")));
  EXPECT_THAT(found,
              Contains(HasSubstr("'state' on <vm> takes `off`, which its values do not name")));
}

} // namespace
} // namespace hil::scenario
