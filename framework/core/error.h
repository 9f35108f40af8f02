#pragma once

#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hil {

/// Stable error codes (design doc section 4): printed in their kebab-case form; extend, never
/// rename. The first nine are prerequisite codes, declared in the order that picks a step's code
/// when several rules fail.
enum class ErrorCode {
  InvalidRequest,
  UnsupportedEdition,
  HypervUnavailable,
  GpuNotFound,
  GpuCount,
  UnsupportedGpu,
  MethodNotSupported,
  UnsupportedBuild,
  DriverMissing,
  DeviceBusy,
  OperationFailed,
  Timeout,
  VmStartFailed,
  SmokeFailed,
  FailedPrecondition, // the host is not in the state the operation needs: fix that, then retry
  Unavailable,        // transient: the same operation may succeed when tried again
};

/// Stable warning codes.
enum class WarningCode {
  MitigationDriverMissing,
};

[[nodiscard]] std::string_view toString(ErrorCode code);
[[nodiscard]] std::string_view toString(WarningCode code);
[[nodiscard]] std::optional<ErrorCode> parseErrorCode(std::string_view text);
[[nodiscard]] std::optional<WarningCode> parseWarningCode(std::string_view text);
[[nodiscard]] std::span<const ErrorCode> allErrorCodes();
[[nodiscard]] std::span<const WarningCode> allWarningCodes();

/// Whether trying the same operation again, unchanged, may succeed (abseil's UNAVAILABLE and
/// DEADLINE_EXCEEDED): `unavailable` and `timeout`. Every other code needs something else to
/// change first (`failed-precondition`: the host's state) or says nothing about a retry.
[[nodiscard]] bool isTransient(ErrorCode code);

struct Error {
  ErrorCode code;
  std::string message;              // one line for people; code never parses it
  std::vector<std::string> context; // innermost first: "hyperv.dismount-host-device", "deploy"

  /// "operation-failed: message [op < step]"
  [[nodiscard]] std::string describe() const;
};

template <class T> using Result = std::expected<T, Error>;

[[nodiscard]] inline std::unexpected<Error> fail(ErrorCode code, std::string message) {
  return std::unexpected(Error{code, std::move(message), {}});
}

/// For transform_error: adds one level of context to an error on its way up.
[[nodiscard]] inline auto withContext(std::string what) {
  return [what = std::move(what)](Error error) {
    error.context.push_back(what);
    return error;
  };
}

} // namespace hil

/// Returns the error of a failed Result<T> expression from the enclosing function.
#define HIL_TRY(expr)                                                                              \
  do {                                                                                             \
    if (auto hil_try_result_ = (expr); !hil_try_result_) {                                         \
      return std::unexpected(std::move(hil_try_result_).error());                                  \
    }                                                                                              \
  } while (false)
