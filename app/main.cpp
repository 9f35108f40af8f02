// hil: runs gpu-hil scenarios. Exit status: 0 all passed, 1 a test failed, 2 bad usage or input.
#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <sstream>

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "app/standin_command.h"
#include "framework/core/xml.h"
#include "framework/data/catalog.h"
#include "framework/data/rules.h"
#include "framework/flows/recovery.h"
#include "framework/platform/operations.h"
#include "framework/runner/runner.h"
#include "framework/runner/state_dir.h"
#include "framework/runner/sweep.h"
#include "real_hw/process.h"
#include "real_hw/real_backend.h"
#include "real_hw/rig.h"
#include "real_hw/shell_session.h"
#include "reports/certify.h"
#include "reports/html_report.h"
#include "reports/junit_merge.h"
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
  std::string shard;       // "I/N"; empty: GTEST_SHARD_INDEX/GTEST_TOTAL_SHARDS, else no sharding
  std::string rig;         // --backend real
  std::string record;      // --backend real: write transcripts here
  std::string transcripts; // --backend replay
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

/// Which part of the selected scenarios this run takes (all of them: 0 of 1).
struct Shard {
  int index{0};
  int count{1};
};

std::optional<int> parseWholeNumber(std::string_view text) {
  int value = 0;
  const auto* end = text.data() + text.size();
  const auto [stop, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || stop != end || value < 0) {
    return std::nullopt;
  }
  return value;
}

std::optional<Shard> makeShard(std::string_view index, std::string_view count) {
  const auto i = parseWholeNumber(index);
  const auto n = parseWholeNumber(count);
  if (!i || !n || *n < 1 || *i >= *n) {
    return std::nullopt;
  }
  return Shard{*i, *n};
}

/// --shard I/N; else GoogleTest's variables, as CI systems that shard GoogleTest set them.
Shard shardOf(const std::string& flag) {
  if (!flag.empty()) {
    const auto slash = flag.find('/');
    const auto shard = slash == std::string::npos
                           ? std::nullopt
                           : makeShard(std::string_view{flag}.substr(0, slash),
                                       std::string_view{flag}.substr(slash + 1));
    if (!shard) {
      throw BadInput{fmt::format("--shard {}: expected I/N with 0 <= I < N, e.g. 0/4", flag)};
    }
    return *shard;
  }
  const char* index = std::getenv("GTEST_SHARD_INDEX");
  const char* total = std::getenv("GTEST_TOTAL_SHARDS");
  if (index == nullptr && total == nullptr) {
    return {};
  }
  if (index == nullptr || total == nullptr) {
    throw BadInput{fmt::format("GTEST_SHARD_INDEX is {} but GTEST_TOTAL_SHARDS is {}: set both "
                               "(or neither), or use --shard I/N",
                               index == nullptr ? "unset" : "set",
                               total == nullptr ? "unset" : "set")};
  }
  const auto shard = makeShard(index, total);
  if (!shard) {
    throw BadInput{fmt::format("GTEST_SHARD_INDEX={} GTEST_TOTAL_SHARDS={}: expected whole numbers "
                               "with 0 <= index < total",
                               index, total)};
  }
  return *shard;
}

/// Tells a GoogleTest-style test runner that sharding is understood, as GoogleTest does.
void touchShardStatusFile() {
  const char* path = std::getenv("GTEST_SHARD_STATUS_FILE");
  if (path == nullptr || *path == '\0') {
    return;
  }
  std::ofstream touch(path, std::ios::binary | std::ios::app);
  if (!touch) {
    throw BadInput{fmt::format("GTEST_SHARD_STATUS_FILE={}: cannot create the file", path)};
  }
}

int selectedScenarios(const std::vector<runner::SuiteInput>& suites,
                      const std::vector<std::string>& filters) {
  int selected = 0;
  for (const auto& suite : suites) {
    for (const auto& s : suite.file.scenarios) {
      selected += runner::matchesFilter(s, filters) ? 1 : 0;
    }
  }
  return selected;
}

/// A marker nobody can guess for a shell session's frames (the one place true randomness is
/// read: it never reaches a report).
std::string sessionMarker() {
  std::random_device device;
  return fmt::format("__hil_{:08x}{:08x}", device(), device());
}

