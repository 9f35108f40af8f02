#include "real_hw/real_drivers.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace hil::real_hw {
namespace {

constexpr std::string_view kMitigation = "drivers.get-mitigation-driver";
constexpr std::string_view kWsl = "drivers.get-wsl-driver";

std::string lower(std::string_view text) {
  std::string out{text};
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool contains(std::string_view text, std::string_view word) {
  return !word.empty() && lower(text).find(lower(word)) != std::string::npos;
}

} // namespace

Result<bool> RealDrivers::mitigationDriverInstalled(const platform::InstanceId& device) const {
  // "Deploy graphics devices using Discrete Device Assignment" says a vendor may ship a
  // security mitigation (partitioning) driver for the device, installed on the host before
  // the dismount; it names no property that identifies one. So the check is conservative: the
  // driver bound to the device (its service, INF and description) must call itself a
  // mitigation or partitioning driver. Anything else, or a device that cannot be read (it may
  // be dismounted), counts as not installed: the flow then dismounts with -Force and reports
  // mitigation-driver-missing, which costs a warning, never a failed dismount.
  //
  // Override on a rig: set the machine environment variable HIL_MITIGATION_DRIVER on the host
  // to the vendor driver's service name, INF name or description (any part of it); a device
  // whose driver matches it counts as having the mitigation driver.
  const auto command =
      fmt::format("@(Get-PnpDeviceProperty -InstanceId {} -KeyName 'DEVPKEY_Device_Service', "
                  "'DEVPKEY_Device_DriverInfPath', 'DEVPKEY_Device_DriverDesc' -ErrorAction "
                  "SilentlyContinue | Select-Object KeyName, {}) + @([pscustomobject]@{{KeyName = "
                  "'HIL_MITIGATION_DRIVER'; Data = [string]$env:HIL_MITIGATION_DRIVER}})",
                  psQuote(device), asText("Data"));
  auto objects = runner_.query(kMitigation, command);
  if (!objects) {
    return std::unexpected(std::move(objects).error());
  }
  std::string override;
  std::vector<std::string> driver;
  for (const auto& object : *objects) {
    const auto key = object.valueOr("KeyName", "");
    const auto data = object.valueOr("Data", "");
    if (key == "HIL_MITIGATION_DRIVER") {
      override = data;
    } else if (!data.empty()) {
      driver.push_back(data);
    }
  }
  return std::any_of(driver.begin(), driver.end(), [&](const std::string& data) {
    return contains(data, "mitigation") || contains(data, "partitioning") ||
           contains(data, override);
  });
}

Result<bool> RealDrivers::wslDriverInstalled(const platform::InstanceId&) const {
  // The NVIDIA CUDA driver for WSL puts its Linux user-mode libraries (libcuda.so) into
  // %SystemRoot%\System32\lxss\lib, which WSL and EFLOW's GPU-PV map into the guest as
  // /usr/lib/wsl/lib ("CUDA on WSL User Guide"; EFLOW's "GPU acceleration" page says EFLOW uses
  // the same libraries). The check is host-wide: the library serves every NVIDIA GPU.
  auto objects = runner_.query(
      kWsl, "Test-Path -LiteralPath (Join-Path $env:SystemRoot 'System32\\lxss\\lib\\libcuda.so')");
  if (!objects) {
    return std::unexpected(std::move(objects).error());
  }
  if (objects->size() != 1) {
    return failIn(
        kWsl, ErrorCode::OperationFailed,
        fmt::format("expected one True or False from Test-Path, got {} objects", objects->size()));
  }
  const auto answer = parseBool(objects->front().text);
  if (!answer) {
    return failIn(kWsl, ErrorCode::OperationFailed,
                  fmt::format("expected True or False from Test-Path, got \"{}\"",
                              excerpt(objects->front().text)));
  }
  return *answer;
}

} // namespace hil::real_hw
