#include <algorithm>
#include <charconv>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

#include "framework/core/xml.h"
#include "framework/data/catalog.h"
#include "framework/platform/operations.h"
#include "framework/scenario/format.h"
#include "framework/scenario/scenario.h"

namespace hil::scenario {
namespace {

/// An element read by its entry in the format table: which attributes it may have, which are
/// required, their allowed values and defaults, and its child elements all come from there. The
/// methods below hide xml::Element's that take their own lists, so that the loader cannot
/// accept what the table (and so docs/scenario-format.md) does not say.
class FormatElement : public xml::Element {
public:
  FormatElement(const xml::Document& doc, pugi::xml_node node, Diagnostics& out)
      : FormatElement(doc, node, out, elementFormat(node.name())) {}

  /// The attribute's text; reported when the table says it is required and it is missing.
  std::optional<std::string> value(const char* name) {
    return attribute(name).required ? required(name) : optional(name);
  }
  /// "true" | "false"; the table's default when absent or bad.
  bool boolean(const char* name) {
    return xml::Element::boolean(name, attribute(name).fallback == "true");
  }
  /// One of the table's words for the attribute.
  std::optional<std::string> choice(const char* name) {
    const auto& format = attribute(name);
    return xml::Element::choice(name, format.choices, format.required);
  }
  /// A whole number in the table's range; the table's default when absent or bad.
  std::int64_t integer(const char* name) {
    const auto& format = attribute(name);
    if (auto parsed = xml::Element::integer(name, format.min, format.max, format.required)) {
      return *parsed;
    }
    std::int64_t fallback = 0;
    std::from_chars(format.fallback.data(), format.fallback.data() + format.fallback.size(),
                    fallback);
    return fallback;
  }
  /// The child elements the table allows (others are reported).
  std::vector<pugi::xml_node> children() { return xml::Element::children(format_.children); }

private:
  FormatElement(const xml::Document& doc, pugi::xml_node node, Diagnostics& out,
                const ElementFormat& format)
      : xml::Element(doc, node, out, format.attributeNames()), format_(format) {}

  const AttributeFormat& attribute(std::string_view name) const {
    if (const auto* format = format_.attribute(name)) {
      return *format;
    }
    throw std::logic_error(
        fmt::format("the scenario format has no attribute '{}' on <{}>", name, format_.name));
  }

  const ElementFormat& format_;
};

class Loader {
public:
  Loader(const xml::Document& doc, const data::GpuCatalog& catalog, Diagnostics& out)
      : doc_(doc), catalog_(catalog), out_(out) {}

  Scenario scenario(pugi::xml_node node) {
    FormatElement el{doc_, node, out_};
    Scenario s;
    s.file = doc_.file();
    s.line = el.line();
    s.name = el.value("name").value_or("");
    if (el.node().attribute("name") && s.name.empty()) {
      el.error("name=\"\" on <scenario>: expected a non-empty name");
    }
    s.tags = xml::words(el.value("tags").value_or(""));
    s.rules = el.choice("rules").value_or("");
    bool sawHost = false;
    bool sawSteps = false;
    for (auto child : el.children()) {
      const std::string_view name = child.name();
      if (name == "description") {
        FormatElement d{doc_, child, out_};
        s.description = d.text();
      } else if (name == "host") {
        if (sawHost) {
          once(child, "host");
        }
        sawHost = true;
        s.host = host(child);
      } else if (name == "rig") {
        if (s.rig) {
          once(child, "rig");
        }
        s.rig = rig(child);
      } else {
        if (sawSteps) {
          once(child, "steps");
        }
        sawSteps = true;
        s.steps = steps(child);
      }
    }
    if (!sawHost) {
      el.error("<scenario> needs a <host> element (the simulated host)");
    }
    if (!sawSteps) {
      el.error("<scenario> needs a <steps> element");
    }
    checkCrashExpectations(s);
    return s;
  }

private:
  /// result="crashed" can only be met where the scenario plans a crash.
  void checkCrashExpectations(const Scenario& s) {
    const bool plansCrash =
        std::any_of(s.host.faults.begin(), s.host.faults.end(),
                    [](const FaultSpec& f) { return f.kind == FaultKind::Crash; });
    for (const auto& step : s.steps) {
      if (step.kind == StepKind::Expect && step.expect.crashed && !plansCrash) {
        out_.push_back({doc_.file(), step.line,
                        "<expect result=\"crashed\"> in a scenario without a crash; expected a "
                        "<fault kind=\"crash\"> in <host>"});
      }
    }
  }

  void once(pugi::xml_node node, std::string_view what) {
    out_.push_back({doc_.file(), doc_.lineOf(node),
                    fmt::format("<{}> may appear only once in <scenario>", what)});
  }