int runCommand(const RunArgs& args) {
  if (args.backend != "sim" && !args.state.empty()) {
    throw BadInput{"--state belongs to the sim backend: a real host keeps its own state"};
  }
  if (args.backend == "replay" && !args.faults.empty()) {
    throw BadInput{"--fault belongs to the sim backend and stand-in rigs: a replay answers as "
                   "the recording did"};
  }
  if (args.backend == "replay" && args.transcripts.empty()) {
    throw BadInput{"--backend replay needs --transcripts DIR"};
  }
  if (args.backend == "real" && args.rig.empty()) {
    throw BadInput{"--backend real needs --rig FILE (how to reach the host and what it has)"};
  }
  if (args.backend != "real" && !args.record.empty()) {
    throw BadInput{"--record DIR records what a real rig answers: use it with --backend real"};
  }
  if (args.backend != "replay" && !args.transcripts.empty()) {
    throw BadInput{"--transcripts DIR goes with --backend replay"};
  }
  if (args.backend == "real" && (args.jobs != 1 || args.repeat != 1)) {
    throw BadInput{"--backend real: one host, one session: scenarios run one at a time (no "
                   "--jobs or --repeat)"};
  }
  const auto catalog = loadCatalog(args.catalog);
  const auto rules = loadRules(args.rules);
  const auto builtins = builtinProfiles();
  const auto faults = parseFaults(args.faults);
  touchShardStatusFile();
  const auto shard = shardOf(args.shard);
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
  SteadyClock clock;
  ManualClock replayClock; // replayed runs log without times, so they compare byte for byte
  std::optional<real_hw::ReplayBackendFactory> replayBackends;
  std::optional<real_hw::RealBackendFactory> realBackends;
  if (args.backend == "replay") {
    replayBackends.emplace(args.transcripts, replayClock);
  } else if (args.backend == "real") {
    auto text = runner::readFileIfExists(args.rig);
    if (!text || !*text) {
      throw BadInput{fmt::format("--rig {}: cannot read the file", args.rig)};
    }
    auto rig = real_hw::parseRig(std::move(**text), args.rig, catalog);
    if (!rig) {
      throw BadInput{toString(rig.error())};
    }
    if (!rig->standin && !args.faults.empty()) {
      throw BadInput{fmt::format("--fault: rig {} is a real host, which fails by itself; faults "
                                 "are injected on the simulator and on stand-in rigs",
                                 args.rig)};
    }
    auto shell = real_hw::openPersistentShell(rig->shell, real_hw::ShellDialect::PowerShell,
                                              sessionMarker());
    realBackends.emplace(std::move(*rig), std::move(shell), clock, args.record);
    if (data::RulesProfile::builtin(args.rules)) {
      realBackends->setStandInRules(args.rules);
    }
  }
  const runner::BackendFactory& backends =
      replayBackends  ? static_cast<const runner::BackendFactory&>(*replayBackends)
      : realBackends  ? static_cast<const runner::BackendFactory&>(*realBackends)
      : stateBackends ? static_cast<const runner::BackendFactory&>(*stateBackends)
                      : simBackends;
  runner::Runner runner{backends, catalog, rules, builtins, clock};
  options.jobs = args.jobs;
  options.seed = args.seed;
  options.filters = args.filters;
  options.repeat = args.repeat;
  options.faults = faults;
  options.finalTeardown = !faults.empty();
  options.shardIndex = shard.index;
  options.shardCount = shard.count;
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
    auto& counts =
        byGroup[slash == std::string::npos ? std::string{"."} : suite.name.substr(0, slash)];
    for (const auto& c : suite.cases) {
      ++counts[static_cast<std::size_t>(c.status)];
    }
  }
  if (byGroup.size() > 1) {
    for (const auto& [group, counts] : byGroup) {
      fmt::print("  {:<12} {:>4} passed {:>4} failed {:>4} skipped\n", group, counts[0], counts[1],
                 counts[2]);
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
  bool emptyShard = false;
  if (shard.count > 1) {
    const int selected = selectedScenarios(suites, args.filters);
    fmt::print("shard {}/{}: {} of the {} selected scenarios\n", shard.index, shard.count,
               report.total(), selected);
    if (report.total() == 0 && selected > 0) {
      fmt::print("shard {}/{} is empty: no selected scenario falls in it; nothing to run\n",
                 shard.index, shard.count);
      emptyShard = true;
    }
  }
  // The closing line CI log readers look for.
  fmt::print("run: {} passed, {} failed, {} skipped\n", passed, failed, skipped);
  if (emptyShard) {
    return 0;
  }
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
             result.report.seconds > 0
                 ? (result.scenarios + result.faultRuns) / result.report.seconds
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
    throw BadInput{
        fmt::format("--state {}: {}; nothing was changed", state, flowState.error().describe())};
  }
  auto host = simulators::StateDirSimFactory::loadHost(state, catalog, 1);
  if (!host) {
    throw BadInput{
        fmt::format("--state {}: {}; nothing was changed", state, host.error().describe())};
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

struct MergeArgs {
  std::string out;
  std::vector<std::string> inputs;
};

int mergeCommand(const MergeArgs& args) {
  std::vector<reports::JunitInput> inputs;
  for (const auto& path : args.inputs) {
    inputs.push_back({path, readFile(path)});
  }
  auto merged = reports::mergeJunit(inputs);
  if (!merged) {
    throw BadInput{toString(merged.error()) + fmt::format("{} problem(s); {} was not written",
                                                          merged.error().size(), args.out)};
  }
  if (auto written = runner::writeFileDurably(args.out, reports::toJunitXml(*merged)); !written) {
    throw BadInput{written.error().message};
  }
  fmt::print("merged {} file(s) into {}: {} suites, {} passed, {} failed, {} skipped\n",
             inputs.size(), args.out, merged->suites.size(),
             merged->count(runner::CaseStatus::Passed), merged->count(runner::CaseStatus::Failed),
             merged->count(runner::CaseStatus::Skipped));
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

struct CertifyArgs {
  std::string policy;
  std::string html;
  std::string out;
  std::vector<std::string> scenarios;
  std::string now;
  std::vector<std::string> junit;
};

/// The library a policy's tags refer to: --scenarios, else the folder above scenarios/policies/.
std::vector<reports::ScenarioInfo> scenarioLibrary(const CertifyArgs& args,
                                                   const reports::Policy& policy) {
  auto paths = args.scenarios;
  if (paths.empty()) {
    const auto folder = std::filesystem::absolute(args.policy).parent_path();
    if (folder.filename() == "policies") {
      paths.push_back(std::filesystem::relative(folder.parent_path()).string());
    } else if (policy.usesTags()) {
      throw BadInput{fmt::format("{}: the policy selects scenarios by tag; give --scenarios PATH "
                                 "(the scenario library whose tags it means)",
                                 args.policy)};
    } else {
      return {};
    }
  }
  std::vector<reports::ScenarioInfo> library;
  for (const auto& suite : loadOrThrow(paths, data::GpuCatalog::builtin())) {
    for (const auto& s : suite.file.scenarios) {
      library.push_back({s.name, s.tags, s.description, s.file, s.line});
    }
  }
  return library;
}

int certifyCommand(const CertifyArgs& args) {
  auto policy = reports::parsePolicy(readFile(args.policy), args.policy);
  if (!policy) {
    throw BadInput{toString(policy.error()) + "the policy is not valid; nothing was certified"};
  }
  std::vector<reports::CertifyInput> inputs;
  Diagnostics problems;
  for (const auto& path : args.junit) {
    auto input = reports::readCertifyInput(readFile(path), path);
    if (!input) {
      problems.insert(problems.end(), input.error().begin(), input.error().end());
    } else {
      inputs.push_back(std::move(*input));
    }
  }
  if (!problems.empty()) {
    throw BadInput{toString(problems) + "malformed JUnit input; nothing was certified"};
  }
  const auto library = scenarioLibrary(args, *policy);
  auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  if (!args.now.empty()) {
    const auto given = reports::parseTimestamp(args.now);
    if (!given) {
      throw BadInput{fmt::format("--now {}: expected YYYY-MM-DDTHH:MM:SS (UTC)", args.now)};
    }
    now = *given;
  }
  const auto certification = reports::certify(*policy, inputs, library, now);
  fmt::print("{}", reports::summaryText(certification));
  auto write = [](const std::string& path, const std::string& text, std::string_view what) {
    if (path.empty()) {
      return;
    }
    if (auto written = runner::writeFileDurably(path, text); !written) {
      throw BadInput{fmt::format("{}: {}", path, written.error().describe())};
    }
    fmt::print("{} written to {}\n", what, path);
  };
  write(args.html, reports::htmlReport(certification), "HTML report");
  write(args.out, reports::certificateXml(certification), "Certificate");
  return certification.certified ? 0 : kExitFailed;
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
  run->add_option("--backend", runArgs.backend,
                  "sim (simulated hosts, default), real (a rig: --rig), replay (--transcripts)")
      ->check(CLI::IsMember({"sim", "replay", "real"}));
  run->add_option("--rig", runArgs.rig,
                  "Rig file for --backend real: how to reach the host and what it has");
  run->add_option("--record", runArgs.record,
                  "With --backend real: write each scenario's transcript to DIR/<scenario>.xml");
  run->add_option("--transcripts", runArgs.transcripts,
                  "With --backend replay: serve the answers recorded in DIR/<scenario>.xml");
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
  run->add_option("--shard", runArgs.shard,
                  "Run only shard I of N (0 <= I < N) of the selected scenarios, a stable "
                  "partition by suite and name; default: GTEST_SHARD_INDEX/GTEST_TOTAL_SHARDS "
                  "when set")
      ->type_name("I/N");
  run->add_option("PATH", runArgs.paths, "Scenario files or folders")->required();

  MergeArgs mergeArgs;
  auto* merge = app.add_subcommand(
      "merge", "Merge JUnit XML files (shards, rigs, days) into one; suites stay apart by backend "
               "and rig");
  merge
      ->add_option("-o,--out", mergeArgs.out,
                   "Write the merged JUnit XML to FILE (nothing is written when any input is "
                   "malformed)")
      ->required()
      ->type_name("FILE");
  merge->add_option("IN", mergeArgs.inputs, "JUnit XML files to merge, in this order")
      ->required()
      ->type_name("FILE");

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
  sweep
      ->add_option("--random", sweepArgs.random,
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

  CertifyArgs certifyArgs;
  auto* certify = app.add_subcommand(
      "certify", "Judge JUnit results against a release policy: verdict with every reason "
                 "(exit 0 certified, 1 not certified, 2 bad input)");
  certify
      ->add_option("--policy", certifyArgs.policy,
                   "Policy file, e.g. scenarios/policies/release.xml")
      ->required();
  certify->add_option("--html", certifyArgs.html, "Write the self-contained HTML report to FILE");
  certify->add_option("--out", certifyArgs.out, "Write the XML certificate to FILE");
  certify->add_option("--scenarios", certifyArgs.scenarios,
                      "Scenario library for the policy's tags (default: the folder holding "
                      "policies/, when the policy is there) (repeatable)");
  certify->add_option("--now", certifyArgs.now,
                      "Judge the age of results as of YYYY-MM-DDTHH:MM:SS UTC (default: now)");
  certify->add_option("JUNIT", certifyArgs.junit, "JUnit XML files (runs, shards, rigs)")
      ->required();

  std::string recoverBackend = "sim";
  std::string recoverState;
  auto* recover = app.add_subcommand(
      "recover", "Roll back a flow a crash interrupted, from the journal in a state folder");
  recover->add_option("--backend", recoverBackend, "sim")->check(CLI::IsMember({"sim"}));
  recover->add_option("--state", recoverState, "The state folder of `hil run --state`")->required();

  const app::StandInCommand standin{app};

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
    if (merge->parsed()) {
      return mergeCommand(mergeArgs);
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
    if (certify->parsed()) {
      return certifyCommand(certifyArgs);
    }
    if (recover->parsed()) {
      return recoverCommand(recoverBackend, recoverState);
    }
    if (standin.parsed()) {
      return standin.run();
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
