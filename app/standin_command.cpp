// `hil standin ...`: the host behind the stand-in cmdlets (simulators/powershell), which they
// run one operation at a time. Not for people: the stand-in module is its user.
#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "app/command.h"
#include "framework/data/catalog.h"
#include "framework/data/rules.h"
#include "simulators/standin.h"
#include "storage/state_dir.h"

namespace hil::app {
namespace {

int badInput(const std::string& message) {
  fmt::print(stderr, "hil standin: {}\n", message);
  return kExitBadInput;
}

class StandInCommand final : public Command {
public:
  explicit StandInCommand(CLI::App& app);
  int run() const override;

private:
  CLI::App* reset_;
  CLI::App* call_;
  CLI::App* host_;
  CLI::App* ops_;
  std::string state_;
  std::string scenarioFile_;
  std::string scenario_;
  std::uint64_t seed_ = 1;
  std::vector<std::string> faults_;
  std::string rules_;
  std::string operation_;
  std::vector<std::string> args_;
};

StandInCommand::StandInCommand(CLI::App& app)
    : Command(app.add_subcommand("standin", "The host behind the stand-in cmdlets (used by "
                                            "simulators/powershell/HilStandIn, not by people)")) {
  command_->require_subcommand(1);
  reset_ = command_->add_subcommand("reset", "A new stand-in host from a scenario's <host>");
  reset_->add_option("--state", state_, "The stand-in's state folder")->required();
  reset_->add_option("--scenario-file", scenarioFile_, "The scenario file")->required();
  reset_->add_option("--scenario", scenario_, "The scenario's name in it")->required();
  reset_->add_option("--seed", seed_, "The run's seed");
  reset_->add_option("--fault", faults_, "OP:OCCURRENCE:KIND, injected first (repeatable)");
  reset_->add_option("--rules", rules_, "The rules profile EFLOW applies (a built-in name)");
  call_ = command_->add_subcommand("call", "Run one operation on the stand-in host");
  call_->add_option("--state", state_, "The stand-in's state folder")->required();
  call_->add_option("OPERATION", operation_, "The operation (hil standin ops)")->required();
  call_->add_option("ARGS", args_, "NAME=VALUE arguments");
  host_ = command_->add_subcommand("host", "The stand-in host's state, as the invariants see it");
  host_->add_option("--state", state_, "The stand-in's state folder")->required();
  ops_ = command_->add_subcommand("ops", "The operations `call` takes");
}

int StandInCommand::run() const {
  const auto& catalog = data::GpuCatalog::builtin();
  if (ops_->parsed()) {
    for (const auto& line : simulators::StandIn::operations()) {
      fmt::print("{}\n", line);
    }
    return 0;
  }
  if (host_->parsed()) {
    auto state = simulators::StandIn::hostState(state_, catalog);
    if (!state) {
      return badInput(state.error().describe());
    }
    fmt::print("{}", *state);
    return 0;
  }
  if (call_->parsed()) {
    std::map<std::string, std::string> args;
    for (const auto& arg : args_) {
      const auto equals = arg.find('=');
      if (equals == std::string::npos || equals == 0) {
        return badInput(fmt::format("argument \"{}\": expected NAME=VALUE", arg));
      }
      args[arg.substr(0, equals)] = arg.substr(equals + 1);
    }
    // The reply says how the operation went; the exit status only whether one was given.
    fmt::print("{}", simulators::StandIn::call(state_, operation_, args, catalog));
    return 0;
  }
  auto text = storage::readFileIfExists(scenarioFile_);
  if (!text || !*text) {
    return badInput(fmt::format("--scenario-file {}: cannot read it", scenarioFile_));
  }
  auto file = scenario::parseScenarioFile(std::move(**text), scenarioFile_, catalog);
  if (!file) {
    return badInput(toString(file.error()));
  }
  const auto it = std::find_if(file->scenarios.begin(), file->scenarios.end(),
                               [&](const scenario::Scenario& s) { return s.name == scenario_; });
  if (it == file->scenarios.end()) {
    return badInput(fmt::format("{} has no scenario named {}", scenarioFile_, scenario_));
  }
  std::vector<scenario::FaultSpec> faults;
  for (const auto& text : faults_) {
    auto fault = scenario::parseFaultSpec(text);
    if (!fault) {
      return badInput(fmt::format("--fault {}: expected OP:OCCURRENCE:KIND", text));
    }
    faults.push_back(*fault);
  }
  const auto rules = !rules_.empty()      ? rules_
                     : !it->rules.empty() ? it->rules
                                          : std::string{data::RulesProfile::kDefault};
  if (auto reset = simulators::StandIn::reset(state_, *it, seed_, faults, rules, catalog); !reset) {
    return badInput(reset.error().describe());
  }
  return 0;
}

} // namespace

std::unique_ptr<Command> makeStandInCommand(CLI::App& app) {
  return std::make_unique<StandInCommand>(app);
}

} // namespace hil::app
