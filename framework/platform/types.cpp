#include "framework/platform/types.h"

#include <array>
#include <cctype>
#include <charconv>
#include <utility>

#include <fmt/format.h>

namespace hil::platform {
namespace {

constexpr std::array kEditions = {
    std::pair{Edition::Server, std::string_view{"server"}},
    std::pair{Edition::Enterprise, std::string_view{"enterprise"}},
    std::pair{Edition::IotEnterprise, std::string_view{"iot-enterprise"}},
    std::pair{Edition::Professional, std::string_view{"professional"}},
    std::pair{Edition::Home, std::string_view{"home"}},
};

std::optional<std::uint32_t> parseNumber(std::string_view text) {
  std::uint32_t value = 0;
  if (text.empty() || text.size() > 9) {
    return std::nullopt;
  }
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

} // namespace

std::string_view toString(Edition edition) {
  for (const auto& [value, name] : kEditions) {
    if (value == edition) {
      return name;
    }
  }
  return "unknown";
}

std::optional<Edition> parseEdition(std::string_view text) {
  for (const auto& [value, name] : kEditions) {
    if (name == text) {
      return value;
    }
  }
  return std::nullopt;
}

std::string WindowsBuild::toString() const {
  return revision == 0 ? fmt::format("{}", number) : fmt::format("{}.{}", number, revision);
}

std::optional<WindowsBuild> parseWindowsBuild(std::string_view text) {
  const auto dot = text.find('.');
  const auto number = parseNumber(text.substr(0, dot));
  if (!number) {
    return std::nullopt;
  }
  if (dot == std::string_view::npos) {
    return WindowsBuild{*number, 0};
  }
  const auto revision = parseNumber(text.substr(dot + 1));
  if (!revision) {
    return std::nullopt;
  }
  return WindowsBuild{*number, *revision};
}

std::string_view toString(Technique technique) {
  switch (technique) {
  case Technique::DirectDeviceAssignment:
    return "DirectDeviceAssignment";
  case Technique::ParaVirtualization:
    return "ParaVirtualization";
  }
  return "unknown";
}

std::string_view toString(Passthrough passthrough) {
  switch (passthrough) {
  case Passthrough::Auto:
    return "auto";
  case Passthrough::DirectDeviceAssignment:
    return "DirectDeviceAssignment";
  case Passthrough::ParaVirtualization:
    return "ParaVirtualization";
  case Passthrough::None:
    return "None";
  }
  return "unknown";
}

std::optional<Technique> parseTechnique(std::string_view text) {
  if (text == "DirectDeviceAssignment") {
    return Technique::DirectDeviceAssignment;
  }
  if (text == "ParaVirtualization") {
    return Technique::ParaVirtualization;
  }
  return std::nullopt;
}

std::string PciId::toString() const { return fmt::format("{:04x}:{:04x}", vendor, device); }

std::optional<PciId> pciIdFromInstanceId(std::string_view instanceId) {
  const auto ven = instanceId.find("VEN_");
  const auto dev = instanceId.find("DEV_");
  if (ven == std::string_view::npos || dev == std::string_view::npos ||
      ven + 8 > instanceId.size() || dev + 8 > instanceId.size()) {
    return std::nullopt;
  }
  auto hex = [&](std::size_t at) -> std::optional<std::uint16_t> {
    std::uint16_t value = 0;
    const char* first = instanceId.data() + at;
    auto [ptr, ec] = std::from_chars(first, first + 4, value, 16);
    if (ec != std::errc{} || ptr != first + 4) {
      return std::nullopt;
    }
    return value;
  };
  const auto vendor = hex(ven + 4);
  const auto device = hex(dev + 4);
  if (!vendor || !device) {
    return std::nullopt;
  }
  return PciId{*vendor, *device};
}

std::string hostInstanceId(std::string_view assignedInstanceId) {
  if (assignedInstanceId.starts_with("PCIP\\")) {
    return "PCI" + std::string{assignedInstanceId.substr(4)};
  }
  return std::string{assignedInstanceId};
}

bool equalsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto x = static_cast<unsigned char>(a[i]);
    const auto y = static_cast<unsigned char>(b[i]);
    if (std::tolower(x) != std::tolower(y)) {
      return false;
    }
  }
  return true;
}

std::string formatBytes(std::uint64_t bytes) {
  if (bytes % (1024 * kMiB) == 0 && bytes != 0) {
    return fmt::format("{} GB", bytes / (1024 * kMiB));
  }
  return fmt::format("{} MB", (bytes + kMiB - 1) / kMiB);
}

} // namespace hil::platform
