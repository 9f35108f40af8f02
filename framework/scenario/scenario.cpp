#include "framework/scenario/scenario.h"

namespace hil::scenario {

std::string_view toString(FaultKind kind) { return kind == FaultKind::Hang ? "hang" : "error"; }

std::string_view toString(Passthrough passthrough) {
  switch (passthrough) {
  case Passthrough::Auto:
    return "auto";
  case Passthrough::DirectDeviceAssignment:
    return "DirectDeviceAssignment";
  case Passthrough::ParaVirtualization:
    return "ParaVirtualization";
  case Passthrough::None:
    return "None";
  }
  return "unknown";
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
