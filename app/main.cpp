// hil: runs gpu-hil scenarios. Exit status: 0 all passed, 1 a test failed, 2 bad usage or input.
#include <array>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "framework/data/catalog.h"
#include "framework/data/rules.h"
#include "framework/platform/operations.h"
#include "framework/core/xml.h"
#include "framework/flows/recovery.h"
#include "framework/runner/runner.h"
#include "framework/runner/state_dir.h"
#include "framework/runner/sweep.h"
#include "real_hw/process.h"
#include "reports/junit_writer.h"
#include "reports/smoke_suite.h"
#include "simulators/sim_backend.h"
#include "simulators/sim_state_dir.h"
#include "simulators/support_matrix.h"

namespace {

using namespace hil;

constexpr int kExitFailed = 1;
constexpr int kExitBadInput = 2;

/// "YYYY-MM-DDTHH:MM:SS" in UTC, for JUnit timestamps (the one place wall-clock dates are read).
std::string utcTimestamp() {
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", utc.tm_year + 1900, utc.tm_mon + 1,
                     utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
}

class SteadyClock : public Clock {
public:
  std::chrono::nanoseconds now() const override {
    return std::chrono::steady_clock::now().time_since_epoch();
  }
};

struct BadInput {
  std::string message;
};

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw BadInput{fmt::format("{}: cannot open the file", path)};
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

data::GpuCatalog loadCatalog(const std::string& path) {
  if (path.empty()) {
    return data::GpuCatalog::builtin();
  }
  auto parsed = data::GpuCatalog::parse(readFile(path), path);
  if (!parsed) {
    throw BadInput{toString(parsed.error())};
  }
  return std::move(*parsed);
}

data::RulesProfile loadRules(const std::string& nameOrFile) {
  if (auto builtin = data::RulesProfile::builtin(nameOrFile)) {
    return std::move(*builtin);
  }
  if (nameOrFile.find('/') == std::string::npos && nameOrFile.find(".xml") == std::string::npos) {
    std::string names;
    for (auto n : data::RulesProfile::builtinNames()) {
      names += names.empty() ? "" : ", ";
      names += n;
    }
    throw BadInput{fmt::format("--rules {}: no such built-in profile ({}) and not a file path",
                               nameOrFile, names)};
  }
  auto parsed = data::RulesProfile::parse(readFile(nameOrFile), nameOrFile);
  if (!parsed) {
    throw BadInput{toString(parsed.error())};
  }
  return std::move(*parsed);
}

std::vector<runner::SuiteInput> loadOrThrow(const std::vector<std::string>& paths,
                                            const data::GpuCatalog& catalog) {
  auto loaded = runner::loadScenarios(paths, catalog);
  if (!loaded) {
    throw BadInput{toString(loaded.error()) +
                   fmt::format("{} problem(s); nothing was run", loaded.error().size())};
  }
  return std::move(*loaded);
}

struct RunArgs {
  std::string backend = "sim";
  std::string junit;
  std::vector<std::string> filters;
  int jobs = 1;
  std::uint64_t seed = 1;
  std::string rules{data::RulesProfile::kDefault};
  std::string catalog;
  int repeat = 1;
  bool verbose = false;
  std::string state;
  std::vector<std::string> faults;
  std::vector<std::string> paths;
};

/// The exit status of a run stopped by a simulated crash (as a power loss would stop it).
constexpr int kExitCrashed = 3;

std::vector<scenario::FaultSpec> parseFaults(const std::vector<std::string>& texts) {
  std::vector<scenario::FaultSpec> faults;
  for (const auto& text : texts) {
    auto fault = scenario::parseFaultSpec(text);
    if (!fault) {
      throw BadInput{fmt::format("--fault {}: expected OPERATION:OCCURRENCE:KIND, e.g. "
                                 "hyperv.dismount-host-device:1:crash-after (kinds: error, hang, "
                                 "crash-before, crash-after; `hil ops` lists operations)",
                                 text)};
    }
    faults.push_back(*fault);
  }
  return faults;
}

std::map<std::string, data::RulesProfile> builtinProfiles() {
  std::map<std::string, data::RulesProfile> builtins;
  for (auto name : data::RulesProfile::builtinNames()) {
    builtins.emplace(std::string{name}, *data::RulesProfile::builtin(name));
  }
  return builtins;
}

/// Watches a run on a terminal; stays quiet in CI logs.
runner::Runner::Progress terminalProgress() {
  if (isatty(STDERR_FILENO) == 0) {
    return {};
  }
  return [](const runner::CaseResult& c, int done, int total) {
    fmt::print(stderr, "\r\033[K[{}/{}] {}", done, total, c.name);
    std::fflush(stderr);
  };
}

void endProgress() {
  if (isatty(STDERR_FILENO) != 0) {
    fmt::print(stderr, "\r\033[K");
  }
}

void writeJunit(const std::string& path, const runner::RunReport& report) {
  if (path.empty()) {
    return;
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << reports::toJunitXml(report);
  if (!out) {
    throw BadInput{fmt::format("--junit {}: cannot write the file", path)};
  }
}

void printCase(const runner::CaseResult& c, bool withLog) {
  const char* word = c.status == runner::CaseStatus::Passed   ? "PASS"
                     : c.status == runner::CaseStatus::Failed ? "FAIL"
                                                              : "SKIP";
  fmt::print("{} {} ({})\n", word, c.name, c.suite);
  if (c.status == runner::CaseStatus::Failed) {
    std::istringstream detail(c.failureDetail);
    for (std::string line; std::getline(detail, line);) {
      fmt::print("  {}\n", line);
    }
  }
  if (withLog || c.status == runner::CaseStatus::Failed) {
    fmt::print("  log:\n");
    for (const auto& line : c.log) {
      fmt::print("    {}\n", line);
    }
  }
}

int runCommand(const RunArgs& args) {
  if (args.backend != "sim") {
    throw BadInput{fmt::format("--backend {}: this build has the sim backend only", args.backend)};
  }
  const auto catalog = loadCatalog(args.catalog);
  const auto rules = loadRules(args.rules);
  const auto builtins = builtinProfiles();
  const auto faults = parseFaults(args.faults);
  const auto suites = loadOrThrow(args.paths, catalog);
  simulators::SimBackendFactory simBackends{catalog};
  std::optional<runner::FileFlowStore> stateStore;
  std::optional<simulators::StateDirSimFactory> stateBackends;
  runner::RunOptions options;
  if (!args.state.empty()) {
    if (args.jobs != 1 || args.repeat != 1) {
      throw BadInput{"--state DIR: one host lives there, so scenarios run one at a time "
                     "(no --jobs or --repeat)"};
    }
    stateStore.emplace(args.state);
    auto flowState = stateStore->load();
    if (!flowState) {
      throw BadInput{fmt::format("--state {}: {}", args.state, flowState.error().describe())};
    }
    if (flowState->journal && !flowState->journal->undo.empty()) {
      throw BadInput{fmt::format("--state {}: an unfinished {} on VM {} was interrupted; run "
                                 "`hil recover --backend sim --state {}` first",
                                 args.state, flowState->journal->flow, flowState->journal->vm,
                                 args.state)};
    }
    if (auto host = simulators::StateDirSimFactory::loadHost(args.state, catalog, 1); !host) {
      throw BadInput{fmt::format("--state {}: {}", args.state, host.error().describe())};
    }
    const auto dir = args.state;
    stateBackends.emplace(catalog, args.state, [dir](const SimulatedCrash& crash) {
      std::fflush(stdout);
      fmt::print(stderr,
                 "hil: simulated crash at {} #{} ({} it took effect): the process stops here.\n"
                 "Recover with: hil recover --backend sim --state {}\n",
                 crash.op, crash.occurrence, crash.after ? "after" : "before", dir);
      std::fflush(stderr);
      std::_Exit(kExitCrashed); // no destructors, no rollback: a power loss
    });
    options.store = &*stateStore;
  }
  const runner::BackendFactory& backends =
      stateBackends ? static_cast<const runner::BackendFactory&>(*stateBackends) : simBackends;
  SteadyClock clock;
  runner::Runner runner{backends, catalog, rules, builtins, clock};
  options.jobs = args.jobs;
  options.seed = args.seed;
  options.filters = args.filters;
  options.repeat = args.repeat;
  options.faults = faults;
  options.finalTeardown = !faults.empty();
  const auto timestamp = utcTimestamp();
  auto report = runner.run(suites, options, terminalProgress());
  report.timestamp = timestamp;
  endProgress();
  for (const auto& suite : report.suites) {
    for (const auto& c : suite.cases) {
      if (args.verbose || c.status != runner::CaseStatus::Passed) {
        printCase(c, args.verbose);
      }
    }
  }
  writeJunit(args.junit, report);
  // Per top-level folder of the suites: what a reader scans first.
  std::map<std::string, std::array<int, 3>> byGroup;
  for (const auto& suite : report.suites) {
    const auto slash = suite.name.find('/');
    auto& counts = byGroup[slash == std::string::npos ? std::string{"."} : suite.name.substr(0, slash)];
    for (const auto& c : suite.cases) {
      ++counts[static_cast<std::size_t>(c.status)];
    }
  }
  if (byGroup.size() > 1) {
    for (const auto& [group, counts] : byGroup) {
      fmt::print("  {:<12} {:>4} passed {:>4} failed {:>4} skipped\n", group, counts[0],
                 counts[1], counts[2]);
    }
  }
  const int passed = report.count(runner::CaseStatus::Passed);
  const int failed = report.count(runner::CaseStatus::Failed);
  const int skipped = report.count(runner::CaseStatus::Skipped);
  const int runs = report.total() * args.repeat;
  fmt::print("{} scenarios from {} files on the {} backend ({} rules, seed {}), {} job(s): "
             "{:.3f} s, {:.0f} scenario runs/s\n",
             report.total(), report.suites.size(), backends.name(), rules.name(), args.seed,
             args.jobs, report.seconds, report.seconds > 0 ? runs / report.seconds : 0.0);
  if (!args.junit.empty()) {
    fmt::print("JUnit XML written to {}\n", args.junit);
  }
  fmt::print("run: {} passed, {} failed, {} skipped\n", passed, failed, skipped);
  if (report.total() == 0) {
    fmt::print(stderr, "hil: no scenario matched\n");
    return kExitFailed;
  }
  return failed == 0 ? 0 : kExitFailed;
}

struct SweepArgs {
  std::string junit;
  std::vector<std::string> filters;
  int jobs = 1;
  std::uint64_t seed = 1;
  int random = 0;
  std::string rules{data::RulesProfile::kDefault};
  std::string catalog;
  std::vector<std::string> paths;
};

std::string shellQuote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    quoted += c == '\'' ? std::string{"'\\''"} : std::string(1, c);
  }
  return quoted + "'";
}

