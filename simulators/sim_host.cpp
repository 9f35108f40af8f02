#include "simulators/sim_host.h"

#include <algorithm>

#include <fmt/format.h>

#include "framework/platform/operations.h"

namespace hil::simulators {
namespace {

// What a real host answers when the operation fails, word for word where it is known.
std::string faultMessage(std::string_view op) {
  if (op == "hyperv.dismount-host-device") {
    return "The required virtualization driver (pcip.sys) failed to load.";
  }
  if (op == "hyperv.add-assignable-device") {
    return "The current configuration does not allow for OS control of the PCI Express bus";
  }
  if (op == "hyperv.start-vm") {
    return wmiJobError("'EFLOW' failed to start.", 32774);
  }
  if (op.starts_with("hyperv.")) {
    // WMI's generic job failure: an injected error says nothing about the VM's state (32775)
    // or a busy system (32774), so a Real seam reads it as operation-failed too.
    return wmiJobError(fmt::format("{} failed.", op), 32768);
  }
  if (op.starts_with("pnp.")) {
    return "Generic failure";
  }
  if (op == "guest.run") {
    return "Invoke-EflowVmCommand: the connection to the EFLOW VM was reset";
  }
  return fmt::format("{}: the query failed: Generic failure", op);
}

constexpr std::uint64_t roundUpPowerOfTwo(std::uint64_t v) {
  std::uint64_t p = 1;
  while (p < v) {
    p <<= 1;
  }
  return p;
}

} // namespace

std::string wmiJobError(std::string_view what, int code) {
  const std::string_view text = code == 32774   ? "System is in use."
                                : code == 32775 ? "Invalid state for this operation."
                                                : "Failed.";
  return fmt::format("{} Job failed with error code {}: {}", what, code, text);
}

SimHost::SimHost(const scenario::HostSpec& spec, const data::GpuCatalog& catalog,
                 std::uint64_t seed)
    : faults_(spec.faults), random_(seed) {
  windows = {spec.edition, spec.build};
  hyperv.present = spec.edition != platform::Edition::Home;
  hyperv.enabled = hyperv.present && spec.hypervEnabled;
  int slot = 1;
  for (const auto& g : spec.gpus) {
    const auto* model = catalog.find(g.model);
    for (int i = 0; i < g.count; ++i, ++slot) {
      SimGpu gpu;
      gpu.model = model;
      const auto pci = fmt::format("VEN_{:04X}&DEV_{:04X}", model->pci.vendor, model->pci.device);
      const auto unique = fmt::format("4&{:08X}&0&00{:02X}", 0x2d8e2b40u + slot, slot * 8);
      gpu.instanceId = fmt::format("PCI\\{}&SUBSYS_{:04X}{:04X}&REV_A1\\{}", pci, model->pci.device,
                                   model->pci.vendor, unique);
      gpu.location = fmt::format("PCIROOT(0)#PCI({:02X}00)#PCI(0000)", slot + 2);
      gpu.interfacePath = fmt::format("\\\\?\\PCI#{}&SUBSYS_{:04X}{:04X}&REV_A1#{}#{{064092b3-"
                                      "625e-43bf-9eb5-dc845897dd59}}",
                                      pci, model->pci.device, model->pci.vendor, unique);
      gpu.mitigationDriver = g.mitigationDriver;
      gpu.wslDriver = g.wslDriver;
      gpu.inUse = g.inUse;
      gpu.badMemory = g.badMemory;
      gpu.need = {model->lowMmioNeed(), model->highMmioNeed()};
      if (g.resizableBar && model->memory > 0) {
        // Resizable BAR: BAR1 spans device memory instead of the catalog's 256 MB window.
        std::uint64_t bar1 = 0;
        for (const auto& bar : model->bars) {
          bar1 = bar.index == 1 ? bar.size : bar1;
        }
        gpu.need.high += roundUpPowerOfTwo(model->memory) - bar1;
      }
      gpus.push_back(std::move(gpu));
    }
  }
  SimVm vm;
  vm.config.name = spec.vm.name;
  vm.config.state = spec.vm.state;
  vm.guestDriver = spec.vm.guestDriver;
  vms.emplace(spec.vm.name, std::move(vm));
}

void SimHost::crash(const SimulatedCrash& crash) {
  trace(fmt::format("{} #{}: injected crash {} the operation: the process stops here", crash.op,
                    crash.occurrence, crash.after ? "after" : "before"));
  if (crashHandler_) {
    crashHandler_(crash);
  }
  throw crash;
}

void SimHost::checkpoint() {
  if (pendingCrash_) {
    const auto pending = *pendingCrash_;
    pendingCrash_.reset();
    crash(pending);
  }
}

Result<void> SimHost::enter(std::string_view op, std::string_view detail) {
  checkpoint();
  auto it = calls_.find(op);
  if (it == calls_.end()) {
    it = calls_.emplace(std::string{op}, 0).first;
  }
  const int occurrence = ++it->second;
  reached_.emplace_back(std::string{op}, occurrence);
  clock_.advance(std::chrono::milliseconds(op.starts_with("hyperv.start") ? 2000 : 50));
  for (const auto& fault : faults_) {
    if (!faultsEnabled_ || fault.op != op || fault.occurrence != occurrence) {
      continue;
    }
    if (fault.kind == scenario::FaultKind::Crash) {
      if (fault.after) {
        pendingCrash_.emplace(std::string{op}, occurrence, true);
        break;
      }
      crash(SimulatedCrash{std::string{op}, occurrence, false});
    }
    if (fault.kind == scenario::FaultKind::Hang) {
      clock_.advance(commandDeadline);
      trace(fmt::format("{} {} #{}: injected hang; stopped at the {} s deadline", op, detail,
                        occurrence, commandDeadline.count()));
      return fail(ErrorCode::Timeout,
                  fmt::format("{} did not finish within {} s; the command was stopped", op,
                              commandDeadline.count()));
    }
    trace(fmt::format("{} {} #{}: injected error", op, detail, occurrence));
    // Start-VM's failure is the VM not starting, whatever the cause ("'EFLOW' failed to start.
    // Job failed with error code ..."): vm-start-failed, as the Real seam reads every Start-VM
    // error. Every other injected error is operation-failed.
    const auto code =
        op == "hyperv.start-vm" ? ErrorCode::VmStartFailed : ErrorCode::OperationFailed;
    Error error{code, faultMessage(op), {std::string{op}}};
    return std::unexpected(std::move(error));
  }
  if (const auto known = platform::findOperation(op); known && known->mutating) {
    trace(fmt::format("{} {}", op, detail));
  }
  return {};
}

void SimHost::trace(std::string line) {
  if (log_ != nullptr) {
    log_->add(std::move(line));
  }
}

SimGpu* SimHost::gpuByInstance(std::string_view id) {
  const auto it =
      std::find_if(gpus.begin(), gpus.end(), [&](const SimGpu& g) { return g.instanceId == id; });
  return it == gpus.end() ? nullptr : &*it;
}

SimGpu* SimHost::gpuByLocation(std::string_view location) {
  const auto it = std::find_if(gpus.begin(), gpus.end(),
                               [&](const SimGpu& g) { return g.location == location; });
  return it == gpus.end() ? nullptr : &*it;
}

SimVm* SimHost::vm(std::string_view name) {
  const auto it = vms.find(name);
  return it == vms.end() ? nullptr : &it->second;
}

} // namespace hil::simulators
