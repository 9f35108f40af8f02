// record_transcripts: writes real_hw/transcripts/<scenario>.xml from the cmdlets' documented
// output, until a rig records them. Each named scenario runs through hil's runner on a
// RealBackend (the Real* seams, our own flows) whose shell is a RecordingShellSession over
// SimPowerShell over a SimHost built from the scenario's <host>; every exchange is written down.
//
//   build/tests/record_transcripts scenarios real_hw/transcripts t4-dda-server-2019 ...
//
// --eflow runs the scenarios in the rig's eflow mode instead (Set-EflowVM configures the GPU; the
// stand-in does what EFLOW does): to check that mode end to end. `--backend replay` replays
// hyperv-mode transcripts, so these are not for shipping either.
// --allow-faults also runs scenarios with injected faults, to compare the Real* seams
// over the stand-in with the simulator's own seams; such transcripts are not for shipping (a
// fault is the simulator's, not a documented reply) and crash scenarios cannot be replayed.
//
// A scenario that does not pass is reported and its transcript not written (exit 1). On a rig,
// `hil run --backend real --rig FILE --record DIR` writes the same files from hardware.

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "framework/data/catalog.h"
#include "framework/data/rules.h"
#include "framework/runner/runner.h"
#include "framework/runner/state_dir.h"
#include "real_hw/real_backend.h"
#include "real_hw/transcript.h"
#include "simulators/sim_host.h"
#include "simulators/sim_powershell.h"

namespace {

using namespace hil;

constexpr std::string_view kNote =
    "Written from the cmdlets' documented output through gpu-hil's PowerShell stand-in "
    "(SimPowerShell: the Real* seams' commands answered from a simulated host built from the "
    "scenario's <host>), by tests/tools/record_transcripts. Not recorded on hardware: replace it "
    "with a recording from a rig (hil run --backend real --rig FILE --record DIR).";

/// The scenario's simulated host behind the stand-in shell, recorded, as a real backend sees it.
class StandIn : public real_hw::RealBackend {
public:
  static std::unique_ptr<StandIn> make(const scenario::Scenario& s, std::uint64_t seed,
                                       std::string path, real_hw::RigMode mode) {
    auto host = std::make_unique<simulators::SimHost>(s.host, data::GpuCatalog::builtin(), seed);
    auto shell = std::make_unique<simulators::SimPowerShell>(*host, s.host.vm.name);
    if (!s.rules.empty()) {
      // The EFLOW release the scenario describes applies its own rules.
      shell->setEflowRules(*data::RulesProfile::builtin(s.rules));
    }
    auto transcript = std::make_unique<real_hw::Transcript>();
    transcript->scenario = s.name;
    transcript->source = "documentation";
    transcript->rig = "SimPowerShell";
    transcript->note = std::string{kNote};
    auto recorder = std::make_unique<real_hw::RecordingShellSession>(*shell, *transcript);
    return std::unique_ptr<StandIn>(new StandIn(std::move(host), std::move(shell),
                                                std::move(transcript), std::move(recorder),
                                                s.host.vm.name, std::move(path), mode));
  }

private:
  StandIn(std::unique_ptr<simulators::SimHost> host,
          std::unique_ptr<simulators::SimPowerShell> shell,
          std::unique_ptr<real_hw::Transcript> transcript,
          std::unique_ptr<real_hw::RecordingShellSession> recorder, platform::VmName vm,
          std::string path, real_hw::RigMode mode)
      : RealBackend(*recorder, real_hw::RealOptions{std::chrono::minutes(5), std::move(vm)}, mode,
                    host->clock(),
                    [t = transcript.get(), path] {
                      return runner::writeFileDurably(path, real_hw::formatTranscript(*t));
                    }),
        host_(std::move(host)), shell_(std::move(shell)), transcript_(std::move(transcript)),
        recorder_(std::move(recorder)) {}

