#pragma once

#include <string>
#include <string_view>

#include "framework/platform/hyperv.h"
#include "real_hw/real_runner.h"

namespace hil::real_hw {

/// Hyper-V through its PowerShell module.
class RealHyperV : public platform::HyperV {
public:
  explicit RealHyperV(RealRunner& runner) : runner_(runner) {}

  /// hyperv.get-vm: Get-VM -Name
  [[nodiscard]] Result<platform::VmConfig> vmConfig(const platform::VmName& vm) const override;
  /// hyperv.start-vm: Start-VM -Name
  [[nodiscard]] Result<void> startVm(const platform::VmName& vm) override;
  /// hyperv.stop-vm: Stop-VM -Name -Force
  [[nodiscard]] Result<void> stopVm(const platform::VmName& vm) override;
  /// hyperv.set-vm-automatic-stop-action: Set-VM -AutomaticStopAction
  [[nodiscard]] Result<void> setAutomaticStopAction(const platform::VmName& vm,
                                                    platform::StopAction action) override;
  /// hyperv.set-vm-memory-mapped-io: Set-VM -LowMemoryMappedIoSpace -HighMemoryMappedIoSpace
  [[nodiscard]] Result<void> setMemoryMappedIo(const platform::VmName& vm,
                                               platform::MmioSpace space) override;
  /// hyperv.set-vm-guest-controlled-cache-types: Set-VM -GuestControlledCacheTypes
  [[nodiscard]] Result<void> setGuestControlledCacheTypes(const platform::VmName& vm,
                                                          bool enabled) override;
  /// hyperv.get-host-assignable-devices: Get-VMHostAssignableDevice (dismounted, on no VM)
  [[nodiscard]] Result<std::vector<platform::LocationPath>> hostAssignableDevices() const override;
  /// hyperv.dismount-host-device: Dismount-VMHostAssignableDevice [-Force] -LocationPath
  [[nodiscard]] Result<void> dismountHostDevice(const platform::LocationPath& device,
                                                bool force) override;
  /// hyperv.mount-host-device: Mount-VMHostAssignableDevice -LocationPath
  [[nodiscard]] Result<void> mountHostDevice(const platform::LocationPath& device) override;
  /// hyperv.get-assignable-devices: Get-VMAssignableDevice -VMName
  [[nodiscard]] Result<std::vector<platform::AssignedDevice>>
  assignableDevices(const platform::VmName& vm) const override;
  /// hyperv.add-assignable-device: Add-VMAssignableDevice -VMName -LocationPath
  [[nodiscard]] Result<void> addAssignableDevice(const platform::VmName& vm,
                                                 const platform::LocationPath& device) override;
  /// hyperv.remove-assignable-device: Remove-VMAssignableDevice -VMName -LocationPath
  [[nodiscard]] Result<void> removeAssignableDevice(const platform::VmName& vm,
                                                    const platform::LocationPath& device) override;
  /// hyperv.get-partitionable-gpus: Get-VMHostPartitionableGpu
  [[nodiscard]] Result<std::vector<platform::PartitionableGpu>> partitionableGpus() const override;
  /// hyperv.get-gpu-partition-adapters: Get-VMGpuPartitionAdapter -VMName
  [[nodiscard]] Result<std::vector<platform::GpuPartitionAdapter>>
  gpuPartitionAdapters(const platform::VmName& vm) const override;
  /// hyperv.add-gpu-partition-adapter: Add-VMGpuPartitionAdapter -VMName -InstancePath -Passthru
  [[nodiscard]] Result<platform::GpuPartitionAdapter>
  addGpuPartitionAdapter(const platform::VmName& vm, const std::string& instancePath) override;
  /// hyperv.remove-gpu-partition-adapter: Remove-VMGpuPartitionAdapter -VMName -AdapterId
  [[nodiscard]] Result<void> removeGpuPartitionAdapter(const platform::VmName& vm,
                                                       const std::string& adapterId) override;

private:
  RealRunner& runner_;
};

/// The PnP instance id of a partitionable GPU from its name (a device interface path):
/// "\\?\PCI#VEN_10DE&DEV_2504&...#4&2a8f5b3c&0&0008#{064092b3-...}" is
/// "PCI\VEN_10DE&DEV_2504&...\4&2A8F5B3C&0&0008", as Get-PnpDevice shows it.
[[nodiscard]] platform::InstanceId instanceIdFromInterfacePath(std::string_view name);

/// A VM name Hyper-V's -Name/-VMName would take as a wildcard pattern (*, ?, [ or ]) could
/// select other VMs too: such a name, or an empty one, is invalid-request of `operation`.
[[nodiscard]] Result<void> checkVmName(std::string_view operation, const platform::VmName& vm);

} // namespace hil::real_hw
