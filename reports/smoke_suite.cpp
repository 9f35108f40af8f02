#include "reports/smoke_suite.h"

#include <fmt/format.h>

#include "framework/platform/smoke_output.h"

namespace hil::reports {
namespace {

runner::CaseResult failedCase(const std::string& name, const std::string& message,
                              const std::string& detail) {
  runner::CaseResult c;
  c.suite = "cuda-smoke";
  c.name = name;
  c.status = runner::CaseStatus::Failed;
  c.failureType = "smoke-failed";
  c.failureMessage = message;
  c.failureDetail = detail;
  return c;
}

std::string firstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

} // namespace

runner::RunReport smokeSuite(const SmokeRun& run) {
  runner::RunReport report;
  runner::SuiteResult suite;
  suite.name = "cuda-smoke";
  suite.file = run.program;
  suite.properties = {{"backend", "local"},
                      {"program", run.program},
                      {"expect", run.expect.empty() ? "none" : run.expect},
                      {"exit-status", std::to_string(run.exitCode)}};
  if (!run.failure.empty()) {
    suite.cases.push_back(failedCase("cuda-device", run.failure, run.failure));
  } else if (run.exitCode == 3) {
    const auto reason = firstLine(run.err);
    suite.cases.push_back(failedCase(
        "cuda-device", reason.empty() ? std::string{"no CUDA device"} : reason, run.err));
  } else if (auto checks = platform::parseSmokeOutput(run.out); !checks) {
    suite.cases.push_back(failedCase("output", checks.error().message, run.out));
  } else {
    for (const auto& check : *checks) {
      runner::CaseResult c;
      c.suite = suite.name;
      c.name = check.name;
      c.log = {platform::formatSmokeLine(check)};
      if (!check.passed) {
        c.status = runner::CaseStatus::Failed;
        c.failureType = "smoke-failed";
        c.failureMessage = fmt::format("{}: {}{} (threshold {}){}", check.name, check.value,
                                       check.unit.empty() ? "" : " " + check.unit, check.threshold,
                                       check.message.empty() ? "" : ": " + check.message);
        c.failureDetail = c.failureMessage;
      }
      suite.properties[fmt::format("smoke.{}", check.name)] =
          check.unit.empty() ? check.value : fmt::format("{} {}", check.value, check.unit);
      suite.cases.push_back(std::move(c));
    }
    for (const auto& missing : platform::missingSmokeChecks(*checks)) {
      suite.cases.push_back(failedCase(missing, fmt::format("{}: not reported", missing),
                                       "the program's output has no line for this check"));
    }
    if (run.exitCode != 0 && run.exitCode != 1) {
      suite.cases.push_back(
          failedCase("exit-status", fmt::format("cuda_smoke exited {}", run.exitCode), run.err));
    }
  }
  if (!suite.cases.empty()) {
    suite.cases.front().seconds = run.seconds;
    if (!run.err.empty()) {
      suite.cases.front().log.push_back(run.err);
    }
  }
  report.suites.push_back(std::move(suite));
  report.seconds = run.seconds;
  return report;
}

} // namespace hil::reports