int sweepCommand(const SweepArgs& args) {
  const auto catalog = loadCatalog(args.catalog);
  const auto rules = loadRules(args.rules);
  const auto builtins = builtinProfiles();
  const auto suites = loadOrThrow(args.paths, catalog);
  simulators::SimBackendFactory backends{catalog};
  SteadyClock clock;
  runner::Runner runner{backends, catalog, rules, builtins, clock};
  runner::SweepOptions options;
  options.jobs = args.jobs;
  options.seed = args.seed;
  options.filters = args.filters;
  options.randomPlans = args.random;
  const auto started = clock.now();
  const auto timestamp = utcTimestamp();
  auto result = runner::sweep(runner, suites, options, terminalProgress());
  result.report.timestamp = timestamp;
  endProgress();
  result.report.seconds = std::chrono::duration<double>(clock.now() - started).count();
  for (const auto& suite : result.report.suites) {
    for (const auto& c : suite.cases) {
      if (c.status != runner::CaseStatus::Failed) {
        continue;
      }
      printCase(c, false);
      const auto faults = c.properties.find("faults");
      std::string command = "hil run";
      if (args.rules != data::RulesProfile::kDefault) {
        command += " --rules " + shellQuote(args.rules);
      }
      if (faults != c.properties.end()) {
        for (const auto& fault : xml::words(faults->second)) {
          command += " --fault " + fault;
        }
      }
      const auto space = c.name.find(' ');
      command += " --filter " + shellQuote(c.name.substr(0, space)) + " " + shellQuote(c.file);
      fmt::print("  reproduce: {}\n", command);
    }
  }
  writeJunit(args.junit, result.report);
  fmt::print("{} scenario runs in {:.3f} s on {} job(s): {:.0f} runs/s\n",
             result.scenarios + result.faultRuns, result.report.seconds, args.jobs,
             result.report.seconds > 0 ? (result.scenarios + result.faultRuns) /
                                             result.report.seconds
                                       : 0.0);
  if (result.cleanFailures > 0) {
    fmt::print("{} clean run(s) failed\n", result.cleanFailures);
  }
  if (!args.junit.empty()) {
    fmt::print("JUnit XML written to {}\n", args.junit);
  }
  fmt::print("sweep: {} scenarios, {} fault runs, {} invariant violations\n", result.scenarios,
             result.faultRuns, result.violations);
  return result.violations == 0 && result.cleanFailures == 0 ? 0 : kExitFailed;
}

