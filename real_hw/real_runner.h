#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "framework/core/error.h"
#include "real_hw/ps_objects.h"
#include "real_hw/shell_session.h"

namespace hil::real_hw {

/// A value as a PowerShell single-quoted literal: every device name, instance id, location
/// path and VM name goes through this before it reaches a command.
[[nodiscard]] inline std::string psQuote(std::string_view value) {
  return quoteFor(ShellDialect::PowerShell, value);
}

/// Runs the Real* seams' commands: one PowerShell command per seam operation, through the
/// session, with the per-command deadline. Every error it returns names the operation.
class RealRunner {
public:
  RealRunner(ShellSession& shell, std::chrono::milliseconds deadline)
      : shell_(shell), deadline_(deadline) {}

  /// The reply of a command that succeeded; a failed one is `failure` (operation-failed unless
  /// the operation has a better code) with the first line of its error stream; the session's
  /// own errors (timeout, a dead shell) pass through with their codes.
  [[nodiscard]] Result<ShellReply> run(std::string_view operation, const std::string& command,
                                       ErrorCode failure = ErrorCode::OperationFailed);
  /// The same reply whether or not the command succeeded; only the session's errors fail.
  [[nodiscard]] Result<ShellReply> exchange(std::string_view operation, const std::string& command);
  /// run() for a command whose output does not matter.
  [[nodiscard]] Result<void> act(std::string_view operation, const std::string& command,
                                 ErrorCode failure = ErrorCode::OperationFailed);
  /// run() for `command | ConvertTo-Xml -As String -Depth 3`, parsed into its objects.
  [[nodiscard]] Result<std::vector<PsObject>> query(std::string_view operation,
                                                    const std::string& command);
  /// query() for a command that prints exactly one object.
  [[nodiscard]] Result<PsObject> queryOne(std::string_view operation, const std::string& command,
                                          std::string_view what);

private:
  ShellSession& shell_;
  std::chrono::milliseconds deadline_;
};

/// The number after "Job failed with error code " (Hyper-V's WMI job error), if `text` has one.
[[nodiscard]] std::optional<int> wmiJobErrorCode(std::string_view text);

/// The code of a failed command whose operation fails with `failure` by default: device-busy
/// for a ResourceBusy record; for an operation-failed default, Hyper-V's job error code decides
/// (32775: failed-precondition; 32774, 32777: unavailable; 32772: timeout), then a
/// ResourceUnavailable record (unavailable); otherwise `failure`.
[[nodiscard]] ErrorCode classifyFailure(const ShellReply& reply, ErrorCode failure);

/// The pipeline tail of every structured query.
inline constexpr std::string_view kToXml = " | ConvertTo-Xml -As String -Depth 3";

/// A new error of `operation` (its context).
[[nodiscard]] inline std::unexpected<Error> failIn(std::string_view operation, ErrorCode code,
                                                   std::string message) {
  return std::unexpected(Error{code, std::move(message), {std::string{operation}}});
}

/// An error from parsing a reply, given `operation` as its context.
[[nodiscard]] inline std::unexpected<Error> inOperation(std::string_view operation, Error error) {
  error.context.emplace_back(operation);
  return std::unexpected(std::move(error));
}

/// `result`, its error (if any) given `operation` as its context. (Debian 12's g++ 12 has no
/// std::expected::transform_error.)
template <class T> [[nodiscard]] Result<T> within(std::string_view operation, Result<T> result) {
  if (!result) {
    return inOperation(operation, std::move(result).error());
  }
  return result;
}

/// A Select-Object calculated property that reads `property` as text. Enum values (a VM's
/// State, a feature's State) need it: at -Depth 3 ConvertTo-Xml writes an enum as its numeric
/// value__ field, not its name (PowerShell's CustomSerialization serializes an enum as a complex
/// object once the depth allows).
[[nodiscard]] std::string asText(std::string_view property);

/// A whole number as PowerShell prints one ("3221225472"); nullopt for anything else.
[[nodiscard]] std::optional<std::uint64_t> parseUnsigned(std::string_view text);
/// "True" / "False" as PowerShell prints a boolean (any case); nullopt for anything else.
[[nodiscard]] std::optional<bool> parseBool(std::string_view text);

/// The first non-blank line of a command's error stream, trimmed, for an error message.
[[nodiscard]] std::string firstLine(std::string_view text);

} // namespace hil::real_hw