  HostSpec host(pugi::xml_node node) {
    FormatElement el{doc_, node, out_};
    HostSpec h;
    bool sawWindows = false;
    bool sawHyperv = false;
    bool sawVm = false;
    for (auto child : el.children()) {
      const std::string_view name = child.name();
      if (name == "windows") {
        if (sawWindows) {
          onceIn(child, "windows", "host");
        }
        sawWindows = true;
        windows(child, h);
      } else if (name == "hyperv") {
        if (sawHyperv) {
          onceIn(child, "hyperv", "host");
        }
        sawHyperv = true;
        FormatElement hv{doc_, child, out_};
        h.hypervEnabled = hv.boolean("enabled");
        hv.children();
      } else if (name == "gpu") {
        h.gpus.push_back(gpu(child));
      } else if (name == "vm") {
        if (sawVm) {
          onceIn(child, "vm", "host");
        }
        sawVm = true;
        h.vm = vm(child);
      } else {
        h.faults.push_back(fault(child));
      }
    }
    if (!sawWindows) {
      el.error("<host> needs a <windows edition=\"...\" build=\"...\"/> element");
    }
    return h;
  }

  void onceIn(pugi::xml_node node, std::string_view what, std::string_view parent) {
    out_.push_back({doc_.file(), doc_.lineOf(node),
                    fmt::format("<{}> may appear only once in <{}>", what, parent)});
  }

  void windows(pugi::xml_node node, HostSpec& h) {
    FormatElement el{doc_, node, out_};
    if (auto edition = el.choice("edition")) {
      h.edition = *platform::parseEdition(*edition);
    }
    if (auto build = el.value("build")) {
      if (auto parsed = platform::parseWindowsBuild(*build)) {
        h.build = *parsed;
      } else {
        el.error(fmt::format("build=\"{}\" on <windows>: expected a build number such as 17763 "
                             "or 19044.1620",
                             *build));
      }
    }
    el.children();
  }

  GpuSpec gpu(pugi::xml_node node) {
    FormatElement el{doc_, node, out_};
    GpuSpec g;
    g.line = el.line();
    if (auto model = el.value("model")) {
      g.model = *model;
      if (catalog_.find(*model) == nullptr) {
        std::string known;
        for (const auto& m : catalog_.models()) {
          known += known.empty() ? "" : ", ";
          known += m.id;
        }
        el.error(fmt::format("model=\"{}\" on <gpu>: not in the GPU catalog; expected one of {}",
                             *model, known));
      }
    }
    g.mitigationDriver = el.boolean("mitigation-driver");
    g.wslDriver = el.boolean("wsl-driver");
    g.count = static_cast<int>(el.integer("count"));
    g.inUse = el.boolean("in-use");
    g.resizableBar = el.boolean("resizable-bar");
    g.badMemory = el.boolean("bad-memory");
    el.children();
    return g;
  }

  VmSpec vm(pugi::xml_node node) {
    FormatElement el{doc_, node, out_};
    VmSpec v;
    if (auto name = el.value("name")) {
      if (name->empty()) {
        el.error("name=\"\" on <vm>: expected the VM's name, e.g. EFLOW");
      } else {
        v.name = *name;
      }
    }
    if (auto state = el.choice("state")) {
      v.state = *state == "running" ? platform::VmState::Running : platform::VmState::Off;
    }
    v.guestDriver = el.boolean("guest-driver");
    el.children();
    return v;
  }

  FaultSpec fault(pugi::xml_node node) {
    FormatElement el{doc_, node, out_};
    FaultSpec f;
    f.line = el.line();
    if (auto op = el.value("op")) {
      f.op = *op;
      if (!platform::findOperation(*op)) {
        el.error(fmt::format("op=\"{}\" on <fault>: unknown operation; `hil ops` lists them", *op));
      }
    }
    if (auto kind = el.choice("kind")) {
      f.kind = *kind == "hang" ? FaultKind::Hang
                               : (*kind == "crash" ? FaultKind::Crash : FaultKind::Error);
    }
    if (auto when = el.choice("when")) {
      f.after = *when == "after";
      if (f.kind != FaultKind::Crash) {
        el.error("when=\"...\" on <fault> applies to kind=\"crash\" only");
      }
    }
    f.occurrence = static_cast<int>(el.integer("occurrence"));
    el.children();
    return f;
  }

  RigSpec rig(pugi::xml_node node) {
    FormatElement el{doc_, node, out_};
    RigSpec r;
    r.line = el.line();
    if (auto gpu = el.value("gpu")) {
      r.gpu = *gpu;
      if (catalog_.find(*gpu) == nullptr) {
        el.error(fmt::format("gpu=\"{}\" on <rig>: not in the GPU catalog", *gpu));
      }
    }
    if (auto edition = el.choice("edition")) {
      r.edition = platform::parseEdition(*edition);
    }
    el.children();
    return r;
  }

