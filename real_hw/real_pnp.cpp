#include "real_hw/real_pnp.h"

#include <fmt/format.h>

namespace hil::real_hw {
namespace {

constexpr std::string_view kGetDevices = "pnp.get-devices";
constexpr std::string_view kLocationPath = "pnp.get-location-path";
constexpr std::string_view kDisable = "pnp.disable-device";
constexpr std::string_view kEnable = "pnp.enable-device";

/// Status is OK, Error, Degraded or Unknown (Get-PnpDevice -Status). A device disabled by
/// Disable-PnpDevice shows Status Error with the Configuration Manager problem 22
/// (CM_PROB_DISABLED, "This device is disabled", Win32_PnPEntity.ConfigManagerErrorCode), which
/// Get-PnpDevice also names in its Problem property: either one makes it Disabled, so a device
/// failing for another reason stays Error.
platform::DeviceStatus statusOf(const PsObject& device) {
  const auto code = device.valueOr("ConfigManagerErrorCode", "");
  const auto problem = device.valueOr("Problem", "");
  if (code == "22" || platform::equalsIgnoringCase(problem, "CM_PROB_DISABLED")) {
    return platform::DeviceStatus::Disabled;
  }
  if (platform::equalsIgnoringCase(device.valueOr("Status", ""), "OK")) {
    return platform::DeviceStatus::Ok;
  }
  return platform::DeviceStatus::Error;
}

} // namespace

Result<std::vector<platform::PnpDevice>> RealPnp::displayDevices() const {
  const auto command =
      fmt::format("Get-PnpDevice -Class Display -PresentOnly | Select-Object "
                  "InstanceId, FriendlyName, {}, {}, {}",
                  asText("Status"), asText("ConfigManagerErrorCode"), asText("Problem"));
  auto objects = runner_.query(kGetDevices, command);
  if (!objects) {
    return std::unexpected(std::move(objects).error());
  }
  std::vector<platform::PnpDevice> devices;
  for (const auto& object : *objects) {
    auto id = object.value("InstanceId");
    if (!id) {
      return inOperation(kGetDevices, id.error());
    }
    // Only PCI devices can be assigned or partitioned; software display devices (the Microsoft
    // Basic Display Adapter under ROOT\, remote display adapters under SWD\) are left out.
    const auto pci = platform::pciIdFromInstanceId(*id);
    if (!pci || !id->starts_with("PCI\\")) {
      continue;
    }
    devices.push_back({*id, object.valueOr("FriendlyName", ""), *pci, statusOf(object)});
  }
  return devices;
}

Result<platform::LocationPath> RealPnp::locationPath(const platform::InstanceId& device) const {
  // Data is a string list: the PCI path (PCIROOT(0)#PCI(0300)#PCI(0000)) and the ACPI one
  // (ACPI(_SB_)#ACPI(PCI0)#...); Dismount-VMHostAssignableDevice takes the PCIROOT one, as the
  // Discrete Device Assignment guide's example does.
  const auto command = fmt::format("Get-PnpDeviceProperty -InstanceId {} -KeyName "
                                   "'DEVPKEY_Device_LocationPaths' | Select-Object KeyName, Data",
                                   psQuote(device));
  auto property = runner_.queryOne(kLocationPath, command, "DEVPKEY_Device_LocationPaths");
  if (!property) {
    return std::unexpected(std::move(property).error());
  }
  auto paths = property->items("Data");
  if (!paths) {
    return inOperation(kLocationPath, paths.error());
  }
  for (const auto& path : *paths) {
    if (path.starts_with("PCIROOT")) {
      return path;
    }
  }
  return failIn(kLocationPath, ErrorCode::OperationFailed,
                fmt::format("{} has no PCIROOT location path (DEVPKEY_Device_LocationPaths: {})",
                            device,
                            paths->empty() ? std::string{"none"} : excerpt(paths->front())));
}

Result<void> RealPnp::disableDevice(const platform::InstanceId& device) {
  return runner_.act(
      kDisable, fmt::format("Disable-PnpDevice -InstanceId {} -Confirm:$false", psQuote(device)));
}

Result<void> RealPnp::enableDevice(const platform::InstanceId& device) {
  return runner_.act(
      kEnable, fmt::format("Enable-PnpDevice -InstanceId {} -Confirm:$false", psQuote(device)));
}

} // namespace hil::real_hw
