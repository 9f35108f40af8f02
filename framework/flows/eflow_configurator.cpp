#include "framework/flows/eflow_configurator.h"

#include <fmt/format.h>

#include "framework/flows/prerequisites.h"

namespace hil::flows {

using platform::Technique;

Result<std::pair<std::size_t, std::size_t>>
EflowConfigurator::holdings(const platform::VmName& vm) {
  auto assigned = p_.hyperv.assignableDevices(vm);
  if (!assigned) {
    return std::unexpected(assigned.error());
  }
  auto adapters = p_.hyperv.gpuPartitionAdapters(vm);
  if (!adapters) {
    return std::unexpected(adapters.error());
  }
  return std::pair{assigned->size(), adapters->size()};
}

FlowOutcome EflowConfigurator::deploy(const DeployRequest& request) {
  FlowOutcome outcome;
  if (request.passthrough == DeployRequest::Passthrough::None) {
    outcome = teardown(request.vm);
    outcome.method = "None";
    return outcome;
  }
  auto report = checkPrerequisites(p_, catalog_, rules_, request);
  if (!report) {
    outcome.status = std::unexpected(report.error());
    return outcome;
  }
  outcome.warnings = report->warnings;
  if (!report->passed()) {
    outcome.problems = report->failures;
    outcome.status = std::unexpected(report->failures.front());
    for (const auto& failure : report->failures) {
      log_.add(fmt::format("eflow deploy: rejected before Set-EflowVM: {}: {}",
                           toString(failure.code), failure.message));
    }
    return outcome;
  }
  const auto& selection = *report->selection;
  outcome.method = std::string{toString(selection.technique)};
  platform::EflowGpuRequest gpu;
  gpu.technique = selection.technique;
  gpu.gpuName = selection.devices.front().friendlyName;
  gpu.gpuCount = static_cast<int>(selection.devices.size());
  log_.add(fmt::format("eflow deploy: Set-EflowVM -gpuPassthroughType {} -gpuName \"{}\" "
                       "-gpuCount {} -headless",
                       toString(selection.technique), gpu.gpuName, gpu.gpuCount));
  if (auto set = eflow_.setGpu(gpu); !set) {
    outcome.status = std::unexpected(set.error());
    outcome.status.error().context.push_back("eflow deploy");
    return outcome;
  }
  auto held = holdings(request.vm);
  if (!held) {
    outcome.status = std::unexpected(held.error());
    return outcome;
  }
  const bool dda = selection.technique == Technique::DirectDeviceAssignment;
  const bool holds = dda ? held->first == selection.devices.size() && held->second == 0
                         : held->second == 1 && held->first == 0;
  if (!holds) {
    outcome.status =
        fail(ErrorCode::OperationFailed,
             fmt::format("Set-EflowVM succeeded but VM {} holds {} assigned device(s) "
                         "and {} partition adapter(s), not {}",
                         request.vm, held->first, held->second,
                         dda ? fmt::format("{} assigned device(s)", selection.devices.size())
                             : std::string{"one partition adapter"}));
    return outcome;
  }
  const std::vector<std::string> argv =
      dda ? std::vector<std::string>{"lspci", "-n"}
          : std::vector<std::string>{"ls", "/dev/dxg", "/usr/lib/wsl/lib"};
  auto seen = p_.guest.run(argv);
  if (!seen) {
    outcome.status = std::unexpected(seen.error());
    return outcome;
  }
  const auto pci = selection.model->pci.toString();
  if (seen->exitCode != 0 || (dda && seen->out.find(pci) == std::string::npos)) {
    outcome.status = fail(ErrorCode::OperationFailed,
                          fmt::format("Set-EflowVM succeeded but the VM does not see the GPU ({} "
                                      "exited {})",
                                      argv.front(), seen->exitCode));
    return outcome;
  }
  if (dda) {
    // What EFLOW assigned, for the invariants: each GPU must be where the request put it.
    auto assigned = p_.hyperv.assignableDevices(request.vm);
    if (!assigned) {
      outcome.status = std::unexpected(assigned.error());
      return outcome;
    }
    for (const auto& device : *assigned) {
      outcome.gpus.push_back(device.location);
    }
  }
  log_.add(fmt::format("eflow deploy: done: VM {} holds the GPU by {} and its guest sees it",
                       request.vm, toString(selection.technique)));
  return outcome;
}

FlowOutcome EflowConfigurator::teardown(const platform::VmName& vm) {
  FlowOutcome outcome;
  auto before = holdings(vm);
  if (!before) {
    outcome.status = std::unexpected(before.error());
    return outcome;
  }
  if (before->first == 0 && before->second == 0) {
    log_.add(fmt::format("eflow teardown: VM {} has no GPU: nothing to change", vm));
    outcome.changedNothing = true;
    return outcome;
  }
  log_.add("eflow teardown: Set-EflowVM without GPU arguments");
  if (auto set = eflow_.setGpu(platform::EflowGpuRequest{}); !set) {
    outcome.status = std::unexpected(set.error());
    outcome.status.error().context.push_back("eflow teardown");
    return outcome;
  }
  auto after = holdings(vm);
  if (!after) {
    outcome.status = std::unexpected(after.error());
    return outcome;
  }
  if (after->first != 0 || after->second != 0) {
    outcome.status = fail(ErrorCode::OperationFailed,
                          fmt::format("Set-EflowVM succeeded but VM {} still holds {} assigned "
                                      "device(s) and {} partition adapter(s)",
                                      vm, after->first, after->second));
  }
  return outcome;
}

} // namespace hil::flows
