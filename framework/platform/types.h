#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hil::platform {

/// Windows editions the rules distinguish (scenario words: server, enterprise, ...).
enum class Edition { Server, Enterprise, IotEnterprise, Professional, Home };

[[nodiscard]] std::string_view toString(Edition edition);
[[nodiscard]] std::optional<Edition> parseEdition(std::string_view text);

/// A Windows build with an optional revision ("19044.1620"), compared numerically.
struct WindowsBuild {
  std::uint32_t number = 0;
  std::uint32_t revision = 0;

  auto operator<=>(const WindowsBuild&) const = default;
  [[nodiscard]] std::string toString() const;
};

[[nodiscard]] std::optional<WindowsBuild> parseWindowsBuild(std::string_view text);

/// How a GPU reaches the VM, in EFLOW's own words.
enum class Technique { DirectDeviceAssignment, ParaVirtualization };

[[nodiscard]] std::string_view toString(Technique technique);
[[nodiscard]] std::optional<Technique> parseTechnique(std::string_view text);

/// What a deploy asks for (Set-EflowVM -gpuPassthroughType): a technique, EFLOW's choice (Auto),
/// or no GPU (None). Scenarios and deploy requests share it.
enum class Passthrough { Auto, DirectDeviceAssignment, ParaVirtualization, None };

/// "auto", "DirectDeviceAssignment", "ParaVirtualization" or "None".
[[nodiscard]] std::string_view toString(Passthrough passthrough);

/// PCI vendor and device id, as in PCI\VEN_10DE&DEV_1EB8.
struct PciId {
  std::uint16_t vendor = 0;
  std::uint16_t device = 0;

  auto operator<=>(const PciId&) const = default;
  /// "10de:1eb8", as lspci -n prints it.
  [[nodiscard]] std::string toString() const;
};

/// The PCI ids in a PnP instance id ("PCI\VEN_10DE&DEV_1EB8&SUBSYS..."), if it has them.
[[nodiscard]] std::optional<PciId> pciIdFromInstanceId(std::string_view instanceId);

/// A device's host instance id from the one Hyper-V shows while it is assigned: dismounted
/// devices enumerate under PCIP\ instead of PCI\.
[[nodiscard]] std::string hostInstanceId(std::string_view assignedInstanceId);

/// ASCII case-insensitive equality (gpu-name matching).
[[nodiscard]] bool equalsIgnoringCase(std::string_view a, std::string_view b);

constexpr std::uint64_t kMiB = 1024ull * 1024ull;

/// "3 GB", "512 MB", "96 MB" for logs and messages (binary units, as Hyper-V counts them).
[[nodiscard]] std::string formatBytes(std::uint64_t bytes);

} // namespace hil::platform
