// hil: runs gpu-hil scenarios. Exit status: 0 all passed, 1 a test failed, 2 bad usage or input.
#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "framework/data/catalog.h"
#include "framework/data/rules.h"
#include "framework/platform/operations.h"
#include "framework/runner/runner.h"
#include "reports/junit_writer.h"
#include "simulators/sim_backend.h"

namespace {

using namespace hil;

constexpr int kExitFailed = 1;
constexpr int kExitBadInput = 2;

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
  std::vector<std::string> paths;
};

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
  std::map<std::string, data::RulesProfile> builtins;
  for (auto name : data::RulesProfile::builtinNames()) {
    builtins.emplace(std::string{name}, *data::RulesProfile::builtin(name));
  }
  const auto suites = loadOrThrow(args.paths, catalog);
  simulators::SimBackendFactory backends{catalog};
  SteadyClock clock;
  runner::Runner runner{backends, catalog, rules, builtins, clock};
  runner::RunOptions options;
  options.jobs = args.jobs;
  options.seed = args.seed;
  options.filters = args.filters;
  options.repeat = args.repeat;
  const bool terminal = isatty(STDERR_FILENO) != 0;
  auto report = runner.run(suites, options, [&](const runner::CaseResult& c, int done, int total) {
    if (terminal) {
      fmt::print(stderr, "\r\033[K[{}/{}] {}", done, total, c.name);
      std::fflush(stderr);
    }
  });
  if (terminal) {
    fmt::print(stderr, "\r\033[K");
  }
  for (const auto& suite : report.suites) {
    for (const auto& c : suite.cases) {
      if (args.verbose || c.status != runner::CaseStatus::Passed) {
        printCase(c, args.verbose);
      }
    }
  }
  if (!args.junit.empty()) {
    std::ofstream out(args.junit, std::ios::binary | std::ios::trunc);
    out << reports::toJunitXml(report);
    if (!out) {
      throw BadInput{fmt::format("--junit {}: cannot write the file", args.junit)};
    }
  }
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
  fmt::print("\nFault kinds: error (operation-failed), hang (timeout). "
             "<fault op=\"NAME\" kind=\"error|hang\" occurrence=\"N\"/> inside <host>.\n");
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
  run->add_option("PATH", runArgs.paths, "Scenario files or folders")->required();

  std::vector<std::string> listPaths;
  auto* list = app.add_subcommand("list", "List the scenarios in files or folders");
  list->add_option("PATH", listPaths, "Scenario files or folders")->required();

  std::vector<std::string> validatePaths;
  auto* validate = app.add_subcommand("validate", "Check scenario files without running them");
  validate->add_option("PATH", validatePaths, "Scenario files or folders")->required();

  auto* ops = app.add_subcommand("ops", "List the seam operations faults can target");

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
  } catch (const BadInput& e) {
    fmt::print(stderr, "{}\n", e.message);
    return kExitBadInput;
  } catch (const std::exception& e) {
    fmt::print(stderr, "hil: {}\n", e.what());
    return kExitBadInput;
  }
  return kExitBadInput;
}
