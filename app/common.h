#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "framework/core/clock.h"
#include "framework/data/catalog.h"
#include "framework/data/rules.h"
#include "framework/runner/runner.h"
#include "real_hw/rig.h"
#include "real_hw/shell_session.h"

namespace hil::app {

/// "YYYY-MM-DDTHH:MM:SS" in UTC, for JUnit timestamps (the one place wall-clock dates are read).
[[nodiscard]] std::string utcTimestamp();

/// The process's monotonic clock, for durations of real work.
class SteadyClock : public Clock {
public:
  [[nodiscard]] std::chrono::nanoseconds now() const override {
    return std::chrono::steady_clock::now().time_since_epoch();
  }
};

/// The whole file; BadInput when it cannot be read.
[[nodiscard]] std::string readFile(const std::string& path);
/// The catalog in `path`, or the built-in one when `path` is empty.
[[nodiscard]] data::GpuCatalog loadCatalog(const std::string& path);
/// A built-in rules profile by name, or a rules file.
[[nodiscard]] data::RulesProfile loadRules(const std::string& nameOrFile);
/// Every built-in rules profile by name, for scenarios that name their own.
[[nodiscard]] std::map<std::string, data::RulesProfile> builtinProfiles();
/// The scenario files in `paths` (files or folders); BadInput listing every problem.
[[nodiscard]] std::vector<runner::SuiteInput> loadOrThrow(const std::vector<std::string>& paths,
                                                          const data::GpuCatalog& catalog);

/// The rig file at `path`, checked against the catalog; BadInput with every problem.
[[nodiscard]] real_hw::Rig loadRig(const std::string& path, const data::GpuCatalog& catalog);
/// The rig's long-lived PowerShell session. With `probe`, it must answer one word first: a shell
/// that cannot start (a wrong path, ssh refused or unresolved, a missing key) is BadInput with
/// the reason, before anything runs.
[[nodiscard]] std::unique_ptr<real_hw::ShellSession> openRigShell(const real_hw::Rig& rig,
                                                                  bool probe = true);

/// Where a rig's flow journal lives when `--state` names no folder:
/// $XDG_STATE_HOME/gpu-hil/rigs/NAME (XDG_STATE_HOME defaults to ~/.local/state), one folder per
/// rig name, so that `hil recover --backend real --rig FILE` finds what a controller that died on
/// that rig left behind. BadInput when neither XDG_STATE_HOME nor HOME is set.
[[nodiscard]] std::string defaultRigStateDir(const real_hw::Rig& rig);

/// Watches a run on a terminal; stays quiet in CI logs.
[[nodiscard]] runner::Runner::Progress terminalProgress();
void endProgress();

/// Names the build and the data behind a report: hil-version, hil-commit (when built from a
/// checkout) and catalog-sha256, beside the run's own seed (docs/junit.md).
void addBuildProperties(runner::RunReport& report, const data::GpuCatalog& catalog);

/// Writes the report as JUnit XML to `path` (nothing when `path` is empty); `extensions`: see
/// reports::JunitOptions.
void writeJunit(const std::string& path, const runner::RunReport& report, bool extensions = false);

/// --junit-extensions' help, the same wherever JUnit is written.
inline constexpr const char* kJunitExtensionsHelp =
    "Add a file attribute and the properties to each <testcase> (GitLab and Jenkins' JUnit "
    "plugin read them; neither JUnit schema allows them)";
/// PASS/FAIL/SKIP and the scenario's name; the failure and the log where they matter.
void printCase(const runner::CaseResult& c, bool withLog);

} // namespace hil::app
