#include "framework/runner/runner.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "framework/core/random.h"
#include "framework/flows/deployer.h"
#include "framework/flows/smoke_report.h"

namespace hil::runner {

using scenario::StepKind;

int RunReport::count(CaseStatus status) const {
  int n = 0;
  for (const auto& suite : suites) {
    for (const auto& c : suite.cases) {
      n += c.status == status ? 1 : 0;
    }
  }
  return n;
}

int RunReport::total() const {
  int n = 0;
  for (const auto& suite : suites) {
    n += static_cast<int>(suite.cases.size());
  }
  return n;
}

std::uint64_t scenarioSeed(std::uint64_t runSeed, const std::string& suite,
                           const std::string& name) {
  return runSeed ^ stableHash(suite + "\n" + name);
}

namespace {

/// The last action step, as the next <expect> sees it.
struct Last {
  StepKind kind = StepKind::Deploy;
  int line = 0;
  Result<void> status;
  std::optional<std::string> method;
  std::vector<WarningCode> warnings;
  bool checked = true;
};

std::string describeStatus(const Last& last) {
  if (last.status) {
    return last.method ? fmt::format("result=ok method={}", *last.method) : "result=ok";
  }
  return fmt::format("result=error error={} ({})", toString(last.status.error().code),
                     last.status.error().message);
}

class ScenarioRun {
public:
  ScenarioRun(const scenario::Scenario& s, CaseResult& result) : s_(s), result_(result) {}

  void failure(int line, std::string type, std::string what) {
    auto text = fmt::format("{}:{}: {}", s_.file, line, what);
    if (result_.status != CaseStatus::Failed) {
      result_.status = CaseStatus::Failed;
      result_.failureType = std::move(type);
      result_.failureMessage = text;
    }
    result_.failureDetail += text;
    result_.failureDetail += '\n';
  }

  void unchecked(const Last& last) {
    if (!last.checked && !last.status) {
      failure(last.line, std::string{toString(last.status.error().code)},
              fmt::format("<{}> failed and no <expect result=\"error\"> follows it: {}",
                          toString(last.kind), last.status.error().describe()));
    }
  }

