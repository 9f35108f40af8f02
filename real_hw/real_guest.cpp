#include "real_hw/real_guest.h"

#include <fmt/format.h>

namespace hil::real_hw {
namespace {

constexpr std::string_view kRun = "guest.run";
constexpr std::string_view kExitMarker = "__hil_exit=";

/// "\r\n" as "\n": PowerShell prints the guest's lines with the host's line ending.
std::string unixLines(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      continue;
    }
    out += text[i];
  }
  return out;
}

} // namespace

std::string guestCommandLine(const std::vector<std::string>& argv) {
  std::string line;
  for (const auto& arg : argv) {
    line += line.empty() ? "" : " ";
    line += quoteFor(ShellDialect::Posix, arg);
  }
  return line + "; echo " + std::string{kExitMarker} + "$?";
}

Result<platform::GuestOutput> RealGuest::run(const std::vector<std::string>& argv) {
  if (argv.empty()) {
    return failIn(kRun, ErrorCode::InvalidRequest, "no program to run in the guest");
  }
  // Invoke-EflowVmCommand runs one Linux command line in the VM and returns its output
  // ("PowerShell functions for IoT Edge for Linux on Windows"); it does not return the exit
  // status, so the line echoes it last. -ignoreError keeps a failing program's output coming
  // back: the status says whether it failed.
  const auto command = fmt::format("Invoke-EflowVmCommand -command {} -ignoreError",
                                   psQuote(guestCommandLine(argv)));
  auto reply = runner_.exchange(kRun, command);
  if (!reply) {
    return std::unexpected(std::move(reply).error());
  }
  const auto out = unixLines(reply->out);
  // The status is the last thing printed, so the marker is its last occurrence even when the
  // program prints one too, or ends its output without a newline ("abc__hil_exit=0").
  const auto at = out.rfind(kExitMarker);
  if (at == std::string::npos) {
    if (!reply->succeeded) {
      auto message = firstLine(reply->err);
      return failIn(kRun, ErrorCode::OperationFailed,
                    message.empty() ? "Invoke-EflowVmCommand failed without an error message"
                                    : message);
    }
    return failIn(kRun, ErrorCode::OperationFailed,
                  fmt::format("no exit status ({}N) in the guest's output: received \"{}\"",
                              kExitMarker, excerpt(out)));
  }
  auto statusText = std::string_view{out}.substr(at + kExitMarker.size());
  while (!statusText.empty() && (statusText.back() == '\n' || statusText.back() == ' ')) {
    statusText.remove_suffix(1);
  }
  const auto status = parseUnsigned(statusText);
  if (!status || *status > 255) {
    return failIn(kRun, ErrorCode::OperationFailed,
                  fmt::format("unreadable exit status \"{}\" at the end of the guest's output",
                              excerpt(statusText)));
  }
  return platform::GuestOutput{static_cast<int>(*status), out.substr(0, at), unixLines(reply->err)};
}

} // namespace hil::real_hw
