#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "framework/core/diagnostic.h"
#include "framework/platform/hyperv.h"

namespace hil::platform {

/// Where one GPU is: on the host (enabled or not), or dismounted and perhaps assigned to a VM.
struct GpuPlacement {
  LocationPath location;
  std::string name; // friendly name, for messages
  bool onHost = true;
  bool enabled = true;
  std::optional<VmName> assignedTo;

  bool operator==(const GpuPlacement&) const = default;
  /// "on the host, enabled" / "dismounted, assigned to EFLOW" / "dismounted, assigned to no VM"
  [[nodiscard]] std::string describe() const;
};

/// A VM as the invariants see it.
struct VmSnapshot {
  VmConfig config;
  std::vector<LocationPath> assigned;
  std::vector<std::string> adapterGpus; // the partitionable GPU names its adapters draw on

  bool operator==(const VmSnapshot&) const = default;
};

/// Everything the invariants look at on a host, as plain values (any backend can build it).
struct HostState {
  std::vector<GpuPlacement> gpus; // in host order
  std::map<VmName, VmSnapshot> vms;

  bool operator==(const HostState&) const = default;
  [[nodiscard]] const GpuPlacement* gpuAt(const LocationPath& location) const;
};

/// The host state as XML (<gpu-hil-host-state version="1">), for a host that lives in another
/// process: the stand-in rig reports it so that the controller reads the host without going
/// through the cmdlets that faults target.
[[nodiscard]] std::string formatHostState(const HostState& state);
[[nodiscard]] Parsed<HostState> parseHostState(std::string text, std::string file);

} // namespace hil::platform
