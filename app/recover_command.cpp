// `hil recover`: rolls back a flow a crash interrupted, from the journal in a state folder.
#include <filesystem>

#include <fmt/format.h>

#include "app/command.h"
#include "framework/core/log.h"
#include "framework/flows/recovery.h"
#include "framework/runner/state_dir.h"
#include "simulators/sim_backend.h"
#include "simulators/sim_state_dir.h"

namespace hil::app {
namespace {

class RecoverCommand final : public Command {
public:
  explicit RecoverCommand(CLI::App& app)
      : Command(app.add_subcommand("recover", "Roll back a flow a crash interrupted, from the "
                                              "journal in a state folder")) {
    command_->add_option("--backend", backend_, "sim")->check(CLI::IsMember({"sim"}));
    command_->add_option("--state", state_, "The state folder of `hil run --state`")->required();
  }

  int run() const override {
    if (backend_ != "sim") {
      throw BadInput{fmt::format("--backend {}: this build has the sim backend only", backend_)};
    }
    const auto& state = state_;
    if (std::error_code ec; !std::filesystem::is_directory(state, ec)) {
      throw BadInput{fmt::format("--state {}: no such folder (the state folder of an earlier "
                                 "`hil run --state`); nothing was changed",
                                 state)};
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
      return kExitPassed;
    }
    if (!unfinished) {
      fmt::print("nothing to recover: no unfinished flow in {}\n", state);
      return kExitPassed;
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
    return kExitPassed;
  }

private:
  std::string backend_ = "sim";
  std::string state_;
};

} // namespace

std::unique_ptr<Command> makeRecoverCommand(CLI::App& app) {
  return std::make_unique<RecoverCommand>(app);
}

} // namespace hil::app
