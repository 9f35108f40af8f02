#include "framework/flows/flow_store.h"

#include <array>
#include <charconv>
#include <cstdint>
#include <utility>

#include <fmt/format.h>
#include <pugixml.hpp>

#include "framework/core/xml.h"

namespace hil::flows {

using Kind = UndoAction::Kind;

bool FlowRecord::operator==(const FlowRecord& other) const {
  if (flow != other.flow || vm != other.vm || undo.size() != other.undo.size()) {
    return false;
  }
  for (std::size_t i = 0; i < undo.size(); ++i) {
    const UndoAction& a = undo[i];
    const UndoAction& b = other.undo[i];
    if (a.kind != b.kind || a.vm != b.vm || a.target != b.target || a.stopAction != b.stopAction ||
        a.mmio != b.mmio || a.flag != b.flag) {
      return false;
    }
  }
  return true;
}

namespace {

constexpr std::string_view kRoot = "gpu-hil-flow-state";
constexpr std::string_view kVersion = "1";

constexpr std::array kKindWords = {
    std::pair{Kind::StartVm, std::string_view{"start-vm"}},
    std::pair{Kind::StopVm, std::string_view{"stop-vm"}},
    std::pair{Kind::SetStopAction, std::string_view{"set-stop-action"}},
    std::pair{Kind::SetMmio, std::string_view{"set-mmio"}},
    std::pair{Kind::SetCacheTypes, std::string_view{"set-cache-types"}},
    std::pair{Kind::EnableDevice, std::string_view{"enable-device"}},
    std::pair{Kind::DisableDevice, std::string_view{"disable-device"}},
    std::pair{Kind::MountDevice, std::string_view{"mount-device"}},
    std::pair{Kind::DismountDevice, std::string_view{"dismount-device"}},
    std::pair{Kind::RemoveAssignment, std::string_view{"remove-assignment"}},
    std::pair{Kind::AddAssignment, std::string_view{"add-assignment"}},
    std::pair{Kind::RemovePartitionAdapter, std::string_view{"remove-partition-adapter"}},
    std::pair{Kind::AddPartitionAdapter, std::string_view{"add-partition-adapter"}},
};

std::string_view kindWord(Kind kind) {
  for (const auto& [value, word] : kKindWords) {
    if (value == kind) {
      return word;
    }
  }
  return "unknown";
}

/// The attribute each kind keeps besides `kind` and `vm`.
enum class Payload { None, StopAction, Mmio, Flag, Target };

Payload payloadOf(Kind kind) {
  switch (kind) {
  case Kind::StartVm:
  case Kind::StopVm:
    return Payload::None;
  case Kind::SetStopAction:
    return Payload::StopAction;
  case Kind::SetMmio:
    return Payload::Mmio;
  case Kind::SetCacheTypes:
    return Payload::Flag;
  case Kind::EnableDevice:
  case Kind::DisableDevice:
  case Kind::MountDevice:
  case Kind::DismountDevice:
  case Kind::RemoveAssignment:
  case Kind::AddAssignment:
  case Kind::RemovePartitionAdapter:
  case Kind::AddPartitionAdapter:
    return Payload::Target;
  }
  return Payload::None;
}

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
  Reader(const xml::Document& doc, Diagnostics& out) : doc_(doc), out_(out) {}

  FlowState state(pugi::xml_node root) {
    xml::Element el{doc_, root, out_};
    FlowState s;
    const auto version = el.required("version");
    if (!version) {
      return s;
    }
    if (*version != kVersion) {
      el.error(fmt::format("version=\"{}\" on <{}>: this build reads version {} only", *version,
                           kRoot, kVersion));
      // A newer layout: its children mean nothing to this reader.
      for (auto attribute : root.attributes()) {
        el.optional(attribute.name());
      }
      return s;
    }
    for (auto child : el.children({"journal", "original"})) {
      if (std::string_view{child.name()} == "journal") {
        if (s.journal) {
          out_.push_back({doc_.file(), doc_.lineOf(child),
                          fmt::format("<journal> may appear only once in <{}>", kRoot)});
        }
        s.journal = journal(child);
      } else {
        original(child, s);
      }
    }
    return s;
  }

private:
  FlowRecord journal(pugi::xml_node node) {
    xml::Element el{doc_, node, out_};
    FlowRecord r;
    r.flow = el.choice("flow", {"deploy", "teardown"}, true).value_or("");
    r.vm = el.required("vm").value_or("");
    for (auto child : el.children({"undo"})) {
      if (auto action = undo(child)) {
        r.undo.push_back(std::move(*action));
      }
    }
    return r;
  }

