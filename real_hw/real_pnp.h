#pragma once

#include "framework/platform/pnp.h"
#include "real_hw/real_runner.h"

namespace hil::real_hw {

/// PCI/PnP through the PnpDevice module.
class RealPnp : public platform::Pnp {
public:
  explicit RealPnp(RealRunner& runner) : runner_(runner) {}

  /// pnp.get-devices: Get-PnpDevice -Class Display -PresentOnly
  [[nodiscard]] Result<std::vector<platform::PnpDevice>> displayDevices() const override;
  /// pnp.get-location-path: Get-PnpDeviceProperty DEVPKEY_Device_LocationPaths (the PCIROOT one)
  [[nodiscard]] Result<platform::LocationPath>
  locationPath(const platform::InstanceId& device) const override;
  /// pnp.disable-device: Disable-PnpDevice -InstanceId -Confirm:$false
  [[nodiscard]] Result<void> disableDevice(const platform::InstanceId& device) override;
  /// pnp.enable-device: Enable-PnpDevice -InstanceId -Confirm:$false
  [[nodiscard]] Result<void> enableDevice(const platform::InstanceId& device) override;

private:
  RealRunner& runner_;
};

} // namespace hil::real_hw
