#include "framework/flows/eflow_configurator.h"

#include <fmt/format.h>

#include "framework/flows/journaled_flow.h"

namespace hil::flows {

using platform::Technique;
using Kind = UndoAction::Kind;

FlowOutcome EflowConfigurator::deploy(const DeployRequest& request) {
  FlowOutcome outcome;
  if (request.passthrough == DeployRequest::Passthrough::None) {
    outcome = teardown(request.vm);
    outcome.method = "None";
    return outcome;
  }
  if (auto ok = journalReady(journal_); !ok) {
    outcome.status = std::unexpected(ok.error());
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
  journal_.begin("deploy", request.vm);
  if (auto done = configure(selection, request.vm, outcome.gpus); !done) {
    outcome.status = std::unexpected(done.error());
    outcome.status.error().context.push_back("eflow deploy");
    outcome.gpus.clear();
    journalRollBack(journal_, p_, log_, outcome);
    return outcome;
  }
  journalFinish(journal_, log_, outcome);
  log_.add(fmt::format("eflow deploy: done: VM {} holds the GPU by {} and its guest sees it",
                       request.vm, toString(selection.technique)));
  return outcome;
}

Result<void> EflowConfigurator::journalDeploy(const Selection& selection,
                                              const platform::VmName& vmName) {
  // Set-EflowVM's steps are the documented procedure's (the Windows Server DDA deployment guide,
  // EFLOW's GPU acceleration article; the Deployer runs the same): the VM stopped, its stop
  // action, MMIO and cache types set, the devices disabled, dismounted and assigned or a
  // partition adapter added, the VM started. Recorded in that order, so that a rollback takes
  // them back newest first; each undo acts only where the step took effect.
  auto vm = p_.hyperv.vmConfig(vmName);
  if (!vm) {
    return std::unexpected(vm.error());
  }
  if (vm->state == platform::VmState::Running) {
    HIL_TRY(journal_.record({Kind::StartVm, vmName, {}}));
  }
  HIL_TRY(journalSettings(*vm));
  if (selection.technique == Technique::DirectDeviceAssignment) {
    for (const auto& device : selection.devices) {
      auto location = p_.pnp.locationPath(device.instanceId);
      if (!location) {
        return std::unexpected(location.error());
      }
      if (device.status != platform::DeviceStatus::Disabled) {
        HIL_TRY(journal_.record({Kind::EnableDevice, vmName, device.instanceId}));
      }
      HIL_TRY(journal_.record({Kind::MountDevice, vmName, *location}));
      HIL_TRY(journal_.record({Kind::RemoveAssignment, vmName, *location}));
    }
  } else {
    auto gpus = p_.hyperv.partitionableGpus();
    if (!gpus) {
      return std::unexpected(gpus.error());
    }
    const auto& device = selection.devices.front();
    for (const auto& gpu : *gpus) {
      if (gpu.instanceId == device.instanceId) {
        HIL_TRY(journal_.record({Kind::RemovePartitionAdapter, vmName, gpu.name}));
      }
    }
  }
  return journal_.record({Kind::StopVm, vmName, {}});
}

Result<void> EflowConfigurator::journalSettings(const platform::VmConfig& vm) {
  HIL_TRY(journal_.record({Kind::SetStopAction, vm.name, {}, vm.automaticStopAction}));
  UndoAction mmio{Kind::SetMmio, vm.name, {}};
  mmio.mmio = vm.mmio;
  HIL_TRY(journal_.record(mmio));
  UndoAction cache{Kind::SetCacheTypes, vm.name, {}};
  cache.flag = vm.guestControlledCacheTypes;
  return journal_.record(cache);
}

Result<void> EflowConfigurator::configure(const Selection& selection, const platform::VmName& vm,
                                          std::vector<platform::LocationPath>& assigned) {
  HIL_TRY(journalDeploy(selection, vm));
  platform::EflowGpuRequest gpu;
  gpu.technique = selection.technique;
  gpu.gpuName = selection.devices.front().friendlyName;
  gpu.gpuCount = static_cast<int>(selection.devices.size());
  log_.add(fmt::format("eflow deploy: Set-EflowVM -gpuPassthroughType {} -gpuName \"{}\" "
                       "-gpuCount {} -headless",
                       toString(selection.technique), gpu.gpuName, gpu.gpuCount));
  HIL_TRY(eflow_.setGpu(gpu));
  auto held = heldBy(p_, vm);
  if (!held) {
    return std::unexpected(held.error());
  }
  const bool dda = selection.technique == Technique::DirectDeviceAssignment;
  const bool holds =
      dda ? held->assigned.size() == selection.devices.size() && held->adapters.empty()
          : held->adapters.size() == 1 && held->assigned.empty();
  if (!holds) {
    return fail(ErrorCode::OperationFailed,
                fmt::format("Set-EflowVM succeeded but VM {} holds {} assigned device(s) and {} "
                            "partition adapter(s), not {}",
                            vm, held->assigned.size(), held->adapters.size(),
                            dda ? fmt::format("{} assigned device(s)", selection.devices.size())
                                : std::string{"one partition adapter"}));
  }
  const std::vector<std::string> argv =
      dda ? std::vector<std::string>{"lspci", "-n"}
          : std::vector<std::string>{"ls", "/dev/dxg", "/usr/lib/wsl/lib"};
  auto seen = p_.guest.run(argv);
  if (!seen) {
    return std::unexpected(seen.error());
  }
  const auto pci = selection.model->pci.toString();
  if (seen->exitCode != 0 || (dda && seen->out.find(pci) == std::string::npos)) {
    return fail(ErrorCode::OperationFailed,
                fmt::format("Set-EflowVM succeeded but the VM does not see the GPU ({} exited {})",
                            argv.front(), seen->exitCode));
  }
  // What EFLOW assigned, for the invariants: each GPU must be where the request put it.
  for (const auto& device : held->assigned) {
    assigned.push_back(device.location);
  }
  return {};
}

FlowOutcome EflowConfigurator::teardown(const platform::VmName& vm) {
  FlowOutcome outcome;
  if (auto ok = journalReady(journal_); !ok) {
    outcome.status = std::unexpected(ok.error());
    return outcome;
  }
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
  journal_.begin("teardown", vm);
  auto done = journalTeardown(*before, vm);
  if (done) {
    done = removeGpu(vm);
  }
  if (!done) {
    outcome.status = std::unexpected(done.error());
    outcome.status.error().context.push_back("eflow teardown");
    journalRollBack(journal_, p_, log_, outcome);
    return outcome;
  }
  journalFinish(journal_, log_, outcome);
  return outcome;
}

Result<void> EflowConfigurator::journalTeardown(const CurrentDeployment& current,
                                                const platform::VmName& vmName) {
  // The documented teardown, in order: the VM stopped, each device removed from it, mounted
  // and enabled on the host, or the partition adapter removed; the VM's settings restored; the
  // VM started again if it ran. Its undo puts the deployment back.
  auto vm = p_.hyperv.vmConfig(vmName);
  if (!vm) {
    return std::unexpected(vm.error());
  }
  const bool running = vm->state == platform::VmState::Running;
  if (running) {
    HIL_TRY(journal_.record({Kind::StartVm, vmName, {}}));
  }
  for (const auto& device : current.assigned) {
    HIL_TRY(journal_.record({Kind::AddAssignment, vmName, device.location}));
    HIL_TRY(journal_.record({Kind::DismountDevice, vmName, device.location}));
    HIL_TRY(journal_.record(
        {Kind::DisableDevice, vmName, platform::hostInstanceId(device.instanceId)}));
  }
  for (const auto& adapter : current.adapters) {
    HIL_TRY(journal_.record({Kind::AddPartitionAdapter, vmName, adapter.instancePath}));
  }
  HIL_TRY(journalSettings(*vm));
  if (running) {
    HIL_TRY(journal_.record({Kind::StopVm, vmName, {}}));
  }
  return {};
}

Result<void> EflowConfigurator::removeGpu(const platform::VmName& vm) {
  log_.add("eflow teardown: Set-EflowVM without GPU arguments");
  HIL_TRY(eflow_.setGpu(platform::EflowGpuRequest{}));
  auto after = heldBy(p_, vm);
  if (!after) {
    return std::unexpected(after.error());
  }
  if (!after->empty()) {
    return fail(ErrorCode::OperationFailed,
                fmt::format("Set-EflowVM succeeded but VM {} still holds {} assigned device(s) and "
                            "{} partition adapter(s)",
                            vm, after->assigned.size(), after->adapters.size()));
  }
  return {};
}

} // namespace hil::flows
