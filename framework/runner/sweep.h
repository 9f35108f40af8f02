#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "framework/runner/runner.h"

namespace hil::runner {

struct SweepOptions {
  int jobs = 1;
  std::uint64_t seed = 1;
  std::vector<std::string> filters;
  int randomPlans = 0; // per scenario: seeded plans of several faults each
};

struct SweepReport {
  RunReport report; // per scenario file: the clean run, then one case per fault run
  int scenarios = 0;
  int faultRuns = 0;
  int violations = 0;    // broken invariants in fault runs
  int cleanFailures = 0; // clean runs that failed (expectations or invariants)
};

/// Every single fault at every operation a scenario reaches: a clean run records the
/// operations (name and occurrence), then one run per (operation, occurrence, kind) for error,
/// hang, crash-before and crash-after, plus seeded random plans of several faults. Under a
/// fault the scenario's expectations do not apply; the invariants do, after each step, after
/// recovery from a crash, and after a final fault-free teardown.
[[nodiscard]] SweepReport sweep(const Runner& runner, const std::vector<SuiteInput>& suites,
                                const SweepOptions& options, const Runner::Progress& progress = {});

/// The fault plans a sweep runs for one scenario, given the operations its clean run reached.
[[nodiscard]] std::vector<std::vector<scenario::FaultSpec>>
faultPlans(const std::vector<std::pair<std::string, int>>& reached, int randomPlans,
           std::uint64_t seed);

} // namespace hil::runner
