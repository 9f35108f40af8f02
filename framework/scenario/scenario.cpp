#include "framework/scenario/scenario.h"

#include <charconv>

#include <fmt/format.h>

#include "framework/platform/operations.h"

namespace hil::scenario {

std::string_view toString(FaultKind kind) {
  switch (kind) {
  case FaultKind::Error:
    return "error";
  case FaultKind::Hang:
    return "hang";
  case FaultKind::Crash:
    return "crash";
  }
  return "unknown";
}

std::string FaultSpec::describe() const {
  if (kind == FaultKind::Crash) {
    return fmt::format("{}:{}:crash-{}", op, occurrence, after ? "after" : "before");
  }
  return fmt::format("{}:{}:{}", op, occurrence, toString(kind));
}

std::optional<FaultSpec> parseFaultSpec(std::string_view text) {
  const auto first = text.find(':');
  const auto second = first == std::string_view::npos ? first : text.find(':', first + 1);
  if (second == std::string_view::npos || !platform::findOperation(text.substr(0, first))) {
    return std::nullopt;
  }
  FaultSpec fault;
  fault.op = std::string{text.substr(0, first)};
  const auto occurrence = text.substr(first + 1, second - first - 1);
  int value = 0;
  auto [end, ec] = std::from_chars(occurrence.data(), occurrence.data() + occurrence.size(), value);
  if (ec != std::errc{} || end != occurrence.data() + occurrence.size() || value < 1) {
    return std::nullopt;
  }
  fault.occurrence = value;
  const auto kind = text.substr(second + 1);
  if (kind == "error") {
    fault.kind = FaultKind::Error;
  } else if (kind == "hang") {
    fault.kind = FaultKind::Hang;
  } else if (kind == "crash" || kind == "crash-before" || kind == "crash-after") {
    fault.kind = FaultKind::Crash;
    fault.after = kind == "crash-after";
  } else {
    return std::nullopt;
  }
  return fault;
}

std::string_view toString(VmGpu value) {
  switch (value) {
  case VmGpu::None:
    return "none";
  case VmGpu::Dda:
    return "dda";
  case VmGpu::GpuPv:
    return "gpu-pv";
  }
  return "unknown";
}

std::string_view toString(HostGpu value) {
  return value == HostGpu::Present ? "present" : "dismounted";
}

std::string_view toString(StepKind kind) {
  switch (kind) {
  case StepKind::Deploy:
    return "deploy";
  case StepKind::Teardown:
    return "teardown";
  case StepKind::Smoke:
    return "smoke";
  case StepKind::Expect:
    return "expect";
  }
  return "unknown";
}

} // namespace hil::scenario
