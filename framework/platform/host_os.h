#pragma once

#include "framework/core/error.h"
#include "framework/platform/types.h"

namespace hil::platform {

struct WindowsInfo {
  Edition edition = Edition::Server;
  WindowsBuild build;
};

struct HyperVFeature {
  bool present = false; // the edition ships Hyper-V at all (Home does not)
  bool enabled = false;
};

/// The Windows host as the flows see it. Real backend: Get-ComputerInfo and the registry.
class HostOs {
public:
  virtual ~HostOs() = default;
  /// hostos.get-windows-info: Get-ComputerInfo (WindowsEditionId, OsBuildNumber, UBR)
  [[nodiscard]] virtual Result<WindowsInfo> windowsInfo() const = 0;
  /// hostos.get-hyperv-feature: Get-WindowsOptionalFeature -Online -FeatureName Microsoft-Hyper-V
  [[nodiscard]] virtual Result<HyperVFeature> hypervFeature() const = 0;
};

} // namespace hil::platform
