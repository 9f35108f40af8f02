#pragma once

#include <functional>
#include <map>

#include "framework/core/log.h"
#include "framework/data/catalog.h"
#include "framework/data/rules.h"
#include "framework/flows/configurator.h"
#include "framework/flows/current_deployment.h"
#include "framework/flows/prerequisites.h"
#include "framework/flows/request.h"
#include "framework/flows/undo_journal.h"
#include "framework/platform/platform.h"

namespace hil::flows {

/// Runs EFLOW's GPU configuration on a host through the seams: prerequisite checks, technique
/// selection, the DDA and GPU-PV flows and teardown. Every mutating step journals its undo
/// first; a failure rolls back newest first, so the host ends where it started.
class Deployer : public Configurator {
public:
  /// `store` keeps the journal and the VMs' original settings where another process can find
  /// them (a state folder); null keeps them in memory.
  Deployer(platform::Platform platform, const data::GpuCatalog& catalog,
           const data::RulesProfile& rules, Log& log, FlowStore* store = nullptr)
      : p_(platform), catalog_(catalog), rules_(rules), log_(log), journal_(store) {}

  /// Set-EflowVM -gpuPassthroughType ... -gpuName ... -gpuCount ...
  FlowOutcome deploy(const DeployRequest& request) override;
  /// Set-EflowVM without GPU arguments: the VM gives its GPU back to the host.
  FlowOutcome teardown(const platform::VmName& vm) override;

  /// Whether a deploy looks inside the VM for the GPU once it has started it (the default).
  /// The stand-in's EFLOW turns it off: Set-EflowVM starts the VM, and looking inside is its
  /// caller's part (the eflow mode's EflowConfigurator), so each guest command runs once.
  void setVerifyGuest(bool verify) { verifyGuest_ = verify; }

  /// The undo journal of the flow in progress (empty between flows).
  [[nodiscard]] const UndoJournal& journal() const { return journal_; }

private:
  Result<void> deployDda(const Selection& selection, const platform::VmName& vm,
                         std::vector<platform::LocationPath>& assigned);
  Result<void> deployGpuPv(const Selection& selection, const platform::VmName& vm);
  /// Stops the VM (devices and MMIO change only while it is off) and sets it to turn off.
  Result<platform::VmConfig> stopVm(const platform::VmName& vm);
  /// Grows the MMIO space to `need` and lets the guest control cache types.
  Result<void> sizeMmio(const platform::VmConfig& vm, platform::MmioSpace need);
  Result<void> startAndVerify(const platform::VmName& vm, const std::vector<std::string>& argv,
                              const std::function<bool(const platform::GuestOutput&)>& sees,
                              const std::string& what);
  Result<void> runTeardown(const platform::VmName& vm, const CurrentDeployment& current);
  void rollBack(FlowOutcome& outcome);
  /// Opens the journal; refuses when a crashed flow left one unfinished.
  Result<void> ready();
  void finish(FlowOutcome& outcome);

  platform::Platform p_;
  const data::GpuCatalog& catalog_;
  const data::RulesProfile& rules_;
  Log& log_;
  UndoJournal journal_;
  bool verifyGuest_ = true;
};

/// MMIO a VM needs for these devices: their BARs plus Hyper-V's default space as a buffer.
[[nodiscard]] platform::MmioSpace mmioNeed(const data::GpuModel& model, std::size_t count);

} // namespace hil::flows