int recoverCommand(const std::string& backend, const std::string& state) {
  if (backend != "sim") {
    throw BadInput{fmt::format("--backend {}: this build has the sim backend only", backend)};
  }
  const auto& catalog = data::GpuCatalog::builtin();
  runner::FileFlowStore store{state};
  auto flowState = store.load();
  if (!flowState) {
    throw BadInput{fmt::format("--state {}: {}; nothing was changed", state,
                               flowState.error().describe())};
  }
  auto host = simulators::StateDirSimFactory::loadHost(state, catalog, 1);
  if (!host) {
    throw BadInput{fmt::format("--state {}: {}; nothing was changed", state,
                               host.error().describe())};
  }
  const bool unfinished = flowState->journal && !flowState->journal->undo.empty();
  if (!*host) {
    if (unfinished) {
      throw BadInput{fmt::format("--state {}: a journal but no simulated host ({}); nothing "
                                 "was changed",
                                 state, simulators::StateDirSimFactory::hostFile(state))};
    }
    fmt::print("nothing to recover: {} holds no simulated host and no unfinished flow\n", state);
    return 0;
  }
  if (!unfinished) {
    fmt::print("nothing to recover: no unfinished flow in {}\n", state);
    return 0;
  }
  const platform::VmName vm = flowState->journal->vm;
  simulators::SimBackend sim{std::move(*host), vm};
  Log log;
  sim.setLog(&log);
  auto platform = sim.platform();
  auto recovered = flows::recover(platform, store, log);
  for (const auto& line : log.lines()) {
    fmt::print("{}\n", line);
  }
  if (auto saved = simulators::StateDirSimFactory::saveHost(state, sim.host()); !saved) {
    fmt::print(stderr, "hil: could not keep the host: {}\n", saved.error().describe());
    return kExitFailed;
  }
  if (!recovered) {
    fmt::print(stderr, "hil: {}\n", recovered.error().describe());
    return kExitFailed;
  }
  fmt::print("recovered: the unfinished {} on VM {} is rolled back ({} step(s) undone)\n",
             recovered->flow, recovered->vm, recovered->undone.size());
  return 0;
}

