#include "real_hw/standin_rig.h"

#include <charconv>

#include <fmt/format.h>

#include "framework/core/crash.h"
#include "framework/platform/host_state.h"
#include "real_hw/real_runner.h"
#include "storage/state_dir.h"

namespace hil::real_hw {
namespace {

constexpr std::string_view kCrashMarker = "hil-standin-crash ";
constexpr std::string_view kStandIn = "standin";
// Starting PowerShell and importing the module (the first time: compiling its types).
constexpr std::chrono::milliseconds kWarmUpDeadline{std::chrono::minutes(2)};

/// "hil-standin-crash OP OCCURRENCE before|after" on a line of stderr: the crash it names.
std::optional<SimulatedCrash> crashIn(std::string_view err) {
  const auto at = err.find(kCrashMarker);
  if (at == std::string_view::npos || (at > 0 && err[at - 1] != '\n')) {
    return std::nullopt;
  }
  auto line = err.substr(at + kCrashMarker.size());
  line = line.substr(0, line.find_first_of("\r\n"));
  const auto space = line.find(' ');
  const auto last = line.rfind(' ');
  if (space == std::string_view::npos || last == space) {
    return std::nullopt;
  }
  int occurrence = 0;
  const auto digits = line.substr(space + 1, last - space - 1);
  if (std::from_chars(digits.data(), digits.data() + digits.size(), occurrence).ec != std::errc{}) {
    return std::nullopt;
  }
  return SimulatedCrash{std::string{line.substr(0, space)}, occurrence,
                        line.substr(last + 1) == "after"};
}

} // namespace

StandInShell::StandInShell(ShellSession& inner, const StandIn& standin) : inner_(inner) {
  prelude_ = fmt::format("if (-not (Get-Module -Name HilStandIn)) {{ Import-Module -Name {} "
                         "-ArgumentList {}, {} -ErrorAction Stop }}\n",
                         psQuote(standin.module), psQuote(standin.hil), psQuote(standin.state));
}

Result<void> StandInShell::warmUp() {
  auto reply = inner_.run(prelude_, kWarmUpDeadline);
  if (!reply) {
    return std::unexpected(reply.error());
  }
  if (!reply->succeeded) {
    return fail(ErrorCode::OperationFailed,
                fmt::format("the stand-in module did not load: {}", firstLine(reply->err)));
  }
  warm_ = true;
  return {};
}

Result<ShellReply> StandInShell::run(const std::string& command,
                                     std::chrono::milliseconds deadline) {
  if (!warm_) {
    HIL_TRY(warmUp());
  }
  auto reply = inner_.run(prelude_ + command, deadline);
  if (!reply) {
    // Past a deadline (or a dead shell) the session starts a new shell, without the module.
    warm_ = false;
  }
  if (reply) {
    if (auto crash = crashIn(reply->err)) {
      throw *crash; // the controller dies here; the runner recovers, as a new process would
    }
  }
  return reply;
}

StandInBackend::StandInBackend(ShellSession& shell, RealOptions options, RigMode mode,
                               const Clock& clock, std::function<Result<void>()> onFinish)
    : RealBackend(shell, options, mode, clock, std::move(onFinish)),
      runner_(shell, options.deadline) {}

void StandInBackend::note(const std::string& line) {
  if (log() != nullptr) {
    log()->add(line);
  }
}

platform::HostState StandInBackend::snapshot() {
  auto reply = runner_.run(kStandIn, "Get-HilStandInHost");
  if (reply) {
    if (auto state = platform::parseHostState(reply->out, "Get-HilStandInHost")) {
      return std::move(*state);
    } else {
      note(fmt::format("host state: {}", toString(state.error())));
    }
  } else {
    note(fmt::format("host state: {}", reply.error().describe()));
  }
  return {};
}

void StandInBackend::checkpoint() {
  if (auto synced = runner_.run(kStandIn, "Sync-HilStandIn"); !synced) {
    note(fmt::format("checkpoint: {}", synced.error().describe()));
  }
}

void StandInBackend::disableFaults() {
  if (auto calm = runner_.run(kStandIn, "Disable-HilStandInFault"); !calm) {
    note(fmt::format("disabling faults: {}", calm.error().describe()));
  }
}

Result<void> resetStandIn(ShellSession& shell, std::chrono::milliseconds deadline,
                          const scenario::Scenario& scenario, std::uint64_t seed,
                          const std::vector<scenario::FaultSpec>& extraFaults,
                          const std::string& rules) {
  auto text = storage::readFileIfExists(scenario.file);
  if (!text || !*text) {
    return fail(ErrorCode::InvalidRequest,
                fmt::format("{}: cannot read the scenario file to set up the stand-in host",
                            scenario.file));
  }
  std::string command = fmt::format("Reset-HilStandIn -ScenarioXml {} -Scenario {} -Seed {}",
                                    psQuote(**text), psQuote(scenario.name), seed);
  if (!extraFaults.empty()) {
    command += " -Fault ";
    for (std::size_t i = 0; i < extraFaults.size(); ++i) {
      command += (i > 0 ? ", " : "") + psQuote(extraFaults[i].describe());
    }
  }
  if (!rules.empty()) {
    command += " -Rules " + psQuote(rules);
  }
  RealRunner runner{shell, deadline};
  auto reply = runner.run("standin.reset", command);
  if (!reply) {
    return std::unexpected(reply.error());
  }
  return {};
}

} // namespace hil::real_hw
