#include "framework/runner/runner.h"

#include <algorithm>
#include <cassert>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "framework/core/crash.h"
#include "framework/core/random.h"
#include "framework/core/thread_pool.h"
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

// The backend's fault injection (FaultControl), where it has one; a real host or a replay has
// none, and then these do nothing.
void checkpoint(Backend& host) {
  if (auto* faults = host.faults()) {
    faults->checkpoint();
  }
}
void disableFaults(Backend& host) {
  if (auto* faults = host.faults()) {
    faults->disableFaults();
  }
}
bool tracksOperations(Backend& host) {
  const auto* faults = host.faults();
  return faults != nullptr && faults->tracksOperations();
}
std::vector<std::pair<std::string, int>> reachedOperations(Backend& host) {
  const auto* faults = host.faults();
  return faults != nullptr ? faults->reachedOperations()
                           : std::vector<std::pair<std::string, int>>{};
}

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
  request.passthrough = d.passthrough;
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

namespace {

std::string gpuList(const scenario::Scenario& s) {
  std::string gpus;
  for (const auto& g : s.host.gpus) {
    gpus += gpus.empty() ? "" : " ";
    gpus += g.count > 1 ? fmt::format("{}x{}", g.count, g.model) : g.model;
  }
  return gpus.empty() ? "none" : gpus;
}

std::string faultPlan(const std::vector<scenario::FaultSpec>& faults) {
  std::string plan;
  for (const auto& fault : faults) {
    plan += plan.empty() ? "" : " ";
    plan += fault.describe();
  }
  return plan;
}

} // namespace

/// One scenario's steps on its backend: runs them, checks expectations and invariants after
/// each, recovers after a simulated crash, and ends with the final checks.
class Runner::Steps {
public:
  Steps(const Runner& runner, const scenario::Scenario& s, const ScenarioOptions& options,
        const data::RulesProfile& rules, CaseResult& result, Backend& host)
      : runner_{runner}, s_{s}, options_{options}, rules_{rules}, result_{result}, host_{host},
        log_{&host.clock()}, store_{options.store != nullptr ? *options.store : memoryStore_},
        expectations_{options.extraFaults.empty()}, run_{s, result} {
    host_.setLog(&log_);
    newDeployer();
    original_ = host_.snapshot();
  }

  void runAll() {
    for (const auto& step : s_.steps) {
      if (step.kind == StepKind::Expect) {
        if (expectations_) {
          run_.expect(step, last_, host_);
        }
        continue;
      }
      if (!runAction(step)) {
        break;
      }
    }
  }

  /// The checks after the last step, then the properties and the log.
  void finish() {
    if (expectations_) {
      run_.unchecked(last_);
    }
    if (expectations_ && tracksOperations(host_)) {
      run_.unreachedFaults(reachedOperations(host_));
    }
    if (options_.finalTeardown && result_.status != CaseStatus::Failed) {
      finalTeardown();
    } else {
      violated(s_.line, flows::checkHost(host_.snapshot()));
    }
    if (auto finished = host_.finish(); !finished) {
      run_.failure(s_.line, std::string{toString(finished.error().code)},
                   fmt::format("could not keep the host: {}", finished.error().describe()));
    }
    firstDeploy_.addProperties(result_.properties);
    std::string warned;
    for (const auto& warning : warnings_) {
      warned += warned.empty() ? warning : " " + warning;
    }
    result_.properties["warnings"] = warned.empty() ? "none" : warned;
    if (options_.reached != nullptr) {
      *options_.reached = reachedOperations(host_);
    }
    host_.setLog(nullptr);
    result_.log = log_.take();
  }

private:
  void newDeployer() { deployer_ = host_.configurator(runner_.catalog_, rules_, log_, &store_); }

  void violated(int line, const std::vector<flows::Violation>& violations) {
    for (const auto& v : violations) {
      log_.add(fmt::format("invariant broken: {}", v.describe()));
      run_.failure(line, v.invariant, v.describe());
    }
  }

  /// A deploy, teardown or smoke step; false when the scenario cannot go on.
  bool runAction(const scenario::Step& step) {
    if (expectations_) {
      run_.unchecked(last_);
    }
    last_ = Last{step.kind, step.line, {}, std::nullopt, {}, !expectations_, std::nullopt};
    if (step.kind == StepKind::Deploy && !firstDeploy_.passthrough) {
      firstDeploy_.passthrough = toString(step.deploy.passthrough);
      firstDeploy_.pending = true;
    }
    log_.add(fmt::format("-- line {}: <{}>", step.line, toString(step.kind)));
    const auto before = host_.snapshot();
    try {
      if (step.kind == StepKind::Smoke) {
        runSmokeStep();
        return true;
      }
      return runFlowStep(step, before);
    } catch (const SimulatedCrash& crash) {
      return resumeAfterCrash(step, crash, before);
    }
  }

