#include "simulators/sim_seams.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "framework/platform/smoke_output.h"

namespace hil::simulators {

using platform::DeviceStatus;
using platform::VmState;

// ---- HostOs ----------------------------------------------------------------------------------

Result<platform::WindowsInfo> SimHostOs::windowsInfo() const {
  HIL_TRY(host_.enter("hostos.get-windows-info", ""));
  return host_.windows;
}

Result<platform::HyperVFeature> SimHostOs::hypervFeature() const {
  HIL_TRY(host_.enter("hostos.get-hyperv-feature", ""));
  return host_.hyperv;
}

// ---- Pnp -------------------------------------------------------------------------------------

Result<std::vector<platform::PnpDevice>> SimPnp::displayDevices() const {
  HIL_TRY(host_.enter("pnp.get-devices", ""));
  std::vector<platform::PnpDevice> devices;
  for (const auto& gpu : host_.gpus) {
    if (gpu.mounted) {
      devices.push_back({gpu.instanceId, gpu.model->name, gpu.model->pci,
                         gpu.enabled ? DeviceStatus::Ok : DeviceStatus::Disabled});
    }
  }
  return devices;
}

Result<platform::LocationPath> SimPnp::locationPath(const platform::InstanceId& device) const {
  HIL_TRY(host_.enter("pnp.get-location-path", device));
  const auto* gpu = host_.gpuByInstance(device);
  if (gpu == nullptr || !gpu->mounted) {
    return fail(ErrorCode::OperationFailed,
                fmt::format("No matching Win32_PnPEntity objects found by CIM query for instance "
                            "'{}'",
                            device));
  }
  return gpu->location;
}

Result<void> SimPnp::disableDevice(const platform::InstanceId& device) {
  HIL_TRY(host_.enter("pnp.disable-device", device));
  auto* gpu = host_.gpuByInstance(device);
  if (gpu == nullptr || !gpu->mounted) {
    return fail(ErrorCode::OperationFailed,
                fmt::format("No matching Win32_PnPEntity objects found for '{}'", device));
  }
  if (gpu->inUse) {
    return fail(ErrorCode::DeviceBusy,
                fmt::format("Disable-PnpDevice: \"{}\" is in use by another process and cannot be "
                            "disabled now; close the applications using it",
                            gpu->model->name));
  }
  gpu->enabled = false;
  return {};
}

Result<void> SimPnp::enableDevice(const platform::InstanceId& device) {
  HIL_TRY(host_.enter("pnp.enable-device", device));
  auto* gpu = host_.gpuByInstance(device);
  if (gpu == nullptr || !gpu->mounted) {
    return fail(ErrorCode::OperationFailed,
                fmt::format("No matching Win32_PnPEntity objects found for '{}'", device));
  }
  gpu->enabled = true;
  return {};
}

// ---- HyperV ----------------------------------------------------------------------------------

Result<void> SimHyperV::requireHyperV() const {
  if (!host_.hyperv.enabled) {
    return fail(ErrorCode::OperationFailed,
                "The Hyper-V module is not available: Hyper-V is not enabled on this host");
  }
  return {};
}

Result<SimVm*> SimHyperV::enterVm(std::string_view op, const platform::VmName& vm,
                                  std::string_view detail) const {
  HIL_TRY(host_.enter(op, detail.empty() ? std::string_view{vm} : detail));
  HIL_TRY(requireHyperV());
  auto* v = host_.vm(vm);
  if (v == nullptr) {
    return fail(ErrorCode::OperationFailed,
                fmt::format("Hyper-V was unable to find a virtual machine with name \"{}\".", vm));
  }
  return v;
}

Result<void> SimHyperV::requireOff(const SimVm& vm, std::string_view what) const {
  if (vm.config.state != VmState::Off) {
    // Hyper-V's job error 32775 (invalid state for this operation): stop the VM, then retry.
    return fail(
        ErrorCode::FailedPrecondition,
        wmiJobError(fmt::format("{} on '{}' failed: the VM is running.", what, vm.config.name),
                    32775));
  }
  return {};
}

Result<platform::VmConfig> SimHyperV::vmConfig(const platform::VmName& vm) const {
  auto v = enterVm("hyperv.get-vm", vm);
  if (!v) {
    return std::unexpected(v.error());
  }
  return (*v)->config;
}

Result<void> SimHyperV::startVm(const platform::VmName& vm) {
  auto v = enterVm("hyperv.start-vm", vm);
  if (!v) {
    return std::unexpected(v.error());
  }
  auto& sim = **v;
  if (sim.config.state == VmState::Running) {
    return {};
  }
  platform::MmioSpace need{0, 0};
  for (const auto& location : sim.assigned) {
    const auto* gpu = host_.gpuByLocation(location);
    need.low += gpu->need.low;
    need.high += gpu->need.high;
  }
  // The VM's own devices take Hyper-V's default space; assigned devices need room beyond it.
  need.low += need.low > 0 ? platform::kDefaultMmio.low : 0;
  need.high += need.high > 0 ? platform::kDefaultMmio.high : 0;
  if (need.low > sim.config.mmio.low || need.high > sim.config.mmio.high) {
    return fail(ErrorCode::VmStartFailed,
                fmt::format("'{}' failed to start. Virtual Pci Express Port: Failed to Power on "
                            "with Error 'Insufficient system resources exist to complete the "
                            "requested service.' (assigned devices need {} low and {} high MMIO "
                            "space; the VM has {} and {})",
                            vm, platform::formatBytes(need.low), platform::formatBytes(need.high),
                            platform::formatBytes(sim.config.mmio.low),
                            platform::formatBytes(sim.config.mmio.high)));
  }
  sim.config.state = VmState::Running;
  return {};
}

Result<void> SimHyperV::stopVm(const platform::VmName& vm) {
  auto v = enterVm("hyperv.stop-vm", vm);
  if (!v) {
    return std::unexpected(v.error());
  }
  (*v)->config.state = VmState::Off;
  return {};
}

Result<void> SimHyperV::setAutomaticStopAction(const platform::VmName& vm,
                                               platform::StopAction action) {
  auto v = enterVm("hyperv.set-vm-automatic-stop-action", vm,
                   fmt::format("{} {}", vm, toString(action)));
  if (!v) {
    return std::unexpected(v.error());
  }
  (*v)->config.automaticStopAction = action;
  return {};
}

Result<void> SimHyperV::setMemoryMappedIo(const platform::VmName& vm, platform::MmioSpace space) {
  auto v = enterVm("hyperv.set-vm-memory-mapped-io", vm,
                   fmt::format("{} low {} high {}", vm, platform::formatBytes(space.low),
                               platform::formatBytes(space.high)));
  if (!v) {
    return std::unexpected(v.error());
  }
  HIL_TRY(requireOff(**v, "Set-VM -LowMemoryMappedIoSpace"));
  (*v)->config.mmio = space;
  return {};
}

Result<void> SimHyperV::setGuestControlledCacheTypes(const platform::VmName& vm, bool enabled) {
  auto v =
      enterVm("hyperv.set-vm-guest-controlled-cache-types", vm, fmt::format("{} {}", vm, enabled));
  if (!v) {
    return std::unexpected(v.error());
  }
  HIL_TRY(requireOff(**v, "Set-VM -GuestControlledCacheTypes"));
  (*v)->config.guestControlledCacheTypes = enabled;
  return {};
}

Result<std::vector<platform::LocationPath>> SimHyperV::hostAssignableDevices() const {
  HIL_TRY(host_.enter("hyperv.get-host-assignable-devices", ""));
  HIL_TRY(requireHyperV());
  std::vector<platform::LocationPath> parked;
  for (const auto& gpu : host_.gpus) {
    if (!gpu.mounted && !gpu.assignedTo) {
      parked.push_back(gpu.location);
    }
  }
  return parked;
}

Result<void> SimHyperV::dismountHostDevice(const platform::LocationPath& device, bool force) {
  HIL_TRY(host_.enter("hyperv.dismount-host-device",
                      fmt::format("{}{}", device, force ? " -Force" : "")));
  HIL_TRY(requireHyperV());
  auto* gpu = host_.gpuByLocation(device);
  if (gpu == nullptr || !gpu->mounted) {
    return fail(ErrorCode::OperationFailed,
                fmt::format("No device at location path '{}' is present on the host.", device));
  }
  if (gpu->enabled) {
    return fail(
        ErrorCode::OperationFailed,
        fmt::format("The device at '{}' must be disabled before it can be dismounted.", device));
  }
  if (!gpu->mitigationDriver && !force) {
    return fail(ErrorCode::OperationFailed,
                fmt::format("No partitioning (mitigation) driver is installed for the device at "
                            "'{}'. Use -Force to dismount it anyway, at a higher security risk.",
                            device));
  }
  gpu->mounted = false;
  return {};
}

Result<void> SimHyperV::mountHostDevice(const platform::LocationPath& device) {
  HIL_TRY(host_.enter("hyperv.mount-host-device", device));
  HIL_TRY(requireHyperV());
  auto* gpu = host_.gpuByLocation(device);
  if (gpu == nullptr || gpu->mounted) {
    return fail(ErrorCode::OperationFailed,
                fmt::format("The device at '{}' is not dismounted from the host.", device));
  }
  if (gpu->assignedTo) {
    return fail(ErrorCode::OperationFailed,
                wmiJobError(fmt::format("The device at '{}' is assigned to VM '{}'.", device,
                                        *gpu->assignedTo),
                            32774));
  }
  gpu->mounted = true;
  gpu->enabled = false; // comes back disabled: Enable-PnpDevice follows
  return {};
}

Result<std::vector<platform::AssignedDevice>>
SimHyperV::assignableDevices(const platform::VmName& vm) const {
  auto v = enterVm("hyperv.get-assignable-devices", vm);
  if (!v) {
    return std::unexpected(v.error());
  }
  std::vector<platform::AssignedDevice> devices;
  for (const auto& location : (*v)->assigned) {
    const auto* gpu = host_.gpuByLocation(location);
    // Assigned devices show with the PCIP enumerator in their instance id.
    auto id = gpu->instanceId;
    id.replace(0, 3, "PCIP");
    devices.push_back({location, id});
  }
  return devices;
}

Result<void> SimHyperV::addAssignableDevice(const platform::VmName& vm,
                                            const platform::LocationPath& device) {
  auto v = enterVm("hyperv.add-assignable-device", vm, fmt::format("{} {}", vm, device));
  if (!v) {
    return std::unexpected(v.error());
  }
  auto* gpu = host_.gpuByLocation(device);
  if (gpu == nullptr || gpu->mounted) {
    return fail(ErrorCode::OperationFailed,
                fmt::format("The device at '{}' is not dismounted from the host: run "
                            "Dismount-VMHostAssignableDevice first.",
                            device));
  }
  if (gpu->assignedTo) {
    return fail(ErrorCode::OperationFailed,
                wmiJobError(fmt::format("The device at '{}' is already assigned to VM '{}'.",
                                        device, *gpu->assignedTo),
                            32774));
  }
  HIL_TRY(requireOff(**v, "Add-VMAssignableDevice"));
  gpu->assignedTo = vm;
  (*v)->assigned.push_back(device);
  return {};
}

Result<void> SimHyperV::removeAssignableDevice(const platform::VmName& vm,
                                               const platform::LocationPath& device) {
  auto v = enterVm("hyperv.remove-assignable-device", vm, fmt::format("{} {}", vm, device));
  if (!v) {
    return std::unexpected(v.error());
  }
  auto& assigned = (*v)->assigned;
  const auto it = std::find(assigned.begin(), assigned.end(), device);
  if (it == assigned.end()) {
    return fail(ErrorCode::OperationFailed,
                fmt::format("The device at '{}' is not assigned to VM '{}'.", device, vm));
  }
  HIL_TRY(requireOff(**v, "Remove-VMAssignableDevice"));
  assigned.erase(it);
  host_.gpuByLocation(device)->assignedTo.reset();
  return {};
}

Result<std::vector<platform::PartitionableGpu>> SimHyperV::partitionableGpus() const {
  HIL_TRY(host_.enter("hyperv.get-partitionable-gpus", ""));
  HIL_TRY(requireHyperV());
  std::vector<platform::PartitionableGpu> gpus;
  for (const auto& gpu : host_.gpus) {
    if (gpu.partitionable()) {
      gpus.push_back({gpu.interfacePath, gpu.instanceId, 32});
    }
  }
  return gpus;
}

Result<std::vector<platform::GpuPartitionAdapter>>
SimHyperV::gpuPartitionAdapters(const platform::VmName& vm) const {
  auto v = enterVm("hyperv.get-gpu-partition-adapters", vm);
  if (!v) {
    return std::unexpected(v.error());
  }
  return (*v)->adapters;
}

Result<platform::GpuPartitionAdapter>
SimHyperV::addGpuPartitionAdapter(const platform::VmName& vm, const std::string& instancePath) {
  auto v = enterVm("hyperv.add-gpu-partition-adapter", vm, fmt::format("{} {}", vm, instancePath));
  if (!v) {
    return std::unexpected(v.error());
  }
  const auto gpu = std::find_if(host_.gpus.begin(), host_.gpus.end(), [&](const SimGpu& g) {
    return g.interfacePath == instancePath && g.partitionable();
  });
  if (gpu == host_.gpus.end()) {
    return fail(ErrorCode::OperationFailed,
                fmt::format("The GPU '{}' is not partitionable on this host.", instancePath));
  }
  HIL_TRY(requireOff(**v, "Add-VMGpuPartitionAdapter"));
  platform::GpuPartitionAdapter adapter{
      fmt::format("Microsoft:{:08X}-GPUP-{}", 0x5d3c1a00, host_.nextAdapterId++), instancePath};
  (*v)->adapters.push_back(adapter);
  return adapter;
}

Result<void> SimHyperV::removeGpuPartitionAdapter(const platform::VmName& vm,
                                                  const std::string& adapterId) {
  auto v = enterVm("hyperv.remove-gpu-partition-adapter", vm, fmt::format("{} {}", vm, adapterId));
  if (!v) {
    return std::unexpected(v.error());
  }
  auto& adapters = (*v)->adapters;
  const auto it = std::find_if(adapters.begin(), adapters.end(),
                               [&](const auto& a) { return a.id == adapterId; });
  if (it == adapters.end()) {
    return fail(ErrorCode::OperationFailed,
                fmt::format("VM '{}' has no GPU partition adapter '{}'.", vm, adapterId));
  }
  HIL_TRY(requireOff(**v, "Remove-VMGpuPartitionAdapter"));
  adapters.erase(it);
  return {};
}

// ---- Drivers ---------------------------------------------------------------------------------

Result<bool> SimDrivers::mitigationDriverInstalled(const platform::InstanceId& device) const {
  HIL_TRY(host_.enter("drivers.get-mitigation-driver", device));
  const auto* gpu = host_.gpuByInstance(device);
  return gpu != nullptr && gpu->mitigationDriver;
}

Result<bool> SimDrivers::wslDriverInstalled(const platform::InstanceId& device) const {
  HIL_TRY(host_.enter("drivers.get-wsl-driver", device));
  const auto* gpu = host_.gpuByInstance(device);
  return gpu != nullptr && gpu->wslDriver;
}

// ---- Guest -----------------------------------------------------------------------------------

Result<platform::GuestOutput> SimGuest::run(const std::vector<std::string>& argv) {
  std::string line;
  for (const auto& arg : argv) {
    line += line.empty() ? "" : " ";
    line += arg;
  }
  HIL_TRY(host_.enter("guest.run", line));
  auto* vm = host_.vm(vm_);
  if (vm == nullptr || vm->config.state != VmState::Running) {
    return fail(ErrorCode::OperationFailed,
                fmt::format("Invoke-EflowVmCommand: the EFLOW VM '{}' is not running", vm_));
  }
  if (argv.empty()) {
    return platform::GuestOutput{2, "", "usage: no command given\n"};
  }
  if (argv[0] == "lspci") {
    return lspci(*vm);
  }
  if (argv[0] == "ls") {
    return ls(*vm, argv);
  }
  if (argv[0] == platform::kSmokeProgram) {
    return smoke(*vm);
  }
  return platform::GuestOutput{127, "", fmt::format("bash: {}: command not found\n", argv[0])};
}

platform::GuestOutput SimGuest::lspci(const SimVm& vm) const {
  platform::GuestOutput out;
  int bus = 0;
  for (const auto& location : vm.assigned) {
    const auto* gpu = host_.gpuByLocation(location);
    const bool display = gpu->model->family != "datacenter";
    out.out += fmt::format("{:04x}:00:00.0 {}: {} (rev a1)\n", 0x6e2c + bus++,
                           display ? "0300" : "0302", gpu->model->pci.toString());
  }
  return out;
}

platform::GuestOutput SimGuest::ls(const SimVm& vm, const std::vector<std::string>& argv) const {
  platform::GuestOutput out;
  const bool paravirtual = !vm.adapters.empty();
  for (std::size_t i = 1; i < argv.size(); ++i) {
    const auto& path = argv[i];
    if (paravirtual && path == "/dev/dxg") {
      out.out += "/dev/dxg\n";
    } else if (paravirtual && path == "/usr/lib/wsl/lib") {
      out.out += "/usr/lib/wsl/lib:\nlibcuda.so\nlibcuda.so.1\nlibcuda.so.1.1\nlibd3d12.so\n"
                 "libd3d12core.so\nlibdxcore.so\nlibnvidia-ml.so.1\nnvidia-smi\n";
    } else {
      out.err += fmt::format("ls: cannot access '{}': No such file or directory\n", path);
      out.exitCode = 2;
    }
  }
  return out;
}

namespace {

/// The GPU the smoke program would find in the VM: an assigned one, else a GPU-PV adapter's.
struct SmokeTarget {
  const SimGpu* gpu = nullptr;
  bool paravirtual = false;
  std::size_t count = 0;
};

SmokeTarget smokeTarget(SimHost& host, const SimVm& vm) {
  SmokeTarget target;
  if (!vm.assigned.empty()) {
    target.gpu = host.gpuByLocation(vm.assigned.front());
    target.count = vm.assigned.size();
  } else if (!vm.adapters.empty()) {
    const auto it = std::find_if(host.gpus.begin(), host.gpus.end(), [&](const SimGpu& g) {
      return g.interfacePath == vm.adapters.front().instancePath;
    });
    target.gpu = it == host.gpus.end() ? nullptr : &*it;
    target.paravirtual = true;
    target.count = 1;
  }
  return target;
}

/// Why the smoke program would find no CUDA device, if it would not.
std::optional<std::string> noDeviceReason(const SimVm& vm, const SmokeTarget& target) {
  const auto* gpu = target.gpu;
  if (gpu == nullptr) {
    return "cudaGetDeviceCount returned 100 (no CUDA-capable device is detected); the VM has no "
           "GPU";
  }
  if (!gpu->model->isNvidia()) {
    return fmt::format("\"{}\" is not an NVIDIA GPU", gpu->model->name);
  }
  if (!target.paravirtual && !vm.guestDriver) {
    return "cudaGetDeviceCount returned 35 (CUDA driver version is insufficient for CUDA runtime "
           "version); the NVIDIA driver is not loaded in the guest";
  }
  if (target.paravirtual) {
    // The GPU's BARs as the catalog gives them (SimGpu::need), on top of what the VM itself
    // takes: never the flows' own sizing, which this checks.
    if (vm.config.mmio.high < platform::kDefaultMmio.high + gpu->need.high ||
        vm.config.mmio.low < platform::kDefaultMmio.low + gpu->need.low) {
      return "dxgglobal_getiospace: Unable to allocate mmio memory (the VM's high MMIO space is "
             "smaller than the GPU's BARs)";
    }
  }
  return std::nullopt;
}

/// The checks the smoke program reports on a GPU it found, with figures drawn from `random`.
std::vector<platform::SmokeCheck> smokeChecks(const SmokeTarget& target, SeededRandom& random) {
  const auto& m = *target.gpu->model;
  const bool paravirtual = target.paravirtual;
  std::vector<platform::SmokeCheck> checks;
  auto add = [&](std::string name, std::string value, std::string unit, std::string threshold,
                 std::string message = {}) {
    checks.push_back({std::move(name), true, std::move(value), std::move(unit),
                      std::move(threshold), std::move(message)});
  };
  auto measure = [&](double expected, double low, double high) {
    return expected * random.uniform(low, high);
  };
  const double linkShare = paravirtual ? 0.8 : 0.93;
  add("device-count", std::to_string(target.count), "", fmt::format(">= {}", target.count));
  add("device-name", m.name, "", m.name);
  add("compute-capability", m.computeCapability, "", m.computeCapability);
  add("memory", std::to_string(m.memory / platform::kMiB * 96 / 100), "MiB",
      fmt::format(">= {}", m.memory / platform::kMiB * 90 / 100));
  add("sm-count", std::to_string(m.smCount), "", std::to_string(m.smCount));
  add("pcie-link", paravirtual ? "n/a" : fmt::format("Gen{} x{}", m.pcieGeneration, m.pcieWidth),
      "", paravirtual ? "n/a" : fmt::format("Gen{} x{}", m.pcieGeneration, m.pcieWidth),
      paravirtual ? "GPU-PV hides the PCIe link" : "");
  add("driver", paravirtual ? "WSL 581.42 / CUDA 13.0" : "580.95.05 / CUDA 13.0", "",
      ">= CUDA 13.0", "driver and runtime versions");
  add("vector-add", "268435456", "elements", "bit-exact");
  add("reduction", "268435456", "elements", "bit-exact");
  add("memory-pattern", "0", "bad addresses", "0");
  if (target.gpu->badMemory) {
    // A stuck bit somewhere in the tested share of device memory, found by walking ones.
    auto& check = checks.back();
    check.passed = false;
    check.value = "1";
    check.message = fmt::format("walking-ones: first bad address 0x{:010x}: wrote 0x00000010 read "
                                "0x00000000",
                                0x7f2c000000ull + (random.next() % (m.memory / 2) & ~0xfull));
  }
  const double h2d = measure(m.hostToDeviceGBps, linkShare - 0.03, linkShare + 0.03);
  const double d2h = measure(m.deviceToHostGBps, linkShare - 0.03, linkShare + 0.03);
  const double d2d = measure(m.deviceToDeviceGBps, 0.72, 0.80);
  const double fp32 = measure(m.fp32Tflops, 0.80, 0.90);
  const double share = paravirtual ? 0.6 : 0.8;
  add("h2d-bandwidth", fmt::format("{:.1f}", h2d), "GB/s",
      fmt::format(">= {:.1f}", m.hostToDeviceGBps * share));
  add("d2h-bandwidth", fmt::format("{:.1f}", d2h), "GB/s",
      fmt::format(">= {:.1f}", m.deviceToHostGBps * share));
  add("d2d-bandwidth", fmt::format("{:.1f}", d2d), "GB/s",
      fmt::format(">= {:.1f}", m.deviceToDeviceGBps * 0.6));
  add("fp32-throughput", fmt::format("{:.2f}", fp32), "TFLOPS",
      fmt::format(">= {:.2f}", m.fp32Tflops * 0.6));
  add("mode", paravirtual ? "gpu-pv" : "dda", "", "");
  return checks;
}

} // namespace

platform::GuestOutput SimGuest::smoke(const SimVm& vm) {
  platform::GuestOutput out;
  const auto target = smokeTarget(host_, vm);
  if (auto why = noDeviceReason(vm, target)) {
    out.exitCode = 3;
    out.err = fmt::format("no CUDA device: {}\n", *why);
    return out;
  }
  const auto checks = smokeChecks(target, host_.random());
  for (const auto& c : checks) {
    out.out += platform::formatSmokeLine(c);
    out.out += '\n';
  }
  const auto failed = std::count_if(checks.begin(), checks.end(),
                                    [](const platform::SmokeCheck& c) { return !c.passed; });
  out.err = fmt::format("cuda_smoke: {} of {} checks passed on {}\n",
                        checks.size() - static_cast<std::size_t>(failed), checks.size(),
                        target.gpu->model->name);
  out.exitCode = failed == 0 ? 0 : 1;
  return out;
}

} // namespace hil::simulators