  std::vector<Step> steps(pugi::xml_node node) {
    FormatElement el{doc_, node, out_};
    std::vector<Step> result;
    for (auto child : el.children()) {
      const std::string_view name = child.name();
      Step step;
      step.line = doc_.lineOf(child);
      if (name == "deploy") {
        step.kind = StepKind::Deploy;
        step.deploy = deploy(child);
      } else if (name == "teardown" || name == "smoke") {
        step.kind = name == "teardown" ? StepKind::Teardown : StepKind::Smoke;
        FormatElement plain{doc_, child, out_};
        plain.children();
      } else {
        step.kind = StepKind::Expect;
        if (result.empty()) {
          out_.push_back({doc_.file(), step.line,
                          "<expect> must come after a <deploy>, <teardown> or <smoke> step (it "
                          "checks the last one before it)"});
        }
        step.expect = expect(child);
      }
      result.push_back(std::move(step));
    }
    if (result.empty()) {
      el.error("<steps> is empty; expected <deploy>, <teardown>, <smoke> and <expect> steps");
    }
    return result;
  }

  DeployStep deploy(pugi::xml_node node) {
    FormatElement el{doc_, node, out_};
    DeployStep d;
    if (auto p = el.choice("passthrough")) {
      if (*p == "DirectDeviceAssignment") {
        d.passthrough = Passthrough::DirectDeviceAssignment;
      } else if (*p == "ParaVirtualization") {
        d.passthrough = Passthrough::ParaVirtualization;
      } else if (*p == "None") {
        d.passthrough = Passthrough::None;
      }
    }
    d.gpuName = el.value("gpu-name");
    d.gpuCount = static_cast<int>(el.integer("gpu-count"));
    el.children();
    return d;
  }

  Expectation expect(pugi::xml_node node) {
    FormatElement el{doc_, node, out_};
    Expectation e;
    if (auto result = el.choice("result")) {
      if (*result == "crashed") {
        e.crashed = true;
      } else {
        e.ok = *result == "ok";
      }
    }
    if (auto error = el.value("error")) {
      if (auto code = parseErrorCode(*error)) {
        e.error = code;
      } else {
        std::string known;
        for (auto c : allErrorCodes()) {
          known += known.empty() ? "" : ", ";
          known += toString(c);
        }
        el.error(fmt::format("error=\"{}\" on <expect>: unknown error code; expected one of {}",
                             *error, known));
      }
      if (e.ok.value_or(false)) {
        el.error("<expect result=\"ok\"> cannot also name an error");
      }
      e.ok = false;
    }
    e.method = el.choice("method");
    for (const auto& word : xml::words(el.value("warning").value_or(""))) {
      if (auto code = parseWarningCode(word)) {
        e.warnings.push_back(*code);
      } else {
        el.error(fmt::format("warning=\"{}\" on <expect>: unknown warning code; expected "
                             "mitigation-driver-missing",
                             word));
      }
    }
    if (auto vmGpu = el.choice("vm-gpu")) {
      e.vmGpu = *vmGpu == "none" ? VmGpu::None : (*vmGpu == "dda" ? VmGpu::Dda : VmGpu::GpuPv);
    }
    if (auto hostGpu = el.choice("host-gpu")) {
      e.hostGpu = *hostGpu == "present" ? HostGpu::Present : HostGpu::Dismounted;
    }
    if (e.crashed && (e.ok || e.error || e.method || !e.warnings.empty())) {
      el.error("<expect result=\"crashed\"> cannot also check error, method or warning: a "
               "crashed step has no result; expected only vm-gpu and host-gpu (the host after "
               "recovery)");
    }
    el.children();
    return e;
  }

  const xml::Document& doc_;
  const data::GpuCatalog& catalog_;
  Diagnostics& out_;
};

} // namespace

Parsed<ScenarioFile> parseScenarioFile(std::string text, std::string path,
                                       const data::GpuCatalog& catalog) {
  auto doc = xml::Document::parse(std::move(text), path);
  if (!doc) {
    return std::unexpected(doc.error());
  }
  Diagnostics out;
  ScenarioFile file;
  file.path = path;
  Loader loader{*doc, catalog, out};
  const auto root = doc->root();
  const std::string_view rootName = root.name();
  if (rootName == "scenario") {
    file.scenarios.push_back(loader.scenario(root));
  } else if (rootName == "scenarios") {
    FormatElement el{*doc, root, out};
    for (auto child : el.children()) {
      file.scenarios.push_back(loader.scenario(child));
    }
    if (file.scenarios.empty()) {
      el.error("<scenarios> holds no <scenario>");
    }
  } else {
    out.push_back(
        {path, doc->lineOf(root),
         fmt::format("root element is <{}>; expected <scenario> or <scenarios>", rootName)});
  }
  std::set<std::string, std::less<>> names;
  for (const auto& s : file.scenarios) {
    if (!s.name.empty() && !names.insert(s.name).second) {
      out.push_back(
          {path, s.line, fmt::format("duplicate scenario name '{}' in this file", s.name)});
    }
  }
  if (!out.empty()) {
    sortByLine(out);
    return std::unexpected(std::move(out));
  }
  return file;
}

} // namespace hil::scenario
