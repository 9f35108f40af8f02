#pragma once

#include <optional>
#include <string>
#include <vector>

#include "framework/platform/eflow.h"
#include "simulators/sim_seams.h"

namespace hil::simulators {

/// EFLOW's Set-EflowVM on the simulated host, modelled from Microsoft's documentation of the
/// product (the sources are named beside each step in sim_eflow.cpp), never from gpu-hil's own
/// flows, which the `eflow` mode checks against it. Every change goes through the simulator's
/// seams, so the host's rules and a scenario's injected faults apply to EFLOW's steps as they do
/// to gpu-hil's; the MMIO space comes from the GPU catalog the simulated host was built from.
///
/// EFLOW documents no rollback: a call that fails (or is killed) leaves the host as far as it
/// got, for its caller to put back. What it keeps between calls (the VM's settings before its
/// first GPU, so that Set-EflowVM without GPU arguments restores them) is in `dir`.
class SimEflow : public platform::Eflow {
public:
  SimEflow(SimHost& host, platform::VmName vm, std::string dir)
      : host_(host), vm_(std::move(vm)), dir_(std::move(dir)) {}

  /// Set-EflowVM -gpuPassthroughType T -gpuName N -gpuCount C [-headless], or without a
  /// technique, Set-EflowVM without GPU arguments (the GPU removed).
  Result<void> setGpu(const platform::EflowGpuRequest& request) override;

  /// The file EFLOW keeps the VM's settings before its first GPU in.
  [[nodiscard]] std::string settingsFile() const;

private:
  /// The VM's stop action, MMIO space and cache types before EFLOW gave it a GPU.
  struct Settings {
    platform::StopAction stopAction = platform::StopAction::Save;
    platform::MmioSpace mmio = platform::kDefaultMmio;
    bool cacheTypes = false;
  };

  /// The documented limits of -gpuCount.
  static Result<void> checkCount(const platform::EflowGpuRequest& request);
  /// What the VM holds now: assigned devices and partition adapters.
  struct Held {
    std::vector<platform::AssignedDevice> assigned;
    std::vector<platform::GpuPartitionAdapter> adapters;
    [[nodiscard]] bool empty() const { return assigned.empty() && adapters.empty(); }
  };
  Result<Held> held();
  /// The GPUs the request names: the first gpuCount display devices of that name.
  Result<std::vector<platform::PnpDevice>> chosen(const platform::EflowGpuRequest& request);
  /// Whether the VM holds exactly what the request asks for already.
  Result<bool> holds(const platform::EflowGpuRequest& request);
  Result<void> assign(platform::Technique technique, const std::vector<platform::PnpDevice>& gpus,
                      bool headless);
  Result<void> remove();
  /// Stops the VM (its settings and devices change only while it is off) and sets the stop
  /// action DDA needs; the VM's settings first recorded when EFLOW has none on file.
  Result<void> prepare();
  Result<void> sizeMmio(const std::vector<platform::PnpDevice>& gpus);

  Result<std::optional<Settings>> loadSettings() const;
  Result<void> saveSettings(const Settings& settings) const;
  Result<void> forgetSettings() const;

  SimHost& host_;
  platform::VmName vm_;
  std::string dir_;
  SimPnp pnp_{host_};
  SimHyperV hyperv_{host_};
  SimDrivers drivers_{host_};
};

} // namespace hil::simulators
