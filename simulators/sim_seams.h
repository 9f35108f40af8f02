#pragma once

#include "framework/platform/platform.h"
#include "simulators/sim_host.h"

namespace hil::simulators {

class SimHostOs : public platform::HostOs {
public:
  explicit SimHostOs(SimHost& host) : host_(host) {}
  Result<platform::WindowsInfo> windowsInfo() const override;
  Result<platform::HyperVFeature> hypervFeature() const override;

private:
  SimHost& host_;
};

class SimPnp : public platform::Pnp {
public:
  explicit SimPnp(SimHost& host) : host_(host) {}
  Result<std::vector<platform::PnpDevice>> displayDevices() const override;
  Result<platform::LocationPath> locationPath(const platform::InstanceId& device) const override;
  Result<void> disableDevice(const platform::InstanceId& device) override;
  Result<void> enableDevice(const platform::InstanceId& device) override;

private:
  SimHost& host_;
};

class SimHyperV : public platform::HyperV {
public:
  explicit SimHyperV(SimHost& host) : host_(host) {}
  Result<platform::VmConfig> vmConfig(const platform::VmName& vm) const override;
  Result<void> startVm(const platform::VmName& vm) override;
  Result<void> stopVm(const platform::VmName& vm) override;
  Result<void> setAutomaticStopAction(const platform::VmName& vm,
                                      platform::StopAction action) override;
  Result<void> setMemoryMappedIo(const platform::VmName& vm, platform::MmioSpace space) override;
  Result<void> setGuestControlledCacheTypes(const platform::VmName& vm, bool enabled) override;
  Result<std::vector<platform::LocationPath>> hostAssignableDevices() const override;
  Result<void> dismountHostDevice(const platform::LocationPath& device, bool force) override;
  Result<void> mountHostDevice(const platform::LocationPath& device) override;
  Result<std::vector<platform::AssignedDevice>>
  assignableDevices(const platform::VmName& vm) const override;
  Result<void> addAssignableDevice(const platform::VmName& vm,
                                   const platform::LocationPath& device) override;
  Result<void> removeAssignableDevice(const platform::VmName& vm,
                                      const platform::LocationPath& device) override;
  Result<std::vector<platform::PartitionableGpu>> partitionableGpus() const override;
  Result<std::vector<platform::GpuPartitionAdapter>>
  gpuPartitionAdapters(const platform::VmName& vm) const override;
  Result<platform::GpuPartitionAdapter>
  addGpuPartitionAdapter(const platform::VmName& vm, const std::string& instancePath) override;
  Result<void> removeGpuPartitionAdapter(const platform::VmName& vm,
                                         const std::string& adapterId) override;

private:
  Result<void> requireHyperV() const;
  /// Enters the operation and finds the VM (Hyper-V must be enabled).
  Result<SimVm*> enterVm(std::string_view op, const platform::VmName& vm,
                         std::string_view detail = {}) const;
  Result<void> requireOff(const SimVm& vm, std::string_view what) const;

  SimHost& host_;
};

class SimDrivers : public platform::Drivers {
public:
  explicit SimDrivers(SimHost& host) : host_(host) {}
  Result<bool> mitigationDriverInstalled(const platform::InstanceId& device) const override;
  Result<bool> wslDriverInstalled(const platform::InstanceId& device) const override;

private:
  SimHost& host_;
};

/// The EFLOW VM's guest: everything it shows is derived from the host state (what is assigned,
/// which adapters exist, the VM's MMIO space) and the catalog.
class SimGuest : public platform::Guest {
public:
  SimGuest(SimHost& host, platform::VmName vm) : host_(host), vm_(std::move(vm)) {}
  Result<platform::GuestOutput> run(const std::vector<std::string>& argv) override;

private:
  platform::GuestOutput lspci(const SimVm& vm) const;
  platform::GuestOutput ls(const SimVm& vm, const std::vector<std::string>& argv) const;
  platform::GuestOutput smoke(const SimVm& vm);

  SimHost& host_;
  platform::VmName vm_;
};

} // namespace hil::simulators
