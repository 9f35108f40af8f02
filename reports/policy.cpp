#include "reports/policy.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "framework/core/xml.h"
#include "reports/certify.h"

namespace hil::reports {
namespace {

bool isRigClassWord(std::string_view word) {
  if (word.empty() || word.front() == '-') {
    return false;
  }
  return std::all_of(word.begin(), word.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

std::optional<WarningPolicy> warningPolicy(xml::Element& el) {
  const auto value = el.choice("warnings", {"fail", "pass"});
  if (!value) {
    return std::nullopt;
  }
  return *value == "pass" ? WarningPolicy::Pass : WarningPolicy::Fail;
}

class PolicyReader {
public:
  PolicyReader(const xml::Document& doc, Diagnostics& out) : doc_(doc), out_(out) {}

  Policy policy(pugi::xml_node node) {
    xml::Element el{doc_, node, out_, {"name", "max-age-days", "warnings"}};
    Policy p;
    p.file = doc_.file();
    p.name = el.required("name").value_or("");
    if (el.node().attribute("name") && p.name.empty()) {
      el.error("name=\"\" on <policy>: expected a non-empty name, e.g. release");
    }
    if (auto days = el.integer("max-age-days", 1, 36500)) {
      p.maxAgeDays = static_cast<int>(*days);
    }
    p.warnings = warningPolicy(el).value_or(WarningPolicy::Fail);
    bool sawDescription = false;
    for (auto child : el.children({"description", "require", "smoke"})) {
      const std::string_view name = child.name();
      if (name == "description") {
        xml::Element d{doc_, child, out_, {}};
        if (sawDescription) {
          d.error("<description> appears twice in <policy>; expected at most one");
        }
        sawDescription = true;
        p.description = d.text();
      } else if (name == "require") {
        p.requirements.push_back(requirement(child));
      } else {
        p.smoke.push_back(smoke(child));
      }
    }
    if (p.requirements.empty()) {
      el.error("<policy> needs at least one <require id=\"...\" tags=\"...\" "
               "rig-classes=\"...\"/> element");
    }
    return p;
  }

private:
  Requirement requirement(pugi::xml_node node) {
    xml::Element el{doc_, node, out_, {"id", "scenarios", "tags", "rig-classes", "warnings"}};
    Requirement r;
    r.line = el.line();
    r.id = el.required("id").value_or("");
    if (el.node().attribute("id") && r.id.empty()) {
      el.error("id=\"\" on <require>: expected a non-empty id, e.g. dda-flows");
    } else if (!r.id.empty() && !ids_.insert(r.id).second) {
      el.error(fmt::format("id=\"{}\" on <require>: another requirement has this id", r.id));
    }
    r.scenarios = xml::words(el.optional("scenarios").value_or(""));
    r.tags = xml::words(el.optional("tags").value_or(""));
    if (r.scenarios.empty() && r.tags.empty()) {
      el.error("<require> needs scenarios=\"GLOB ...\" or tags=\"TAG ...\" (or both): which "
               "scenarios must pass");
    }
    if (const auto classes = el.required("rig-classes")) {
      r.rigClasses = xml::words(*classes);
      if (r.rigClasses.empty()) {
        el.error("rig-classes=\"\" on <require>: expected rig classes, e.g. \"sim t4-server\"");
      }
      std::set<std::string, std::less<>> seen;
      for (const auto& rig : r.rigClasses) {
        if (!isRigClassWord(rig)) {
          el.error(fmt::format("rig-classes=\"{}\" on <require>: '{}' is not a rig class name "
                               "(lowercase letters, digits and '-', e.g. sim, t4-server)",
                               *classes, rig));
        } else if (!seen.insert(rig).second) {
          el.error(
              fmt::format("rig-classes=\"{}\" on <require>: '{}' is listed twice", *classes, rig));
        }
      }
    }
    r.warnings = warningPolicy(el);
    el.children({});
    return r;
  }

  SmokeMinimum smoke(pugi::xml_node node) {
    xml::Element el{doc_, node, out_, {"rig-class", "check", "min", "unit"}};
    SmokeMinimum s;
    s.line = el.line();
    if (auto rig = el.required("rig-class")) {
      s.rigClass = *rig;
      if (!isRigClassWord(*rig)) {
        el.error(fmt::format("rig-class=\"{}\" on <smoke>: expected one rig class name "
                             "(lowercase letters, digits and '-', e.g. t4-server)",
                             *rig));
      }
    }
    if (auto check = el.required("check")) {
      s.check = *check;
      const auto& known = smokeChecksWithMinimum();
      if (std::find(known.begin(), known.end(), *check) == known.end()) {
        std::string names;
        for (auto k : known) {
          names += names.empty() ? "" : ", ";
          names += k;
        }
        el.error(fmt::format("check=\"{}\" on <smoke>: not a smoke check with a minimum; expected "
                             "one of {}",
                             *check, names));
      }
    }
    s.min = el.number("min", 0, 1e12, true).value_or(0);
    s.unit = el.optional("unit").value_or("");
    el.children({});
    return s;
  }

  const xml::Document& doc_;
  Diagnostics& out_;
  std::set<std::string, std::less<>> ids_;
};

} // namespace

std::string_view toString(WarningPolicy policy) {
  return policy == WarningPolicy::Pass ? "pass" : "fail";
}

bool Policy::usesTags() const {
  return std::any_of(requirements.begin(), requirements.end(),
                     [](const Requirement& r) { return !r.tags.empty(); });
}

const std::vector<std::string_view>& smokeChecksWithMinimum() {
  // The smoke program's numeric checks where a larger figure is better (platform/smoke_output.h).
  static const std::vector<std::string_view> checks = {
      "device-count", "memory",        "sm-count",      "compute-capability", "vector-add",
      "reduction",    "h2d-bandwidth", "d2h-bandwidth", "d2d-bandwidth",      "fp32-throughput"};
  return checks;
}

Parsed<Policy> parsePolicy(std::string text, std::string file) {
  const auto digest = sha256Hex(text);
  auto doc = xml::Document::parse(std::move(text), std::move(file));
  if (!doc) {
    return std::unexpected(doc.error());
  }
  Diagnostics out;
  const auto root = doc->root();
  if (std::string_view{root.name()} != "policy") {
    return std::unexpected(Diagnostics{
        {doc->file(), doc->lineOf(root),
         fmt::format("root element is <{}>; expected <policy name=\"...\">", root.name())}});
  }
  PolicyReader reader{*doc, out};
  auto policy = reader.policy(root);
  if (!out.empty()) {
    sortByLine(out);
    return std::unexpected(std::move(out));
  }
  policy.sha256 = digest;
  return policy;
}

} // namespace hil::reports
