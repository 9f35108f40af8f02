#include "framework/flows/eflow_configurator.h"

#include <fmt/format.h>

#include "framework/flows/current_deployment.h"
#include "framework/flows/prerequisites.h"

namespace hil::flows {

using platform::Technique;

FlowOutcome EflowConfigurator::deploy(const DeployRequest& request) {
  FlowOutcome outcome;
  if (request.passthrough == DeployRequest::Passthrough::None) {
    outcome = teardown(request.vm);
    outcome.method = "None";
    return outcome;
  }
  // One technique and one GPU model per VM, and a repeated deploy changes nothing: decided
  // here, as our own flows decide it, before EFLOW is asked (EFLOW documents neither).
  auto current = currentDeployment(p_, request.vm);
  if (!current) {
    outcome.status = std::unexpected(current.error());
    return outcome;
  }
  if (auto met = meetCurrentDeployment(p_, catalog_, rules_, log_, request, *current)) {
    return std::move(*met);
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
  auto held = heldBy(p_, request.vm);
  if (!held) {
    outcome.status = std::unexpected(held.error());
    return outcome;
  }
  const bool dda = selection.technique == Technique::DirectDeviceAssignment;
  const bool holds = dda ? held->assigned.size() == selection.devices.size() &&
                               held->adapters.empty()
                         : held->adapters.size() == 1 && held->assigned.empty();
  if (!holds) {
    outcome.status =
        fail(ErrorCode::OperationFailed,
             fmt::format("Set-EflowVM succeeded but VM {} holds {} assigned device(s) "
                         "and {} partition adapter(s), not {}",
                         request.vm, held->assigned.size(), held->adapters.size(),
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
  auto before = heldBy(p_, vm);
  if (!before) {
    outcome.status = std::unexpected(before.error());
    return outcome;
  }
  if (before->empty()) {
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
  auto after = heldBy(p_, vm);
  if (!after) {
    outcome.status = std::unexpected(after.error());
    return outcome;
  }
  if (!after->empty()) {
    outcome.status = fail(ErrorCode::OperationFailed,
                          fmt::format("Set-EflowVM succeeded but VM {} still holds {} assigned "
                                      "device(s) and {} partition adapter(s)",
                                      vm, after->assigned.size(), after->adapters.size()));
  }
  return outcome;
}

} // namespace hil::flows
