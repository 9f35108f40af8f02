#include "simulators/sim_state.h"

#include <charconv>
#include <limits>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <pugixml.hpp>

#include "framework/core/xml.h"
#include "framework/scenario/scenario.h"

namespace hil::simulators {
namespace {

constexpr std::string_view kRoot = "gpu-hil-sim-host";
constexpr std::string_view kVersion = "1";

const std::initializer_list<std::string_view> kEditionWords = {
    "server", "enterprise", "iot-enterprise", "professional", "home"};
const std::initializer_list<std::string_view> kStopActionWords = {"TurnOff", "Save", "ShutDown"};
const std::initializer_list<std::string_view> kVmStateWords = {"Running", "Off"};

platform::StopAction parseStopAction(std::string_view word) {
  if (word == "Save") {
    return platform::StopAction::Save;
  }
  if (word == "ShutDown") {
    return platform::StopAction::ShutDown;
  }
  return platform::StopAction::TurnOff;
}

class Reader {
public:
  Reader(const xml::Document& doc, const data::GpuCatalog& catalog, Diagnostics& out)
      : doc_(doc), catalog_(catalog), out_(out) {}

  void host(pugi::xml_node root, SimHost& h) {
    xml::Element el{doc_, root, out_};
    const auto version = el.required("version");
    if (!version) {
      return;
    }
    if (*version != kVersion) {
      el.error(fmt::format("version=\"{}\" on <{}>: this build reads version {} only", *version,
                           kRoot, kVersion));
      // A newer layout: its other attributes and children mean nothing to this reader.
      for (auto attribute : root.attributes()) {
        el.optional(attribute.name());
      }
      return;
    }
    if (auto next = el.integer("next-adapter-id", 0, std::numeric_limits<int>::max(), true)) {
      h.nextAdapterId = static_cast<int>(*next);
    }
    bool sawWindows = false;
    bool sawHyperv = false;
    for (auto child : el.children({"windows", "hyperv", "gpu", "vm"})) {
      const std::string_view name = child.name();
      if (name == "windows") {
        once(child, sawWindows);
        windows(child, h);
      } else if (name == "hyperv") {
        once(child, sawHyperv);
        xml::Element hv{doc_, child, out_};
        hv.children({});
        h.hyperv.present = hv.requiredFlag("present");
        h.hyperv.enabled = hv.requiredFlag("enabled");
      } else if (name == "gpu") {
        gpu(child, h);
      } else {
        vm(child, h);
      }
    }
    if (!sawWindows) {
      el.error(fmt::format("<{}> needs a <windows> element", kRoot));
    }
    if (!sawHyperv) {
      el.error(fmt::format("<{}> needs a <hyperv> element", kRoot));
    }
    crossCheck(h);
  }

private:
  void once(pugi::xml_node node, bool& seen) {
    if (seen) {
      out_.push_back({doc_.file(), doc_.lineOf(node),
                      fmt::format("<{}> may appear only once in <{}>", node.name(), kRoot)});
    }
    seen = true;
  }

  void windows(pugi::xml_node node, SimHost& h) {
    xml::Element el{doc_, node, out_};
    el.children({});
    if (auto edition = el.choice("edition", kEditionWords, true)) {
      h.windows.edition = *platform::parseEdition(*edition);
    }
    if (auto build = el.required("build")) {
      if (auto parsed = platform::parseWindowsBuild(*build)) {
        h.windows.build = *parsed;
      } else {
        el.error(fmt::format("build=\"{}\" on <windows>: expected a build number such as 17763 "
                             "or 19044.1620",
                             *build));
      }
    }
  }

  void gpu(pugi::xml_node node, SimHost& h) {
    xml::Element el{doc_, node, out_};
    el.children({});
    SimGpu g;
    if (auto id = el.required("model")) {
      g.model = catalog_.find(*id);
      if (g.model == nullptr) {
        el.error(fmt::format("model=\"{}\" on <gpu>: no such GPU in the catalog", *id));
      }
    }
    g.instanceId = el.required("instance-id").value_or("");
    g.location = el.required("location").value_or("");
    g.interfacePath = el.required("interface-path").value_or("");
    g.enabled = el.requiredFlag("enabled");
    g.mounted = el.requiredFlag("mounted");
    g.mitigationDriver = el.requiredFlag("mitigation-driver");
    g.wslDriver = el.requiredFlag("wsl-driver");
    g.inUse = el.requiredFlag("in-use");
    g.badMemory = el.requiredFlag("bad-memory");
    g.need = {el.requiredBytes("need-low"), el.requiredBytes("need-high")};
    g.assignedTo = el.optional("assigned-to");
    if (!locations_.emplace(g.location, el.line()).second) {
      el.error(fmt::format("a second <gpu> at location '{}'", g.location));
    }
    if (!instanceIds_.insert(g.instanceId).second) {
      el.error(fmt::format("a second <gpu> with instance id '{}'", g.instanceId));
    }
    if (g.assignedTo) {
      gpuAssignments_.emplace_back(*g.assignedTo, el.line());
    }
    h.gpus.push_back(std::move(g));
  }

