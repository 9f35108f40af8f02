// `hil sweep`: every single fault at every operation each scenario reaches, and seeded plans of
// several faults; the invariants checked after each.
#include <fmt/format.h>

#include "app/command.h"
#include "app/common.h"
#include "framework/core/xml.h"
#include "framework/runner/sweep.h"
#include "simulators/sim_backend.h"

namespace hil::app {
namespace {

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

/// The `hil run` command line that reproduces one failed fault run alone.
std::string reproduceCommand(const SweepArgs& args, const runner::CaseResult& c) {
  std::string command = "hil run";
  if (args.rules != data::RulesProfile::kDefault) {
    command += " --rules " + shellQuote(args.rules);
  }
  if (const auto faults = c.properties.find("faults"); faults != c.properties.end()) {
    for (const auto& fault : xml::words(faults->second)) {
      command += " --fault " + fault;
    }
  }
  const auto space = c.name.find(' ');
  command += " --filter " + shellQuote(c.name.substr(0, space)) + " " + shellQuote(c.file);
  return command;
}

class SweepCommand final : public Command {
public:
  explicit SweepCommand(CLI::App& app)
      : Command(app.add_subcommand("sweep", "Inject every single fault at every operation each "
                                            "scenario reaches; check the invariants")) {
    auto* sweep = command_;
    sweep->add_option("--junit", args_.junit, "Write a JUnit XML report to FILE");
    sweep->add_option("--filter", args_.filters,
                      "Sweep only scenarios whose name or a tag matches GLOB (repeatable)");
    sweep->add_option("--jobs,-j", args_.jobs, "Run N fault runs at once")
        ->check(CLI::Range(1, 256));
    sweep
        ->add_option("--random", args_.random,
                     "Also run N seeded random plans of several faults per scenario")
        ->check(CLI::Range(0, 1000000));
    sweep->add_option("--seed", args_.seed, "Seed for the random plans and the scenarios");
    sweep->add_option("--rules", args_.rules,
                      "Rules profile: eflow-2021-preview (default), eflow-current, or a file");
    sweep->add_option("--catalog", args_.catalog, "GPU catalog file");
    sweep->add_option("PATH", args_.paths, "Scenario files or folders")->required();
  }

  int run() const override {
    const auto& args = args_;
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
    addBuildProperties(result.report, catalog);
    endProgress();
    result.report.seconds = std::chrono::duration<double>(clock.now() - started).count();
    for (const auto& suite : result.report.suites) {
      for (const auto& c : suite.cases) {
        if (c.status == runner::CaseStatus::Failed) {
          printCase(c, false);
          fmt::print("  reproduce: {}\n", reproduceCommand(args, c));
        }
      }
    }
    writeJunit(args.junit, result.report);
    const int runs = result.scenarios + result.faultRuns;
    fmt::print("{} scenario runs in {:.3f} s on {} job(s): {:.0f} runs/s\n", runs,
               result.report.seconds, args.jobs,
               result.report.seconds > 0 ? runs / result.report.seconds : 0.0);
    if (result.cleanFailures > 0) {
      fmt::print("{} clean run(s) failed\n", result.cleanFailures);
    }
    if (!args.junit.empty()) {
      fmt::print("JUnit XML written to {}\n", args.junit);
    }
    fmt::print("sweep: {} scenarios, {} fault runs, {} invariant violations\n", result.scenarios,
               result.faultRuns, result.violations);
    return result.violations == 0 && result.cleanFailures == 0 ? kExitPassed : kExitFailed;
  }

private:
  SweepArgs args_;
};

} // namespace

std::unique_ptr<Command> makeSweepCommand(CLI::App& app) {
  return std::make_unique<SweepCommand>(app);
}

} // namespace hil::app
