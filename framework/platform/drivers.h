#pragma once

#include "framework/core/error.h"
#include "framework/platform/pnp.h"

namespace hil::platform {

/// Host drivers the rules depend on. Real backend: Get-PnpDevice / driver store queries.
class Drivers {
public:
  virtual ~Drivers() = default;
  /// drivers.get-mitigation-driver: the vendor's device mitigation (partitioning) driver
  [[nodiscard]] virtual Result<bool> mitigationDriverInstalled(const InstanceId& device) const = 0;
  /// drivers.get-wsl-driver: the vendor's driver with WSL/GPU-PV support (NVIDIA: CUDA for WSL)
  [[nodiscard]] virtual Result<bool> wslDriverInstalled(const InstanceId& device) const = 0;
};

} // namespace hil::platform
