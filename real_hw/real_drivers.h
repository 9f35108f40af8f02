#pragma once

#include "framework/platform/drivers.h"
#include "real_hw/real_runner.h"

namespace hil::real_hw {

/// The host drivers the rules depend on, through PnP device properties and the WSL library
/// folder.
class RealDrivers : public platform::Drivers {
public:
  explicit RealDrivers(RealRunner& runner) : runner_(runner) {}

  /// drivers.get-mitigation-driver: Get-PnpDeviceProperty (the device's driver) -InstanceId
  [[nodiscard]] Result<bool>
  mitigationDriverInstalled(const platform::InstanceId& device) const override;
  /// drivers.get-wsl-driver: Test-Path $env:SystemRoot\System32\lxss\lib\libcuda.so
  [[nodiscard]] Result<bool> wslDriverInstalled(const platform::InstanceId& device) const override;

private:
  RealRunner& runner_;
};

} // namespace hil::real_hw
