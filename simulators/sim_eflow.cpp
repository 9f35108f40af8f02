#include "simulators/sim_eflow.h"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>
#include <pugixml.hpp>

#include "framework/core/xml.h"
#include "storage/state_dir.h"

// Sources, named [tag] beside what each one says:
//   [functions] "PowerShell functions for IoT Edge for Linux on Windows", Set-EflowVM and
//               Deploy-Eflow (MicrosoftDocs/azure-docs,
//               articles/iot-edge/reference-iot-edge-for-linux-on-windows-functions.md).
//   [gpu]       "GPU acceleration for Azure IoT Edge for Linux on Windows", "Configure GPU
//               acceleration in an existing deployment" (articles/iot-edge/gpu-acceleration.md).
//   [dda]       "Deploy graphics devices using Discrete Device Assignment" (MicrosoftDocs/
//               windowsserverdocs, WindowsServerDocs/virtualization/hyper-v/deploy/
//               Deploying-graphics-devices-using-dda.md), the procedure a DDA passthrough runs.
//   [273]       Azure/iotedge-eflow issue 273: EFLOW's functions start the VM themselves and pass
//               Hyper-V's "'<VM>' failed to start." on when it does not start.
// Where none of them says, the comment says that the behaviour is the stand-in's own choice.

namespace hil::simulators {

using platform::MmioSpace;
using platform::PnpDevice;
using platform::StopAction;
using platform::Technique;

namespace {

constexpr std::string_view kRoot = "eflow-vm-settings";
constexpr std::string_view kSetVm = "eflow.set-vm";

Error refused(ErrorCode code, std::string message) {
  return Error{code, std::move(message), {std::string{kSetVm}}};
}

std::optional<StopAction> parseStopAction(std::string_view text) {
  for (auto a : {StopAction::TurnOff, StopAction::Save, StopAction::ShutDown}) {
    if (text == platform::toString(a)) {
      return a;
    }
  }
  return std::nullopt;
}

} // namespace

std::string SimEflow::settingsFile() const {
  return (std::filesystem::path{dir_} / "vm-settings.xml").string();
}

Result<void> SimEflow::setGpu(const platform::EflowGpuRequest& request) {
  // [gpu]: "to enable or disable the GPU after deployment use the 'set-eflowvm' command ... the
  // default parameter will be used for any argument not specified": without GPU arguments
  // ("Removes NVIDIA A2 GPU from the existing deployment") the GPU is taken off the VM.
  if (!request.technique) {
    return remove();
  }
  HIL_TRY(checkCount(request));
  // [gpu]: the GPU "must still be specified, otherwise the GPU will be removed" when only the
  // CPU count or memory changes: a VM that holds what is asked keeps it as it is.
  auto same = holds(request);
  if (!same) {
    return std::unexpected(same.error());
  }
  if (*same) {
    return {};
  }
  auto gpus = chosen(request);
  if (!gpus) {
    return std::unexpected(gpus.error());
  }
  // Set-EflowVM sets the GPU it is given: one the VM held before is taken off first. No source
  // says in which order EFLOW does this; the stand-in's choice.
  auto now = held();
  if (!now) {
    return std::unexpected(now.error());
  }
  if (!now->empty()) {
    HIL_TRY(remove());
  }
  return assign(*request.technique, *gpus, request.headless);
}

Result<void> SimEflow::checkCount(const platform::EflowGpuRequest& request) {
  // [functions]: -gpuCount is "Integer value between 1 and the device's GPU cores" and "Only
  // valid when using DirectDeviceAssignment"; Deploy-Eflow's notes: with ParaVirtualization,
  // "make sure to set gpuCount = 1".
  if (request.gpuCount < 1) {
    return std::unexpected(
        refused(ErrorCode::GpuCount, fmt::format("-gpuCount {} is less than 1", request.gpuCount)));
  }
  if (*request.technique == Technique::ParaVirtualization && request.gpuCount != 1) {
    return std::unexpected(
        refused(ErrorCode::GpuCount,
                fmt::format("-gpuCount {}: ParaVirtualization shares one GPU (-gpuCount 1)",
                            request.gpuCount)));
  }
  return {};
}

Result<std::vector<PnpDevice>> SimEflow::chosen(const platform::EflowGpuRequest& request) {
  // [gpu]: -gpuName is the display adapter's name as Device Manager lists it ("(Get-WmiObject
  // win32_VideoController).caption"). Compared without regard to case, as PowerShell's -eq
  // compares strings: the stand-in's choice.
  auto devices = pnp_.displayDevices();
  if (!devices) {
    return std::unexpected(devices.error());
  }
  std::vector<PnpDevice> named;
  for (const auto& d : *devices) {
    if (platform::equalsIgnoringCase(d.friendlyName, request.gpuName)) {
      named.push_back(d);
    }
  }
  if (named.empty()) {
    return std::unexpected(refused(
        ErrorCode::GpuNotFound, fmt::format("no GPU named \"{}\" on the host", request.gpuName)));
  }
  if (static_cast<std::size_t>(request.gpuCount) > named.size()) {
    return std::unexpected(
        refused(ErrorCode::GpuCount, fmt::format("-gpuCount {} but the host has {} GPU(s) named "
                                                 "\"{}\"",
                                                 request.gpuCount, named.size(), request.gpuName)));
  }
  // Which of several GPUs of one name EFLOW takes is not documented: the first ones listed,
  // the stand-in's choice.
  named.resize(static_cast<std::size_t>(request.gpuCount));
  return named;
}

Result<SimEflow::Held> SimEflow::held() {
  auto assigned = hyperv_.assignableDevices(vm_);
  if (!assigned) {
    return std::unexpected(assigned.error());
  }
  auto adapters = hyperv_.gpuPartitionAdapters(vm_);
  if (!adapters) {
    return std::unexpected(adapters.error());
  }
  return Held{std::move(*assigned), std::move(*adapters)};
}

Result<bool> SimEflow::holds(const platform::EflowGpuRequest& request) {
  auto now = held();
  if (!now) {
    return std::unexpected(now.error());
  }
  const auto& assigned = now->assigned;
  const auto& adapters = now->adapters;
  // A GPU the VM holds is named as the host named it (an assigned one is no longer among the
  // host's display devices): the catalog's name of the simulated GPU.
  auto named = [&](const SimGpu* gpu) {
    return gpu != nullptr && platform::equalsIgnoringCase(gpu->model->name, request.gpuName);
  };
  if (*request.technique == Technique::ParaVirtualization) {
    if (!assigned.empty() || adapters.size() != 1) {
      return false;
    }
    const auto gpu = std::find_if(host_.gpus.begin(), host_.gpus.end(), [&](const SimGpu& g) {
      return g.interfacePath == adapters.front().instancePath;
    });
    return gpu != host_.gpus.end() && named(&*gpu);
  }
  return adapters.empty() && assigned.size() == static_cast<std::size_t>(request.gpuCount) &&
         std::all_of(assigned.begin(), assigned.end(), [&](const platform::AssignedDevice& a) {
           return named(host_.gpuByLocation(a.location));
         });
}

Result<void> SimEflow::prepare() {
  auto vm = hyperv_.vmConfig(vm_);
  if (!vm) {
    return std::unexpected(vm.error());
  }
  // What Set-EflowVM without GPU arguments restores. EFLOW documents no such record; the
  // stand-in keeps one (the settings before EFLOW's first GPU), durably, in its own folder.
  auto known = loadSettings();
  if (!known) {
    return std::unexpected(known.error());
  }
  if (!*known) {
    HIL_TRY(saveSettings({vm->automaticStopAction, vm->mmio, vm->guestControlledCacheTypes}));
  }
  // [dda]: devices are assigned, and "to return the device ... you will need to stop the VM",
  // only while the VM is off; Hyper-V refuses both on a running VM.
  if (vm->state == platform::VmState::Running) {
    HIL_TRY(hyperv_.stopVm(vm_));
  }
  // [dda] "Configure the VM for DDA": Set-VM -AutomaticStopAction TurnOff. GPU-PV gets the same
  // (no source says what EFLOW sets for it: the stand-in's choice).
  if (vm->automaticStopAction != StopAction::TurnOff) {
    HIL_TRY(hyperv_.setAutomaticStopAction(vm_, StopAction::TurnOff));
  }
  return {};
}

Result<void> SimEflow::sizeMmio(const std::vector<PnpDevice>& gpus) {
  auto vm = hyperv_.vmConfig(vm_);
  if (!vm) {
    return std::unexpected(vm.error());
  }
  // [dda] "Configure the 32 bit MMIO space" and "greater than 32 bit": the GPUs' BARs on top of
  // the VM's own space, calculated per device as the guide's "Plan for Deploying Devices"
  // link asks. EFLOW supports a fixed list of GPUs ([gpu] Prerequisites); the stand-in sizes
  // them from the catalog's BAR table, as a product with such a list would, and does not read
  // a GPU's live BARs (a resizable BAR takes more than the table says): the stand-in's choice.
  MmioSpace need = platform::kDefaultMmio;
  for (const auto& d : gpus) {
    const auto* gpu = host_.gpuByInstance(d.instanceId);
    if (gpu == nullptr) {
      return std::unexpected(refused(
          ErrorCode::GpuNotFound, fmt::format("\"{}\" is no longer on the host", d.friendlyName)));
    }
    need.low += gpu->model->lowMmioNeed();
    need.high += gpu->model->highMmioNeed();
  }
  // Never smaller than the VM has: the stand-in's choice (the guide's values are minimums).
  if (vm->mmio.low < need.low || vm->mmio.high < need.high) {
    HIL_TRY(hyperv_.setMemoryMappedIo(
        vm_, {std::max(vm->mmio.low, need.low), std::max(vm->mmio.high, need.high)}));
  }
  // [dda] "Enable Write-Combining on the CPU": Set-VM -GuestControlledCacheTypes $true. GPU-PV
  // gets the same, the stand-in's choice.
  if (!vm->guestControlledCacheTypes) {
    HIL_TRY(hyperv_.setGuestControlledCacheTypes(vm_, true));
  }
  return {};
}

Result<void> SimEflow::assign(Technique technique, const std::vector<PnpDevice>& gpus,
                              bool headless) {
  if (technique == Technique::ParaVirtualization) {
    // GPU-PV: the VM gets a partition of the GPU (Add-VMGpuPartitionAdapter), which must be
    // one Hyper-V lists as partitionable. [gpu] names the technique; the steps around the
    // adapter (the VM off, then its MMIO space and cache types, then started) are the
    // stand-in's choice, in the order gpu-hil's hyperv mode documents them for the same host.
    auto partitionable = hyperv_.partitionableGpus();
    if (!partitionable) {
      return std::unexpected(partitionable.error());
    }
    const auto gpu = std::find_if(partitionable->begin(), partitionable->end(), [&](const auto& g) {
      return g.instanceId == gpus.front().instanceId;
    });
    if (gpu == partitionable->end()) {
      return std::unexpected(refused(ErrorCode::MethodNotSupported,
                                     fmt::format("\"{}\" is not a partitionable GPU on this host",
                                                 gpus.front().friendlyName)));
    }
    HIL_TRY(prepare());
    auto added = hyperv_.addGpuPartitionAdapter(vm_, gpu->name);
    if (!added) {
      return std::unexpected(added.error());
    }
    HIL_TRY(sizeMmio(gpus));
    // [273]: EFLOW starts the VM itself.
    return hyperv_.startVm(vm_);
  }
  // [dda] "Optional - Install the Partitioning Driver": without the vendor's mitigation driver
  // the dismount needs -force, past a security warning; [functions] -headless: "whether the user
  // needs to confirm in case a security warning is issued". Without -headless the stand-in,
  // which has no one to ask, refuses before it changes anything: the stand-in's choice.
  std::vector<bool> mitigated;
  for (const auto& d : gpus) {
    auto installed = drivers_.mitigationDriverInstalled(d.instanceId);
    if (!installed) {
      return std::unexpected(installed.error());
    }
    if (!*installed && !headless) {
      return std::unexpected(refused(ErrorCode::InvalidRequest,
                                     fmt::format("\"{}\" has no device mitigation driver: the "
                                                 "security warning needs confirming (-headless)",
                                                 d.friendlyName)));
    }
    mitigated.push_back(*installed);
  }
  HIL_TRY(prepare());
  HIL_TRY(sizeMmio(gpus));
  for (std::size_t i = 0; i < gpus.size(); ++i) {
    const auto& d = gpus[i];
    auto location = pnp_.locationPath(d.instanceId);
    if (!location) {
      return std::unexpected(location.error());
    }
    // [dda] "Disable the Device", "Dismount the Device" (-force without a mitigation driver),
    // "Assigning the Device to the Guest VM": Add-VMAssignableDevice.
    if (d.status != platform::DeviceStatus::Disabled) {
      HIL_TRY(pnp_.disableDevice(d.instanceId));
    }
    HIL_TRY(hyperv_.dismountHostDevice(*location, !mitigated[i]));
    HIL_TRY(hyperv_.addAssignableDevice(vm_, *location));
  }
  // [dda] "What's Next": the VM is started once the device is assigned; [273] EFLOW does it.
  return hyperv_.startVm(vm_);
}

Result<void> SimEflow::remove() {
  auto vm = hyperv_.vmConfig(vm_);
  if (!vm) {
    return std::unexpected(vm.error());
  }
  auto now = held();
  if (!now) {
    return std::unexpected(now.error());
  }
  const auto& assigned = now->assigned;
  const auto& adapters = now->adapters;
  if (now->empty()) {
    // Nothing to take off: nothing changes (the stand-in's choice; no source says).
    return {};
  }
  // [dda] "Removing a Device and Returning it to the Host": the VM stopped,
  // Remove-VMAssignableDevice, Mount-VMHostAssignableDevice, the device enabled again.
  const bool wasRunning = vm->state == platform::VmState::Running;
  if (wasRunning) {
    HIL_TRY(hyperv_.stopVm(vm_));
  }
  for (const auto& device : assigned) {
    HIL_TRY(hyperv_.removeAssignableDevice(vm_, device.location));
    HIL_TRY(hyperv_.mountHostDevice(device.location));
    auto devices = pnp_.displayDevices();
    if (!devices) {
      return std::unexpected(devices.error());
    }
    for (const auto& d : *devices) {
      auto location = pnp_.locationPath(d.instanceId);
      if (!location) {
        return std::unexpected(location.error());
      }
      if (*location == device.location && d.status == platform::DeviceStatus::Disabled) {
        HIL_TRY(pnp_.enableDevice(d.instanceId));
      }
    }
  }
  // GPU-PV: the partition adapter removed (Remove-VMGpuPartitionAdapter).
  for (const auto& adapter : adapters) {
    HIL_TRY(hyperv_.removeGpuPartitionAdapter(vm_, adapter.id));
  }
  // The VM's settings as they were before EFLOW's first GPU, from the stand-in's own record
  // (the stand-in's choice: no source says what EFLOW restores). Without a record they stay.
  auto before = loadSettings();
  if (!before) {
    return std::unexpected(before.error());
  }
  if (*before) {
    const auto& s = **before;
    if (vm->automaticStopAction != s.stopAction) {
      HIL_TRY(hyperv_.setAutomaticStopAction(vm_, s.stopAction));
    }
    if (vm->mmio != s.mmio) {
      HIL_TRY(hyperv_.setMemoryMappedIo(vm_, s.mmio));
    }
    if (vm->guestControlledCacheTypes != s.cacheTypes) {
      HIL_TRY(hyperv_.setGuestControlledCacheTypes(vm_, s.cacheTypes));
    }
  }
  // [273]: EFLOW starts the VM again; one that was off stays off (the stand-in's choice).
  if (wasRunning) {
    HIL_TRY(hyperv_.startVm(vm_));
  }
  return forgetSettings();
}

Result<std::optional<SimEflow::Settings>> SimEflow::loadSettings() const {
  auto text = storage::readFileIfExists(settingsFile());
  if (!text) {
    return std::unexpected(text.error());
  }
  if (!*text) {
    return std::optional<Settings>{};
  }
  auto doc = xml::Document::parse(std::move(**text), settingsFile());
  if (!doc) {
    return fail(ErrorCode::InvalidRequest, toString(doc.error()));
  }
  Diagnostics out;
  Settings s;
  {
    xml::Element root{*doc, doc->root(), out};
    if (root.name() != kRoot || root.required("vm").value_or("") != vm_) {
      return fail(ErrorCode::InvalidRequest,
                  fmt::format("{}: not a <{} vm=\"{}\"> file", settingsFile(), kRoot, vm_));
    }
    const auto action = root.required("stop-action").value_or("");
    if (auto parsed = parseStopAction(action)) {
      s.stopAction = *parsed;
    } else {
      root.error(fmt::format("stop-action=\"{}\": expected TurnOff, Save or ShutDown", action));
    }
    s.mmio.low = root.requiredBytes("mmio-low");
    s.mmio.high = root.requiredBytes("mmio-high");
    s.cacheTypes = root.requiredFlag("cache-types");
    root.children({});
  }
  if (!out.empty()) {
    return fail(ErrorCode::InvalidRequest, toString(out));
  }
  return std::optional{s};
}

Result<void> SimEflow::saveSettings(const Settings& settings) const {
  pugi::xml_document doc;
  auto root = doc.append_child(std::string{kRoot}.c_str());
  xml::setAttribute(root, "vm", vm_);
  xml::setAttribute(root, "stop-action", platform::toString(settings.stopAction));
  xml::setNumber(root, "mmio-low", settings.mmio.low);
  xml::setNumber(root, "mmio-high", settings.mmio.high);
  xml::setBool(root, "cache-types", settings.cacheTypes);
  return storage::writeFileDurably(settingsFile(), xml::toText(doc));
}

Result<void> SimEflow::forgetSettings() const {
  std::error_code ec;
  std::filesystem::remove(settingsFile(), ec);
  if (ec) {
    return fail(ErrorCode::OperationFailed, fmt::format("{}: {}", settingsFile(), ec.message()));
  }
  return {};
}

} // namespace hil::simulators
