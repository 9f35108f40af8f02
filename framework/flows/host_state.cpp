#include "framework/flows/host_state.h"

#include <algorithm>

#include <fmt/format.h>

namespace hil::flows {

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

const GpuPlacement* HostState::gpuAt(const platform::LocationPath& location) const {
  const auto it = std::find_if(gpus.begin(), gpus.end(),
                               [&](const GpuPlacement& gpu) { return gpu.location == location; });
  return it == gpus.end() ? nullptr : &*it;
}

} // namespace hil::flows
