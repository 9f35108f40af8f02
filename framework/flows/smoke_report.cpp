#include "framework/flows/smoke_report.h"

#include <fmt/format.h>

namespace hil::flows {

using platform::kSmokeProgram;
using platform::missingSmokeChecks;
using platform::parseSmokeOutput;

SmokeOutcome runSmoke(platform::Guest& guest, Log& log) {
  SmokeOutcome outcome;
  auto run = guest.run({std::string{kSmokeProgram}, "--quick"});
  if (!run) {
    outcome.status = std::unexpected(run.error());
    outcome.status.error().context.push_back("smoke");
    log.add(fmt::format("smoke: could not run: {}", outcome.status.error().describe()));
    return outcome;
  }
  auto checks = parseSmokeOutput(run->out);
  if (!checks) {
    outcome.status = std::unexpected(checks.error());
    log.add(fmt::format("smoke: {}", checks.error().message));
    return outcome;
  }
  outcome.checks = std::move(*checks);
  std::string failed;
  for (const auto& c : outcome.checks) {
    log.add(fmt::format("smoke: {} {} {}{}{}", c.name, c.passed ? "pass" : "FAIL", c.value,
                        c.unit.empty() ? "" : " " + c.unit,
                        c.message.empty() ? "" : " (" + c.message + ")"));
    if (!c.passed) {
      failed += failed.empty() ? "" : ", ";
      failed += c.name;
    }
  }
  if (run->exitCode == 3) {
    auto reason = run->err.substr(0, run->err.find('\n'));
    outcome.status =
        fail(ErrorCode::SmokeFailed, reason.empty() ? std::string{"no CUDA device"} : reason);
  } else if (!failed.empty()) {
    outcome.status = fail(ErrorCode::SmokeFailed, fmt::format("failed checks: {}", failed));
  } else if (run->exitCode != 0) {
    outcome.status =
        fail(ErrorCode::SmokeFailed, fmt::format("the smoke program exited {}", run->exitCode));
  } else if (const auto missing = missingSmokeChecks(outcome.checks); !missing.empty()) {
    std::string names;
    for (const auto& name : missing) {
      names += names.empty() ? "" : ", ";
      names += name;
    }
    outcome.status = fail(ErrorCode::SmokeFailed,
                          fmt::format("the smoke program's report is incomplete: no {}", names));
  }
  if (!outcome.status) {
    log.add(fmt::format("smoke: failed: {}", outcome.status.error().message));
  } else {
    log.add(fmt::format("smoke: {} checks passed", outcome.checks.size()));
  }
  return outcome;
}

} // namespace hil::flows
