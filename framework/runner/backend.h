#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "framework/core/clock.h"
#include "framework/core/error.h"
#include "framework/core/log.h"
#include "framework/data/catalog.h"
#include "framework/data/rules.h"
#include "framework/platform/host_state.h"
#include "framework/platform/platform.h"
#include "framework/scenario/scenario.h"

// The flows are the runner's own business (it links them privately): a backend names them
// only here, and only a backend that makes its own configurator (real_hw) includes them.
namespace hil::flows {
class Configurator;
class FlowStore;
} // namespace hil::flows

namespace hil::runner {

/// What the VM and the host hold, as `<expect vm-gpu host-gpu>` checks it.
struct Observation {
  scenario::VmGpu vmGpu = scenario::VmGpu::None;
  scenario::HostGpu hostGpu = scenario::HostGpu::Present;
};

/// Fault injection on a backend that has it (the simulator, a stand-in rig): apart from the
/// seams, which are all that a real host or a replay offers.
class FaultControl {
public:
  virtual ~FaultControl() = default;
  /// Delivers a crash an operation that already took effect has scheduled (SimulatedCrash).
  virtual void checkpoint() = 0;
  /// No more injected faults: recovery and a sweep's final teardown run on a healthy host.
  virtual void disableFaults() = 0;
  /// The operations performed so far, each with its occurrence number (what a sweep targets).
  [[nodiscard]] virtual std::vector<std::pair<std::string, int>> reachedOperations() const {
    return {};
  }
  /// Does reachedOperations() know them (so a scenario's fault never reached can be told)?
  [[nodiscard]] virtual bool tracksOperations() const { return false; }
};

/// One host for one scenario run: its seams, its clock, and a view of its state that injected
/// faults do not touch.
class Backend {
public:
  virtual ~Backend() = default;
  [[nodiscard]] virtual platform::Platform platform() = 0;
  [[nodiscard]] virtual const Clock& clock() const = 0;
  /// Where the backend traces the operations it performs.
  virtual void setLog(Log* log) = 0;
  [[nodiscard]] virtual Result<Observation> observe(const platform::VmName& vm) = 0;
  /// The host as the invariants see it, read without injected faults.
  [[nodiscard]] virtual platform::HostState snapshot() = 0;
  /// Broken invariants of the host state now (a GPU dismounted and assigned to no VM, ...).
  [[nodiscard]] std::vector<std::string> invariantViolations();

  /// Its fault injection, or null where there is none (a real host, a replay).
  [[nodiscard]] virtual FaultControl* faults() { return nullptr; }
  /// The scenario is over: keep the host where it lives (a state folder), if anywhere.
  [[nodiscard]] virtual Result<void> finish() { return {}; }
  /// What configures the GPU on this host: by default our own flows (journalled in `store`).
  [[nodiscard]] virtual std::unique_ptr<flows::Configurator>
  configurator(const data::GpuCatalog& catalog, const data::RulesProfile& rules, Log& log,
               flows::FlowStore* store);
};

/// Makes a backend per scenario; called from several threads at once under --jobs.
class BackendFactory {
public:
  virtual ~BackendFactory() = default;
  [[nodiscard]] virtual std::string name() const = 0;
  /// The class of rig its results certify (a policy's rig-class): "sim" for the simulator.
  [[nodiscard]] virtual std::string rigClass() const { return name(); }
  /// How many scenarios its hosts can run at once: 0 for as many as asked (each scenario has a
  /// host of its own), 1 where every scenario runs on the one host there is (a rig, a state
  /// folder). The runner refuses more (Runner::accepts).
  [[nodiscard]] virtual int maxJobs() const { return 0; }
  /// Why this backend cannot run the scenario (it is then reported as skipped), if it can't.
  [[nodiscard]] virtual std::optional<std::string>
  skipReason(const scenario::Scenario& /*scenario*/) const {
    return std::nullopt;
  }
  /// A host for the scenario, with `extraFaults` injected before the scenario's own.
  [[nodiscard]] virtual Result<std::unique_ptr<Backend>>
  create(const scenario::Scenario& scenario, std::uint64_t seed,
         const std::vector<scenario::FaultSpec>& extraFaults) const = 0;
};

} // namespace hil::runner
