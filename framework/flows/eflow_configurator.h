#pragma once

#include "framework/core/log.h"
#include "framework/data/catalog.h"
#include "framework/data/rules.h"
#include "framework/flows/configurator.h"
#include "framework/flows/current_deployment.h"
#include "framework/flows/prerequisites.h"
#include "framework/flows/undo_journal.h"
#include "framework/platform/eflow.h"
#include "framework/platform/platform.h"

namespace hil::flows {

/// The `eflow` real mode: EFLOW's Set-EflowVM configures the GPU, as a customer would run it.
/// gpu-hil checks the prerequisites first (a request the rules reject never reaches EFLOW) and
/// verifies afterwards, through the same query seams, that the host and the guest hold what was
/// asked: how a nightly run tests a new EFLOW release on a rig.
///
/// EFLOW documents no rollback and no recovery of its own, so before it asks Set-EflowVM the
/// configurator journals the undo of everything that call may change on the host (the steps of
/// the documented DDA or GPU-PV procedure, each undone only where it took effect). A call that
/// fails, a result that is not what was asked, and a controller killed mid-call (recovered by
/// `hil recover` from the same store) all end with the host as it was.
class EflowConfigurator : public Configurator {
public:
  /// `store` keeps the journal where another process can find it (a state folder); null keeps
  /// it in memory.
  EflowConfigurator(platform::Platform platform, platform::Eflow& eflow,
                    const data::GpuCatalog& catalog, const data::RulesProfile& rules, Log& log,
                    FlowStore* store = nullptr)
      : p_(platform), eflow_(eflow), catalog_(catalog), rules_(rules), log_(log), journal_(store) {}

  FlowOutcome deploy(const DeployRequest& request) override;
  FlowOutcome teardown(const platform::VmName& vm) override;

  /// The undo journal of the flow in progress (empty between flows).
  [[nodiscard]] const UndoJournal& journal() const { return journal_; }

private:
  /// Journals the undo of what Set-EflowVM may change to deploy `selection` on `vm`.
  Result<void> journalDeploy(const Selection& selection, const platform::VmName& vm);
  /// Journals the undo of what Set-EflowVM without GPU arguments may change to take `current`
  /// off `vm`.
  Result<void> journalTeardown(const CurrentDeployment& current, const platform::VmName& vm);
  /// Journals the undo of a change to `vm`'s stop action, MMIO space and cache types.
  Result<void> journalSettings(const platform::VmConfig& vm);
  /// Set-EflowVM for `selection`, then what the host and the guest hold checked.
  Result<void> configure(const Selection& selection, const platform::VmName& vm,
                         std::vector<platform::LocationPath>& assigned);
  Result<void> removeGpu(const platform::VmName& vm);

  platform::Platform p_;
  platform::Eflow& eflow_;
  const data::GpuCatalog& catalog_;
  const data::RulesProfile& rules_;
  Log& log_;
  UndoJournal journal_;
};

} // namespace hil::flows