  void runSmokeStep() {
    auto smoke = flows::runSmoke(host_.platform().guest, log_);
    checkpoint(host_);
    last_.status = smoke.status;
    for (const auto& check : smoke.checks) {
      result_.properties[fmt::format("smoke.{}", check.name)] =
          check.unit.empty() ? check.value : fmt::format("{} {}", check.value, check.unit);
    }
  }

  /// False when the scenario cannot go on.
  bool runFlowStep(const scenario::Step& step, const platform::HostState& before) {
    auto outcome = step.kind == StepKind::Deploy
                       ? deployer_->deploy(toRequest(step.deploy, s_.host.vm.name))
                       : deployer_->teardown(s_.host.vm.name);
    checkpoint(host_);
    last_.status = outcome.status;
    last_.method = outcome.method;
    last_.warnings = outcome.warnings;
    for (auto warning : outcome.warnings) {
      warnings_.insert(std::string{toString(warning)});
    }
    if (step.kind == StepKind::Deploy && firstDeploy_.pending) {
      firstDeploy_.record(outcome);
    }
    auto record = stepRecord(step, outcome, s_.host.vm.name);
    if (!outcome.status && unfinished(store_) && recoverLater_) {
      log_.add("the rollback is incomplete: the journal keeps what remains for `hil recover`");
      leftForRecovery_ = LeftForRecovery{step.line, before, record};
      violated(step.line, flows::checkHost(host_.snapshot()));
      return false;
    }
    if (!outcome.status && unfinished(store_)) {
      // The rollback could not finish (a fault hit an undo step twice): an operator's next
      // command is `hil recover`, and the invariants are checked after it.
      log_.add("the rollback is incomplete: recovering from the journal, as `hil recover` would");
      deployer_.reset();
      if (auto recovered = runner_.recoverAfterCrash(host_, store_, log_); !recovered) {
        run_.failure(step.line, "not-recovered", recovered.error().describe());
      }
      newDeployer();
      record.ending = flows::StepRecord::Ending::RolledBack;
    }
    violated(step.line, flows::checkStep(original_, before, host_.snapshot(), record));
    return true;
  }

  /// After a simulated crash in `step`; false when the scenario cannot go on.
  bool resumeAfterCrash(const scenario::Step& step, const SimulatedCrash& crash,
                        const platform::HostState& before) {
    if (options_.onCrash) {
      options_.onCrash(crash);
    }
    // The process died mid-flow: no rollback ran. A new process recovers from the journal,
    // as `hil recover` would; the scenario goes on in that process.
    log_.add(fmt::format("crash at {} #{} ({} it took effect): the flow is gone; recovering "
                         "from the journal",
                         crash.op, crash.occurrence, crash.after ? "after" : "before"));
    deployer_.reset();
    auto recovered = runner_.recoverAfterCrash(host_, store_, log_);
    if (!recovered && unfinished(store_) && recoverLater_) {
      log_.add(fmt::format("recovery is incomplete ({}): the journal keeps what remains",
                           recovered.error().describe()));
      auto record = stepRecord(step, flows::FlowOutcome{}, s_.host.vm.name);
      record.ending = flows::StepRecord::Ending::RolledBack;
      leftForRecovery_ = LeftForRecovery{step.line, before, record};
      violated(step.line, flows::checkHost(host_.snapshot()));
      return false;
    }
    if (!recovered) {
      run_.failure(step.line, "not-recovered", recovered.error().describe());
      return false;
    }
    const auto after = host_.snapshot();
    auto record = *recovered ? stepRecord(step, flows::FlowOutcome{}, s_.host.vm.name)
                             : inferredRecord(step, before, after, s_.host.vm.name);
    if (*recovered) {
      record.ending = flows::StepRecord::Ending::RolledBack;
    }
    violated(step.line, flows::checkStep(original_, before, after, record));
    if (!expectations_) {
      return false; // a sweep's plan: the faulted step was the point
    }
    // The next process goes on with the scenario on the recovered host; the <expect> after
    // this step checks the crash and that host.
    last_.crash = fmt::format("{} #{} ({} it took effect)", crash.op, crash.occurrence,
                              crash.after ? "after" : "before");
    newDeployer();
    return true;
  }

