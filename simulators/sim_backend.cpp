#include "simulators/sim_backend.h"

#include <algorithm>

#include <fmt/format.h>

namespace hil::simulators {

SimBackend::SimBackend(const scenario::HostSpec& spec, const data::GpuCatalog& catalog,
                       std::uint64_t seed)
    : host_(spec, catalog, seed), guest_(host_, spec.vm.name) {}

platform::Platform SimBackend::platform() {
  return {hostOs_, pnp_, hyperv_, drivers_, guest_};
}

Result<runner::Observation> SimBackend::observe(const platform::VmName& vm) {
  const auto* sim = host_.vm(vm);
  if (sim == nullptr) {
    return fail(ErrorCode::InvalidRequest, fmt::format("the host has no VM named \"{}\"", vm));
  }
  runner::Observation seen;
  if (!sim->assigned.empty()) {
    seen.vmGpu = scenario::VmGpu::Dda;
  } else if (!sim->adapters.empty()) {
    seen.vmGpu = scenario::VmGpu::GpuPv;
  }
  for (const auto& gpu : host_.gpus) {
    if (!gpu.mounted) {
      seen.hostGpu = scenario::HostGpu::Dismounted;
    }
  }
  return seen;
}

std::vector<std::string> SimBackend::invariantViolations() {
  std::vector<std::string> violations;
  for (const auto& gpu : host_.gpus) {
    if (!gpu.mounted && !gpu.assignedTo) {
      violations.push_back(fmt::format("gpu-lost: \"{}\" at {} is dismounted from the host and "
                                       "assigned to no VM",
                                       gpu.model->name, gpu.location));
    }
    if (gpu.mounted && gpu.assignedTo) {
      violations.push_back(fmt::format("gpu-on-both: \"{}\" at {} is on the host and assigned to "
                                       "VM {}",
                                       gpu.model->name, gpu.location, *gpu.assignedTo));
    }
    int holders = 0;
    for (const auto& [name, vm] : host_.vms) {
      holders += static_cast<int>(std::count(vm.assigned.begin(), vm.assigned.end(), gpu.location));
    }
    if (holders > 1) {
      violations.push_back(fmt::format("gpu-assigned-twice: \"{}\" at {} is assigned {} times",
                                       gpu.model->name, gpu.location, holders));
    }
  }
  return violations;
}

Result<std::unique_ptr<runner::Backend>>
SimBackendFactory::create(const scenario::Scenario& scenario, std::uint64_t seed) const {
  return std::make_unique<SimBackend>(scenario.host, catalog_, seed);
}

} // namespace hil::simulators
