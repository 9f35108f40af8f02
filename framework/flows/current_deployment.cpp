#include "framework/flows/current_deployment.h"

#include <algorithm>

#include <fmt/format.h>

#include "framework/flows/prerequisites.h"

namespace hil::flows {
namespace {

using platform::Technique;
using Passthrough = DeployRequest::Passthrough;

Result<std::string> deployedGpuName(const platform::Platform& p, const data::GpuCatalog& catalog,
                                    const CurrentDeployment& c) {
  if (!c.assigned.empty()) {
    const auto pci = platform::pciIdFromInstanceId(c.assigned.front().instanceId);
    const auto* model = pci ? modelOf(catalog, *pci) : nullptr;
    return model ? model->name : c.assigned.front().instanceId;
  }
  auto gpus = p.hyperv.partitionableGpus();
  if (!gpus) {
    return std::unexpected(gpus.error());
  }
  auto devices = p.pnp.displayDevices();
  if (!devices) {
    return std::unexpected(devices.error());
  }
  for (const auto& g : *gpus) {
    if (g.name != c.adapters.front().instancePath) {
      continue;
    }
    for (const auto& d : *devices) {
      if (d.instanceId == g.instanceId) {
        return d.friendlyName;
      }
    }
  }
  return c.adapters.front().instancePath;
}

Result<std::vector<WarningCode>> deployedWarnings(const platform::Platform& p,
                                                  const data::GpuCatalog& catalog,
                                                  const data::RulesProfile& rules,
                                                  const CurrentDeployment& c) {
  std::vector<WarningCode> warnings;
  for (const auto& device : c.assigned) {
    const auto pci = platform::pciIdFromInstanceId(device.instanceId);
    const auto* model = pci ? modelOf(catalog, *pci) : nullptr;
    if (model == nullptr) {
      continue;
    }
    const auto modelRules = rules.rulesFor(*model);
    const bool recommended = std::any_of(modelRules.begin(), modelRules.end(), [](const auto* r) {
      return r->technique == Technique::DirectDeviceAssignment && r->recommendsMitigationDriver;
    });
    if (!recommended) {
      continue;
    }
    auto installed =
        p.drivers.mitigationDriverInstalled(platform::hostInstanceId(device.instanceId));
    if (!installed) {
      return std::unexpected(installed.error());
    }
    if (!*installed && warnings.empty()) {
      warnings.push_back(WarningCode::MitigationDriverMissing);
    }
  }
  return warnings;
}

} // namespace

Result<CurrentDeployment> currentDeployment(const platform::Platform& p,
                                            const platform::VmName& vm) {
  CurrentDeployment c;
  auto feature = p.host.hypervFeature();
  if (!feature) {
    return std::unexpected(feature.error());
  }
  if (!feature->enabled) {
    return c; // no Hyper-V: no VM holds a GPU, and the prerequisite check says why
  }
  return heldBy(p, vm);
}

Result<CurrentDeployment> heldBy(const platform::Platform& p, const platform::VmName& vm) {
  CurrentDeployment c;
  auto assigned = p.hyperv.assignableDevices(vm);
  if (!assigned) {
    return std::unexpected(assigned.error());
  }
  auto adapters = p.hyperv.gpuPartitionAdapters(vm);
  if (!adapters) {
    return std::unexpected(adapters.error());
  }
  c.assigned = std::move(*assigned);
  c.adapters = std::move(*adapters);
  return c;
}

std::optional<FlowOutcome> meetCurrentDeployment(const platform::Platform& p,
                                                 const data::GpuCatalog& catalog,
                                                 const data::RulesProfile& rules, Log& log,
                                                 const DeployRequest& request,
                                                 const CurrentDeployment& current) {
  if (current.empty()) {
    return std::nullopt;
  }
  FlowOutcome outcome;
  const Technique deployed =
      current.assigned.empty() ? Technique::ParaVirtualization : Technique::DirectDeviceAssignment;
  auto name = deployedGpuName(p, catalog, current);
  if (!name) {
    outcome.status = std::unexpected(name.error());
    return outcome;
  }
  const bool sameTechnique = request.passthrough == Passthrough::Auto ||
                             (request.passthrough == Passthrough::DirectDeviceAssignment) ==
                                 (deployed == Technique::DirectDeviceAssignment);
  const bool sameGpu = !request.gpuName || platform::equalsIgnoringCase(*request.gpuName, *name);
  const auto count = deployed == Technique::DirectDeviceAssignment ? current.assigned.size() : 1u;
  if (sameTechnique && sameGpu && request.gpuCount == static_cast<int>(count)) {
    log.add(fmt::format("deploy: VM {} already has {} x \"{}\" by {}: nothing to change",
                        request.vm, count, *name, toString(deployed)));
    outcome.method = std::string{toString(deployed)};
    outcome.changedNothing = true;
    if (auto warnings = deployedWarnings(p, catalog, rules, current); warnings) {
      outcome.warnings = std::move(*warnings);
    } else {
      outcome.status = std::unexpected(warnings.error());
    }
    return outcome;
  }
  outcome.status = fail(ErrorCode::InvalidRequest,
                        fmt::format("VM {} already has {} x \"{}\" by {}: tear down first (one "
                                    "technique and one GPU model per VM)",
                                    request.vm, count, *name, toString(deployed)));
  outcome.problems.push_back(outcome.status.error());
  log.add(fmt::format("deploy: rejected: {}", outcome.status.error().describe()));
  return outcome;
}

} // namespace hil::flows
