#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "framework/scenario/scenario.h"
#include "real_hw/real_backend.h"
#include "real_hw/real_runner.h"
#include "real_hw/rig.h"
#include "real_hw/shell_session.h"

namespace hil::real_hw {

/// The session of a stand-in rig: every command first makes sure the stand-in module is loaded
/// (a shell restarted after a deadline starts without it), and a crash the stand-in injects
/// (its marker line on stderr) ends the controller's flow there, as SimulatedCrash.
class StandInShell : public ShellSession {
public:
  StandInShell(ShellSession& inner, const StandIn& standin);
  Result<ShellReply> run(const std::string& command, std::chrono::milliseconds deadline) override;

private:
  /// Loads the module in a shell that may not have it yet, under a deadline of its own: a new
  /// shell's start and the module's import are not the next command's time.
  Result<void> warmUp();

  ShellSession& inner_;
  std::string prelude_;
  bool warm_ = false;
};

/// A RealBackend on a stand-in rig: its host state is read from the stand-in (without the
/// cmdlets that faults target), and a checkpoint delivers a crash an operation scheduled.
class StandInBackend : public RealBackend, public runner::FaultControl {
public:
  StandInBackend(ShellSession& shell, RealOptions options, RigMode mode, const Clock& clock,
                 std::function<Result<void>()> onFinish = {});
  platform::HostState snapshot() override;
  runner::FaultControl* faults() override { return this; }
  void checkpoint() override;
  void disableFaults() override;

private:
  void note(const std::string& line);

  RealRunner runner_;
};

/// Sets up the stand-in host for `scenario` (its <host> and faults, `extraFaults` first).
[[nodiscard]] Result<void> resetStandIn(ShellSession& shell, std::chrono::milliseconds deadline,
                                        const scenario::Scenario& scenario, std::uint64_t seed,
                                        const std::vector<scenario::FaultSpec>& extraFaults,
                                        const std::string& rules);

} // namespace hil::real_hw
