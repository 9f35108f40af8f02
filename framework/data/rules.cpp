#include "framework/data/rules.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "framework/core/xml.h"

namespace hil::embedded {
extern const std::string_view rules_eflow_2021_preview;
extern const std::string_view rules_eflow_current;
} // namespace hil::embedded

namespace hil::data {
namespace {

constexpr std::array<std::string_view, 2> kBuiltinNames = {"eflow-2021-preview", "eflow-current"};

Rule parseRule(const xml::Document& doc, pugi::xml_node node, Diagnostics& out) {
  xml::Element el{
      doc,
      node,
      out,
      {"gpus", "families", "technique", "editions", "min-build", "requires", "recommends"}};
  Rule rule;
  rule.line = el.line();
  rule.gpus = xml::words(el.optional("gpus").value_or(""));
  rule.families = xml::words(el.optional("families").value_or(""));
  if (rule.gpus.empty() && rule.families.empty()) {
    el.error("<rule> needs gpus=\"catalog ids\" or families=\"catalog families\"");
  }
  const auto technique =
      el.choice("technique", {"DirectDeviceAssignment", "ParaVirtualization"}, true);
  if (technique) {
    rule.technique = *platform::parseTechnique(*technique);
  }
  for (const auto& word : xml::words(el.required("editions").value_or(""))) {
    if (auto edition = platform::parseEdition(word)) {
      rule.editions.push_back(*edition);
    } else {
      el.error(fmt::format("editions: unknown edition '{}'; expected server, enterprise, "
                           "iot-enterprise, professional, home",
                           word));
    }
  }
  if (const auto build = el.required("min-build")) {
    if (auto parsed = platform::parseWindowsBuild(*build)) {
      rule.minBuild = *parsed;
    } else {
      el.error(fmt::format("min-build=\"{}\": expected a build number such as 17763 or "
                           "19044.1620",
                           *build));
    }
  }
  for (const auto& word : xml::words(el.optional("requires").value_or(""))) {
    if (word == "wsl-driver") {
      rule.requiresWslDriver = true;
    } else {
      el.error(fmt::format("requires: unknown '{}'; expected wsl-driver", word));
    }
  }
  for (const auto& word : xml::words(el.optional("recommends").value_or(""))) {
    if (word == "mitigation-driver") {
      rule.recommendsMitigationDriver = true;
    } else {
      el.error(fmt::format("recommends: unknown '{}'; expected mitigation-driver", word));
    }
  }
  el.children({});
  return rule;
}

} // namespace

bool Rule::covers(const GpuModel& model) const {
  return std::find(gpus.begin(), gpus.end(), model.id) != gpus.end() ||
         std::find(families.begin(), families.end(), model.family) != families.end();
}

bool Rule::allows(platform::Edition edition) const {
  return std::find(editions.begin(), editions.end(), edition) != editions.end();
}

Parsed<RulesProfile> RulesProfile::parse(std::string text, std::string file) {
  auto doc = xml::Document::parse(std::move(text), std::move(file));
  if (!doc) {
    return std::unexpected(doc.error());
  }
  Diagnostics out;
  RulesProfile profile;
  {
    xml::Element root{*doc, doc->root(), out, {"profile"}};
    if (root.name() != "rules") {
      root.error(fmt::format("root element is <{}>; expected <rules>", root.name()));
    }
    profile.name_ = root.required("profile").value_or("");
    for (auto node : root.children({"description", "rule"})) {
      if (std::string_view{node.name()} == "description") {
        xml::Element description{*doc, node, out, {}};
        profile.description_ = description.text();
      } else {
        profile.rules_.push_back(parseRule(*doc, node, out));
      }
    }
  }
  if (!out.empty()) {
    sortByLine(out);
    return std::unexpected(std::move(out));
  }
  return profile;
}

std::optional<RulesProfile> RulesProfile::builtin(std::string_view name) {
  std::string_view text;
  if (name == "eflow-2021-preview") {
    text = embedded::rules_eflow_2021_preview;
  } else if (name == "eflow-current") {
    text = embedded::rules_eflow_current;
  } else {
    return std::nullopt;
  }
  auto parsed = parse(std::string{text}, fmt::format("framework/data/rules/{}.xml", name));
  // The embedded files are checked by the tests; a broken one is a build defect.
  if (!parsed) {
    fmt::print(stderr, "{}", toString(parsed.error()));
    std::abort();
  }
  return std::move(*parsed);
}

std::span<const std::string_view> RulesProfile::builtinNames() { return kBuiltinNames; }

std::vector<const Rule*> RulesProfile::rulesFor(const GpuModel& model) const {
  std::vector<const Rule*> result;
  for (const auto& rule : rules_) {
    if (rule.covers(model)) {
      result.push_back(&rule);
    }
  }
  return result;
}

} // namespace hil::data
