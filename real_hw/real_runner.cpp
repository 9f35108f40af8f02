#include "real_hw/real_runner.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "framework/platform/types.h"

namespace hil::real_hw {

std::string asText(std::string_view property) {
  return fmt::format("@{{Name='{0}'; Expression={{[string]$_.{0}}}}}", property);
}

std::optional<std::uint64_t> parseUnsigned(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

std::optional<bool> parseBool(std::string_view text) {
  if (platform::equalsIgnoringCase(text, "True")) {
    return true;
  }
  if (platform::equalsIgnoringCase(text, "False")) {
    return false;
  }
  return std::nullopt;
}

std::string firstLine(std::string_view text) {
  while (!text.empty()) {
    const auto end = text.find('\n');
    auto line = text.substr(0, end);
    const auto first = line.find_first_not_of(" \t\r");
    if (first != std::string_view::npos) {
      line = line.substr(first);
      const auto last = line.find_last_not_of(" \t\r");
      return excerpt(line.substr(0, last + 1), 300);
    }
    if (end == std::string_view::npos) {
      break;
    }
    text.remove_prefix(end + 1);
  }
  return {};
}

Result<ShellReply> RealRunner::exchange(std::string_view operation, const std::string& command) {
  return within(operation, shell_.run(command, deadline_));
}

Result<ShellReply> RealRunner::run(std::string_view operation, const std::string& command,
                                   ErrorCode failure) {
  auto reply = exchange(operation, command);
  if (!reply) {
    return reply;
  }
  if (!reply->succeeded) {
    auto message = firstLine(reply->err);
    if (message.empty()) {
      message = fmt::format("the command failed without an error message: {}", excerpt(command));
    }
    return failIn(operation, classifyFailure(*reply, failure), std::move(message));
  }
  return reply;
}

std::optional<int> wmiJobErrorCode(std::string_view text) {
  constexpr std::string_view kMarker = "Job failed with error code ";
  const auto at = text.find(kMarker);
  if (at == std::string_view::npos) {
    return std::nullopt;
  }
  const auto digits = text.substr(at + kMarker.size());
  int code = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), code);
  if (ec != std::errc{} || end == digits.data()) {
    return std::nullopt;
  }
  return code;
}

ErrorCode classifyFailure(const ShellReply& reply, ErrorCode failure) {
  const auto category = [&](std::string_view name) {
    return std::any_of(reply.errors.begin(), reply.errors.end(),
                       [&](const ShellReply::Error& e) { return e.category == name; });
  };
  // A record in PowerShell's category ResourceBusy ("a resource is busy",
  // System.Management.Automation.ErrorCategory) says the device is in use: what the caller
  // does about it (close what uses it) differs from any other failure. No Microsoft page
  // documents which category Disable-PnpDevice gives a device in use; the stand-in gives
  // ResourceBusy, and a recording from a rig will say what Windows gives.
  if (category("ResourceBusy")) {
    return ErrorCode::DeviceBusy;
  }
  if (failure != ErrorCode::OperationFailed) {
    return failure; // the operation's own code (Start-VM: vm-start-failed) says it all
  }
  // Hyper-V's WMI job errors (Msvm_ConcreteJob.ErrorCode, the return codes of the
  // Msvm_VirtualSystemManagementService methods): 32775 "Invalid state for this operation"
  // (e.g. Set-VM on a running VM: stop it first), 32774 "System is in use" and 32777 "System
  // is not available" (try again), 32772 "Timeout". 32768 "Failed" and the rest say nothing more.
  switch (wmiJobErrorCode(reply.err).value_or(0)) {
  case 32775:
    return ErrorCode::FailedPrecondition;
  case 32774:
  case 32777:
    return ErrorCode::Unavailable;
  case 32772:
    return ErrorCode::Timeout;
  default:
    break;
  }
  // ResourceUnavailable: "a resource is not available", PowerShell's word for a transient state.
  return category("ResourceUnavailable") ? ErrorCode::Unavailable : failure;
}

Result<void> RealRunner::act(std::string_view operation, const std::string& command,
                             ErrorCode failure) {
  auto reply = run(operation, command, failure);
  if (!reply) {
    return std::unexpected(std::move(reply).error());
  }
  return {};
}

Result<std::vector<PsObject>> RealRunner::query(std::string_view operation,
                                                const std::string& command) {
  auto reply = run(operation, command + std::string{kToXml});
  if (!reply) {
    return std::unexpected(std::move(reply).error());
  }
  return within(operation, parsePsObjects(reply->out));
}

Result<PsObject> RealRunner::queryOne(std::string_view operation, const std::string& command,
                                      std::string_view what) {
  auto objects = query(operation, command);
  if (!objects) {
    return std::unexpected(std::move(objects).error());
  }
  if (objects->size() != 1) {
    return failIn(operation, ErrorCode::OperationFailed,
                  fmt::format("expected one {}, the command printed {}", what, objects->size()));
  }
  return std::move(objects->front());
}

} // namespace hil::real_hw
