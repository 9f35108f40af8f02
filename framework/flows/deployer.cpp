#include "framework/flows/deployer.h"

#include <algorithm>
#include <functional>

#include <fmt/format.h>

#include "framework/flows/journaled_flow.h"

namespace hil::flows {

using platform::MmioSpace;
using platform::Technique;
using platform::VmName;
using platform::VmState;
using Kind = UndoAction::Kind;
using Passthrough = DeployRequest::Passthrough;

MmioSpace mmioNeed(const data::GpuModel& model, std::size_t count) {
  return {platform::kDefaultMmio.low + model.lowMmioNeed() * count,
          platform::kDefaultMmio.high + model.highMmioNeed() * count};
}

FlowOutcome Deployer::deploy(const DeployRequest& request) {
  FlowOutcome outcome;
  log_.add(fmt::format("deploy: passthrough {} gpu-name \"{}\" gpu-count {} on VM {}",
                       request.passthrough == Passthrough::Auto ? "auto"
                       : request.passthrough == Passthrough::None
                           ? "None"
                           : (request.passthrough == Passthrough::DirectDeviceAssignment
                                  ? "DirectDeviceAssignment"
                                  : "ParaVirtualization"),
                       request.gpuName.value_or(""), request.gpuCount, request.vm));
  if (auto ok = ready(); !ok) {
    outcome.status = std::unexpected(ok.error());
    return outcome;
  }
  auto existing = currentDeployment(p_, request.vm);
  if (!existing) {
    outcome.status = std::unexpected(existing.error());
    return outcome;
  }
  if (request.passthrough == Passthrough::None) {
    outcome = teardown(request.vm);
    outcome.method = "None";
    return outcome;
  }
  if (auto met = meetCurrentDeployment(p_, catalog_, rules_, log_, request, *existing)) {
    return std::move(*met);
  }

  auto report = checkPrerequisites(p_, catalog_, rules_, request);
  if (!report) {
    outcome.status = std::unexpected(report.error());
    log_.add(fmt::format("deploy: prerequisite check failed: {}", report.error().describe()));
    return outcome;
  }
  outcome.warnings = report->warnings;
  if (!report->passed()) {
    outcome.problems = report->failures;
    Error first = report->failures.front();
    for (std::size_t i = 1; i < report->failures.size(); ++i) {
      first.message += fmt::format("; also {}: {}", toString(report->failures[i].code),
                                   report->failures[i].message);
    }
    outcome.status = std::unexpected(first);
    for (const auto& failure : report->failures) {
      log_.add(fmt::format("deploy: rejected: {}: {}", toString(failure.code), failure.message));
    }
    return outcome;
  }
  const auto& selection = *report->selection;
  outcome.method = std::string{toString(selection.technique)};
  for (auto warning : outcome.warnings) {
    log_.add(fmt::format("deploy: warning {}: no device mitigation driver for \"{}\"; the device "
                         "is dismounted with -Force, which the vendor advises against",
                         toString(warning), selection.model->name));
  }
  log_.add(fmt::format("deploy: {} x \"{}\" by {} ({} rules)", selection.devices.size(),
                       selection.model->name, toString(selection.technique), rules_.name()));
  journal_.begin("deploy", request.vm);
  auto done = selection.technique == Technique::DirectDeviceAssignment
                  ? deployDda(selection, request.vm, outcome.gpus)
                  : deployGpuPv(selection, request.vm);
  if (!done) {
    outcome.status = std::unexpected(done.error());
    outcome.status.error().context.push_back("deploy");
    rollBack(outcome);
    return outcome;
  }
  finish(outcome);
  log_.add(fmt::format("deploy: done: VM {} has the GPU by {}", request.vm,
                       toString(selection.technique)));
  return outcome;
}

Result<void> Deployer::ready() { return journalReady(journal_); }

void Deployer::finish(FlowOutcome& outcome) { journalFinish(journal_, log_, outcome); }

void Deployer::rollBack(FlowOutcome& outcome) { journalRollBack(journal_, p_, log_, outcome); }

Result<platform::VmConfig> Deployer::stopVm(const VmName& vmName) {
  auto vm = p_.hyperv.vmConfig(vmName);
  if (!vm) {
    return std::unexpected(vm.error());
  }
  HIL_TRY(journal_.rememberOriginal(*vm));
  if (vm->state == VmState::Running) {
    // Devices can be assigned and MMIO changed only while the VM is off.
    HIL_TRY(journal_.record({Kind::StartVm, vmName, {}}));
    HIL_TRY(p_.hyperv.stopVm(vmName));
  }
  if (vm->automaticStopAction != platform::StopAction::TurnOff) {
    HIL_TRY(journal_.record({Kind::SetStopAction, vmName, {}, vm->automaticStopAction}));
    HIL_TRY(p_.hyperv.setAutomaticStopAction(vmName, platform::StopAction::TurnOff));
  }
  return vm;
}

Result<void> Deployer::sizeMmio(const platform::VmConfig& vm, MmioSpace need) {
  const auto& vmName = vm.name;
  if (vm.mmio.low < need.low || vm.mmio.high < need.high) {
    const MmioSpace wanted{std::max(vm.mmio.low, need.low), std::max(vm.mmio.high, need.high)};
    log_.add(fmt::format("size MMIO space of {}: low {} high {} (BARs plus default space)", vmName,
                         platform::formatBytes(wanted.low), platform::formatBytes(wanted.high)));
    UndoAction undo{Kind::SetMmio, vmName, {}};
    undo.mmio = vm.mmio;
    HIL_TRY(journal_.record(undo));
    HIL_TRY(p_.hyperv.setMemoryMappedIo(vmName, wanted));
  }
  if (!vm.guestControlledCacheTypes) {
    UndoAction undo{Kind::SetCacheTypes, vmName, {}};
    undo.flag = false;
    HIL_TRY(journal_.record(undo));
    HIL_TRY(p_.hyperv.setGuestControlledCacheTypes(vmName, true));
  }
  return {};
}

Result<void> Deployer::startAndVerify(const VmName& vm, const std::vector<std::string>& argv,
                                      const std::function<bool(const platform::GuestOutput&)>& sees,
                                      const std::string& what) {
  HIL_TRY(journal_.record({Kind::StopVm, vm, {}}));
  HIL_TRY(p_.hyperv.startVm(vm));
  if (!verifyGuest_) {
    log_.add(fmt::format("guest: VM {} started; looking for {} is left to the caller", vm, what));
    return {};
  }
  auto output = p_.guest.run(argv);
  if (!output) {
    return std::unexpected(output.error());
  }
  if (!sees(*output)) {
    return fail(ErrorCode::OperationFailed, fmt::format("the VM {} does not see {} ({} exited {})",
                                                        vm, what, argv.front(), output->exitCode));
  }
  log_.add(fmt::format("guest: VM {} sees {}", vm, what));
  return {};
}

Result<void> Deployer::deployDda(const Selection& selection, const VmName& vm,
                                 std::vector<platform::LocationPath>& assigned) {
  auto config = stopVm(vm);
  if (!config) {
    return std::unexpected(config.error());
  }
  HIL_TRY(sizeMmio(*config, mmioNeed(*selection.model, selection.devices.size())));
  for (std::size_t i = 0; i < selection.devices.size(); ++i) {
    const auto& device = selection.devices[i];
    auto location = p_.pnp.locationPath(device.instanceId);
    if (!location) {
      return std::unexpected(location.error());
    }
    if (device.status != platform::DeviceStatus::Disabled) {
      // Disable first: Hyper-V won't dismount an enabled device.
      HIL_TRY(journal_.record({Kind::EnableDevice, vm, device.instanceId}));
      HIL_TRY(p_.pnp.disableDevice(device.instanceId));
    }
    assigned.push_back(*location);
    HIL_TRY(journal_.record({Kind::MountDevice, vm, *location}));
    HIL_TRY(p_.hyperv.dismountHostDevice(*location, !selection.mitigationDriver[i]));
    HIL_TRY(journal_.record({Kind::RemoveAssignment, vm, *location}));
    HIL_TRY(p_.hyperv.addAssignableDevice(vm, *location));
  }
  const auto pci = selection.model->pci.toString();
  const auto wanted = selection.devices.size();
  return startAndVerify(
      vm, {"lspci", "-n"},
      [&](const platform::GuestOutput& out) {
        std::size_t seen = 0;
        for (std::size_t at = out.out.find(pci); at != std::string::npos;
             at = out.out.find(pci, at + 1)) {
          ++seen;
        }
        return out.exitCode == 0 && seen >= wanted;
      },
      fmt::format("{} x PCI device {}", wanted, pci));
}

Result<void> Deployer::deployGpuPv(const Selection& selection, const VmName& vm) {
  auto gpus = p_.hyperv.partitionableGpus();
  if (!gpus) {
    return std::unexpected(gpus.error());
  }
  const auto& device = selection.devices.front();
  const auto gpu = std::find_if(gpus->begin(), gpus->end(),
                                [&](const auto& g) { return g.instanceId == device.instanceId; });
  if (gpu == gpus->end()) {
    return fail(ErrorCode::OperationFailed,
                fmt::format("\"{}\" is no longer listed as partitionable", device.friendlyName));
  }
  auto config = stopVm(vm);
  if (!config) {
    return std::unexpected(config.error());
  }
  HIL_TRY(journal_.record({Kind::RemovePartitionAdapter, vm, gpu->name}));
  auto adapter = p_.hyperv.addGpuPartitionAdapter(vm, gpu->name);
  if (!adapter) {
    return std::unexpected(adapter.error());
  }
  // The guest maps the partition's apertures into its MMIO space (dxgkrnl's getiospace).
  HIL_TRY(sizeMmio(*config, mmioNeed(*selection.model, 1)));
  return startAndVerify(
      vm, {"ls", "/dev/dxg", "/usr/lib/wsl/lib"},
      [](const platform::GuestOutput& out) { return out.exitCode == 0; },
      "/dev/dxg and the host driver libraries in /usr/lib/wsl/lib");
}

FlowOutcome Deployer::teardown(const VmName& vm) {
  FlowOutcome outcome;
  log_.add(fmt::format("teardown: VM {}", vm));
  if (auto ok = ready(); !ok) {
    outcome.status = std::unexpected(ok.error());
    return outcome;
  }
  auto existing = currentDeployment(p_, vm);
  if (!existing) {
    outcome.status = std::unexpected(existing.error());
    return outcome;
  }
  if (existing->empty()) {
    log_.add(fmt::format("teardown: VM {} has no GPU: nothing to change", vm));
    outcome.changedNothing = true;
    return outcome;
  }
  journal_.begin("teardown", vm);
  if (auto done = runTeardown(vm, *existing); !done) {
    outcome.status = std::unexpected(done.error());
    outcome.status.error().context.push_back("teardown");
    rollBack(outcome);
    return outcome;
  }
  finish(outcome);
  if (auto forgot = journal_.forgetOriginal(vm); !forgot) {
    outcome.status = std::unexpected(forgot.error());
  }
  log_.add(fmt::format("teardown: done: VM {} has no GPU; the host has it back", vm));
  return outcome;
}

Result<void> Deployer::runTeardown(const VmName& vmName, const CurrentDeployment& existing) {
  auto vm = p_.hyperv.vmConfig(vmName);
  if (!vm) {
    return std::unexpected(vm.error());
  }
  const bool wasRunning = vm->state == VmState::Running;
  if (wasRunning) {
    HIL_TRY(journal_.record({Kind::StartVm, vmName, {}}));
    HIL_TRY(p_.hyperv.stopVm(vmName));
  }
  for (const auto& device : existing.assigned) {
    HIL_TRY(journal_.record({Kind::AddAssignment, vmName, device.location}));
    HIL_TRY(p_.hyperv.removeAssignableDevice(vmName, device.location));
    HIL_TRY(journal_.record({Kind::DismountDevice, vmName, device.location}));
    HIL_TRY(p_.hyperv.mountHostDevice(device.location));
    auto devices = p_.pnp.displayDevices();
    if (!devices) {
      return std::unexpected(devices.error());
    }
    for (const auto& d : *devices) {
      auto location = p_.pnp.locationPath(d.instanceId);
      if (!location) {
        return std::unexpected(location.error());
      }
      if (*location == device.location && d.status == platform::DeviceStatus::Disabled) {
        HIL_TRY(journal_.record({Kind::DisableDevice, vmName, d.instanceId}));
        HIL_TRY(p_.pnp.enableDevice(d.instanceId));
      }
    }
  }
  for (const auto& adapter : existing.adapters) {
    HIL_TRY(journal_.record({Kind::AddPartitionAdapter, vmName, adapter.instancePath}));
    HIL_TRY(p_.hyperv.removeGpuPartitionAdapter(vmName, adapter.id));
  }
  if (const auto* original = journal_.original(vmName); original != nullptr) {
    const auto& before = *original;
    if (vm->automaticStopAction != before.automaticStopAction) {
      HIL_TRY(journal_.record({Kind::SetStopAction, vmName, {}, vm->automaticStopAction}));
      HIL_TRY(p_.hyperv.setAutomaticStopAction(vmName, before.automaticStopAction));
    }
    if (vm->mmio != before.mmio) {
      UndoAction undo{Kind::SetMmio, vmName, {}};
      undo.mmio = vm->mmio;
      HIL_TRY(journal_.record(undo));
      HIL_TRY(p_.hyperv.setMemoryMappedIo(vmName, before.mmio));
    }
    if (vm->guestControlledCacheTypes != before.guestControlledCacheTypes) {
      UndoAction undo{Kind::SetCacheTypes, vmName, {}};
      undo.flag = vm->guestControlledCacheTypes;
      HIL_TRY(journal_.record(undo));
      HIL_TRY(p_.hyperv.setGuestControlledCacheTypes(vmName, before.guestControlledCacheTypes));
    }
  } else {
    log_.add(fmt::format("teardown: VM {}'s settings before the deploy are unknown; MMIO, cache "
                         "types and stop action stay as they are",
                         vmName));
  }
  if (wasRunning) {
    HIL_TRY(journal_.record({Kind::StopVm, vmName, {}}));
    HIL_TRY(p_.hyperv.startVm(vmName));
  }
  return {};
}

} // namespace hil::flows
