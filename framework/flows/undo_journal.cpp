#include "framework/flows/undo_journal.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

namespace hil::flows {

using platform::Platform;
using platform::VmState;

std::string UndoAction::describe() const {
  switch (kind) {
  case Kind::StartVm:
    return fmt::format("start VM {}", vm);
  case Kind::StopVm:
    return fmt::format("stop VM {}", vm);
  case Kind::SetStopAction:
    return fmt::format("restore automatic stop action {} on {}", toString(stopAction), vm);
  case Kind::SetMmio:
    return fmt::format("restore MMIO space low {} high {} on {}", platform::formatBytes(mmio.low),
                       platform::formatBytes(mmio.high), vm);
  case Kind::SetCacheTypes:
    return fmt::format("restore guest-controlled cache types {} on {}", flag, vm);
  case Kind::EnableDevice:
    return fmt::format("enable device {}", target);
  case Kind::DisableDevice:
    return fmt::format("disable device {}", target);
  case Kind::MountDevice:
    return fmt::format("mount {} back on the host", target);
  case Kind::DismountDevice:
    return fmt::format("dismount {} from the host", target);
  case Kind::RemoveAssignment:
    return fmt::format("remove {} from VM {}", target, vm);
  case Kind::AddAssignment:
    return fmt::format("assign {} to VM {} again", target, vm);
  case Kind::RemovePartitionAdapter:
    return fmt::format("remove the GPU partition adapter on {} from VM {}", target, vm);
  case Kind::AddPartitionAdapter:
    return fmt::format("add the GPU partition adapter on {} to VM {} again", target, vm);
  }
  return "unknown undo action";
}

bool UndoAction::needsVmOff() const {
  switch (kind) {
  case Kind::SetMmio:
  case Kind::SetCacheTypes:
  case Kind::RemoveAssignment:
  case Kind::AddAssignment:
  case Kind::RemovePartitionAdapter:
  case Kind::AddPartitionAdapter:
    return true;
  case Kind::StartVm:
  case Kind::StopVm:
  case Kind::SetStopAction:
  case Kind::EnableDevice:
  case Kind::DisableDevice:
  case Kind::MountDevice:
  case Kind::DismountDevice:
    return false;
  }
  return false;
}

namespace {

bool contains(const std::vector<platform::LocationPath>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

Result<std::optional<platform::PnpDevice>> presentDevice(Platform& p, const std::string& id) {
  auto devices = p.pnp.displayDevices();
  if (!devices) {
    return std::unexpected(devices.error());
  }
  for (auto& d : *devices) {
    if (d.instanceId == id) {
      return std::optional{d};
    }
  }
  return std::optional<platform::PnpDevice>{};
}

Result<std::optional<platform::InstanceId>> presentDeviceAt(Platform& p,
                                                            const platform::LocationPath& at) {
  auto devices = p.pnp.displayDevices();
  if (!devices) {
    return std::unexpected(devices.error());
  }
  for (auto& d : *devices) {
    auto location = p.pnp.locationPath(d.instanceId);
    if (!location) {
      return std::unexpected(location.error());
    }
    if (*location == at) {
      return std::optional{d.instanceId};
    }
  }
  return std::optional<platform::InstanceId>{};
}

} // namespace

Result<bool> applyUndo(const UndoAction& a, Platform& p) {
  using Kind = UndoAction::Kind;
  const auto done = [](Result<void> r) -> Result<bool> {
    if (!r) {
      return std::unexpected(r.error());
    }
    return true;
  };
  switch (a.kind) {
  case Kind::StartVm:
  case Kind::StopVm:
  case Kind::SetStopAction:
  case Kind::SetMmio:
  case Kind::SetCacheTypes: {
    auto vm = p.hyperv.vmConfig(a.vm);
    if (!vm) {
      return std::unexpected(vm.error());
    }
    if (a.kind == Kind::StartVm) {
      return vm->state == VmState::Running ? Result<bool>{false} : done(p.hyperv.startVm(a.vm));
    }
    if (a.kind == Kind::StopVm) {
      return vm->state == VmState::Off ? Result<bool>{false} : done(p.hyperv.stopVm(a.vm));
    }
    if (a.kind == Kind::SetStopAction) {
      return vm->automaticStopAction == a.stopAction
                 ? Result<bool>{false}
                 : done(p.hyperv.setAutomaticStopAction(a.vm, a.stopAction));
    }
    if (a.kind == Kind::SetMmio) {
      return vm->mmio == a.mmio ? Result<bool>{false}
                                : done(p.hyperv.setMemoryMappedIo(a.vm, a.mmio));
    }
    return vm->guestControlledCacheTypes == a.flag
               ? Result<bool>{false}
               : done(p.hyperv.setGuestControlledCacheTypes(a.vm, a.flag));
  }
  case Kind::EnableDevice:
  case Kind::DisableDevice: {
    auto device = presentDevice(p, a.target);
    if (!device) {
      return std::unexpected(device.error());
    }
    if (!*device) {
      return false; // not on the host: nothing to enable or disable
    }
    const bool disabled = (*device)->status == platform::DeviceStatus::Disabled;
    if (a.kind == Kind::EnableDevice) {
      return disabled ? done(p.pnp.enableDevice(a.target)) : Result<bool>{false};
    }
    return disabled ? Result<bool>{false} : done(p.pnp.disableDevice(a.target));
  }
  case Kind::MountDevice:
  case Kind::AddAssignment: {
    auto parked = p.hyperv.hostAssignableDevices();
    if (!parked) {
      return std::unexpected(parked.error());
    }
    if (!contains(*parked, a.target)) {
      return false;
    }
    return a.kind == Kind::MountDevice ? done(p.hyperv.mountHostDevice(a.target))
                                       : done(p.hyperv.addAssignableDevice(a.vm, a.target));
  }
  case Kind::DismountDevice: {
    auto id = presentDeviceAt(p, a.target);
    if (!id) {
      return std::unexpected(id.error());
    }
    if (!*id) {
      return false;
    }
    // The device is back on the host after a failed teardown: take it off again, disabled.
    auto device = presentDevice(p, **id);
    if (device && *device && (*device)->status != platform::DeviceStatus::Disabled) {
      if (auto r = p.pnp.disableDevice(**id); !r) {
        return std::unexpected(r.error());
      }
    }
    return done(p.hyperv.dismountHostDevice(a.target, true));
  }
  case Kind::RemoveAssignment: {
    auto assigned = p.hyperv.assignableDevices(a.vm);
    if (!assigned) {
      return std::unexpected(assigned.error());
    }
    const bool there = std::any_of(assigned->begin(), assigned->end(),
                                   [&](const auto& d) { return d.location == a.target; });
    return there ? done(p.hyperv.removeAssignableDevice(a.vm, a.target)) : Result<bool>{false};
  }
  case Kind::RemovePartitionAdapter:
  case Kind::AddPartitionAdapter: {
    auto adapters = p.hyperv.gpuPartitionAdapters(a.vm);
    if (!adapters) {
      return std::unexpected(adapters.error());
    }
    const auto it = std::find_if(adapters->begin(), adapters->end(),
                                 [&](const auto& ad) { return ad.instancePath == a.target; });
    if (a.kind == Kind::RemovePartitionAdapter) {
      return it == adapters->end() ? Result<bool>{false}
                                   : done(p.hyperv.removeGpuPartitionAdapter(a.vm, it->id));
    }
    if (it != adapters->end()) {
      return false;
    }
    auto added = p.hyperv.addGpuPartitionAdapter(a.vm, a.target);
    if (!added) {
      return std::unexpected(added.error());
    }
    return true;
  }
  }
  return false;
}

Result<void> UndoJournal::open() {
  if (opened_) {
    return {};
  }
  auto state = store_->load();
  if (!state) {
    return std::unexpected(state.error());
  }
  state_ = std::move(*state);
  if (state_.journal) {
    flow_ = state_.journal->flow;
    vm_ = state_.journal->vm;
    entries_ = state_.journal->undo;
  }
  opened_ = true;
  return {};
}

Result<void> UndoJournal::save() {
  if (entries_.empty()) {
    state_.journal.reset();
  } else {
    state_.journal = FlowRecord{flow_, vm_, entries_};
  }
  return store_->save(state_);
}

void UndoJournal::begin(std::string flow, platform::VmName vm) {
  flow_ = std::move(flow);
  vm_ = std::move(vm);
  entries_.clear();
}

Result<void> UndoJournal::record(UndoAction action) {
  HIL_TRY(open());
  entries_.push_back(std::move(action));
  if (auto saved = save(); !saved) {
    entries_.pop_back(); // not durable: the step will not act, so there is nothing to undo
    return saved;
  }
  return {};
}

Result<void> UndoJournal::commit() {
  HIL_TRY(open());
  entries_.clear();
  return save();
}

const platform::VmConfig* UndoJournal::original(const platform::VmName& vm) const {
  const auto it = state_.originals.find(vm);
  return it == state_.originals.end() ? nullptr : &it->second;
}

Result<void> UndoJournal::rememberOriginal(const platform::VmConfig& config) {
  HIL_TRY(open());
  if (state_.originals.contains(config.name)) {
    return {};
  }
  state_.originals.emplace(config.name, config);
  return save();
}

Result<void> UndoJournal::forgetOriginal(const platform::VmName& vm) {
  HIL_TRY(open());
  if (state_.originals.erase(vm) == 0) {
    return {};
  }
  return save();
}

namespace {

/// A device must not stay dismounted and assigned to no VM, where neither the host nor a VM can
/// reach it. When mounting it back failed, assign it to the VM again (where the request put it);
/// when assigning it to the VM again failed, mount it back on the host. The journal stays for
/// `hil recover` to finish later.
void keepReachable(const UndoAction& failed, Platform& platform, Log& log) {
  const bool toVm = failed.kind == UndoAction::Kind::MountDevice;
  const UndoAction instead{toVm ? UndoAction::Kind::AddAssignment : UndoAction::Kind::MountDevice,
                           failed.vm, failed.target};
  auto applied = applyUndoRetrying(instead, platform, log, RetryOn::AnyButPrecondition);
  if (applied && *applied) {
    log.add(fmt::format("rollback: {} stays {} so that it is not lost; run `hil recover` to "
                        "finish",
                        failed.target, toVm ? "with VM " + failed.vm : "on the host"));
  } else if (!applied) {
    log.add(fmt::format("rollback: {} is dismounted and assigned to no VM: {}", failed.target,
                        applied.error().describe()));
  }
}

} // namespace

Result<bool> applyUndoRetrying(const UndoAction& action, Platform& platform, Log& log,
                               RetryOn retry) {
  const auto worthRetrying = [retry](ErrorCode code) {
    return retry == RetryOn::Transient ? isTransient(code) : code != ErrorCode::FailedPrecondition;
  };
  auto applied = applyUndo(action, platform);
  for (int attempt = 1; !applied && worthRetrying(applied.error().code) && attempt < kUndoAttempts;
       ++attempt) {
    log.add(fmt::format("rollback: {} failed ({}); {}, trying again ({} of {})", action.describe(),
                        applied.error().describe(),
                        isTransient(applied.error().code) ? "transient" : "the device is at stake",
                        attempt + 1, kUndoAttempts));
    applied = applyUndo(action, platform);
  }
  return applied;
}

UndoJournal::Rollback UndoJournal::rollback(Platform& platform, Log& log) {
  Rollback result;
  // The newest undo step that failed: older steps that would make it impossible wait for it.
  const UndoAction* pending = nullptr;
  // VMs that a newer step needs off. Once a step has failed, recovery repeats every step newer
  // than the ones it has left (each looks at the host first), so their needs still count.
  std::set<platform::VmName> neededOff;
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (pending != nullptr && it->kind == UndoAction::Kind::StartVm && neededOff.contains(it->vm)) {
      // A running VM takes no setting and no device: starting it now would make the pending
      // step (or one that recovery repeats before it) fail for good. It stays in the journal.
      log.add(fmt::format("rollback: not yet: {}: {} is still pending, and recovery repeats "
                          "steps that need the VM off; `hil recover` starts it after them",
                          it->describe(), pending->describe()));
      continue;
    }
    if (it->needsVmOff()) {
      neededOff.insert(it->vm);
    }
    auto applied = applyUndoRetrying(*it, platform, log);
    if (!applied) {
      log.add(
          fmt::format("rollback: could not {}: {}", it->describe(), applied.error().describe()));
      result.failures.push_back(applied.error());
      pending = pending != nullptr ? pending : &*it;
      if (it->kind == UndoAction::Kind::MountDevice ||
          it->kind == UndoAction::Kind::AddAssignment) {
        keepReachable(*it, platform, log);
      }
    } else if (*applied) {
      log.add(fmt::format("rollback: {}", it->describe()));
      result.undone.push_back(it->describe());
    }
  }
  // What failed, and what waits for it, is repeated by recovery: the journal is kept whole,
  // since every undo step looks at the host before it acts and skips what is already done.
  if (result.failures.empty()) {
    entries_.clear();
  }
  if (auto saved = save(); !saved) {
    log.add(fmt::format("rollback: could not save the journal: {}", saved.error().describe()));
    result.failures.push_back(saved.error());
  }
  return result;
}

} // namespace hil::flows
