#include "framework/platform/host_state.h"

#include <algorithm>

#include <fmt/format.h>
#include <pugixml.hpp>

#include "framework/core/xml.h"

namespace hil::platform {

std::string GpuPlacement::describe() const {
  if (onHost && assignedTo) {
    return fmt::format("on the host and assigned to {}", *assignedTo);
  }
  if (onHost) {
    return enabled ? "on the host, enabled" : "on the host, disabled";
  }
  if (assignedTo) {
    return fmt::format("dismounted, assigned to {}", *assignedTo);
  }
  return "dismounted, assigned to no VM";
}

const GpuPlacement* HostState::gpuAt(const LocationPath& location) const {
  const auto it = std::find_if(gpus.begin(), gpus.end(),
                               [&](const GpuPlacement& gpu) { return gpu.location == location; });
  return it == gpus.end() ? nullptr : &*it;
}

namespace {

constexpr std::string_view kRoot = "gpu-hil-host-state";
constexpr std::string_view kVersion = "1";

StopAction stopActionNamed(std::string_view word) {
  for (auto action : {StopAction::TurnOff, StopAction::Save, StopAction::ShutDown}) {
    if (word == toString(action)) {
      return action;
    }
  }
  return StopAction::Save;
}

void readVm(const xml::Document& doc, pugi::xml_node node, HostState& state, Diagnostics& out) {
  xml::Element el{doc, node, out};
  VmSnapshot vm;
  vm.config.name = el.required("name").value_or("");
  vm.config.state = el.choice("state", {"Running", "Off"}, true).value_or("") == "Running"
                        ? VmState::Running
                        : VmState::Off;
  vm.config.automaticStopAction =
      stopActionNamed(el.choice("stop-action", {"TurnOff", "Save", "ShutDown"}, true).value_or(""));
  vm.config.mmio = {el.requiredBytes("mmio-low"), el.requiredBytes("mmio-high")};
  vm.config.guestControlledCacheTypes = el.requiredFlag("cache-types");
  for (auto child : el.children({"assigned", "adapter"})) {
    xml::Element item{doc, child, out};
    item.children({});
    auto value = item.required(std::string_view{child.name()} == "assigned" ? "location" : "gpu");
    (std::string_view{child.name()} == "assigned" ? vm.assigned : vm.adapterGpus)
        .push_back(value.value_or(""));
  }
  const auto name = vm.config.name;
  if (!state.vms.emplace(name, std::move(vm)).second) {
    el.error(fmt::format("a second <vm> named '{}'", name));
  }
}

} // namespace

std::string formatHostState(const HostState& state) {
  pugi::xml_document doc;
  auto root = doc.append_child(std::string{kRoot}.c_str());
  xml::setAttribute(root, "version", kVersion);
  for (const auto& gpu : state.gpus) {
    auto node = root.append_child("gpu");
    xml::setAttribute(node, "location", gpu.location);
    xml::setAttribute(node, "name", gpu.name);
    xml::setBool(node, "on-host", gpu.onHost);
    xml::setBool(node, "enabled", gpu.enabled);
    if (gpu.assignedTo) {
      xml::setAttribute(node, "assigned-to", *gpu.assignedTo);
    }
  }
  for (const auto& [name, vm] : state.vms) {
    auto node = root.append_child("vm");
    xml::setAttribute(node, "name", name);
    xml::setAttribute(node, "state", toString(vm.config.state));
    xml::setAttribute(node, "stop-action", toString(vm.config.automaticStopAction));
    xml::setNumber(node, "mmio-low", vm.config.mmio.low);
    xml::setNumber(node, "mmio-high", vm.config.mmio.high);
    xml::setBool(node, "cache-types", vm.config.guestControlledCacheTypes);
    for (const auto& location : vm.assigned) {
      xml::setAttribute(node.append_child("assigned"), "location", location);
    }
    for (const auto& gpu : vm.adapterGpus) {
      xml::setAttribute(node.append_child("adapter"), "gpu", gpu);
    }
  }
  return xml::toText(doc);
}

Parsed<HostState> parseHostState(std::string text, std::string file) {
  auto doc = xml::Document::parse(std::move(text), std::move(file));
  if (!doc) {
    return std::unexpected(doc.error());
  }
  Diagnostics out;
  HostState state;
  {
    xml::Element root{*doc, doc->root(), out};
    if (root.name() != kRoot) {
      root.error(fmt::format("the root element is <{}>, expected <{}>", root.name(), kRoot));
      return std::unexpected(std::move(out));
    }
    if (root.required("version").value_or(std::string{kVersion}) != kVersion) {
      root.error(fmt::format("this build reads <{} version=\"{}\"> only", kRoot, kVersion));
    }
    for (auto child : root.children({"gpu", "vm"})) {
      if (std::string_view{child.name()} == "vm") {
        readVm(*doc, child, state, out);
        continue;
      }
      xml::Element el{*doc, child, out};
      el.children({});
      GpuPlacement gpu;
      gpu.location = el.required("location").value_or("");
      gpu.name = el.required("name").value_or("");
      gpu.onHost = el.requiredFlag("on-host");
      gpu.enabled = el.requiredFlag("enabled");
      gpu.assignedTo = el.optional("assigned-to");
      state.gpus.push_back(std::move(gpu));
    }
  }
  if (!out.empty()) {
    return std::unexpected(std::move(out));
  }
  return state;
}

} // namespace hil::platform
