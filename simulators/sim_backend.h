#pragma once

#include <memory>

#include "framework/runner/backend.h"
#include "simulators/sim_host.h"
#include "simulators/sim_seams.h"

namespace hil::simulators {

/// A simulated host built from a scenario's <host>: one SimHost shared by every Sim* seam.
class SimBackend : public runner::Backend, public runner::FaultControl {
public:
  SimBackend(const scenario::HostSpec& spec, const data::GpuCatalog& catalog, std::uint64_t seed);
  /// Around a host restored from a state folder; `vm` is the VM the guest seam reaches.
  SimBackend(std::unique_ptr<SimHost> host, platform::VmName vm);

  platform::Platform platform() override;
  const Clock& clock() const override { return host_->clock(); }
  void setLog(Log* log) override { host_->setLog(log); }
  Result<runner::Observation> observe(const platform::VmName& vm) override;
  platform::HostState snapshot() override;
  runner::FaultControl* faults() override { return this; }
  void checkpoint() override { host_->checkpoint(); }
  void disableFaults() override { host_->disableFaults(); }
  std::vector<std::pair<std::string, int>> reachedOperations() const override {
    return host_->reached();
  }
  bool tracksOperations() const override { return true; }

  [[nodiscard]] SimHost& host() { return *host_; }
  [[nodiscard]] SimHost& hostForTest() { return *host_; }

private:
  std::unique_ptr<SimHost> host_;
  SimHostOs hostOs_{*host_};
  SimPnp pnp_{*host_};
  SimHyperV hyperv_{*host_};
  SimDrivers drivers_{*host_};
  SimGuest guest_;
};

class SimBackendFactory : public runner::BackendFactory {
public:
  explicit SimBackendFactory(const data::GpuCatalog& catalog) : catalog_(catalog) {}
  std::string name() const override { return "sim"; }
  std::string rigClass() const override { return "sim"; }
  Result<std::unique_ptr<runner::Backend>>
  create(const scenario::Scenario& scenario, std::uint64_t seed,
         const std::vector<scenario::FaultSpec>& extraFaults) const override;

private:
  const data::GpuCatalog& catalog_;
};

/// Faults to inject: the extra ones first (they win over a scenario fault at the same place).
[[nodiscard]] std::vector<scenario::FaultSpec>
combineFaults(const std::vector<scenario::FaultSpec>& extra,
              const std::vector<scenario::FaultSpec>& scenario);

} // namespace hil::simulators
