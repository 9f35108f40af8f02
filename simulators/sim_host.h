#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "framework/core/clock.h"
#include "framework/core/crash.h"
#include "framework/core/error.h"
#include "framework/core/log.h"
#include "framework/core/random.h"
#include "framework/data/catalog.h"
#include "framework/platform/host_os.h"
#include "framework/platform/hyperv.h"
#include "framework/scenario/scenario.h"

namespace hil::simulators {

/// A GPU as the simulated host holds it.
struct SimGpu {
  const data::GpuModel* model = nullptr;
  platform::InstanceId instanceId;
  platform::LocationPath location;
  std::string interfacePath; // the name Get-VMHostPartitionableGpu shows
  bool enabled = true;
  bool mounted = true; // false: dismounted from the host (Dismount-VMHostAssignableDevice)
  bool mitigationDriver = false;
  bool wslDriver = false;
  bool inUse = false;
  bool badMemory = false;
  std::optional<platform::VmName> assignedTo;
  platform::MmioSpace need; // what its BARs really take (resizable BAR makes it larger)

  [[nodiscard]] bool partitionable() const { return model->partitionable && wslDriver && mounted; }
};

struct SimVm {
  platform::VmConfig config;
  std::vector<platform::LocationPath> assigned;
  std::vector<platform::GpuPartitionAdapter> adapters;
  bool guestDriver = true;
};

/// The one state machine every simulated seam shares, so that what one seam does the others see.
/// It enforces the rules Hyper-V enforces and injects faults by operation and occurrence.
class SimHost {
public:
  SimHost(const scenario::HostSpec& spec, const data::GpuCatalog& catalog, std::uint64_t seed);

  /// Every seam operation starts here: counts the call, traces it, and applies a fault planned
  /// for this occurrence (error: operation-failed with the real host's words; hang: the virtual
  /// clock runs to the command deadline, then timeout).
  /// A crash fault throws SimulatedCrash (or calls the crash handler): before the operation
  /// (`when="before"`) or, for `when="after"`, once the operation took effect: at the next
  /// operation or checkpoint().
  [[nodiscard]] Result<void> enter(std::string_view op, std::string_view detail);
  /// Delivers a crash that an operation which already took effect has scheduled.
  void checkpoint();
  /// What a crash does: by default throw SimulatedCrash; `hil run --state` persists the host
  /// and exits instead, as a power loss would.
  void setCrashHandler(std::function<void(const SimulatedCrash&)> handler) {
    crashHandler_ = std::move(handler);
  }
  /// No more injected faults (recovery and the final teardown of a sweep run).
  void disableFaults() { faultsEnabled_ = false; }
  /// Traces an operation's result.
  void trace(std::string line);
  /// Replaces the fault plan (a restored host gets the new run's faults).
  void setFaults(std::vector<scenario::FaultSpec> faults) { faults_ = std::move(faults); }
  [[nodiscard]] const std::vector<scenario::FaultSpec>& faults() const { return faults_; }

  [[nodiscard]] SimGpu* gpuByInstance(std::string_view id);
  [[nodiscard]] SimGpu* gpuByLocation(std::string_view location);
  [[nodiscard]] SimVm* vm(std::string_view name);

  [[nodiscard]] ManualClock& clock() { return clock_; }
  [[nodiscard]] SeededRandom& random() { return random_; }
  void setLog(Log* log) { log_ = log; }
  /// What a run has counted so far: how often each operation was called, a crash an operation
  /// that took effect has scheduled, and whether faults still fire. A host that lives across
  /// processes (the stand-in rig's) keeps it beside the host file.
  struct RunState {
    std::map<std::string, int, std::less<>> calls;
    std::optional<SimulatedCrash> pendingCrash;
    bool faultsEnabled = true;
  };
  [[nodiscard]] RunState runState() const { return {calls_, pendingCrash_, faultsEnabled_}; }
  void restoreRunState(RunState state) {
    calls_ = std::move(state.calls);
    pendingCrash_ = std::move(state.pendingCrash);
    faultsEnabled_ = state.faultsEnabled;
  }

  /// Operations in the order they were called, with their occurrence numbers.
  [[nodiscard]] const std::vector<std::pair<std::string, int>>& reached() const { return reached_; }

  platform::WindowsInfo windows;
  platform::HyperVFeature hyperv;
  std::vector<SimGpu> gpus;
  std::map<platform::VmName, SimVm, std::less<>> vms;
  int nextAdapterId = 1;
  std::chrono::seconds commandDeadline{300};

private:
  void crash(const SimulatedCrash& crash);

  std::vector<scenario::FaultSpec> faults_;
  bool faultsEnabled_ = true;
  std::optional<SimulatedCrash> pendingCrash_;
  std::function<void(const SimulatedCrash&)> crashHandler_;
  std::map<std::string, int, std::less<>> calls_;
  std::vector<std::pair<std::string, int>> reached_;
  ManualClock clock_;
  SeededRandom random_;
  Log* log_ = nullptr;
};

/// Hyper-V's WMI job failure in its own words: "Job failed with error code 32775: Invalid state
/// for this operation."
[[nodiscard]] std::string wmiJobError(std::string_view what, int code);

} // namespace hil::simulators
