#pragma once

#include <optional>
#include <string>
#include <vector>

#include "framework/platform/host_state.h"
#include "framework/platform/types.h"

namespace hil::flows {

/// One broken invariant: its name (a stable word, used as the JUnit failure type), what it is
/// about (a GPU or a setting), and that thing's state before and after.
struct Violation {
  std::string invariant; // gpu-lost, gpu-assigned-twice, gpu-on-host-and-vm, rejected-changed-host,
                         // not-idempotent, gpu-misplaced, vm-settings, not-rolled-back, not-clean
  std::string
      subject; // "GPU \"NVIDIA Tesla T4\" at PCIROOT(0)#PCI(0300)#PCI(0000)", "VM EFLOW MMIO"
  std::string before;
  std::string after;

  bool operator==(const Violation&) const = default;
  /// "gpu-lost: GPU ... : before on the host, enabled; after dismounted, assigned to no VM"
  [[nodiscard]] std::string describe() const;
};

/// Invariants of any single host state: no GPU dismounted and assigned to no VM, none assigned
/// to two VMs, none both on the host and assigned.
[[nodiscard]] std::vector<Violation> checkHost(const platform::HostState& state);

/// How a deploy or teardown step ended, as far as the invariants care.
struct StepRecord {
  enum class Kind { Deploy, Teardown };
  enum class Ending {
    Rejected,   // refused before any change: the host must be exactly as before
    Unchanged,  // already in the requested state (idempotent): exactly as before
    RolledBack, // failed and rolled back, or recovered after a crash: as before
    Done,       // succeeded: each GPU and setting where it was or where the request put it
  };
  Kind kind = Kind::Deploy;
  Ending ending = Ending::Done;
  platform::VmName vm = "EFLOW";
  /// For a deploy that succeeded: how, and which GPUs (location paths) it was to take.
  std::optional<platform::Technique> technique;
  std::vector<platform::LocationPath> gpus;
};

/// Invariants of one step: checkHost on `after`, plus what the step's ending allows relative to
/// `before`. `original` is the host before the scenario's first deploy: a teardown may restore
/// VM settings to it.
[[nodiscard]] std::vector<Violation> checkStep(const platform::HostState& original,
                                               const platform::HostState& before,
                                               const platform::HostState& after,
                                               const StepRecord& step);

/// After a final teardown: every GPU on the host, enabled as it was in `original`; no VM holds
/// a GPU or a partition adapter; VM settings as in `original` or as a deploy configured them.
[[nodiscard]] std::vector<Violation> checkClean(const platform::HostState& original,
                                                const platform::HostState& after);

} // namespace hil::flows
