// `hil recover`: rolls back a flow a crash interrupted, from the journal in a state folder.
#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "app/command.h"
#include "app/common.h"
#include "framework/core/log.h"
#include "framework/flows/recovery.h"
#include "real_hw/real_backend.h"
#include "simulators/sim_backend.h"
#include "simulators/sim_state_dir.h"
#include "storage/file_flow_store.h"

namespace hil::app {
namespace {

class RecoverCommand final : public Command {
public:
  explicit RecoverCommand(CLI::App& app)
      : Command(app.add_subcommand("recover", "Roll back a flow a crash interrupted, from the "
                                              "journal in a state folder")) {
    command_
        ->add_option("--backend", backend_,
                     "sim (the simulated host kept in the state folder), or real (the host of "
                     "--rig)")
        ->check(CLI::IsMember({"sim", "real"}));
    command_->add_option("--rig", rig_, "With --backend real: the rig file of the interrupted run");
    command_->add_option("--state", state_,
                         "The state folder of `hil run --state`; with --backend real, default: "
                         "the rig's own ($XDG_STATE_HOME/gpu-hil/rigs/NAME)");
  }

  int run() const override {
    if (backend_ == "real" && rig_.empty()) {
      throw BadInput{"--backend real needs --rig FILE (the rig whose run was interrupted)"};
    }
    if (backend_ == "sim" && !rig_.empty()) {
      throw BadInput{"--rig goes with --backend real"};
    }
    if (backend_ == "sim" && state_.empty()) {
      throw BadInput{"--backend sim needs --state DIR (the state folder of `hil run --state`)"};
    }
    std::optional<real_hw::Rig> rig;
    if (backend_ == "real") {
      rig = loadRig(rig_, data::GpuCatalog::builtin());
    }
    const auto state = state_.empty() ? defaultRigStateDir(*rig) : state_;
    if (std::error_code ec; !std::filesystem::is_directory(state, ec)) {
      if (state_.empty()) {
        fmt::print("nothing to recover: no run on rig {} kept a journal here ({})\n", rig->name,
                   state);
        return kExitPassed;
      }
      throw BadInput{fmt::format("--state {}: no such folder (the state folder of an earlier "
                                 "`hil run --state`); nothing was changed",
                                 state)};
    }
    storage::FileFlowStore store{state};
    auto flowState = store.load();
    if (!flowState) {
      throw BadInput{
          fmt::format("--state {}: {}; nothing was changed", state, flowState.error().describe())};
    }
    return rig ? recoverRig(*rig, state, store, *flowState)
               : recoverSimulated(state, store, *flowState);
  }

private:
  /// The rig's own host: the journal's undo steps, applied through the rig's shell.
  static int recoverRig(const real_hw::Rig& rig, const std::string& state,
                        storage::FileFlowStore& store, const flows::FlowState& flowState) {
    if (!flowState.journal || flowState.journal->undo.empty()) {
      fmt::print("nothing to recover: no unfinished flow in {}\n", state);
      return kExitPassed;
    }
    UtcClock clock;
    real_hw::RealBackendFactory factory{rig, openRigShell(rig), clock};
    auto host = factory.attach(flowState.journal->vm);
    Log log{&clock};
    host->setLog(&log);
    auto platform = host->platform();
    auto recovered = flows::recover(platform, store, log);
    for (const auto& line : log.lines()) {
      fmt::print("{}\n", line);
    }
    return reportRecovery(recovered);
  }

  static int recoverSimulated(const std::string& state, storage::FileFlowStore& store,
                              const flows::FlowState& flowState) {
    const auto& catalog = data::GpuCatalog::builtin();
    auto host = simulators::StateDirSimFactory::loadHost(state, catalog, 1);
    if (!host) {
      throw BadInput{
          fmt::format("--state {}: {}; nothing was changed", state, host.error().describe())};
    }
    const bool unfinished = flowState.journal && !flowState.journal->undo.empty();
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
    const platform::VmName vm = flowState.journal->vm;
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
    return reportRecovery(recovered);
  }

  static int reportRecovery(const Result<flows::Recovery>& recovered) {
    if (!recovered) {
      fmt::print(stderr, "hil: {}\n", recovered.error().describe());
      return kExitFailed;
    }
    fmt::print("recovered: the unfinished {} on VM {} is rolled back ({} step(s) undone)\n",
               recovered->flow, recovered->vm, recovered->undone.size());
    return kExitPassed;
  }

  std::string backend_ = "sim";
  std::string rig_;
  std::string state_;
};

} // namespace

std::unique_ptr<Command> makeRecoverCommand(CLI::App& app) {
  return std::make_unique<RecoverCommand>(app);
}

} // namespace hil::app
