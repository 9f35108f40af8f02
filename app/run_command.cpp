// `hil run`: scenario files or folders on the simulator, a rig, or a recording.
#include <array>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "app/command.h"
#include "app/common.h"
#include "real_hw/real_backend.h"
#include "real_hw/rig.h"
#include "real_hw/shell_session.h"
#include "simulators/sim_backend.h"
#include "simulators/sim_state_dir.h"
#include "storage/file_flow_store.h"

namespace hil::app {
namespace {

struct RunArgs {
  std::string backend = "sim";
  std::string junit;
  bool junitExtensions = false;
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

/// Shard `index` of `count`, where the first is `first` (1 for --shard, 0 for GoogleTest's).
std::optional<Shard> makeShard(std::string_view index, std::string_view count, int first) {
  const auto i = parseWholeNumber(index);
  const auto n = parseWholeNumber(count);
  if (!i || !n || *n < 1 || *i < first || *i - first >= *n) {
    return std::nullopt;
  }
  return Shard{*i - first, *n};
}

/// --shard I/N, counted from 1 as Jest, Playwright and GitLab's CI_NODE_INDEX count; else
/// GoogleTest's variables, counted from 0, as CI systems that shard GoogleTest set them.
Shard shardOf(const std::string& flag) {
  if (!flag.empty()) {
    const auto slash = flag.find('/');
    const auto shard = slash == std::string::npos
                           ? std::nullopt
                           : makeShard(std::string_view{flag}.substr(0, slash),
                                       std::string_view{flag}.substr(slash + 1), 1);
    if (!shard) {
      throw BadInput{fmt::format("--shard {}: expected I/N with 1 <= I <= N, e.g. 1/4", flag)};
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
  const auto shard = makeShard(index, total, 0);
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

/// A --filter that selects nothing is a mistake in the command line, not a passing run.
void requireSelection(const std::vector<runner::SuiteInput>& suites,
                      const std::vector<std::string>& filters) {
  if (selectedScenarios(suites, filters) > 0) {
    return;
  }
  std::size_t scenarios = 0;
  for (const auto& suite : suites) {
    scenarios += suite.file.scenarios.size();
  }
  if (filters.empty()) {
    throw BadInput{"no scenario to run: the paths hold no scenario file"};
  }
  std::string globs;
  for (const auto& f : filters) {
    globs += fmt::format(" --filter '{}'", f);
  }
  throw BadInput{fmt::format("{}: matches none of the {} scenario(s) in the given paths (a glob "
                             "on a scenario's name or one of its tags; `hil list` shows them)",
                             globs.substr(1), scenarios)};
}

/// Names each passing scenario that reported warnings; returns how many did.
int printWarnings(const runner::RunReport& report) {
  int warned = 0;
  for (const auto& suite : report.suites) {
    for (const auto& c : suite.cases) {
      const auto warnings = c.properties.find("warnings");
      if (c.status == runner::CaseStatus::Passed && warnings != c.properties.end() &&
          warnings->second != "none") {
        fmt::print("WARN {} ({}): {}\n", c.name, c.suite, warnings->second);
        ++warned;
      }
    }
  }
  return warned;
}

void checkBackendOptions(const RunArgs& args) {
  if (args.backend == "replay" && !args.state.empty()) {
    throw BadInput{"--state keeps a journal of what a run changes: a replay changes nothing"};
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
  // The runner refuses these too (BackendFactory::maxJobs); asked here first, before the rig's
  // shell is started or a state folder made.
  if (args.backend == "real" && (args.jobs != 1 || args.repeat != 1)) {
    throw BadInput{"--backend real: one host, one session: scenarios run one at a time (no "
                   "--jobs or --repeat)"};
  }
  if (!args.state.empty() && (args.jobs != 1 || args.repeat != 1)) {
    throw BadInput{"--state DIR: one host lives there, so scenarios run one at a time "
                   "(no --jobs or --repeat)"};
  }
}

/// The command that finishes an interrupted flow of this run's state folder.
std::string recoverCommand(const RunArgs& args) {
  return args.backend == "real"
             ? fmt::format("hil recover --backend real --rig {} --state {}", args.rig, args.state)
             : fmt::format("hil recover --backend sim --state {}", args.state);
}

/// With a journal on disk, a crash ends the process, as a power loss would: no rollback runs,
/// and the journal is there for `hil recover`.
[[noreturn]] void stopAtCrash(const SimulatedCrash& crash, const std::string& recover) {
  std::fflush(stdout);
  fmt::print(stderr,
             "hil: simulated crash at {} #{} ({} it took effect): the process stops here.\n"
             "Recover with: {}\n",
             crash.op, crash.occurrence, crash.after ? "after" : "before", recover);
  std::fflush(stderr);
  std::_Exit(kExitCrashed); // no destructors, no rollback
}

/// Will the rig run any selected scenario (rather than skip it for a GPU or edition it lacks)?
bool anyRunsOn(const real_hw::Rig& rig, const std::vector<runner::SuiteInput>& suites,
               const std::vector<std::string>& filters) {
  for (const auto& suite : suites) {
    for (const auto& s : suite.file.scenarios) {
      if (runner::matchesFilter(s, filters) && !real_hw::rigMismatch(rig, s)) {
        return true;
      }
    }
  }
  return false;
}

/// The backends a run may use; run() picks the one the options name.
class Backends {
public:
  Backends(const RunArgs& args, const data::GpuCatalog& catalog,
           const std::vector<runner::SuiteInput>& suites, Clock& clock)
      : sim_(catalog) {
    if (args.backend == "real") {
      openRig(args, catalog, suites, clock); // first: a rig that does not answer leaves nothing
    }
    if (!args.state.empty()) {
      openJournal(args);
    }
    if (args.backend == "sim" && !args.state.empty()) {
      openSimulatedHost(args, catalog);
    } else if (args.backend == "replay") {
      replay_.emplace(args.transcripts, replayClock_);
    }
  }

  [[nodiscard]] const runner::BackendFactory& selected() const {
    if (replay_) {
      return *replay_;
    }
    if (real_) {
      return *real_;
    }
    if (state_) {
      return *state_;
    }
    return sim_;
  }
  [[nodiscard]] flows::FlowStore* store() { return store_ ? &*store_ : nullptr; }

private:
  /// The flows' journal in the state folder, for the simulator and for rigs alike; a run does
  /// not start over an unfinished one.
  void openJournal(const RunArgs& args) {
    if (std::error_code ec; !std::filesystem::create_directories(args.state, ec) && ec) {
      throw BadInput{
          fmt::format("--state {}: cannot create the folder: {}", args.state, ec.message())};
    }
    store_.emplace(args.state);
    auto flowState = store_->load();
    if (!flowState) {
      throw BadInput{fmt::format("--state {}: {}", args.state, flowState.error().describe())};
    }
    if (flowState->journal && !flowState->journal->undo.empty()) {
      throw BadInput{fmt::format("--state {}: an unfinished {} on VM {} was interrupted; run "
                                 "`{}` first",
                                 args.state, flowState->journal->flow, flowState->journal->vm,
                                 recoverCommand(args))};
    }
  }

  void openSimulatedHost(const RunArgs& args, const data::GpuCatalog& catalog) {
    if (auto host = simulators::StateDirSimFactory::loadHost(args.state, catalog, 1); !host) {
      throw BadInput{fmt::format("--state {}: {}", args.state, host.error().describe())};
    }
    const auto recover = recoverCommand(args);
    state_.emplace(catalog, args.state,
                   [recover](const SimulatedCrash& crash) { stopAtCrash(crash, recover); });
  }

  void openRig(const RunArgs& args, const data::GpuCatalog& catalog,
               const std::vector<runner::SuiteInput>& suites, Clock& clock) {
    auto rig = loadRig(args.rig, catalog);
    if (!rig.standin && !args.faults.empty()) {
      throw BadInput{fmt::format("--fault: rig {} is a real host, which fails by itself; faults "
                                 "are injected on the simulator and on stand-in rigs",
                                 args.rig)};
    }
    // A run that skips every scenario reaches nothing, so it does not ask the shell.
    auto shell = openRigShell(rig, anyRunsOn(rig, suites, args.filters));
    real_.emplace(std::move(rig), std::move(shell), clock, args.record);
    if (data::RulesProfile::builtin(args.rules)) {
      real_->setStandInRules(args.rules);
    }
  }

  simulators::SimBackendFactory sim_;
  std::optional<storage::FileFlowStore> store_;
  std::optional<simulators::StateDirSimFactory> state_;
  ManualClock replayClock_; // replayed runs log without times, so they compare byte for byte
  std::optional<real_hw::ReplayBackendFactory> replay_;
  std::optional<real_hw::RealBackendFactory> real_;
};

/// Per top-level folder of the suites: what a reader scans first.
void printGroups(const runner::RunReport& report) {
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
}

class RunCommand final : public Command {
public:
  explicit RunCommand(CLI::App& app)
      : Command(app.add_subcommand("run", "Run scenario files or folders and report the results")) {
    auto* run = command_;
    run->add_option("--backend", args_.backend,
                    "sim (simulated hosts, default), real (a rig: --rig), replay (--transcripts)")
        ->check(CLI::IsMember({"sim", "replay", "real"}));
    run->add_option("--rig", args_.rig,
                    "Rig file for --backend real: how to reach the host and what it has");
    run->add_option("--record", args_.record,
                    "With --backend real: write each scenario's transcript to DIR/<scenario>.xml");
    run->add_option("--transcripts", args_.transcripts,
                    "With --backend replay: serve the answers recorded in DIR/<scenario>.xml");
    run->add_option("--junit", args_.junit, "Write a JUnit XML report to FILE");
    run->add_flag("--junit-extensions", args_.junitExtensions, kJunitExtensionsHelp);
    run->add_option("--filter", args_.filters,
                    "Run only scenarios whose name or a tag matches GLOB (repeatable)");
    run->add_option("--jobs,-j", args_.jobs, "Run N scenarios at once")->check(CLI::Range(1, 256));
    run->add_option("--seed", args_.seed, "Seed for everything random in the run");
    run->add_option("--rules", args_.rules,
                    "Rules profile: eflow-2021-preview (default), eflow-current, or a file");
    run->add_option("--catalog", args_.catalog, "GPU catalog file (default: the built-in one)");
    run->add_option("--repeat", args_.repeat,
                    "Run each scenario N times and fail on any difference (determinism check)")
        ->check(CLI::Range(1, 1000000));
    run->add_flag("--verbose,-v", args_.verbose, "Print every scenario's log");
    run->add_option("--state", args_.state,
                    "Keep the flows' journal in DIR (and, on the simulator, the host), so a run "
                    "that dies mid-flow can be recovered with hil recover; a simulated crash then "
                    "ends the process. Rigs always keep it: by default in "
                    "$XDG_STATE_HOME/gpu-hil/rigs/NAME");
    run->add_option("--fault", args_.faults,
                    "Inject OP:OCCURRENCE:KIND (error, hang, crash-before, crash-after) into "
                    "every scenario; expectations then do not apply, the invariants do "
                    "(repeatable)");
    run->add_option("--shard", args_.shard,
                    "Run only shard I of N (1 <= I <= N) of the selected scenarios, a stable "
                    "partition by suite and name; default: GTEST_SHARD_INDEX/GTEST_TOTAL_SHARDS "
                    "(0-based) when set")
        ->type_name("I/N");
    run->add_option("PATH", args_.paths, "Scenario files or folders")->required();
  }

  int run() const override {
    auto args = args_;
    checkBackendOptions(args);
    const auto catalog = loadCatalog(args.catalog);
    // A rig's journal is always durable: a controller that dies mid-flow (a CI timeout, a lost
    // agent) leaves it where `hil recover --backend real --rig FILE` looks.
    const bool explicitState = !args.state.empty();
    if (args.backend == "real" && !explicitState) {
      args.state = defaultRigStateDir(loadRig(args.rig, catalog));
    }
    const auto rules = loadRules(args.rules);
    const auto builtins = builtinProfiles();
    const auto faults = parseFaults(args.faults);
    touchShardStatusFile();
    const auto shard = shardOf(args.shard);
    const auto suites = loadOrThrow(args.paths, catalog);
    requireSelection(suites, args.filters);
    SteadyClock clock;
    UtcClock rigClock; // a rig's logs carry the date and time, to line up with the host's
    Backends backendChoice{args, catalog, suites, rigClock};
    const auto& backends = backendChoice.selected();
    runner::Runner runner{backends, catalog, rules, builtins, clock};
    runner::RunOptions options;
    options.store = backendChoice.store();
    // With --state a simulated crash ends the process, as a power loss would; a rig's default
    // journal lets the run go on as a new controller would, recovering from that journal.
    if (args.backend == "real" && explicitState) {
      options.onCrash = [recover = recoverCommand(args)](const SimulatedCrash& crash) {
        stopAtCrash(crash, recover);
      };
    }
    options.jobs = args.jobs;
    options.seed = args.seed;
    options.filters = args.filters;
    options.repeat = args.repeat;
    options.faults = faults;
    options.finalTeardown = !faults.empty();
    options.shardIndex = shard.index;
    options.shardCount = shard.count;
    const auto timestamp = utcTimestamp();
    // A backend whose hosts are one (a rig, a state folder) takes one scenario at a time: the
    // runner refuses more before anything runs.
    auto ran = runner.run(suites, options, terminalProgress());
    if (!ran) {
      throw BadInput{ran.error().message};
    }
    auto& report = *ran;
    report.timestamp = timestamp;
    addBuildProperties(report, catalog);
    endProgress();
    for (const auto& suite : report.suites) {
      for (const auto& c : suite.cases) {
        if (args.verbose || c.status != runner::CaseStatus::Passed) {
          printCase(c, args.verbose);
        }
      }
    }
    writeJunit(args.junit, report, args.junitExtensions);
    printGroups(report);
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
      fmt::print("shard {}/{}: {} of the {} selected scenarios\n", shard.index + 1, shard.count,
                 report.total(), selected);
      if (report.total() == 0 && selected > 0) {
        fmt::print("shard {}/{} is empty: no selected scenario falls in it; nothing to run\n",
                   shard.index + 1, shard.count);
        emptyShard = true;
      }
    }
    const int warned = printWarnings(report);
    // The closing line CI log readers look for.
    fmt::print("run: {} passed{}, {} failed, {} skipped\n", passed,
               warned > 0 ? fmt::format(" ({} with warnings)", warned) : "", failed, skipped);
    if (emptyShard) {
      return kExitPassed;
    }
    return failed == 0 ? kExitPassed : kExitFailed;
  }

private:
  RunArgs args_;
};

} // namespace

std::unique_ptr<Command> makeRunCommand(CLI::App& app) { return std::make_unique<RunCommand>(app); }

} // namespace hil::app