  void expect(const scenario::Step& step, Last& last, Backend& backend) {
    const auto& e = step.expect;
    // Only an expectation about the result acknowledges a failed step; one that looks at the
    // host state alone does not.
    last.checked = last.checked || e.ok.has_value();
    std::vector<std::string> wrong;
    if (e.ok && *e.ok != last.status.has_value()) {
      wrong.push_back(fmt::format("expected result={}", *e.ok ? "ok" : "error"));
    }
    if (e.error && (last.status || last.status.error().code != *e.error)) {
      wrong.push_back(fmt::format("expected error={}", toString(*e.error)));
    }
    if (e.method && last.method.value_or("") != *e.method) {
      wrong.push_back(fmt::format("expected method={}, got method={}", *e.method,
                                  last.method.value_or("(none)")));
    }
    for (auto warning : e.warnings) {
      if (std::find(last.warnings.begin(), last.warnings.end(), warning) == last.warnings.end()) {
        wrong.push_back(fmt::format("expected warning {}", toString(warning)));
      }
    }
    if (e.vmGpu || e.hostGpu) {
      auto seen = backend.observe(s_.host.vm.name);
      if (!seen) {
        wrong.push_back(fmt::format("could not observe the host: {}", seen.error().describe()));
      } else {
        if (e.vmGpu && seen->vmGpu != *e.vmGpu) {
          wrong.push_back(fmt::format("expected vm-gpu={}, got vm-gpu={}", toString(*e.vmGpu),
                                      toString(seen->vmGpu)));
        }
        if (e.hostGpu && seen->hostGpu != *e.hostGpu) {
          wrong.push_back(fmt::format("expected host-gpu={}, got host-gpu={}",
                                      toString(*e.hostGpu), toString(seen->hostGpu)));
        }
      }
    }
    if (wrong.empty()) {
      return;
    }
    std::string what;
    for (const auto& w : wrong) {
      what += what.empty() ? "" : "; ";
      what += w;
    }
    failure(step.line,
            last.status ? std::string{"expectation"}
                        : std::string{toString(last.status.error().code)},
            fmt::format("{}; the <{}> at line {} gave {}", what, toString(last.kind), last.line,
                        describeStatus(last)));
  }

private:
  const scenario::Scenario& s_;
  CaseResult& result_;
};

flows::DeployRequest toRequest(const scenario::DeployStep& d, const platform::VmName& vm) {
  flows::DeployRequest request;
  switch (d.passthrough) {
  case scenario::Passthrough::Auto:
    request.passthrough = flows::DeployRequest::Passthrough::Auto;
    break;
  case scenario::Passthrough::DirectDeviceAssignment:
    request.passthrough = flows::DeployRequest::Passthrough::DirectDeviceAssignment;
    break;
  case scenario::Passthrough::ParaVirtualization:
    request.passthrough = flows::DeployRequest::Passthrough::ParaVirtualization;
    break;
  case scenario::Passthrough::None:
    request.passthrough = flows::DeployRequest::Passthrough::None;
    break;
  }
  request.gpuName = d.gpuName;
  request.gpuCount = d.gpuCount;
  request.vm = vm;
  return request;
}

} // namespace

CaseResult Runner::runScenario(const scenario::Scenario& s, const std::string& suite,
                               std::uint64_t seed) const {
  const auto started = wall_.now();
  CaseResult result;
  result.suite = suite;
  result.name = s.name;
  result.file = s.file;
  result.line = s.line;
  const data::RulesProfile* rules = &rules_;
  if (!s.rules.empty()) {
    rules = &builtinRules_.at(s.rules);
  }
  std::string gpus;
  for (const auto& g : s.host.gpus) {
    gpus += gpus.empty() ? "" : " ";
    gpus += g.count > 1 ? fmt::format("{}x{}", g.count, g.model) : g.model;
  }
  result.properties = {{"backend", backends_.name()},
                       {"rig", backends_.name() == "sim" ? "simulator" : backends_.name()},
                       {"gpu", gpus.empty() ? "none" : gpus},
                       {"windows-build", fmt::format("{} {}", toString(s.host.edition),
                                                     s.host.build.toString())},
                       {"rules", rules->name()},
                       {"seed", std::to_string(seed)}};

  auto backend = backends_.create(s, seed);
  if (!backend) {
    result.status = CaseStatus::Failed;
    result.failureType = std::string{toString(backend.error().code)};
    result.failureMessage = fmt::format("{}:{}: cannot create the {} backend: {}", s.file, s.line,
                                        backends_.name(), backend.error().describe());
    result.failureDetail = result.failureMessage;
    return result;
  }
  Log log{&(*backend)->clock()};
  (*backend)->setLog(&log);
  flows::Deployer deployer{(*backend)->platform(), catalog_, *rules, log};
  ScenarioRun run{s, result};
  Last last;
  std::string technique;
  for (const auto& step : s.steps) {
    if (step.kind == StepKind::Expect) {
      run.expect(step, last, **backend);
      continue;
    }
    run.unchecked(last);
    last = Last{step.kind, step.line, {}, std::nullopt, {}, false};
    log.add(fmt::format("-- line {}: <{}>", step.line, toString(step.kind)));
    if (step.kind == StepKind::Smoke) {
      auto platform = (*backend)->platform();
      auto smoke = flows::runSmoke(platform.guest, log);
      last.status = smoke.status;
      for (const auto& check : smoke.checks) {
        result.properties[fmt::format("smoke.{}", check.name)] =
            check.unit.empty() ? check.value : fmt::format("{} {}", check.value, check.unit);
      }
      continue;
    }
    auto outcome = step.kind == StepKind::Deploy
                       ? deployer.deploy(toRequest(step.deploy, s.host.vm.name))
                       : deployer.teardown(s.host.vm.name);
    last.status = outcome.status;
    last.method = outcome.method;
    last.warnings = outcome.warnings;
    if (step.kind == StepKind::Deploy && technique.empty()) {
      technique = outcome.method && outcome.status ? *outcome.method
                                                   : std::string{toString(step.deploy.passthrough)};
    }
  }
  run.unchecked(last);
  result.properties["technique"] = technique.empty() ? "none" : technique;
  for (const auto& violation : (*backend)->invariantViolations()) {
    run.failure(s.line, "invariant", violation);
  }
  (*backend)->setLog(nullptr);
  result.log = log.take();
  result.seconds = std::chrono::duration<double>(wall_.now() - started).count();
  return result;
}

RunReport Runner::run(const std::vector<SuiteInput>& suites, const RunOptions& options,
                      const Progress& progress) const {
  const auto started = wall_.now();
  struct Job {
    std::size_t suite;
    const scenario::Scenario* scenario;
  };
  std::vector<Job> jobs;
  RunReport report;
  for (std::size_t i = 0; i < suites.size(); ++i) {
    report.suites.push_back({suites[i].suite, suites[i].file.path, {}, {}});
    for (const auto& s : suites[i].file.scenarios) {
      if (matchesFilter(s, options.filters)) {
        jobs.push_back({i, &s});
      }
    }
  }
  std::vector<CaseResult> results(jobs.size());
  std::atomic<std::size_t> next{0};
  std::mutex progressMutex;
  int done = 0;
  auto worker = [&] {
    for (std::size_t i = next++; i < jobs.size(); i = next++) {
      const auto& job = jobs[i];
      const auto& suite = suites[job.suite].suite;
      const auto seed = scenarioSeed(options.seed, suite, job.scenario->name);
      results[i] = runScenario(*job.scenario, suite, seed);
      for (int r = 1; r < options.repeat; ++r) {
        auto again = runScenario(*job.scenario, suite, seed);
        if (again.status != results[i].status || again.log != results[i].log ||
            again.failureDetail != results[i].failureDetail) {
          results[i].status = CaseStatus::Failed;
          results[i].failureType = "nondeterminism";
          results[i].failureMessage = fmt::format(
              "{}:{}: run {} of the same seed differs from run 1", job.scenario->file,
              job.scenario->line, r + 1);
          results[i].failureDetail += results[i].failureMessage + "\n";
          break;
        }
      }
      if (progress) {
        std::lock_guard lock{progressMutex};
        progress(results[i], ++done, static_cast<int>(jobs.size()));
      }
    }
  };
  const int threads = std::clamp(options.jobs, 1, std::max(1, static_cast<int>(jobs.size())));
  if (threads == 1) {
    worker();
  } else {
    std::vector<std::jthread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back(worker);
    }
  }
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    report.suites[jobs[i].suite].cases.push_back(std::move(results[i]));
  }
  std::erase_if(report.suites, [](const SuiteResult& suite) { return suite.cases.empty(); });
  for (auto& suite : report.suites) {
    // A suite's property holds its cases' distinct values, in case order.
    std::map<std::string, std::vector<std::string>> values;
    for (const auto& c : suite.cases) {
      for (const auto& [key, value] : c.properties) {
        auto& seen = values[key];
        if (std::find(seen.begin(), seen.end(), value) == seen.end()) {
          seen.push_back(value);
        }
      }
    }
    for (const auto& [key, seen] : values) {
      auto& merged = suite.properties[key];
      for (const auto& value : seen) {
        merged += merged.empty() ? value : " | " + value;
      }
    }
  }
  report.seconds = std::chrono::duration<double>(wall_.now() - started).count();
  return report;
}

} // namespace hil::runner
