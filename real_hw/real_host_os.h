#pragma once

#include <optional>
#include <string_view>

#include "framework/platform/host_os.h"
#include "real_hw/real_runner.h"

namespace hil::real_hw {

/// The Windows host through Get-ComputerInfo, the registry and Get-WindowsOptionalFeature.
class RealHostOs : public platform::HostOs {
public:
  explicit RealHostOs(RealRunner& runner) : runner_(runner) {}

  /// hostos.get-windows-info: Get-ComputerInfo (WindowsEditionId, OsBuildNumber) and UBR
  [[nodiscard]] Result<platform::WindowsInfo> windowsInfo() const override;
  /// hostos.get-hyperv-feature: Get-WindowsOptionalFeature -Online (Microsoft-Hyper-V)
  [[nodiscard]] Result<platform::HyperVFeature> hypervFeature() const override;

private:
  RealRunner& runner_;
};

/// The edition the rules know for a WindowsEditionId ("ServerDatacenter", "IoTEnterprise",
/// "CoreSingleLanguage", ...); nullopt for one they do not (Education, ...).
[[nodiscard]] std::optional<platform::Edition> editionFromEditionId(std::string_view editionId);

} // namespace hil::real_hw
