#include "real_hw/rig.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>

#include "framework/core/xml.h"

namespace hil::real_hw {

std::vector<std::string> defaultPowerShell() {
  return {"powershell.exe", "-NoLogo", "-NoProfile", "-NonInteractive", "-Command", "-"};
}

std::vector<std::string> defaultStandInPowerShell() {
#ifdef HIL_PWSH_DEFAULT
  const std::string pwsh = HIL_PWSH_DEFAULT;
#else
  const std::string pwsh = "pwsh";
#endif
  return {pwsh, "-NoLogo", "-NoProfile", "-NonInteractive", "-Command", "-"};
}

namespace {

/// A path of the rig file, relative to the rig file's folder.
std::string besideRigFile(const std::string& file, std::string path) {
  if (path.empty() || std::filesystem::path{path}.is_absolute()) {
    return path;
  }
  return (std::filesystem::absolute(std::filesystem::path{file}).parent_path() / path)
      .lexically_normal()
      .string();
}

/// The attributes of each element of a rig file.
std::vector<std::string_view> rigAttributes(std::string_view element) {
  static const std::map<std::string_view, std::vector<std::string_view>, std::less<>> attributes = {
      {"rig", {"name", "class", "mode"}},
      {"shell", {}},
      {"arg", {}},
      {"vm", {"name"}},
      {"windows", {"edition", "build"}},
      {"gpu", {"model", "count"}},
      {"deadline", {"seconds"}},
      {"standin", {"module", "hil", "state"}}};
  const auto it = attributes.find(element);
  return it == attributes.end() ? std::vector<std::string_view>{} : it->second;
}

} // namespace

Parsed<Rig> parseRig(std::string text, std::string file, const data::GpuCatalog& catalog) {
  auto doc = xml::Document::parse(std::move(text), file);
  if (!doc) {
    return std::unexpected(doc.error());
  }
  Diagnostics out;
  Rig rig;
  rig.file = file;
  {
    xml::Element root{*doc, doc->root(), out, rigAttributes("rig")};
    if (root.name() != "rig") {
      root.error(fmt::format("root element is <{}>; expected <rig>", root.name()));
    }
    rig.name = root.required("name").value_or("");
    rig.rigClass = root.required("class").value_or("");
    if (auto mode = root.choice("mode", {"hyperv", "eflow"})) {
      rig.mode = *mode == "eflow" ? RigMode::Eflow : RigMode::HyperV;
    }
    std::set<std::string_view> seen;
    for (auto node : root.children({"shell", "vm", "windows", "gpu", "deadline", "standin"})) {
      const std::string_view name = node.name();
      xml::Element el{*doc, node, out, rigAttributes(name)};
      if (name != "gpu" && !seen.insert(name).second) {
        el.error(fmt::format("<{}> may appear only once in <rig>; expected one, or none for its "
                             "default",
                             name));
      }
      if (name == "shell") {
        for (auto arg : el.children({"arg"})) {
          xml::Element a{*doc, arg, out, rigAttributes("arg")};
          rig.shell.push_back(a.text());
        }
        if (rig.shell.empty()) {
          el.error("<shell> needs <arg> elements: the argv of a PowerShell that reads commands "
                   "on its standard input");
        }
      } else if (name == "vm") {
        rig.vm = el.required("name").value_or("EFLOW");
        el.children({});
      } else if (name == "windows") {
        if (auto edition = el.choice(
                "edition", {"server", "enterprise", "iot-enterprise", "professional", "home"},
                true)) {
          rig.edition = platform::parseEdition(*edition);
        }
        // Informative (the rig reports its real build itself), but a build all the same.
        if (auto build = el.optional("build"); build && !platform::parseWindowsBuild(*build)) {
          el.error(fmt::format("build=\"{}\" on <windows>: expected a build number such as "
                               "20348 or 19044.1620",
                               *build));
        }
        el.children({});
      } else if (name == "gpu") {
        const auto model = el.required("model").value_or("");
        if (!model.empty() && catalog.find(model) == nullptr) {
          el.error(fmt::format("model=\"{}\" on <gpu>: not in the GPU catalog", model));
        }
        const auto count = el.integer("count", 1, 16).value_or(1);
        rig.gpus.emplace_back(model, static_cast<int>(count));
        el.children({});
      } else if (name == "standin") {
        StandIn standin;
        standin.module = besideRigFile(file, el.required("module").value_or(""));
        standin.hil = besideRigFile(file, el.optional("hil").value_or(""));
        standin.state = besideRigFile(file, el.optional("state").value_or(""));
        el.children({});
        rig.standin = std::move(standin);
      } else {
        rig.deadlineSeconds = static_cast<int>(el.integer("seconds", 1, 86400, true).value_or(300));
        el.children({});
      }
    }
  }
  if (rig.shell.empty()) {
    rig.shell = rig.standin ? defaultStandInPowerShell() : defaultPowerShell();
  }
  if (!out.empty()) {
    sortByLine(out);
    return std::unexpected(std::move(out));
  }
  return rig;
}

std::optional<std::string> rigMismatch(const Rig& rig, const scenario::Scenario& scenario) {
  if (rig.standin) {
    return std::nullopt; // its host is the scenario's own
  }
  std::string has;
  for (const auto& [model, count] : rig.gpus) {
    has += has.empty() ? "" : ", ";
    has += count > 1 ? fmt::format("{} x {}", count, model) : model;
  }
  has += rig.edition ? fmt::format(" on {}", toString(*rig.edition)) : "";
  if (!scenario.rig) {
    return fmt::format("skipped: needs a simulated host (the scenario has no <rig>); rig {} has {}",
                       rig.name, has.empty() ? "no GPU listed" : has);
  }
  const auto& want = *scenario.rig;
  const bool gpu = std::any_of(rig.gpus.begin(), rig.gpus.end(),
                               [&](const auto& g) { return g.first == want.gpu; });
  const bool edition = !want.edition || (rig.edition && *rig.edition == *want.edition);
  if (gpu && edition) {
    return std::nullopt;
  }
  return fmt::format("skipped: needs {}{}; rig {} has {}", want.gpu,
                     want.edition ? fmt::format(" on {}", toString(*want.edition)) : "", rig.name,
                     has.empty() ? "no GPU listed" : has);
}

} // namespace hil::real_hw