  void vm(pugi::xml_node node, SimHost& h) {
    xml::Element el{doc_, node, out_};
    SimVm v;
    v.config.name = el.required("name").value_or("");
    v.config.state = el.choice("state", kVmStateWords, true).value_or("") == "Running"
                         ? platform::VmState::Running
                         : platform::VmState::Off;
    v.config.automaticStopAction =
        parseStopAction(el.choice("stop-action", kStopActionWords, true).value_or(""));
    v.config.mmio = {el.requiredBytes("mmio-low"), el.requiredBytes("mmio-high")};
    v.config.guestControlledCacheTypes = el.requiredFlag("cache-types");
    v.guestDriver = el.requiredFlag("guest-driver");
    for (auto child : el.children({"assigned", "adapter"})) {
      xml::Element c{doc_, child, out_};
      c.children({});
      if (std::string_view{child.name()} == "assigned") {
        v.assigned.push_back(c.required("location").value_or(""));
        vmAssignments_.emplace_back(v.assigned.back(), c.line());
      } else {
        platform::GpuPartitionAdapter adapter;
        adapter.id = c.required("id").value_or("");
        adapter.instancePath = c.required("instance-path").value_or("");
        v.adapters.push_back(std::move(adapter));
      }
    }
    const auto name = v.config.name;
    if (!h.vms.emplace(name, std::move(v)).second) {
      el.error(fmt::format("a second <vm> named '{}'", name));
    }
  }

  /// Every reference names something the file holds.
  void crossCheck(const SimHost& h) {
    for (const auto& [vm, line] : gpuAssignments_) {
      if (!h.vms.contains(vm)) {
        out_.push_back({doc_.file(), line,
                        fmt::format("assigned-to=\"{}\" on <gpu>: no <vm> has that name", vm)});
      }
    }
    for (const auto& [location, line] : vmAssignments_) {
      if (!locations_.contains(location)) {
        out_.push_back(
            {doc_.file(), line,
             fmt::format("location=\"{}\" on <assigned>: no <gpu> is at that location", location)});
      }
    }
  }

  const xml::Document& doc_;
  const data::GpuCatalog& catalog_;
  Diagnostics& out_;
  std::map<std::string, int, std::less<>> locations_;
  std::set<std::string, std::less<>> instanceIds_;
  std::vector<std::pair<std::string, int>> gpuAssignments_;
  std::vector<std::pair<std::string, int>> vmAssignments_;
};

} // namespace

std::string formatSimHost(const SimHost& host) {
  pugi::xml_document doc;
  auto declaration = doc.append_child(pugi::node_declaration);
  declaration.append_attribute("version").set_value("1.0");
  declaration.append_attribute("encoding").set_value("UTF-8");
  auto root = doc.append_child(std::string{kRoot}.c_str());
  xml::setAttribute(root, "version", kVersion);
  xml::setAttribute(root, "next-adapter-id", fmt::format("{}", host.nextAdapterId));

  auto windows = root.append_child("windows");
  xml::setAttribute(windows, "edition", platform::toString(host.windows.edition));
  xml::setAttribute(windows, "build", host.windows.build.toString());
  auto hyperv = root.append_child("hyperv");
  xml::setBool(hyperv, "present", host.hyperv.present);
  xml::setBool(hyperv, "enabled", host.hyperv.enabled);

  for (const SimGpu& g : host.gpus) {
    auto gpu = root.append_child("gpu");
    xml::setAttribute(gpu, "model", g.model != nullptr ? std::string_view{g.model->id} : "");
    xml::setAttribute(gpu, "instance-id", g.instanceId);
    xml::setAttribute(gpu, "location", g.location);
    xml::setAttribute(gpu, "interface-path", g.interfacePath);
    xml::setBool(gpu, "enabled", g.enabled);
    xml::setBool(gpu, "mounted", g.mounted);
    xml::setBool(gpu, "mitigation-driver", g.mitigationDriver);
    xml::setBool(gpu, "wsl-driver", g.wslDriver);
    xml::setBool(gpu, "in-use", g.inUse);
    xml::setBool(gpu, "bad-memory", g.badMemory);
    xml::setNumber(gpu, "need-low", g.need.low);
    xml::setNumber(gpu, "need-high", g.need.high);
    if (g.assignedTo) {
      xml::setAttribute(gpu, "assigned-to", *g.assignedTo);
    }
  }

  for (const auto& [name, v] : host.vms) {
    auto vm = root.append_child("vm");
    xml::setAttribute(vm, "name", v.config.name);
    xml::setAttribute(vm, "state", platform::toString(v.config.state));
    xml::setAttribute(vm, "stop-action", platform::toString(v.config.automaticStopAction));
    xml::setNumber(vm, "mmio-low", v.config.mmio.low);
    xml::setNumber(vm, "mmio-high", v.config.mmio.high);
    xml::setBool(vm, "cache-types", v.config.guestControlledCacheTypes);
    xml::setBool(vm, "guest-driver", v.guestDriver);
    for (const auto& location : v.assigned) {
      xml::setAttribute(vm.append_child("assigned"), "location", location);
    }
    for (const auto& adapter : v.adapters) {
      auto node = vm.append_child("adapter");
      xml::setAttribute(node, "id", adapter.id);
      xml::setAttribute(node, "instance-path", adapter.instancePath);
    }
  }

  return xml::toText(doc);
}

Parsed<std::unique_ptr<SimHost>> parseSimHost(std::string text, std::string file,
                                              const data::GpuCatalog& catalog, std::uint64_t seed) {
  auto doc = xml::Document::parse(std::move(text), file);
  if (!doc) {
    return std::unexpected(doc.error());
  }
  Diagnostics out;
  auto host = std::make_unique<SimHost>(scenario::HostSpec{}, catalog, seed);
  host->vms.clear();
  const auto root = doc->root();
  if (std::string_view{root.name()} != kRoot) {
    out.push_back({file, doc->lineOf(root),
                   fmt::format("root element is <{}>; expected <{}>", root.name(), kRoot)});
  } else {
    Reader reader{*doc, catalog, out};
    reader.host(root, *host);
  }
  if (!out.empty()) {
    sortByLine(out);
    return std::unexpected(std::move(out));
  }
  return host;
}

} // namespace hil::simulators
