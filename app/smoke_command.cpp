// `hil smoke`: the CUDA smoke suite on this Linux machine's GPU, one JUnit testcase per check.
#include <filesystem>

#include <fmt/format.h>

#include "app/command.h"
#include "app/common.h"
#include "real_hw/process.h"
#include "reports/smoke_suite.h"

namespace hil::app {
namespace {

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

class SmokeCommand final : public Command {
public:
  explicit SmokeCommand(CLI::App& app)
      : Command(app.add_subcommand("smoke", "Run the CUDA smoke suite on this Linux machine's "
                                            "GPU and report each check")) {
    auto* smoke = command_;
    smoke->add_option("--expect", args_.expect,
                      "Compare with a catalog model, e.g. tesla-t4 (hil's catalog ids)");
    smoke->add_option("--junit", args_.junit, "Write a JUnit XML report to FILE");
    smoke->add_option("--program", args_.program,
                      "The cuda_smoke program (default: the one beside hil, else PATH)");
    smoke->add_flag("--full", args_.full,
                    "Full sizes (more memory tested, longer copies); the default is --quick");
    smoke->add_option("--timeout", args_.timeout, "Seconds before the program is killed")
        ->check(CLI::Range(1, 3600));
  }

  int run() const override {
    const auto& args = args_;
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
    return failed == 0 && passed > 0 ? kExitPassed : kExitFailed;
  }

private:
  SmokeArgs args_;
};

} // namespace

std::unique_ptr<Command> makeSmokeCommand(CLI::App& app) {
  return std::make_unique<SmokeCommand>(app);
}

} // namespace hil::app
