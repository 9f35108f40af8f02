#include "framework/core/error.h"

#include <array>
#include <utility>

namespace hil {
namespace {

constexpr std::array kErrorCodes = {
    std::pair{ErrorCode::InvalidRequest, std::string_view{"invalid-request"}},
    std::pair{ErrorCode::UnsupportedEdition, std::string_view{"unsupported-edition"}},
    std::pair{ErrorCode::HypervUnavailable, std::string_view{"hyperv-unavailable"}},
    std::pair{ErrorCode::GpuNotFound, std::string_view{"gpu-not-found"}},
    std::pair{ErrorCode::GpuCount, std::string_view{"gpu-count"}},
    std::pair{ErrorCode::UnsupportedGpu, std::string_view{"unsupported-gpu"}},
    std::pair{ErrorCode::MethodNotSupported, std::string_view{"method-not-supported"}},
    std::pair{ErrorCode::UnsupportedBuild, std::string_view{"unsupported-build"}},
    std::pair{ErrorCode::DriverMissing, std::string_view{"driver-missing"}},
    std::pair{ErrorCode::DeviceBusy, std::string_view{"device-busy"}},
    std::pair{ErrorCode::OperationFailed, std::string_view{"operation-failed"}},
    std::pair{ErrorCode::Timeout, std::string_view{"timeout"}},
    std::pair{ErrorCode::VmStartFailed, std::string_view{"vm-start-failed"}},
    std::pair{ErrorCode::SmokeFailed, std::string_view{"smoke-failed"}},
    std::pair{ErrorCode::FailedPrecondition, std::string_view{"failed-precondition"}},
    std::pair{ErrorCode::Unavailable, std::string_view{"unavailable"}},
};

constexpr std::array kWarningCodes = {
    std::pair{WarningCode::MitigationDriverMissing, std::string_view{"mitigation-driver-missing"}},
};

constexpr auto kErrorCodeValues = [] {
  std::array<ErrorCode, kErrorCodes.size()> values{};
  for (std::size_t i = 0; i < kErrorCodes.size(); ++i) {
    values[i] = kErrorCodes[i].first;
  }
  return values;
}();

constexpr auto kWarningCodeValues = [] {
  std::array<WarningCode, kWarningCodes.size()> values{};
  for (std::size_t i = 0; i < kWarningCodes.size(); ++i) {
    values[i] = kWarningCodes[i].first;
  }
  return values;
}();

template <class Table, class Code> std::string_view nameOf(const Table& table, Code code) {
  for (const auto& [value, name] : table) {
    if (value == code) {
      return name;
    }
  }
  return "unknown";
}

template <class Table>
auto parseName(const Table& table, std::string_view text)
    -> std::optional<typename Table::value_type::first_type> {
  for (const auto& [value, name] : table) {
    if (name == text) {
      return value;
    }
  }
  return std::nullopt;
}

} // namespace

std::string_view toString(ErrorCode code) { return nameOf(kErrorCodes, code); }
std::string_view toString(WarningCode code) { return nameOf(kWarningCodes, code); }
std::optional<ErrorCode> parseErrorCode(std::string_view text) {
  return parseName(kErrorCodes, text);
}
std::optional<WarningCode> parseWarningCode(std::string_view text) {
  return parseName(kWarningCodes, text);
}
std::span<const ErrorCode> allErrorCodes() { return kErrorCodeValues; }
std::span<const WarningCode> allWarningCodes() { return kWarningCodeValues; }

bool isTransient(ErrorCode code) {
  return code == ErrorCode::Unavailable || code == ErrorCode::Timeout;
}

std::string Error::describe() const {
  std::string text{toString(code)};
  text += ": ";
  text += message;
  if (!context.empty()) {
    text += " [";
    for (std::size_t i = 0; i < context.size(); ++i) {
      text += (i == 0 ? "" : " < ");
      text += context[i];
    }
    text += "]";
  }
  return text;
}

} // namespace hil
