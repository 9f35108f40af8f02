#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "framework/core/error.h"
#include "framework/platform/pnp.h"

namespace hil::platform {

using VmName = std::string;

enum class VmState { Off, Running };
enum class StopAction { TurnOff, Save, ShutDown };

[[nodiscard]] std::string_view toString(VmState state);
[[nodiscard]] std::string_view toString(StopAction action);

/// A VM's memory-mapped I/O space (Set-VM -LowMemoryMappedIoSpace -HighMemoryMappedIoSpace).
struct MmioSpace {
  std::uint64_t low = 0;
  std::uint64_t high = 0;

  bool operator==(const MmioSpace&) const = default;
};

/// What Hyper-V gives a new VM: 128 MB low, 512 MB high.
constexpr MmioSpace kDefaultMmio{128 * kMiB, 512 * kMiB};

struct VmConfig {
  VmName name;
  VmState state = VmState::Off;
  StopAction automaticStopAction = StopAction::Save;
  MmioSpace mmio = kDefaultMmio;
  bool guestControlledCacheTypes = false;

  bool operator==(const VmConfig&) const = default;
};

/// A device assigned to a VM (Get-VMAssignableDevice).
struct AssignedDevice {
  LocationPath location;
  InstanceId instanceId; // PCIP\VEN_10DE&DEV_1EB8&...: the PCI ids survive in it

  bool operator==(const AssignedDevice&) const = default;
};

/// A GPU the host can partition (Get-VMHostPartitionableGpu).
struct PartitionableGpu {
  std::string name;      // device interface path: \\?\PCI#VEN_10DE&DEV_2504...#{064092b3-...}
  InstanceId instanceId; // the PnP device it belongs to
  std::uint32_t partitionCount = 0;

  bool operator==(const PartitionableGpu&) const = default;
};

/// A VM's GPU partition adapter (Get-VMGpuPartitionAdapter).
struct GpuPartitionAdapter {
  std::string id;           // adapter id Hyper-V assigns
  std::string instancePath; // the partitionable GPU's name it draws on

  bool operator==(const GpuPartitionAdapter&) const = default;
};

/// Hyper-V as the flows see it. Real backend: the Hyper-V PowerShell module.
class HyperV {
public:
  virtual ~HyperV() = default;
  /// hyperv.get-vm: Get-VM -Name
  [[nodiscard]] virtual Result<VmConfig> vmConfig(const VmName& vm) const = 0;
  /// hyperv.start-vm: Start-VM -Name
  [[nodiscard]] virtual Result<void> startVm(const VmName& vm) = 0;
  /// hyperv.stop-vm: Stop-VM -Name -Force
  [[nodiscard]] virtual Result<void> stopVm(const VmName& vm) = 0;
  /// hyperv.set-vm-automatic-stop-action: Set-VM -AutomaticStopAction
  [[nodiscard]] virtual Result<void> setAutomaticStopAction(const VmName& vm,
                                                            StopAction action) = 0;
  /// hyperv.set-vm-memory-mapped-io: Set-VM -LowMemoryMappedIoSpace -HighMemoryMappedIoSpace
  [[nodiscard]] virtual Result<void> setMemoryMappedIo(const VmName& vm, MmioSpace space) = 0;
  /// hyperv.set-vm-guest-controlled-cache-types: Set-VM -GuestControlledCacheTypes
  [[nodiscard]] virtual Result<void> setGuestControlledCacheTypes(const VmName& vm,
                                                                  bool enabled) = 0;
  /// hyperv.get-host-assignable-devices: Get-VMHostAssignableDevice (dismounted, on no VM)
  [[nodiscard]] virtual Result<std::vector<LocationPath>> hostAssignableDevices() const = 0;
  /// hyperv.dismount-host-device: Dismount-VMHostAssignableDevice [-Force] -LocationPath
  [[nodiscard]] virtual Result<void> dismountHostDevice(const LocationPath& device, bool force) = 0;
  /// hyperv.mount-host-device: Mount-VMHostAssignableDevice -LocationPath
  [[nodiscard]] virtual Result<void> mountHostDevice(const LocationPath& device) = 0;
  /// hyperv.get-assignable-devices: Get-VMAssignableDevice -VMName
  [[nodiscard]] virtual Result<std::vector<AssignedDevice>>
  assignableDevices(const VmName& vm) const = 0;
  /// hyperv.add-assignable-device: Add-VMAssignableDevice -VMName -LocationPath
  [[nodiscard]] virtual Result<void> addAssignableDevice(const VmName& vm,
                                                         const LocationPath& device) = 0;
  /// hyperv.remove-assignable-device: Remove-VMAssignableDevice -VMName -LocationPath
  [[nodiscard]] virtual Result<void> removeAssignableDevice(const VmName& vm,
                                                            const LocationPath& device) = 0;
  /// hyperv.get-partitionable-gpus: Get-VMHostPartitionableGpu
  [[nodiscard]] virtual Result<std::vector<PartitionableGpu>> partitionableGpus() const = 0;
  /// hyperv.get-gpu-partition-adapters: Get-VMGpuPartitionAdapter -VMName
  [[nodiscard]] virtual Result<std::vector<GpuPartitionAdapter>>
  gpuPartitionAdapters(const VmName& vm) const = 0;
  /// hyperv.add-gpu-partition-adapter: Add-VMGpuPartitionAdapter -VMName -InstancePath
  [[nodiscard]] virtual Result<GpuPartitionAdapter>
  addGpuPartitionAdapter(const VmName& vm, const std::string& instancePath) = 0;
  /// hyperv.remove-gpu-partition-adapter: Remove-VMGpuPartitionAdapter -VMName -AdapterId
  [[nodiscard]] virtual Result<void> removeGpuPartitionAdapter(const VmName& vm,
                                                               const std::string& adapterId) = 0;
};

} // namespace hil::platform
