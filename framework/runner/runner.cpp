#include "framework/runner/runner.h"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "framework/core/crash.h"
#include "framework/core/random.h"
#include "framework/flows/deployer.h"
#include "framework/flows/invariants.h"
#include "framework/flows/recovery.h"
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

std::vector<std::string> Backend::invariantViolations() {
  std::vector<std::string> violations;
  for (const auto& v : flows::checkHost(snapshot())) {
    violations.push_back(v.describe());
  }
  return violations;
}

std::uint64_t scenarioSeed(std::uint64_t runSeed, const std::string& suite,
                           const std::string& name) {
  return runSeed ^ stableHash(suite + "\n" + name);
}

bool inShard(const std::string& suite, const std::string& name, int index, int count) {
  assert(count >= 1 && index >= 0 && index < count);
  // FNV-1a's low bits are poorly mixed (its lowest bit is the parity of the bytes' lowest bits:
  // two shards of the library split 25/162), so the hash goes through one splitmix64 step first.
  const auto mixed = SeededRandom{stableHash(suite + "\n" + name)}.next();
  return mixed % static_cast<std::uint64_t>(count) == static_cast<std::uint64_t>(index);
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
  std::optional<std::string> crash; // the crash that cut the step short ("hyperv.start-vm #1")
};

std::string describeStatus(const Last& last) {
  if (last.crash) {
    return fmt::format("no result: the process crashed at {}", *last.crash);
  }
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
    if (!last.checked && last.crash) {
      failure(last.line, "crash",
              fmt::format("<{}> was cut short by a crash at {} and no <expect result=\"crashed\"> "
                          "follows it",
                          toString(last.kind), *last.crash));
      return;
    }
    if (!last.checked && !last.status) {
      failure(last.line, std::string{toString(last.status.error().code)},
              fmt::format("<{}> failed and no <expect result=\"error\"> follows it: {}",
                          toString(last.kind), last.status.error().describe()));
    }
  }

  /// A fault the scenario asks for that never happened: its expectations proved nothing about
  /// it, so the scenario fails (type fault-not-reached).
  void unreachedFaults(const std::vector<std::pair<std::string, int>>& reached) {
    for (const auto& f : s_.host.faults) {
      int times = 0;
      for (const auto& [op, occurrence] : reached) {
        times = op == f.op ? std::max(times, occurrence) : times;
      }
      if (times < f.occurrence) {
        failure(f.line, "fault-not-reached",
                fmt::format("<fault op=\"{}\" occurrence=\"{}\"> never happened: the "
                            "scenario performed {} {} time(s)",
                            f.op, f.occurrence, f.op, times));
      }
    }
  }

  void expect(const scenario::Step& step, Last& last, Backend& backend) {
    const auto& e = step.expect;
    // Only an expectation about the result acknowledges a failed step; one that looks at the
    // host state alone does not.
    last.checked = last.checked || e.ok.has_value() || e.crashed;
    std::vector<std::string> wrong;
    if (e.crashed != last.crash.has_value()) {
      wrong.push_back(e.crashed ? std::string{"expected result=crashed"}
                                : fmt::format("expected result={}",
                                              e.ok ? (*e.ok ? "ok" : "error") : "(a result)"));
    } else if (e.ok && *e.ok != last.status.has_value()) {
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
          wrong.push_back(fmt::format("expected host-gpu={}, got host-gpu={}", toString(*e.hostGpu),
                                      toString(seen->hostGpu)));
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
            last.crash    ? std::string{"crash"}
            : last.status ? std::string{"expectation"}
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

namespace {

/// What the invariants allow after a deploy or teardown, from how it ended.
flows::StepRecord stepRecord(const scenario::Step& step, const flows::FlowOutcome& outcome,
                             const platform::VmName& vm) {
  using Ending = flows::StepRecord::Ending;
  flows::StepRecord record;
  const bool removes =
      step.kind == StepKind::Teardown || step.deploy.passthrough == scenario::Passthrough::None;
  record.kind = removes ? flows::StepRecord::Kind::Teardown : flows::StepRecord::Kind::Deploy;
  record.vm = vm;
  if (!outcome.status) {
    record.ending = outcome.problems.empty() ? Ending::RolledBack : Ending::Rejected;
  } else if (outcome.changedNothing) {
    record.ending = Ending::Unchanged;
  } else {
    record.ending = Ending::Done;
    if (outcome.method && !removes) {
      record.technique = platform::parseTechnique(*outcome.method);
    }
    record.gpus = outcome.gpus;
  }
  return record;
}

/// After a crash whose flow had already closed its journal: what the host shows it did.
flows::StepRecord inferredRecord(const scenario::Step& step, const platform::HostState& before,
                                 const platform::HostState& after, const platform::VmName& vm) {
  flows::StepRecord record;
  const bool removes =
      step.kind == StepKind::Teardown || step.deploy.passthrough == scenario::Passthrough::None;
  record.kind = removes ? flows::StepRecord::Kind::Teardown : flows::StepRecord::Kind::Deploy;
  record.vm = vm;
  record.ending = flows::StepRecord::Ending::Done;
  const auto was = before.vms.find(vm);
  const auto is = after.vms.find(vm);
  if (!removes && is != after.vms.end()) {
    for (const auto& location : is->second.assigned) {
      const bool old = was != before.vms.end() &&
                       std::find(was->second.assigned.begin(), was->second.assigned.end(),
                                 location) != was->second.assigned.end();
      if (!old) {
        record.gpus.push_back(location);
      }
    }
    record.technique = record.gpus.empty() ? platform::Technique::ParaVirtualization
                                           : platform::Technique::DirectDeviceAssignment;
  }
  return record;
}

/// What the scenario's first deploy asked for and what it configured: the `passthrough`,
/// `technique` and `deploy-error` properties (docs/junit.md).
struct FirstDeploy {
  std::optional<std::string_view> passthrough; // as requested, in EFLOW's words
  std::string technique{"None"};               // what was configured
  std::optional<std::string_view> error;       // the code the deploy failed with
  bool pending = false;                        // asked, its outcome not known yet

  void record(const flows::FlowOutcome& outcome) {
    pending = false;
    if (outcome.status) {
      technique = outcome.method.value_or("None");
    } else {
      error = toString(outcome.status.error().code);
    }
  }

  void addProperties(std::map<std::string, std::string>& properties) const {
    if (passthrough) {
      properties["passthrough"] = std::string{*passthrough};
    }
    properties["technique"] = technique;
    if (error) {
      properties["deploy-error"] = std::string{*error};
    }
  }
};

bool unfinished(const flows::FlowStore& store) {
  const auto state = store.load();
  return state && state->journal && !state->journal->undo.empty();
}

} // namespace

CaseResult Runner::runScenario(const scenario::Scenario& s, const std::string& suite,
                               std::uint64_t seed, const ScenarioOptions& options) const {
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
  result.properties = {
      {"backend", backends_.name()},
      {"rig", backends_.name() == "sim" ? "simulator" : backends_.name()},
      {"gpu", gpus.empty() ? "none" : gpus},
      {"windows-build", fmt::format("{} {}", toString(s.host.edition), s.host.build.toString())},
      {"rig-class", backends_.rigClass()},
      {"rules", rules->name()},
      {"scenario-seed", std::to_string(seed)}};
  if (!options.extraFaults.empty()) {
    std::string plan;
    for (const auto& fault : options.extraFaults) {
      plan += plan.empty() ? "" : " ";
      plan += fault.describe();
    }
    result.properties["faults"] = plan;
  }

  if (auto reason = backends_.skipReason(s)) {
    result.status = CaseStatus::Skipped;
    result.skipReason = *reason;
    result.log.push_back(*reason);
    return result;
  }
  auto backend = backends_.create(s, seed, options.extraFaults);
  if (!backend) {
    result.status = CaseStatus::Failed;
    result.failureType = std::string{toString(backend.error().code)};
    result.failureMessage = fmt::format("{}:{}: cannot create the {} backend: {}", s.file, s.line,
                                        backends_.name(), backend.error().describe());
    result.failureDetail = result.failureMessage;
    return result;
  }
  auto& host = **backend;
  Log log{&host.clock()};
  host.setLog(&log);
  flows::MemoryFlowStore memoryStore;
  flows::FlowStore& store = options.store != nullptr ? *options.store : memoryStore;
  auto platform = host.platform();
  auto deployer = host.configurator(catalog_, *rules, log, &store);
  // Injected faults void the scenario's expectations; the invariants still hold.
  const bool expectations = options.extraFaults.empty();
  ScenarioRun run{s, result};
  auto violated = [&](int line, const std::vector<flows::Violation>& violations) {
    for (const auto& v : violations) {
      log.add(fmt::format("invariant broken: {}", v.describe()));
      run.failure(line, v.invariant, v.describe());
    }
  };
  const auto original = host.snapshot();
  // Under injected faults (a sweep's plan) a rollback or recovery the plan kept failing leaves
  // its journal; the scenario stops there and a fault-free recovery must finish it.
  const bool recoverLater = !expectations && options.finalTeardown;
  struct LeftForRecovery {
    int line;
    platform::HostState before; // the host before the step whose undo is unfinished
    flows::StepRecord record;
  };
  std::optional<LeftForRecovery> leftForRecovery;
  Last last;
  FirstDeploy firstDeploy;
  std::set<std::string> warnings;
  for (const auto& step : s.steps) {
    if (step.kind == StepKind::Expect) {
      if (expectations) {
        run.expect(step, last, host);
      }
      continue;
    }
    if (expectations) {
      run.unchecked(last);
    }
    last = Last{step.kind, step.line, {}, std::nullopt, {}, !expectations, std::nullopt};
    if (step.kind == StepKind::Deploy && !firstDeploy.passthrough) {
      firstDeploy.passthrough = toString(step.deploy.passthrough);
      firstDeploy.pending = true;
    }
    log.add(fmt::format("-- line {}: <{}>", step.line, toString(step.kind)));
    const auto before = host.snapshot();
    try {
      if (step.kind == StepKind::Smoke) {
        auto smoke = flows::runSmoke(platform.guest, log);
        host.checkpoint();
        last.status = smoke.status;
        for (const auto& check : smoke.checks) {
          result.properties[fmt::format("smoke.{}", check.name)] =
              check.unit.empty() ? check.value : fmt::format("{} {}", check.value, check.unit);
        }
        continue;
      }
      auto outcome = step.kind == StepKind::Deploy
                         ? deployer->deploy(toRequest(step.deploy, s.host.vm.name))
                         : deployer->teardown(s.host.vm.name);
      host.checkpoint();
      last.status = outcome.status;
      last.method = outcome.method;
      last.warnings = outcome.warnings;
      for (auto warning : outcome.warnings) {
        warnings.insert(std::string{toString(warning)});
      }
      if (step.kind == StepKind::Deploy && firstDeploy.pending) {
        firstDeploy.record(outcome);
      }
      auto record = stepRecord(step, outcome, s.host.vm.name);
      if (!outcome.status && unfinished(store) && recoverLater) {
        log.add("the rollback is incomplete: the journal keeps what remains for `hil recover`");
        leftForRecovery = LeftForRecovery{step.line, before, record};
        violated(step.line, flows::checkHost(host.snapshot()));
        break;
      }
      if (!outcome.status && unfinished(store)) {
        // The rollback could not finish (a fault hit an undo step twice): an operator's next
        // command is `hil recover`, and the invariants are checked after it.
        log.add("the rollback is incomplete: recovering from the journal, as `hil recover` would");
        deployer.reset();
        if (auto recovered = recoverAfterCrash(host, store, log); !recovered) {
          run.failure(step.line, "not-recovered", recovered.error().describe());
        }
        deployer = host.configurator(catalog_, *rules, log, &store);
        record.ending = flows::StepRecord::Ending::RolledBack;
      }
      violated(step.line, flows::checkStep(original, before, host.snapshot(), record));
    } catch (const SimulatedCrash& crash) {
      if (options.onCrash) {
        options.onCrash(crash);
      }
      // The process died mid-flow: no rollback ran. A new process recovers from the journal,
      // as `hil recover` would; the scenario goes on in that process.
      log.add(fmt::format("crash at {} #{} ({} it took effect): the flow is gone; recovering "
                          "from the journal",
                          crash.op, crash.occurrence, crash.after ? "after" : "before"));
      deployer.reset();
      auto recovered = recoverAfterCrash(host, store, log);
      if (!recovered && unfinished(store) && recoverLater) {
        log.add(fmt::format("recovery is incomplete ({}): the journal keeps what remains",
                            recovered.error().describe()));
        auto record = stepRecord(step, flows::FlowOutcome{}, s.host.vm.name);
        record.ending = flows::StepRecord::Ending::RolledBack;
        leftForRecovery = LeftForRecovery{step.line, before, record};
        violated(step.line, flows::checkHost(host.snapshot()));
        break;
      }
      if (!recovered) {
        run.failure(step.line, "not-recovered", recovered.error().describe());
        break;
      }
      const auto after = host.snapshot();
      auto record = *recovered ? stepRecord(step, flows::FlowOutcome{}, s.host.vm.name)
                               : inferredRecord(step, before, after, s.host.vm.name);
      if (*recovered) {
        record.ending = flows::StepRecord::Ending::RolledBack;
      }
      violated(step.line, flows::checkStep(original, before, after, record));
      if (!expectations) {
        break; // a sweep's plan: the faulted step was the point
      }
      // The next process goes on with the scenario on the recovered host; the <expect> after
      // this step checks the crash and that host.
      last.crash = fmt::format("{} #{} ({} it took effect)", crash.op, crash.occurrence,
                               crash.after ? "after" : "before");
      deployer = host.configurator(catalog_, *rules, log, &store);
    }
  }
  if (expectations) {
    run.unchecked(last);
  }
  if (expectations && host.tracksOperations()) {
    run.unreachedFaults(host.reachedOperations());
  }
  if (options.finalTeardown && result.status != CaseStatus::Failed) {
    host.disableFaults();
    if (unfinished(store)) {
      log.add("-- an unfinished journal remains: recovering first (the faults are spent)");
      if (auto recovered = recoverAfterCrash(host, store, log); !recovered) {
        run.failure(leftForRecovery ? leftForRecovery->line : s.line, "not-recovered",
                    recovered.error().describe());
      } else if (leftForRecovery) {
        // `hil recover` must bring the host back to where it was before the failed step.
        violated(leftForRecovery->line, flows::checkStep(original, leftForRecovery->before,
                                                         host.snapshot(), leftForRecovery->record));
      }
    }
    log.add("-- final teardown (no faults): the host must be clean");
    deployer = host.configurator(catalog_, *rules, log, &store);
    const auto outcome = deployer->teardown(s.host.vm.name);
    if (!outcome.status) {
      run.failure(s.line, "not-clean",
                  fmt::format("the final teardown failed: {}", outcome.status.error().describe()));
    }
    violated(s.line, flows::checkClean(original, host.snapshot()));
  } else {
    violated(s.line, flows::checkHost(host.snapshot()));
  }
  if (auto finished = host.finish(); !finished) {
    run.failure(s.line, std::string{toString(finished.error().code)},
                fmt::format("could not keep the host: {}", finished.error().describe()));
  }
  firstDeploy.addProperties(result.properties);
  std::string warned;
  for (const auto& warning : warnings) {
    warned += warned.empty() ? warning : " " + warning;
  }
  result.properties["warnings"] = warned.empty() ? "none" : warned;
  if (options.reached != nullptr) {
    *options.reached = host.reachedOperations();
  }
  host.setLog(nullptr);
  result.log = log.take();
  result.seconds = std::chrono::duration<double>(wall_.now() - started).count();
  return result;
}

Result<bool> Runner::recoverAfterCrash(Backend& host, flows::FlowStore& store, Log& log) const {
  // Recovery may itself be cut short by another planned crash: each try is a new process.
  for (int attempt = 0; attempt < 8; ++attempt) {
    try {
      auto platform = host.platform();
      auto recovery = flows::recover(platform, store, log);
      host.checkpoint();
      if (!recovery) {
        return std::unexpected(recovery.error());
      }
      return recovery->needed || attempt > 0;
    } catch (const SimulatedCrash& crash) {
      log.add(fmt::format("crash at {} #{} during recovery: another process tries again", crash.op,
                          crash.occurrence));
    }
  }
  return fail(ErrorCode::OperationFailed, "recovery kept crashing");
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
      if (matchesFilter(s, options.filters) &&
          inShard(suites[i].suite, s.name, options.shardIndex, options.shardCount)) {
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
      const ScenarioOptions scenarioOptions{options.faults, options.finalTeardown, options.store,
                                            nullptr, options.onCrash};
      results[i] = runScenario(*job.scenario, suite, seed, scenarioOptions);
      for (int r = 1; r < options.repeat; ++r) {
        auto again = runScenario(*job.scenario, suite, seed, scenarioOptions);
        if (again.status != results[i].status || again.log != results[i].log ||
            again.failureDetail != results[i].failureDetail) {
          results[i].status = CaseStatus::Failed;
          results[i].failureType = "nondeterminism";
          results[i].failureMessage =
              fmt::format("{}:{}: run {} of the same seed differs from run 1", job.scenario->file,
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
  mergeSuiteProperties(report);
  report.properties["seed"] = std::to_string(options.seed);
  report.seconds = std::chrono::duration<double>(wall_.now() - started).count();
  return report;
}

void mergeSuiteProperties(RunReport& report) {
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
}

} // namespace hil::runner
