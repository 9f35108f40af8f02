#include "simulators/sim_backend.h"

#include <algorithm>

#include <fmt/format.h>

namespace hil::simulators {

SimBackend::SimBackend(const scenario::HostSpec& spec, const data::GpuCatalog& catalog,
                       std::uint64_t seed)
    : SimBackend(std::make_unique<SimHost>(spec, catalog, seed), spec.vm.name) {}

SimBackend::SimBackend(std::unique_ptr<SimHost> host, platform::VmName vm)
    : host_(std::move(host)), guest_(*host_, std::move(vm)) {}

platform::Platform SimBackend::platform() { return {hostOs_, pnp_, hyperv_, drivers_, guest_}; }

Result<runner::Observation> SimBackend::observe(const platform::VmName& vm) {
  const auto* sim = host_->vm(vm);
  if (sim == nullptr) {
    return fail(ErrorCode::InvalidRequest, fmt::format("the host has no VM named \"{}\"", vm));
  }
  runner::Observation seen;
  if (!sim->assigned.empty()) {
    seen.vmGpu = scenario::VmGpu::Dda;
  } else if (!sim->adapters.empty()) {
    seen.vmGpu = scenario::VmGpu::GpuPv;
  }
  for (const auto& gpu : host_->gpus) {
    if (!gpu.mounted) {
      seen.hostGpu = scenario::HostGpu::Dismounted;
    }
  }
  return seen;
}

platform::HostState SimBackend::snapshot() {
  platform::HostState state;
  for (const auto& gpu : host_->gpus) {
    state.gpus.push_back({gpu.location, gpu.model->name, gpu.mounted, gpu.enabled, gpu.assignedTo});
  }
  for (const auto& [name, vm] : host_->vms) {
    platform::VmSnapshot snap{vm.config, vm.assigned, {}};
    for (const auto& adapter : vm.adapters) {
      snap.adapterGpus.push_back(adapter.instancePath);
    }
    state.vms.emplace(name, std::move(snap));
  }
  return state;
}

std::vector<scenario::FaultSpec> combineFaults(const std::vector<scenario::FaultSpec>& extra,
                                               const std::vector<scenario::FaultSpec>& scenario) {
  auto faults = extra;
  faults.insert(faults.end(), scenario.begin(), scenario.end());
  return faults;
}

Result<std::unique_ptr<runner::Backend>>
SimBackendFactory::create(const scenario::Scenario& scenario, std::uint64_t seed,
                          const std::vector<scenario::FaultSpec>& extraFaults) const {
  auto backend = std::make_unique<SimBackend>(scenario.host, catalog_, seed);
  if (!extraFaults.empty()) {
    backend->host().setFaults(combineFaults(extraFaults, scenario.host.faults));
  }
  return backend;
}

} // namespace hil::simulators
