#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "framework/core/clock.h"
#include "framework/core/crash.h"
#include "framework/core/diagnostic.h"
#include "framework/data/catalog.h"
#include "framework/data/rules.h"
#include "framework/runner/backend.h"
#include "framework/runner/results.h"
#include "framework/scenario/scenario.h"

namespace hil::runner {

/// A loaded scenario file and the suite name its results go under.
struct SuiteInput {
  std::string suite;
  scenario::ScenarioFile file;
};

/// Sets each suite's properties to its cases' distinct values, joined in case order.
void mergeSuiteProperties(RunReport& report);

/// Does the scenario match one of the globs (on its name or any tag)? No globs: everything.
[[nodiscard]] bool matchesFilter(const scenario::Scenario& scenario,
                                 const std::vector<std::string>& globs);

struct RunOptions {
  int jobs = 1;
  std::uint64_t seed = 1;
  std::vector<std::string> filters;
  int repeat = 1; // run each scenario this often; every run must give the same outcome
  std::vector<scenario::FaultSpec> faults{}; // injected into every scenario (voids expectations)
  bool finalTeardown{false};                 // end each scenario with a fault-free teardown
  flows::FlowStore* store{nullptr};          // shared journal store (a state folder; jobs 1)
  int shardIndex{0}; // run only the scenarios of shard shardIndex of shardCount (see inShard)
  int shardCount{1};
  /// Called when a crash fault stops a flow, before anything recovers from it: a run whose
  /// journal lives on disk ends the process here, as a power loss would (not called in a sweep).
  std::function<void(const SimulatedCrash&)> onCrash{};
};

/// Is the scenario in shard `index` of `count` (0 <= index < count)? The shard is
/// splitmix64(stableHash(suite + "\n" + name)) % count: it depends on nothing but the scenario's
/// identity, so every scenario is in exactly one shard and adding or removing one moves no other.
[[nodiscard]] bool inShard(const std::string& suite, const std::string& name, int index, int count);

/// How one scenario runs.
struct ScenarioOptions {
  /// Injected before the scenario's own faults. Expectations do not apply under them; the
  /// invariants do, after every step, after recovery from a crash, and after a final teardown.
  std::vector<scenario::FaultSpec> extraFaults;
  bool finalTeardown = false;
  flows::FlowStore* store = nullptr; // null: a fresh in-memory store for this run
  /// Filled with every operation the run performed, with occurrence numbers (for a sweep).
  std::vector<std::pair<std::string, int>>* reached = nullptr;
  std::function<void(const SimulatedCrash&)> onCrash{}; // RunOptions::onCrash
};

/// The seed one scenario runs with: derived from the run's seed and the scenario's identity,
/// so it does not depend on --jobs, --filter or the order of files.
[[nodiscard]] std::uint64_t scenarioSeed(std::uint64_t runSeed, const std::string& suite,
                                         const std::string& name);

class Runner {
public:
  /// `rules`: the run's profile; a scenario's rules="..." picks one of `builtinRules` instead.
  Runner(const BackendFactory& backends, const data::GpuCatalog& catalog,
         const data::RulesProfile& rules,
         const std::map<std::string, data::RulesProfile>& builtinRules, const Clock& wallClock)
      : backends_(backends), catalog_(catalog), rules_(rules), builtinRules_(builtinRules),
        wall_(wallClock) {}

  using Progress = std::function<void(const CaseResult& result, int done, int total)>;

  /// Runs the selected scenarios; invalid-request, before anything runs, when the options ask
  /// for more scenarios at once (--jobs, --repeat) than the backend's hosts can take
  /// (BackendFactory::maxJobs: one rig or one state folder is one host).
  [[nodiscard]] Result<RunReport> run(const std::vector<SuiteInput>& suites,
                                      const RunOptions& options,
                                      const Progress& progress = {}) const;

  /// Runs one scenario on a fresh backend and checks its expectations and invariants.
  [[nodiscard]] CaseResult runScenario(const scenario::Scenario& scenario, const std::string& suite,
                                       std::uint64_t seed,
                                       const ScenarioOptions& options = {}) const;

private:
  class Steps; // one scenario's steps in progress (runner.cpp)

  /// Recovers in a "new process" after a simulated crash: true when a journal was rolled back.
  Result<bool> recoverAfterCrash(Backend& host, flows::FlowStore& store, Log& log) const;

  const BackendFactory& backends_;
  const data::GpuCatalog& catalog_;
  const data::RulesProfile& rules_;
  const std::map<std::string, data::RulesProfile>& builtinRules_;
  const Clock& wall_;
};

} // namespace hil::runner