  void finalTeardown() {
    disableFaults(host_);
    if (unfinished(store_)) {
      log_.add("-- an unfinished journal remains: recovering first (the faults are spent)");
      if (auto recovered = runner_.recoverAfterCrash(host_, store_, log_); !recovered) {
        run_.failure(leftForRecovery_ ? leftForRecovery_->line : s_.line, "not-recovered",
                     recovered.error().describe());
      } else if (leftForRecovery_) {
        // `hil recover` must bring the host back to where it was before the failed step.
        violated(leftForRecovery_->line,
                 flows::checkStep(original_, leftForRecovery_->before, host_.snapshot(),
                                  leftForRecovery_->record));
      }
    }
    log_.add("-- final teardown (no faults): the host must be clean");
    newDeployer();
    const auto outcome = deployer_->teardown(s_.host.vm.name);
    if (!outcome.status) {
      run_.failure(s_.line, "not-clean",
                   fmt::format("the final teardown failed: {}", outcome.status.error().describe()));
    }
    violated(s_.line, flows::checkClean(original_, host_.snapshot()));
  }

  const Runner& runner_;
  const scenario::Scenario& s_;
  const ScenarioOptions& options_;
  const data::RulesProfile& rules_;
  CaseResult& result_;
  Backend& host_;
  Log log_;
  flows::MemoryFlowStore memoryStore_;
  flows::FlowStore& store_;
  // Injected faults void the scenario's expectations; the invariants still hold.
  const bool expectations_;
  // Under injected faults (a sweep's plan) a rollback or recovery the plan kept failing leaves
  // its journal; the scenario stops there and a fault-free recovery must finish it.
  const bool recoverLater_ = !expectations_ && options_.finalTeardown;
  struct LeftForRecovery {
    int line;
    platform::HostState before; // the host before the step whose undo is unfinished
    flows::StepRecord record;
  };
  std::optional<LeftForRecovery> leftForRecovery_;
  ScenarioRun run_;
  std::unique_ptr<flows::Configurator> deployer_;
  platform::HostState original_{};
  Last last_{};
  FirstDeploy firstDeploy_{};
  std::set<std::string> warnings_;
};

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
  result.properties = {
      {"backend", backends_.name()},
      {"rig", backends_.name() == "sim" ? "simulator" : backends_.name()},
      {"gpu", gpuList(s)},
      {"windows-build", fmt::format("{} {}", toString(s.host.edition), s.host.build.toString())},
      {"rig-class", backends_.rigClass()},
      {"rules", rules->name()},
      {"scenario-seed", std::to_string(seed)}};
  if (!options.extraFaults.empty()) {
    result.properties["faults"] = faultPlan(options.extraFaults);
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
  Steps steps{*this, s, options, *rules, result, **backend};
  steps.runAll();
  steps.finish();
  result.seconds = std::chrono::duration<double>(wall_.now() - started).count();
  return result;
}

Result<bool> Runner::recoverAfterCrash(Backend& host, flows::FlowStore& store, Log& log) const {
  // Recovery may itself be cut short by another planned crash: each try is a new process.
  for (int attempt = 0; attempt < 8; ++attempt) {
    try {
      auto platform = host.platform();
      auto recovery = flows::recover(platform, store, log);
      checkpoint(host);
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

Result<RunReport> Runner::run(const std::vector<SuiteInput>& suites, const RunOptions& options,
                              const Progress& progress) const {
  // One journal store is the journal of one host, as a rig or a state folder is one host.
  const int most = options.store != nullptr ? 1 : backends_.maxJobs();
  if (most > 0 && (options.jobs > most || options.repeat > 1)) {
    return fail(ErrorCode::InvalidRequest,
                fmt::format("the {} backend runs {} scenario(s) at a time on its one host: no "
                            "--jobs {} or --repeat {}",
                            backends_.name(), most, options.jobs, options.repeat));
  }
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
  auto results = parallelMap(
      jobs.size(), options.jobs,
      [&](std::size_t i) {
        const auto& job = jobs[i];
        const auto& suite = suites[job.suite].suite;
        const auto seed = scenarioSeed(options.seed, suite, job.scenario->name);
        const ScenarioOptions scenarioOptions{options.faults, options.finalTeardown, options.store,
                                              nullptr, options.onCrash};
        auto result = runScenario(*job.scenario, suite, seed, scenarioOptions);
        for (int r = 1; r < options.repeat; ++r) {
          auto again = runScenario(*job.scenario, suite, seed, scenarioOptions);
          if (again.status != result.status || again.log != result.log ||
              again.failureDetail != result.failureDetail) {
            result.status = CaseStatus::Failed;
            result.failureType = "nondeterminism";
            result.failureMessage = fmt::format("{}:{}: run {} of the same seed differs from run 1",
                                                job.scenario->file, job.scenario->line, r + 1);
            result.failureDetail += result.failureMessage + "\n";
            break;
          }
        }
        return result;
      },
      [&](const CaseResult& result, int done) {
        if (progress) {
          progress(result, done, static_cast<int>(jobs.size()));
        }
      });
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
