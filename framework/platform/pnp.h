#pragma once

#include <string>
#include <vector>

#include "framework/core/error.h"
#include "framework/platform/types.h"

namespace hil::platform {

using InstanceId = std::string;   // PCI\VEN_10DE&DEV_1EB8&SUBSYS_12A210DE&REV_A1\4&...
using LocationPath = std::string; // PCIROOT(0)#PCI(0300)#PCI(0000)

enum class DeviceStatus { Ok, Disabled, Error };

[[nodiscard]] std::string_view toString(DeviceStatus status);

/// A display-class device present on the host.
struct PnpDevice {
  InstanceId instanceId;
  std::string friendlyName;
  PciId pci;
  DeviceStatus status = DeviceStatus::Ok;

  bool operator==(const PnpDevice&) const = default;
};

/// PCI/PnP as the flows see it. Real backend: the PnpDevice module.
class Pnp {
public:
  virtual ~Pnp() = default;
  /// pnp.get-devices: Get-PnpDevice -Class Display -PresentOnly
  [[nodiscard]] virtual Result<std::vector<PnpDevice>> displayDevices() const = 0;
  /// pnp.get-location-path: Get-PnpDeviceProperty DEVPKEY_Device_LocationPaths (the PCIROOT one)
  [[nodiscard]] virtual Result<LocationPath> locationPath(const InstanceId& device) const = 0;
  /// pnp.disable-device: Disable-PnpDevice -InstanceId -Confirm:$false
  [[nodiscard]] virtual Result<void> disableDevice(const InstanceId& device) = 0;
  /// pnp.enable-device: Enable-PnpDevice -InstanceId -Confirm:$false
  [[nodiscard]] virtual Result<void> enableDevice(const InstanceId& device) = 0;
};

} // namespace hil::platform
