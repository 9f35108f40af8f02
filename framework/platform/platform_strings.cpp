#include "framework/platform/hyperv.h"
#include "framework/platform/pnp.h"

namespace hil::platform {

std::string_view toString(DeviceStatus status) {
  switch (status) {
  case DeviceStatus::Ok:
    return "OK";
  case DeviceStatus::Disabled:
    return "Disabled";
  case DeviceStatus::Error:
    return "Error";
  }
  return "Unknown";
}

std::string_view toString(VmState state) { return state == VmState::Running ? "Running" : "Off"; }

std::string_view toString(StopAction action) {
  switch (action) {
  case StopAction::TurnOff:
    return "TurnOff";
  case StopAction::Save:
    return "Save";
  case StopAction::ShutDown:
    return "ShutDown";
  }
  return "Unknown";
}

} // namespace hil::platform
