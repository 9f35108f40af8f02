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

class StringWriter : public pugi::xml_writer {
public:
  explicit StringWriter(std::string& out) : out_(out) {}
  void write(const void* data, std::size_t size) override {
    out_.append(static_cast<const char*>(data), size);
  }

private:
  std::string& out_;
};

void setAttribute(pugi::xml_node node, const char* name, std::string_view value) {
  node.append_attribute(name).set_value(std::string{value}.c_str());
}

void setNumber(pugi::xml_node node, const char* name, std::uint64_t value) {
  setAttribute(node, name, fmt::format("{}", value));
}

void setBool(pugi::xml_node node, const char* name, bool value) {
  setAttribute(node, name, value ? "true" : "false");
}

/// A required byte count: the whole uint64 range (xml::Element::integer stops at int64).
std::uint64_t bytes(xml::Element& el, const char* attribute) {
  const auto value = el.required(attribute);
  if (!value) {
    return 0;
  }
  std::uint64_t parsed = 0;
  const char* end = value->data() + value->size();
  const auto [ptr, ec] = std::from_chars(value->data(), end, parsed);
  if (value->empty() || ec != std::errc{} || ptr != end) {
    el.error(
        fmt::format("{}=\"{}\" on <{}>: expected a size in bytes", attribute, *value, el.name()));
    return 0;
  }
  return parsed;
}

/// A required "true" | "false".
bool flag(xml::Element& el, const char* attribute) {
  if (!el.node().attribute(attribute)) {
    el.required(attribute);
    return false;
  }
  return el.boolean(attribute, false);
}

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
        h.hyperv.present = flag(hv, "present");
        h.hyperv.enabled = flag(hv, "enabled");
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
    g.enabled = flag(el, "enabled");
    g.mounted = flag(el, "mounted");
    g.mitigationDriver = flag(el, "mitigation-driver");
    g.wslDriver = flag(el, "wsl-driver");
    g.inUse = flag(el, "in-use");
    g.badMemory = flag(el, "bad-memory");
    g.need = {bytes(el, "need-low"), bytes(el, "need-high")};
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
    v.config.mmio = {bytes(el, "mmio-low"), bytes(el, "mmio-high")};
    v.config.guestControlledCacheTypes = flag(el, "cache-types");
    v.guestDriver = flag(el, "guest-driver");
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
  setAttribute(root, "version", kVersion);
  setAttribute(root, "next-adapter-id", fmt::format("{}", host.nextAdapterId));

  auto windows = root.append_child("windows");
  setAttribute(windows, "edition", platform::toString(host.windows.edition));
  setAttribute(windows, "build", host.windows.build.toString());
  auto hyperv = root.append_child("hyperv");
  setBool(hyperv, "present", host.hyperv.present);
  setBool(hyperv, "enabled", host.hyperv.enabled);

  for (const SimGpu& g : host.gpus) {
    auto gpu = root.append_child("gpu");
    setAttribute(gpu, "model", g.model != nullptr ? std::string_view{g.model->id} : "");
    setAttribute(gpu, "instance-id", g.instanceId);
    setAttribute(gpu, "location", g.location);
    setAttribute(gpu, "interface-path", g.interfacePath);
    setBool(gpu, "enabled", g.enabled);
    setBool(gpu, "mounted", g.mounted);
    setBool(gpu, "mitigation-driver", g.mitigationDriver);
    setBool(gpu, "wsl-driver", g.wslDriver);
    setBool(gpu, "in-use", g.inUse);
    setBool(gpu, "bad-memory", g.badMemory);
    setNumber(gpu, "need-low", g.need.low);
    setNumber(gpu, "need-high", g.need.high);
    if (g.assignedTo) {
      setAttribute(gpu, "assigned-to", *g.assignedTo);
    }
  }

  for (const auto& [name, v] : host.vms) {
    auto vm = root.append_child("vm");
    setAttribute(vm, "name", v.config.name);
    setAttribute(vm, "state", platform::toString(v.config.state));
    setAttribute(vm, "stop-action", platform::toString(v.config.automaticStopAction));
    setNumber(vm, "mmio-low", v.config.mmio.low);
    setNumber(vm, "mmio-high", v.config.mmio.high);
    setBool(vm, "cache-types", v.config.guestControlledCacheTypes);
    setBool(vm, "guest-driver", v.guestDriver);
    for (const auto& location : v.assigned) {
      setAttribute(vm.append_child("assigned"), "location", location);
    }
    for (const auto& adapter : v.adapters) {
      auto node = vm.append_child("adapter");
      setAttribute(node, "id", adapter.id);
      setAttribute(node, "instance-path", adapter.instancePath);
    }
  }

  std::string out;
  StringWriter writer{out};
  doc.save(writer, "  ", pugi::format_indent, pugi::encoding_utf8);
  return out;
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