struct SmokeArgs {
  std::string expect;
  std::string junit;
  std::string program;
  bool full = false;
  int timeout = 120;
};

/// cuda_smoke beside this hil (both land in the build folder, and in bin/ when installed).
std::string defaultSmokeProgram() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto beside = self.parent_path() / "cuda_smoke";
    if (std::filesystem::exists(beside, ec)) {
      return beside.string();
    }
  }
  return "cuda_smoke";
}

int smokeCommand(const SmokeArgs& args) {
  if (!args.expect.empty() && data::GpuCatalog::builtin().find(args.expect) == nullptr) {
    throw BadInput{fmt::format("--expect {}: not in the GPU catalog", args.expect)};
  }
  reports::SmokeRun run;
  run.program = args.program.empty() ? defaultSmokeProgram() : args.program;
  run.expect = args.expect;
  std::vector<std::string> argv = {run.program, args.full ? "--full" : "--quick"};
  if (!args.expect.empty()) {
    argv.insert(argv.end(), {"--expect", args.expect});
  }
  SteadyClock clock;
  const auto started = clock.now();
  real_hw::LiveProcessRunner processes;
  auto result = processes.run(argv, std::chrono::seconds(args.timeout));
  run.seconds = std::chrono::duration<double>(clock.now() - started).count();
  if (!result) {
    run.failure = result.error().code == ErrorCode::Timeout
                      ? result.error().message
                      : fmt::format("{} (is cuda_smoke built? it needs nvcc at configure time)",
                                    result.error().message);
  } else {
    run.exitCode = result->exitCode;
    run.out = std::move(result->out);
    run.err = std::move(result->err);
  }
  auto report = reports::smokeSuite(run);
  report.timestamp = utcTimestamp();
  writeJunit(args.junit, report);
  for (const auto& c : report.suites.front().cases) {
    if (c.status == runner::CaseStatus::Failed) {
      fmt::print("FAIL {}: {}\n", c.name, c.failureMessage);
    } else {
      fmt::print("PASS {}\n", c.log.empty() ? c.name : c.log.front());
    }
  }
  if (!args.junit.empty()) {
    fmt::print("JUnit XML written to {}\n", args.junit);
  }
  const int passed = report.count(runner::CaseStatus::Passed);
  const int failed = report.count(runner::CaseStatus::Failed);
  fmt::print("smoke: {} passed, {} failed\n", passed, failed);
  return failed == 0 && passed > 0 ? 0 : kExitFailed;
}