  std::optional<UndoAction> undo(pugi::xml_node node) {
    xml::Element el{doc_, node, out_};
    el.children({});
    const auto word = el.required("kind");
    std::optional<Kind> kind;
    for (const auto& [value, name] : kKindWords) {
      if (word && name == *word) {
        kind = value;
      }
    }
    if (!kind) {
      if (word) {
        std::string known;
        for (const auto& [value, name] : kKindWords) {
          known += known.empty() ? "" : ", ";
          known += name;
        }
        el.error(fmt::format("kind=\"{}\" on <undo>: expected one of {}", *word, known));
      }
      // Which other attributes belong depends on the kind: do not report them as well.
      for (auto attribute : node.attributes()) {
        el.optional(attribute.name());
      }
      return std::nullopt;
    }
    UndoAction a{*kind, el.required("vm").value_or(""), {}};
    switch (payloadOf(*kind)) {
    case Payload::None:
      break;
    case Payload::StopAction:
      a.stopAction = parseStopAction(el.choice("stop-action", kStopActionWords, true).value_or(""));
      break;
    case Payload::Mmio:
      a.mmio = {el.requiredBytes("mmio-low"), el.requiredBytes("mmio-high")};
      break;
    case Payload::Flag:
      a.flag = el.requiredFlag("flag");
      break;
    case Payload::Target:
      a.target = el.required("target").value_or("");
      break;
    }
    return a;
  }

  void original(pugi::xml_node node, FlowState& s) {
    xml::Element el{doc_, node, out_};
    el.children({});
    platform::VmConfig c;
    c.name = el.required("vm").value_or("");
    c.state = el.choice("state", kVmStateWords, true).value_or("") == "Running"
                  ? platform::VmState::Running
                  : platform::VmState::Off;
    c.automaticStopAction =
        parseStopAction(el.choice("stop-action", kStopActionWords, true).value_or(""));
    c.mmio = {el.requiredBytes("mmio-low"), el.requiredBytes("mmio-high")};
    c.guestControlledCacheTypes = el.requiredFlag("cache-types");
    if (!el.node().attribute("vm")) {
      return;
    }
    const auto name = c.name;
    if (!s.originals.emplace(name, std::move(c)).second) {
      el.error(fmt::format("a second <original> for VM '{}'", name));
    }
  }

  const xml::Document& doc_;
  Diagnostics& out_;
};

} // namespace

std::string formatFlowState(const FlowState& state) {
  pugi::xml_document doc;
  auto declaration = doc.append_child(pugi::node_declaration);
  declaration.append_attribute("version").set_value("1.0");
  declaration.append_attribute("encoding").set_value("UTF-8");
  auto root = doc.append_child(std::string{kRoot}.c_str());
  xml::setAttribute(root, "version", kVersion);
  if (state.journal) {
    auto journal = root.append_child("journal");
    xml::setAttribute(journal, "flow", state.journal->flow);
    xml::setAttribute(journal, "vm", state.journal->vm);
    for (const UndoAction& a : state.journal->undo) {
      auto undo = journal.append_child("undo");
      xml::setAttribute(undo, "kind", kindWord(a.kind));
      xml::setAttribute(undo, "vm", a.vm);
      switch (payloadOf(a.kind)) {
      case Payload::None:
        break;
      case Payload::StopAction:
        xml::setAttribute(undo, "stop-action", platform::toString(a.stopAction));
        break;
      case Payload::Mmio:
        xml::setNumber(undo, "mmio-low", a.mmio.low);
        xml::setNumber(undo, "mmio-high", a.mmio.high);
        break;
      case Payload::Flag:
        xml::setBool(undo, "flag", a.flag);
        break;
      case Payload::Target:
        xml::setAttribute(undo, "target", a.target);
        break;
      }
    }
  }
  for (const auto& [vm, config] : state.originals) {
    auto original = root.append_child("original");
    xml::setAttribute(original, "vm", vm);
    xml::setAttribute(original, "state", platform::toString(config.state));
    xml::setAttribute(original, "stop-action", platform::toString(config.automaticStopAction));
    xml::setNumber(original, "mmio-low", config.mmio.low);
    xml::setNumber(original, "mmio-high", config.mmio.high);
    xml::setBool(original, "cache-types", config.guestControlledCacheTypes);
  }
  return xml::toText(doc);
}

Parsed<FlowState> parseFlowState(std::string text, std::string file) {
  auto doc = xml::Document::parse(std::move(text), file);
  if (!doc) {
    return std::unexpected(doc.error());
  }
  Diagnostics out;
  FlowState state;
  const auto root = doc->root();
  if (std::string_view{root.name()} != kRoot) {
    out.push_back({file, doc->lineOf(root),
                   fmt::format("root element is <{}>; expected <{}>", root.name(), kRoot)});
  } else {
    Reader reader{*doc, out};
    state = reader.state(root);
  }
  if (!out.empty()) {
    sortByLine(out);
    return std::unexpected(std::move(out));
  }
  return state;
}

} // namespace hil::flows
