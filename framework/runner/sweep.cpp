#include "framework/runner/sweep.h"

#include <algorithm>

#include <fmt/format.h>

#include "framework/core/random.h"
#include "framework/core/thread_pool.h"

namespace hil::runner {

using scenario::FaultKind;
using scenario::FaultSpec;

std::vector<std::vector<FaultSpec>>
faultPlans(const std::vector<std::pair<std::string, int>>& reached, int randomPlans,
           std::uint64_t seed) {
  std::vector<std::vector<FaultSpec>> plans;
  const std::vector<std::pair<FaultKind, bool>> kinds = {{FaultKind::Error, false},
                                                         {FaultKind::Hang, false},
                                                         {FaultKind::Crash, false},
                                                         {FaultKind::Crash, true}};
  for (const auto& [op, occurrence] : reached) {
    for (const auto& [kind, after] : kinds) {
      plans.push_back({FaultSpec{op, kind, occurrence, after, 0}});
    }
  }
  if (reached.empty()) {
    return plans;
  }
  SeededRandom random{seed};
  for (int i = 0; i < randomPlans; ++i) {
    const auto count = 2 + static_cast<int>(random.next() % 2);
    std::vector<FaultSpec> plan;
    for (int f = 0; f < count; ++f) {
      const auto& [op, occurrence] = reached[random.next() % reached.size()];
      const auto& [kind, after] = kinds[random.next() % kinds.size()];
      const bool taken = std::any_of(plan.begin(), plan.end(), [&](const FaultSpec& other) {
        return other.op == op && other.occurrence == occurrence;
      });
      if (!taken) {
        plan.push_back(FaultSpec{op, kind, occurrence, after, 0});
      }
    }
    plans.push_back(std::move(plan));
  }
  return plans;
}

namespace {

std::string planName(const std::vector<FaultSpec>& plan) {
  std::string name;
  for (const auto& fault : plan) {
    name += name.empty() ? "" : ",";
    name += fault.describe();
  }
  return name;
}

int violationsIn(const CaseResult& result) {
  if (result.status != CaseStatus::Failed) {
    return 0;
  }
  return std::max<int>(1, static_cast<int>(std::count(result.failureDetail.begin(),
                                                      result.failureDetail.end(), '\n')));
}

} // namespace

SweepReport sweep(const Runner& runner, const std::vector<SuiteInput>& suites,
                  const SweepOptions& options, const Runner::Progress& progress) {
  struct Job {
    std::size_t suite;
    const scenario::Scenario* scenario;
    std::uint64_t seed;
    std::vector<FaultSpec> plan; // empty: the clean run
  };
  SweepReport sweep;
  std::vector<Job> cleanJobs;
  for (std::size_t i = 0; i < suites.size(); ++i) {
    for (const auto& s : suites[i].file.scenarios) {
      if (matchesFilter(s, options.filters)) {
        cleanJobs.push_back({i, &s, scenarioSeed(options.seed, suites[i].suite, s.name), {}});
      }
    }
  }
  sweep.scenarios = static_cast<int>(cleanJobs.size());

  // Results land by index, so the report does not depend on the number of threads.
  auto runAll = [&](const std::vector<Job>& jobs, auto&& one) {
    return parallelMap(
        jobs.size(), options.jobs, [&](std::size_t i) { return one(jobs[i], i); },
        [&](const CaseResult& result, int done) {
          if (progress) {
            progress(result, done, static_cast<int>(jobs.size()));
          }
        });
  };

  std::vector<std::vector<std::pair<std::string, int>>> reached(cleanJobs.size());
  auto clean = runAll(cleanJobs, [&](const Job& job, std::size_t i) {
    ScenarioOptions scenarioOptions;
    scenarioOptions.reached = &reached[i];
    auto result =
        runner.runScenario(*job.scenario, suites[job.suite].suite, job.seed, scenarioOptions);
    result.name += " (clean run)";
    return result;
  });

  std::vector<Job> faultJobs;
  std::vector<std::size_t> cleanOf;
  for (std::size_t i = 0; i < cleanJobs.size(); ++i) {
    for (auto& plan : faultPlans(reached[i], options.randomPlans, cleanJobs[i].seed)) {
      faultJobs.push_back(
          {cleanJobs[i].suite, cleanJobs[i].scenario, cleanJobs[i].seed, std::move(plan)});
      cleanOf.push_back(i);
    }
  }
  sweep.faultRuns = static_cast<int>(faultJobs.size());
  auto faulted = runAll(faultJobs, [&](const Job& job, std::size_t) {
    ScenarioOptions scenarioOptions;
    scenarioOptions.extraFaults = job.plan;
    scenarioOptions.finalTeardown = true;
    auto result =
        runner.runScenario(*job.scenario, suites[job.suite].suite, job.seed, scenarioOptions);
    result.name = fmt::format("{} {}", job.scenario->name, planName(job.plan));
    if (result.status == CaseStatus::Passed) {
      // Thousands of passing runs: their logs would drown the report. `hil run --fault`
      // shows any of them again.
      result.log.clear();
    }
    return result;
  });

  for (const auto& suite : suites) {
    sweep.report.suites.push_back({suite.suite, suite.file.path, {}, {}});
  }
  // Each scenario's clean run, then its fault runs, in scenario order.
  std::size_t f = 0;
  for (std::size_t i = 0; i < cleanJobs.size(); ++i) {
    auto& cases = sweep.report.suites[cleanJobs[i].suite].cases;
    sweep.cleanFailures += clean[i].status == CaseStatus::Failed ? 1 : 0;
    cases.push_back(std::move(clean[i]));
    for (; f < faultJobs.size() && cleanOf[f] == i; ++f) {
      sweep.violations += violationsIn(faulted[f]);
      cases.push_back(std::move(faulted[f]));
    }
  }
  std::erase_if(sweep.report.suites, [](const SuiteResult& s) { return s.cases.empty(); });
  mergeSuiteProperties(sweep.report);
  sweep.report.properties["seed"] = std::to_string(options.seed);
  return sweep;
}

} // namespace hil::runner