struct MatrixArgs {
  std::string rules{data::RulesProfile::kDefault};
  std::string markdown;
  std::string html;
};

int matrixCommand(const MatrixArgs& args) {
  const auto rules = loadRules(args.rules);
  const auto matrix = simulators::computeSupportMatrix(data::GpuCatalog::builtin(), rules);
  const auto markdown = simulators::toMarkdown(matrix);
  if (!args.markdown.empty()) {
    if (auto written = runner::writeFileDurably(args.markdown, markdown); !written) {
      throw BadInput{written.error().message};
    }
  }
  if (!args.html.empty()) {
    if (auto written = runner::writeFileDurably(args.html, simulators::toHtml(matrix)); !written) {
      throw BadInput{written.error().message};
    }
  }
  if (args.markdown.empty() && args.html.empty()) {
    fmt::print("{}", markdown);
  }
  return 0;
}

int listCommand(const std::vector<std::string>& paths) {
  const auto suites = loadOrThrow(paths, data::GpuCatalog::builtin());
  for (const auto& suite : suites) {
    for (const auto& s : suite.file.scenarios) {
      std::string tags;
      for (const auto& t : s.tags) {
        tags += tags.empty() ? "" : " ";
        tags += t;
      }
      fmt::print("{}  [{}]  {}:{}\n", s.name, tags, s.file, s.line);
    }
  }
  return 0;
}

int validateCommand(const std::vector<std::string>& paths) {
  const auto suites = loadOrThrow(paths, data::GpuCatalog::builtin());
  std::size_t scenarios = 0;
  for (const auto& suite : suites) {
    scenarios += suite.file.scenarios.size();
  }
  fmt::print("valid: {} file(s), {} scenario(s)\n", suites.size(), scenarios);
  return 0;
}

