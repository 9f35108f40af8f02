#include "real_hw/real_host_os.h"

#include <fmt/format.h>

namespace hil::real_hw {
namespace {

constexpr std::string_view kWindowsInfo = "hostos.get-windows-info";
constexpr std::string_view kHyperVFeature = "hostos.get-hyperv-feature";

bool startsWith(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         platform::equalsIgnoringCase(text.substr(0, prefix.size()), prefix);
}

} // namespace

std::optional<platform::Edition> editionFromEditionId(std::string_view id) {
  using platform::Edition;
  // The EditionID values Windows reports (registry EditionID, which Get-ComputerInfo shows as
  // WindowsEditionId): N, S (LTSC) and Eval variants share their edition's prefix.
  if (platform::equalsIgnoringCase(id, "ServerRdsh")) {
    return Edition::Enterprise; // Windows 10/11 Enterprise multi-session
  }
  if (startsWith(id, "Server")) {
    return Edition::Server; // ServerStandard, ServerDatacenter, ServerDatacenterEval, ...
  }
  if (startsWith(id, "IoTEnterprise")) {
    return Edition::IotEnterprise;
  }
  if (startsWith(id, "Enterprise")) {
    return Edition::Enterprise; // Enterprise, EnterpriseN, EnterpriseS (LTSC), ...
  }
  if (startsWith(id, "Professional")) {
    return Edition::Professional; // Professional, ProfessionalN, ProfessionalWorkstation, ...
  }
  if (startsWith(id, "Core")) {
    return Edition::Home; // Core, CoreN, CoreSingleLanguage, CoreCountrySpecific
  }
  return std::nullopt;
}

Result<platform::WindowsInfo> RealHostOs::windowsInfo() const {
  // The revision (UBR, "update build revision") is not in Get-ComputerInfo; it is a value of
  // HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion, read in the same command.
  const auto command = fmt::format(
      "Get-ComputerInfo -Property WindowsEditionId, OsBuildNumber | Select-Object {}, {}, "
      "@{{Name='UBR'; Expression={{[string](Get-ItemProperty -LiteralPath "
      "'HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion' -Name UBR).UBR}}}}",
      asText("WindowsEditionId"), asText("OsBuildNumber"));
  auto info = runner_.queryOne(kWindowsInfo, command, "computer info");
  if (!info) {
    return std::unexpected(std::move(info).error());
  }
  const auto editionId = info->value("WindowsEditionId");
  const auto buildText = info->value("OsBuildNumber");
  if (!editionId || !buildText) {
    return inOperation(kWindowsInfo, !editionId ? editionId.error() : buildText.error());
  }
  const auto edition = editionFromEditionId(*editionId);
  if (!edition) {
    return failIn(kWindowsInfo, ErrorCode::UnsupportedEdition,
                  fmt::format("Windows edition \"{}\" (WindowsEditionId) is none the rules know: "
                              "Server, Enterprise, IoT Enterprise, Professional or Home (Core)",
                              *editionId));
  }
  const auto number = parseUnsigned(*buildText);
  const auto ubrText = info->valueOr("UBR", "");
  const auto revision = ubrText.empty() ? std::optional<std::uint64_t>{0} : parseUnsigned(ubrText);
  if (!number || *number > 0xFFFFFFFFu || !revision || *revision > 0xFFFFFFFFu) {
    return failIn(kWindowsInfo, ErrorCode::OperationFailed,
                  fmt::format("unreadable Windows build: OsBuildNumber \"{}\", UBR \"{}\"",
                              excerpt(*buildText), excerpt(ubrText)));
  }
  return platform::WindowsInfo{*edition,
                               platform::WindowsBuild{static_cast<std::uint32_t>(*number),
                                                      static_cast<std::uint32_t>(*revision)}};
}

Result<platform::HyperVFeature> RealHostOs::hypervFeature() const {
  // All features, filtered here: an edition without Hyper-V (Home) then answers with no object
  // rather than an error for an unknown -FeatureName, and "absent" reads as not present.
  const auto command = fmt::format("Get-WindowsOptionalFeature -Online | Where-Object FeatureName "
                                   "-eq 'Microsoft-Hyper-V' | Select-Object FeatureName, {}",
                                   asText("State"));
  auto features = runner_.query(kHyperVFeature, command);
  if (!features) {
    return std::unexpected(std::move(features).error());
  }
  if (features->empty()) {
    return platform::HyperVFeature{false, false};
  }
  // Enabled, Disabled, EnablePending (needs a restart), DisabledWithPayloadRemoved, ...: only
  // Enabled runs VMs now.
  const auto state = features->front().valueOr("State", "");
  return platform::HyperVFeature{true, platform::equalsIgnoringCase(state, "Enabled")};
}

} // namespace hil::real_hw
