#pragma once

#include <string>

#include "framework/core/error.h"
#include "framework/platform/platform.h"

namespace hil::flows {

/// What to do to take one mutating step back. Plain data, so a journal can be persisted and a
/// later process can recover from it.
struct UndoAction {
  enum class Kind {
    StartVm,                // the flow stopped a running VM
    StopVm,                 // the flow started the VM
    SetStopAction,          // restore `stopAction`
    SetMmio,                // restore `mmio`
    SetCacheTypes,          // restore `flag`
    EnableDevice,           // the flow disabled `target` (instance id)
    DisableDevice,          // the flow enabled `target`
    MountDevice,            // the flow dismounted `target` (location path)
    DismountDevice,         // the flow mounted `target`
    RemoveAssignment,       // the flow assigned `target` to `vm`
    AddAssignment,          // the flow removed `target` from `vm`
    RemovePartitionAdapter, // the flow added an adapter on `target` (partitionable GPU name)
    AddPartitionAdapter,    // the flow removed the adapter on `target`
  };

  Kind kind;
  platform::VmName vm;
  std::string target;
  platform::StopAction stopAction = platform::StopAction::TurnOff;
  platform::MmioSpace mmio{};
  bool flag = false;

  [[nodiscard]] std::string describe() const;
  /// Whether Hyper-V takes this step only while `vm` is off: a VM setting (MMIO, cache types)
  /// or a device added to or removed from the VM (assignable device, partition adapter). On a
  /// running VM it fails with failed-precondition (job error 32775, invalid state).
  [[nodiscard]] bool needsVmOff() const;
};

/// Applies one undo action if the host still needs it; returns whether it acted.
[[nodiscard]] Result<bool> applyUndo(const UndoAction& action, platform::Platform& platform);

} // namespace hil::flows
