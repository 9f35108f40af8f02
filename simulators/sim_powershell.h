#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "framework/data/catalog.h"
#include "framework/data/rules.h"
#include "framework/platform/hyperv.h"
#include "real_hw/shell_session.h"
#include "simulators/sim_backend.h"
#include "simulators/sim_host.h"

namespace hil::simulators {

/// A Windows host's PowerShell, standing in for a rig: it reads exactly the commands the Real*
/// seams send (cmdlets, parameters, single-quoted literals with doubled quotes, the few
/// expressions they use) and answers from a SimHost through the Sim* seams, so every Hyper-V
/// rule and injected fault of the simulator applies. Replies take the documented shapes:
/// structured results as `ConvertTo-Xml -As String` prints them, a failed cmdlet as
/// succeeded=false with PowerShell's error record (its message on the first line) on stderr,
/// an injected hang as the session's own timeout. Invoke-EflowVmCommand runs the simulated
/// guest; Set-EflowVM does what EFLOW does, with gpu-hil's own Deployer on the SimHost (or
/// removes the GPU). A command it does not know fails loudly ("SimPowerShell does not know:
/// <command>"); it never answers with a default.
class SimPowerShell : public real_hw::ShellSession {
public:
  /// `eflowVm`: the VM Invoke-EflowVmCommand and Set-EflowVM reach; empty: the host's VM named
  /// EFLOW, or its only VM. `catalog` must outlive the session (Set-EflowVM's Deployer reads it).
  explicit SimPowerShell(SimHost& host, platform::VmName eflowVm = {},
                         const data::GpuCatalog& catalog = data::GpuCatalog::builtin());
  explicit SimPowerShell(SimBackend& backend);
  ~SimPowerShell() override;
  SimPowerShell(const SimPowerShell&) = delete;
  SimPowerShell& operator=(const SimPowerShell&) = delete;

  /// Runs one command. `deadline` is what an injected hang runs to before the session reports
  /// timeout (the virtual clock moves; nothing waits).
  [[nodiscard]] Result<real_hw::ShellReply> run(const std::string& command,
                                                std::chrono::milliseconds deadline) override;

  /// A machine environment variable as `$env:NAME` reads it (HIL_MITIGATION_DRIVER on a rig).
  /// SystemRoot is C:\Windows; an unset variable reads as $null.
  void setEnvironment(const std::string& name, std::string value);
  /// The rules the simulated EFLOW release applies in Set-EflowVM (default: eflow-2021-preview).
  void setEflowRules(data::RulesProfile rules);

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

} // namespace hil::simulators