  // Declared after the base, destroyed before it: the base only borrows them and never uses
  // them while being destroyed.
  std::unique_ptr<simulators::SimHost> host_;
  std::unique_ptr<simulators::SimPowerShell> shell_;
  std::unique_ptr<real_hw::Transcript> transcript_;
  std::unique_ptr<real_hw::RecordingShellSession> recorder_;
};

class StandInFactory : public runner::BackendFactory {
public:
  StandInFactory(std::string dir, bool allowFaults, real_hw::RigMode mode)
      : dir_(std::move(dir)), allowFaults_(allowFaults), mode_(mode) {}
  std::string name() const override { return "powershell-stand-in"; }
  Result<std::unique_ptr<runner::Backend>>
  create(const scenario::Scenario& s, std::uint64_t seed,
         const std::vector<scenario::FaultSpec>& extraFaults) const override {
    if (!extraFaults.empty() || (!s.host.faults.empty() && !allowFaults_)) {
      return fail(ErrorCode::InvalidRequest, "a transcript records a host without faults");
    }
    return StandIn::make(s, seed, (std::filesystem::path{dir_} / (s.name + ".xml")).string(),
                         mode_);
  }

private:
  std::string dir_;
  bool allowFaults_;
  real_hw::RigMode mode_;
};

} // namespace

int main(int argc, char** argv) {
  const char* program = argv[0];
  bool allowFaults = false;
  auto mode = real_hw::RigMode::HyperV;
  while (argc > 1 && std::string_view{argv[1]}.starts_with("--")) {
    const std::string_view option = argv[1];
    if (option == "--allow-faults") {
      allowFaults = true;
    } else if (option == "--eflow") {
      mode = real_hw::RigMode::Eflow;
    } else {
      fmt::print(stderr, "{}: unknown option {}\n", program, option);
      return 2;
    }
    --argc;
    ++argv;
  }
  if (argc < 4) {
    fmt::print(stderr, "usage: {} [--allow-faults] [--eflow] SCENARIOS OUT_DIR SCENARIO_NAME...\n",
               program);
    return 2;
  }
  const auto& catalog = data::GpuCatalog::builtin();
  auto suites = runner::loadScenarios({argv[1]}, catalog);
  if (!suites) {
    fmt::print(stderr, "{}\n", toString(suites.error()));
    return 2;
  }
  const std::string out = argv[2];
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  const auto rules = *data::RulesProfile::builtin(data::RulesProfile::kDefault);
  std::map<std::string, data::RulesProfile> builtins;
  for (const auto name : data::RulesProfile::builtinNames()) {
    builtins.emplace(std::string{name}, *data::RulesProfile::builtin(name));
  }
  // A failed scenario leaves no transcript: it goes to a scratch folder first.
  const auto scratch = std::filesystem::path{out} / ".recording";
  std::filesystem::create_directories(scratch, ec);
  StandInFactory factory{scratch.string(), allowFaults, mode};
  ManualClock wall;
  runner::Runner runner{factory, catalog, rules, builtins, wall};
  int failures = 0;
  for (int i = 3; i < argc; ++i) {
    const std::string wanted = argv[i];
    const scenario::Scenario* found = nullptr;
    std::string suite;
    for (const auto& s : *suites) {
      for (const auto& candidate : s.file.scenarios) {
        if (candidate.name == wanted) {
          found = &candidate;
          suite = s.suite;
        }
      }
    }
    if (found == nullptr) {
      fmt::print(stderr, "{}: no such scenario in {}\n", wanted, argv[1]);
      ++failures;
      continue;
    }
    const auto result =
        runner.runScenario(*found, suite, runner::scenarioSeed(1, suite, found->name));
    const auto recorded = scratch / (wanted + ".xml");
    if (result.status != runner::CaseStatus::Passed) {
      fmt::print(stderr, "{}: {}: {}\n{}\n", wanted, result.failureType, result.failureMessage,
                 result.failureDetail);
      for (const auto& line : result.log) {
        fmt::print(stderr, "  {}\n", line);
      }
      std::filesystem::remove(recorded, ec);
      ++failures;
      continue;
    }
    const auto target = std::filesystem::path{out} / (wanted + ".xml");
    std::filesystem::rename(recorded, target, ec);
    if (ec) {
      fmt::print(stderr, "{}: cannot write {}: {}\n", wanted, target.string(), ec.message());
      ++failures;
      continue;
    }
    fmt::print("{}: passed; wrote {}\n", wanted, target.string());
  }
  std::filesystem::remove(scratch, ec);
  return failures == 0 ? 0 : 1;
}
