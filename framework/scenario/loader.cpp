#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "framework/core/xml.h"
#include "framework/data/catalog.h"
#include "framework/platform/operations.h"
#include "framework/scenario/scenario.h"

namespace hil::scenario {
namespace {

const std::initializer_list<std::string_view> kEditionWords = {
    "server", "enterprise", "iot-enterprise", "professional", "home"};

class Loader {
public:
  Loader(const xml::Document& doc, const data::GpuCatalog& catalog, Diagnostics& out)
      : doc_(doc), catalog_(catalog), out_(out) {}

  Scenario scenario(pugi::xml_node node) {
    xml::Element el{doc_, node, out_};
    Scenario s;
    s.file = doc_.file();
    s.line = el.line();
    s.name = el.required("name").value_or("");
    if (el.node().attribute("name") && s.name.empty()) {
      el.error("name=\"\" on <scenario>: expected a non-empty name");
    }
    s.tags = xml::words(el.optional("tags").value_or(""));
    s.rules = el.choice("rules", {"eflow-2021-preview", "eflow-current"}).value_or("");
    bool sawHost = false;
    bool sawSteps = false;
    for (auto child : el.children({"description", "host", "rig", "steps"})) {
      const std::string_view name = child.name();
      if (name == "description") {
        xml::Element d{doc_, child, out_};
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
    return s;
  }

private:
  void once(pugi::xml_node node, std::string_view what) {
    out_.push_back({doc_.file(), doc_.lineOf(node),
                    fmt::format("<{}> may appear only once in <scenario>", what)});
  }

  HostSpec host(pugi::xml_node node) {
    xml::Element el{doc_, node, out_};
    HostSpec h;
    bool sawWindows = false;
    bool sawHyperv = false;
    bool sawVm = false;
    for (auto child : el.children({"windows", "hyperv", "gpu", "vm", "fault"})) {
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
        xml::Element hv{doc_, child, out_};
        h.hypervEnabled = hv.boolean("enabled", true);
        hv.children({});
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
    xml::Element el{doc_, node, out_};
    if (auto edition = el.choice("edition", kEditionWords, true)) {
      h.edition = *platform::parseEdition(*edition);
    }
    if (auto build = el.required("build")) {
      if (auto parsed = platform::parseWindowsBuild(*build)) {
        h.build = *parsed;
      } else {
        el.error(fmt::format("build=\"{}\" on <windows>: expected a build number such as 17763 "
                             "or 19044.1620",
                             *build));
      }
    }
    el.children({});
  }

  GpuSpec gpu(pugi::xml_node node) {
    xml::Element el{doc_, node, out_};
    GpuSpec g;
    g.line = el.line();
    if (auto model = el.required("model")) {
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
    g.mitigationDriver = el.boolean("mitigation-driver", false);
    g.wslDriver = el.boolean("wsl-driver", false);
    g.count = static_cast<int>(el.integer("count", 1, 16).value_or(1));
    g.inUse = el.boolean("in-use", false);
    g.resizableBar = el.boolean("resizable-bar", false);
    g.badMemory = el.boolean("bad-memory", false);
    el.children({});
    return g;
  }

  VmSpec vm(pugi::xml_node node) {
    xml::Element el{doc_, node, out_};
    VmSpec v;
    if (auto name = el.optional("name")) {
      if (name->empty()) {
        el.error("name=\"\" on <vm>: expected the VM's name, e.g. EFLOW");
      } else {
        v.name = *name;
      }
    }
    if (auto state = el.choice("state", {"running", "off"})) {
      v.state = *state == "running" ? platform::VmState::Running : platform::VmState::Off;
    }
    v.guestDriver = el.boolean("guest-driver", true);
    el.children({});
    return v;
  }

  FaultSpec fault(pugi::xml_node node) {
    xml::Element el{doc_, node, out_};
    FaultSpec f;
    f.line = el.line();
    if (auto op = el.required("op")) {
      f.op = *op;
      if (!platform::findOperation(*op)) {
        el.error(fmt::format("op=\"{}\" on <fault>: unknown operation; `hil ops` lists them", *op));
      }
    }
    if (auto kind = el.choice("kind", {"error", "hang", "crash"})) {
      f.kind = *kind == "hang" ? FaultKind::Hang
                               : (*kind == "crash" ? FaultKind::Crash : FaultKind::Error);
    }
    if (auto when = el.choice("when", {"before", "after"})) {
      f.after = *when == "after";
      if (f.kind != FaultKind::Crash) {
        el.error("when=\"...\" on <fault> applies to kind=\"crash\" only");
      }
    }
    f.occurrence = static_cast<int>(el.integer("occurrence", 1, 1000000).value_or(1));
    el.children({});
    return f;
  }

  RigSpec rig(pugi::xml_node node) {
    xml::Element el{doc_, node, out_};
    RigSpec r;
    r.line = el.line();
    if (auto gpu = el.required("gpu")) {
      r.gpu = *gpu;
      if (catalog_.find(*gpu) == nullptr) {
        el.error(fmt::format("gpu=\"{}\" on <rig>: not in the GPU catalog", *gpu));
      }
    }
    if (auto edition = el.choice("edition", kEditionWords)) {
      r.edition = platform::parseEdition(*edition);
    }
    el.children({});
    return r;
  }

  std::vector<Step> steps(pugi::xml_node node) {
    xml::Element el{doc_, node, out_};
    std::vector<Step> result;
    for (auto child : el.children({"deploy", "teardown", "smoke", "expect"})) {
      const std::string_view name = child.name();
      Step step;
      step.line = doc_.lineOf(child);
      if (name == "deploy") {
        step.kind = StepKind::Deploy;
        step.deploy = deploy(child);
      } else if (name == "teardown" || name == "smoke") {
        step.kind = name == "teardown" ? StepKind::Teardown : StepKind::Smoke;
        xml::Element plain{doc_, child, out_};
        plain.children({});
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
    xml::Element el{doc_, node, out_};
    DeployStep d;
    if (auto p = el.choice("passthrough",
                           {"auto", "DirectDeviceAssignment", "ParaVirtualization", "None"})) {
      if (*p == "DirectDeviceAssignment") {
        d.passthrough = Passthrough::DirectDeviceAssignment;
      } else if (*p == "ParaVirtualization") {
        d.passthrough = Passthrough::ParaVirtualization;
      } else if (*p == "None") {
        d.passthrough = Passthrough::None;
      }
    }
    d.gpuName = el.optional("gpu-name");
    d.gpuCount = static_cast<int>(el.integer("gpu-count", -1000, 1000).value_or(1));
    el.children({});
    return d;
  }

  Expectation expect(pugi::xml_node node) {
    xml::Element el{doc_, node, out_};
    Expectation e;
    if (auto result = el.choice("result", {"ok", "error"})) {
      e.ok = *result == "ok";
    }
    if (auto error = el.optional("error")) {
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
    e.method = el.choice("method", {"DirectDeviceAssignment", "ParaVirtualization", "None"});
    for (const auto& word : xml::words(el.optional("warning").value_or(""))) {
      if (auto code = parseWarningCode(word)) {
        e.warnings.push_back(*code);
      } else {
        el.error(fmt::format("warning=\"{}\" on <expect>: unknown warning code; expected "
                             "mitigation-driver-missing",
                             word));
      }
    }
    if (auto vmGpu = el.choice("vm-gpu", {"none", "dda", "gpu-pv"})) {
      e.vmGpu = *vmGpu == "none" ? VmGpu::None : (*vmGpu == "dda" ? VmGpu::Dda : VmGpu::GpuPv);
    }
    if (auto hostGpu = el.choice("host-gpu", {"present", "dismounted"})) {
      e.hostGpu = *hostGpu == "present" ? HostGpu::Present : HostGpu::Dismounted;
    }
    el.children({});
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
    xml::Element el{*doc, root, out};
    for (auto child : el.children({"scenario"})) {
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
