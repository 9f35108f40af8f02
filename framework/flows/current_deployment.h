#pragma once

#include <optional>
#include <string>
#include <vector>

#include "framework/core/log.h"
#include "framework/data/catalog.h"
#include "framework/data/rules.h"
#include "framework/flows/request.h"
#include "framework/platform/platform.h"

namespace hil::flows {

/// The GPU a VM holds now: assigned devices (DDA) or partition adapters (GPU-PV).
struct CurrentDeployment {
  std::vector<platform::AssignedDevice> assigned;
  std::vector<platform::GpuPartitionAdapter> adapters;
  [[nodiscard]] bool empty() const { return assigned.empty() && adapters.empty(); }
};

/// What `vm` holds, as Hyper-V lists it.
[[nodiscard]] Result<CurrentDeployment> heldBy(const platform::Platform& p,
                                               const platform::VmName& vm);

/// What `vm` holds (nothing where Hyper-V is off: the prerequisite check says why).
[[nodiscard]] Result<CurrentDeployment> currentDeployment(const platform::Platform& p,
                                                          const platform::VmName& vm);

/// What a deploy request meets on a VM that already holds a GPU, for every configurator: one
/// technique and one GPU model per VM. Nothing when the VM holds none (the deploy goes on);
/// otherwise the step's outcome: exactly what is asked for changes nothing (with the warnings
/// the deployment carries), anything else is invalid-request, "tear down first".
[[nodiscard]] std::optional<FlowOutcome>
meetCurrentDeployment(const platform::Platform& p, const data::GpuCatalog& catalog,
                      const data::RulesProfile& rules, Log& log, const DeployRequest& request,
                      const CurrentDeployment& current);

} // namespace hil::flows