int opsCommand() {
  fmt::print("{:<44} {:<9} {}\n", "OPERATION", "KIND", "REAL OPERATION");
  for (const auto& op : platform::allOperations()) {
    fmt::print("{:<44} {:<9} {}\n", op.name, op.mutating ? "mutating" : "query", op.real);
  }
  fmt::print("\nFault kinds: error (operation-failed), hang (timeout), crash (the process stops "
             "there; when=\"before|after\" the operation took effect).\n"
             "<fault op=\"NAME\" kind=\"error|hang|crash\" occurrence=\"N\" when=\"before\"/> "
             "inside <host>, or hil run --fault NAME:N:KIND.\n");
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"gpu-hil: GPU passthrough configuration flows for EFLOW, on simulated or real "
               "hosts"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Help for every command");

  RunArgs runArgs;
  auto* run = app.add_subcommand("run", "Run scenario files or folders and report the results");
  run->add_option("--backend", runArgs.backend, "sim (simulated hosts)")
      ->check(CLI::IsMember({"sim", "replay", "real"}));
  run->add_option("--junit", runArgs.junit, "Write a JUnit XML report to FILE");
  run->add_option("--filter", runArgs.filters,
                  "Run only scenarios whose name or a tag matches GLOB (repeatable)");
  run->add_option("--jobs,-j", runArgs.jobs, "Run N scenarios at once")->check(CLI::Range(1, 256));
  run->add_option("--seed", runArgs.seed, "Seed for everything random in the run");
  run->add_option("--rules", runArgs.rules,
                  "Rules profile: eflow-2021-preview (default), eflow-current, or a file");
  run->add_option("--catalog", runArgs.catalog, "GPU catalog file (default: the built-in one)");
  run->add_option("--repeat", runArgs.repeat,
                  "Run each scenario N times and fail on any difference (determinism check)")
      ->check(CLI::Range(1, 1000000));
  run->add_flag("--verbose,-v", runArgs.verbose, "Print every scenario's log");
  run->add_option("--state", runArgs.state,
                  "Keep the simulated host and the flow journal in DIR across runs");
  run->add_option("--fault", runArgs.faults,
                  "Inject OP:OCCURRENCE:KIND (error, hang, crash-before, crash-after) into every "
                  "scenario; expectations then do not apply, the invariants do (repeatable)");
  run->add_option("PATH", runArgs.paths, "Scenario files or folders")->required();

  std::vector<std::string> listPaths;
  auto* list = app.add_subcommand("list", "List the scenarios in files or folders");
  list->add_option("PATH", listPaths, "Scenario files or folders")->required();

  std::vector<std::string> validatePaths;
  auto* validate = app.add_subcommand("validate", "Check scenario files without running them");
  validate->add_option("PATH", validatePaths, "Scenario files or folders")->required();

  auto* ops = app.add_subcommand("ops", "List the seam operations faults can target");

  SweepArgs sweepArgs;
  auto* sweep = app.add_subcommand(
      "sweep", "Inject every single fault at every operation each scenario reaches; check the "
               "invariants");
  sweep->add_option("--junit", sweepArgs.junit, "Write a JUnit XML report to FILE");
  sweep->add_option("--filter", sweepArgs.filters,
                    "Sweep only scenarios whose name or a tag matches GLOB (repeatable)");
  sweep->add_option("--jobs,-j", sweepArgs.jobs, "Run N fault runs at once")
      ->check(CLI::Range(1, 256));
  sweep->add_option("--random", sweepArgs.random,
                    "Also run N seeded random plans of several faults per scenario")
      ->check(CLI::Range(0, 1000000));
  sweep->add_option("--seed", sweepArgs.seed, "Seed for the random plans and the scenarios");
  sweep->add_option("--rules", sweepArgs.rules,
                    "Rules profile: eflow-2021-preview (default), eflow-current, or a file");
  sweep->add_option("--catalog", sweepArgs.catalog, "GPU catalog file");
  sweep->add_option("PATH", sweepArgs.paths, "Scenario files or folders")->required();

  SmokeArgs smokeArgs;
  auto* smoke = app.add_subcommand(
      "smoke", "Run the CUDA smoke suite on this Linux machine's GPU and report each check");
  smoke->add_option("--expect", smokeArgs.expect,
                    "Compare with a catalog model, e.g. tesla-t4 (hil's catalog ids)");
  smoke->add_option("--junit", smokeArgs.junit, "Write a JUnit XML report to FILE");
  smoke->add_option("--program", smokeArgs.program,
                    "The cuda_smoke program (default: the one beside hil, else PATH)");
  smoke->add_flag("--full", smokeArgs.full,
                  "Full sizes (more memory tested, longer copies); the default is --quick");
  smoke->add_option("--timeout", smokeArgs.timeout, "Seconds before the program is killed")
      ->check(CLI::Range(1, 3600));

  MatrixArgs matrixArgs;
  auto* matrix = app.add_subcommand(
      "matrix", "What the flows decide for every catalog GPU, edition and build boundary");
  matrix->add_option("--rules", matrixArgs.rules,
                     "Rules profile: eflow-2021-preview (default), eflow-current, or a file");
  matrix->add_option("--markdown", matrixArgs.markdown, "Write the table as Markdown to FILE");
  matrix->add_option("--html", matrixArgs.html, "Write the table as an HTML page to FILE");

  std::string recoverBackend = "sim";
  std::string recoverState;
  auto* recover = app.add_subcommand(
      "recover", "Roll back a flow a crash interrupted, from the journal in a state folder");
  recover->add_option("--backend", recoverBackend, "sim")->check(CLI::IsMember({"sim"}));
  recover->add_option("--state", recoverState, "The state folder of `hil run --state`")
      ->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitBadInput;
  }
  try {
    if (run->parsed()) {
      return runCommand(runArgs);
    }
    if (list->parsed()) {
      return listCommand(listPaths);
    }
    if (validate->parsed()) {
      return validateCommand(validatePaths);
    }
    if (ops->parsed()) {
      return opsCommand();
    }
    if (sweep->parsed()) {
      return sweepCommand(sweepArgs);
    }
    if (smoke->parsed()) {
      return smokeCommand(smokeArgs);
    }
    if (matrix->parsed()) {
      return matrixCommand(matrixArgs);
    }
    if (recover->parsed()) {
      return recoverCommand(recoverBackend, recoverState);
    }
  } catch (const BadInput& e) {
    fmt::print(stderr, "{}\n", e.message);
    return kExitBadInput;
  } catch (const std::exception& e) {
    fmt::print(stderr, "hil: {}\n", e.what());
    return kExitBadInput;
  }
  return kExitBadInput;
}
