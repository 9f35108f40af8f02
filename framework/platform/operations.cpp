#include "framework/platform/operations.h"

#include <array>

namespace hil::platform {
namespace {

constexpr std::array kOperations = {
    Operation{"hostos.get-windows-info", false, "Get-ComputerInfo"},
    Operation{"hostos.get-hyperv-feature", false,
              "Get-WindowsOptionalFeature -Online -FeatureName Microsoft-Hyper-V"},
    Operation{"pnp.get-devices", false, "Get-PnpDevice -Class Display -PresentOnly"},
    Operation{"pnp.get-location-path", false,
              "Get-PnpDeviceProperty -KeyName DEVPKEY_Device_LocationPaths"},
    Operation{"pnp.disable-device", true, "Disable-PnpDevice -InstanceId"},
    Operation{"pnp.enable-device", true, "Enable-PnpDevice -InstanceId"},
    Operation{"hyperv.get-vm", false, "Get-VM -Name"},
    Operation{"hyperv.start-vm", true, "Start-VM -Name"},
    Operation{"hyperv.stop-vm", true, "Stop-VM -Name -Force"},
    Operation{"hyperv.set-vm-automatic-stop-action", true, "Set-VM -AutomaticStopAction"},
    Operation{"hyperv.set-vm-memory-mapped-io", true,
              "Set-VM -LowMemoryMappedIoSpace -HighMemoryMappedIoSpace"},
    Operation{"hyperv.set-vm-guest-controlled-cache-types", true,
              "Set-VM -GuestControlledCacheTypes"},
    Operation{"hyperv.get-host-assignable-devices", false, "Get-VMHostAssignableDevice"},
    Operation{"hyperv.dismount-host-device", true,
              "Dismount-VMHostAssignableDevice [-Force] -LocationPath"},
    Operation{"hyperv.mount-host-device", true, "Mount-VMHostAssignableDevice -LocationPath"},
    Operation{"hyperv.get-assignable-devices", false, "Get-VMAssignableDevice -VMName"},
    Operation{"hyperv.add-assignable-device", true, "Add-VMAssignableDevice -VMName -LocationPath"},
    Operation{"hyperv.remove-assignable-device", true,
              "Remove-VMAssignableDevice -VMName -LocationPath"},
    Operation{"hyperv.get-partitionable-gpus", false, "Get-VMHostPartitionableGpu"},
    Operation{"hyperv.get-gpu-partition-adapters", false, "Get-VMGpuPartitionAdapter -VMName"},
    Operation{"hyperv.add-gpu-partition-adapter", true,
              "Add-VMGpuPartitionAdapter -VMName -InstancePath"},
    Operation{"hyperv.remove-gpu-partition-adapter", true,
              "Remove-VMGpuPartitionAdapter -VMName -AdapterId"},
    Operation{"drivers.get-mitigation-driver", false, "device mitigation driver query"},
    Operation{"drivers.get-wsl-driver", false, "WSL CUDA driver query"},
    Operation{"guest.run", false, "Invoke-EflowVmCommand"},
    Operation{"eflow.set-vm", true, "Set-EflowVM -gpuPassthroughType -gpuName -gpuCount -headless"},
};

} // namespace

std::span<const Operation> allOperations() { return kOperations; }

std::optional<Operation> findOperation(std::string_view name) {
  for (const auto& op : kOperations) {
    if (op.name == name) {
      return op;
    }
  }
  return std::nullopt;
}

} // namespace hil::platform
