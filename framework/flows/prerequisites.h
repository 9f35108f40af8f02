#pragma once

#include <optional>
#include <vector>

#include "framework/core/error.h"
#include "framework/data/catalog.h"
#include "framework/data/rules.h"
#include "framework/flows/request.h"
#include "framework/platform/platform.h"

namespace hil::flows {

/// The GPUs a request selected and how they will reach the VM.
struct Selection {
  platform::Technique technique = platform::Technique::DirectDeviceAssignment;
  const data::GpuModel* model = nullptr;
  std::vector<platform::PnpDevice> devices; // gpuCount of them, in host order
  std::vector<bool> mitigationDriver;       // per device
};

struct PrerequisiteReport {
  std::vector<Error> failures; // every failing rule, sorted by the design doc's precedence
  std::vector<WarningCode> warnings;
  std::optional<Selection> selection; // set when nothing failed

  [[nodiscard]] bool passed() const { return failures.empty(); }
};

/// Checks a deploy request against the host and the rules profile, using query operations only:
/// it never changes the host. Passthrough None is not checked here.
[[nodiscard]] Result<PrerequisiteReport> checkPrerequisites(platform::Platform& platform,
                                                            const data::GpuCatalog& catalog,
                                                            const data::RulesProfile& rules,
                                                            const DeployRequest& request);

/// The catalog model of a PnP device, by PCI id.
[[nodiscard]] const data::GpuModel* modelOf(const data::GpuCatalog& catalog,
                                            const platform::PciId& pci);

} // namespace hil::flows
