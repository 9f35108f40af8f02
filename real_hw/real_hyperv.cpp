#include "real_hw/real_hyperv.h"

#include <cctype>

#include <fmt/format.h>

namespace hil::real_hw {
namespace {

using platform::StopAction;
using platform::VmState;

constexpr std::string_view kGetVm = "hyperv.get-vm";
constexpr std::string_view kStartVm = "hyperv.start-vm";
constexpr std::string_view kStopVm = "hyperv.stop-vm";
constexpr std::string_view kStopAction = "hyperv.set-vm-automatic-stop-action";
constexpr std::string_view kMmio = "hyperv.set-vm-memory-mapped-io";
constexpr std::string_view kCacheTypes = "hyperv.set-vm-guest-controlled-cache-types";
constexpr std::string_view kHostAssignable = "hyperv.get-host-assignable-devices";
constexpr std::string_view kDismount = "hyperv.dismount-host-device";
constexpr std::string_view kMount = "hyperv.mount-host-device";
constexpr std::string_view kAssignable = "hyperv.get-assignable-devices";
constexpr std::string_view kAddAssignable = "hyperv.add-assignable-device";
constexpr std::string_view kRemoveAssignable = "hyperv.remove-assignable-device";
constexpr std::string_view kPartitionable = "hyperv.get-partitionable-gpus";
constexpr std::string_view kAdapters = "hyperv.get-gpu-partition-adapters";
constexpr std::string_view kAddAdapter = "hyperv.add-gpu-partition-adapter";
constexpr std::string_view kRemoveAdapter = "hyperv.remove-gpu-partition-adapter";

/// Hyper-V's VMState names. Off and Running (and their -Critical forms) are the two the flows
/// model; a VM saved, paused or between states is an error rather than a guess, so that nothing
/// is changed on a VM in a state the flows do not know.
std::optional<VmState> vmStateOf(std::string_view state) {
  if (platform::equalsIgnoringCase(state, "Off") ||
      platform::equalsIgnoringCase(state, "OffCritical")) {
    return VmState::Off;
  }
  if (platform::equalsIgnoringCase(state, "Running") ||
      platform::equalsIgnoringCase(state, "RunningCritical")) {
    return VmState::Running;
  }
  return std::nullopt;
}

std::optional<StopAction> stopActionOf(std::string_view action) {
  for (auto candidate : {StopAction::TurnOff, StopAction::Save, StopAction::ShutDown}) {
    if (platform::equalsIgnoringCase(action, toString(candidate))) {
      return candidate;
    }
  }
  return std::nullopt;
}

/// A property that must be a whole number.
Result<std::uint64_t> numberIn(const PsObject& object, std::string_view name) {
  auto text = object.value(name);
  if (!text) {
    return std::unexpected(text.error());
  }
  const auto number = parseUnsigned(*text);
  if (!number) {
    return fail(ErrorCode::OperationFailed,
                fmt::format("{} is \"{}\", not a whole number", name, excerpt(*text)));
  }
  return *number;
}

Result<std::vector<platform::LocationPath>> locationsOf(const std::vector<PsObject>& objects) {
  std::vector<platform::LocationPath> paths;
  for (const auto& object : objects) {
    auto path = object.value("LocationPath");
    if (!path) {
      return std::unexpected(path.error());
    }
    paths.push_back(*path);
  }
  return paths;
}

} // namespace

platform::InstanceId instanceIdFromInterfacePath(std::string_view name) {
  if (name.starts_with("\\\\?\\")) {
    name.remove_prefix(4);
  }
  // The device interface class GUID ends the path: "#{064092b3-625e-43bf-9eb5-dc845897dd59}".
  if (const auto guid = name.rfind("#{"); guid != std::string_view::npos && name.ends_with("}")) {
    name = name.substr(0, guid);
  }
  std::string id;
  for (const char c : name) {
    id += c == '#' ? '\\' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return id;
}

Result<void> checkVmName(std::string_view operation, const platform::VmName& vm) {
  if (vm.empty()) {
    return failIn(operation, ErrorCode::InvalidRequest, "the VM name is empty");
  }
  if (vm.find_first_of("*?[]") != std::string::npos) {
    return failIn(operation, ErrorCode::InvalidRequest,
                  fmt::format("the VM name \"{}\" has a wildcard character (* ? [ ]), which "
                              "Hyper-V's -Name would match against other VMs too",
                              excerpt(vm)));
  }
  return {};
}

Result<platform::VmConfig> RealHyperV::vmConfig(const platform::VmName& vm) const {
  HIL_TRY(checkVmName(kGetVm, vm));
  const auto command =
      fmt::format("Get-VM -Name {} | Select-Object Name, {}, {}, LowMemoryMappedIoSpace, "
                  "HighMemoryMappedIoSpace, GuestControlledCacheTypes",
                  psQuote(vm), asText("State"), asText("AutomaticStopAction"));
  auto object = runner_.queryOne(kGetVm, command, "VM");
  if (!object) {
    return std::unexpected(std::move(object).error());
  }
  auto stateText = object->value("State");
  auto actionText = object->value("AutomaticStopAction");
  auto low = numberIn(*object, "LowMemoryMappedIoSpace");
  auto high = numberIn(*object, "HighMemoryMappedIoSpace");
  auto cacheText = object->value("GuestControlledCacheTypes");
  for (const auto* failed :
       {stateText ? nullptr : &stateText.error(), actionText ? nullptr : &actionText.error(),
        low ? nullptr : &low.error(), high ? nullptr : &high.error(),
        cacheText ? nullptr : &cacheText.error()}) {
    if (failed != nullptr) {
      return inOperation(kGetVm, *failed);
    }
  }
  const auto state = vmStateOf(*stateText);
  if (!state) {
    return failIn(kGetVm, ErrorCode::OperationFailed,
                  fmt::format("VM \"{}\" is {}: gpu-hil works on a VM that is Off or Running",
                              excerpt(vm), excerpt(*stateText)));
  }
  const auto action = stopActionOf(*actionText);
  const auto cache = parseBool(*cacheText);
  if (!action || !cache) {
    return failIn(kGetVm, ErrorCode::OperationFailed,
                  fmt::format("unreadable VM settings: AutomaticStopAction \"{}\", "
                              "GuestControlledCacheTypes \"{}\"",
                              excerpt(*actionText), excerpt(*cacheText)));
  }
  return platform::VmConfig{object->valueOr("Name", vm), *state, *action,
                            platform::MmioSpace{*low, *high}, *cache};
}

Result<void> RealHyperV::startVm(const platform::VmName& vm) {
  HIL_TRY(checkVmName(kStartVm, vm));
  // A VM that will not start (too little MMIO space for its devices, a device it cannot take)
  // is what vm-start-failed means to the flows.
  return runner_.act(kStartVm, fmt::format("Start-VM -Name {}", psQuote(vm)),
                     ErrorCode::VmStartFailed);
}

Result<void> RealHyperV::stopVm(const platform::VmName& vm) {
  HIL_TRY(checkVmName(kStopVm, vm));
  // -Force: no confirmation prompt, and the VM is turned off if its guest does not shut down
  // (Stop-VM reference).
  return runner_.act(kStopVm, fmt::format("Stop-VM -Name {} -Force", psQuote(vm)));
}

Result<void> RealHyperV::setAutomaticStopAction(const platform::VmName& vm, StopAction action) {
  HIL_TRY(checkVmName(kStopAction, vm));
  // TurnOff, Save and ShutDown are Hyper-V's StopAction names, spelled as toString() spells them.
  return runner_.act(kStopAction, fmt::format("Set-VM -Name {} -AutomaticStopAction {}",
                                              psQuote(vm), toString(action)));
}

Result<void> RealHyperV::setMemoryMappedIo(const platform::VmName& vm, platform::MmioSpace space) {
  HIL_TRY(checkVmName(kMmio, vm));
  // Set-VM takes bytes: -LowMemoryMappedIoSpace is a UInt32, -HighMemoryMappedIoSpace a UInt64
  // (Set-VM reference; the DDA guide writes them as 3Gb and 33280Mb).
  if (space.low > 0xFFFFFFFFull) {
    return failIn(kMmio, ErrorCode::InvalidRequest,
                  fmt::format("low MMIO space {} does not fit Set-VM's 32-bit "
                              "-LowMemoryMappedIoSpace",
                              platform::formatBytes(space.low)));
  }
  return runner_.act(kMmio, fmt::format("Set-VM -Name {} -LowMemoryMappedIoSpace {} "
                                        "-HighMemoryMappedIoSpace {}",
                                        psQuote(vm), space.low, space.high));
}

Result<void> RealHyperV::setGuestControlledCacheTypes(const platform::VmName& vm, bool enabled) {
  HIL_TRY(checkVmName(kCacheTypes, vm));
  return runner_.act(kCacheTypes, fmt::format("Set-VM -Name {} -GuestControlledCacheTypes {}",
                                              psQuote(vm), enabled ? "$true" : "$false"));
}

Result<std::vector<platform::LocationPath>> RealHyperV::hostAssignableDevices() const {
  auto objects =
      runner_.query(kHostAssignable, "Get-VMHostAssignableDevice | Select-Object InstanceID, "
                                     "LocationPath");
  if (!objects) {
    return std::unexpected(std::move(objects).error());
  }
  return within(kHostAssignable, locationsOf(*objects));
}

Result<void> RealHyperV::dismountHostDevice(const platform::LocationPath& device, bool force) {
  // Without the vendor's mitigation (partitioning) driver only -Force dismounts the device
  // ("Deploy graphics devices using Discrete Device Assignment").
  return runner_.act(kDismount, fmt::format("Dismount-VMHostAssignableDevice{} -LocationPath {}",
                                            force ? " -Force" : "", psQuote(device)));
}

Result<void> RealHyperV::mountHostDevice(const platform::LocationPath& device) {
  return runner_.act(kMount,
                     fmt::format("Mount-VMHostAssignableDevice -LocationPath {}", psQuote(device)));
}

Result<std::vector<platform::AssignedDevice>>
RealHyperV::assignableDevices(const platform::VmName& vm) const {
  HIL_TRY(checkVmName(kAssignable, vm));
  auto objects = runner_.query(
      kAssignable, fmt::format("Get-VMAssignableDevice -VMName {} | Select-Object InstanceID, "
                               "LocationPath",
                               psQuote(vm)));
  if (!objects) {
    return std::unexpected(std::move(objects).error());
  }
  std::vector<platform::AssignedDevice> devices;
  for (const auto& object : *objects) {
    auto location = object.value("LocationPath");
    if (!location) {
      return inOperation(kAssignable, location.error());
    }
    devices.push_back({*location, object.valueOr("InstanceID", "")});
  }
  return devices;
}

Result<void> RealHyperV::addAssignableDevice(const platform::VmName& vm,
                                             const platform::LocationPath& device) {
  HIL_TRY(checkVmName(kAddAssignable, vm));
  return runner_.act(kAddAssignable,
                     fmt::format("Add-VMAssignableDevice -VMName {} -LocationPath {}", psQuote(vm),
                                 psQuote(device)));
}

Result<void> RealHyperV::removeAssignableDevice(const platform::VmName& vm,
                                                const platform::LocationPath& device) {
  HIL_TRY(checkVmName(kRemoveAssignable, vm));
  return runner_.act(kRemoveAssignable,
                     fmt::format("Remove-VMAssignableDevice -VMName {} -LocationPath {}",
                                 psQuote(vm), psQuote(device)));
}

Result<std::vector<platform::PartitionableGpu>> RealHyperV::partitionableGpus() const {
  // Name is the GPU's device interface path, which Add-VMGpuPartitionAdapter -InstancePath
  // takes (Get-VMHostPartitionableGpu reference: Name, ValidPartitionCounts, PartitionCount).
  auto objects = runner_.query(kPartitionable,
                               "Get-VMHostPartitionableGpu | Select-Object Name, PartitionCount");
  if (!objects) {
    return std::unexpected(std::move(objects).error());
  }
  std::vector<platform::PartitionableGpu> gpus;
  for (const auto& object : *objects) {
    auto name = object.value("Name");
    if (!name) {
      return inOperation(kPartitionable, name.error());
    }
    const auto count = parseUnsigned(object.valueOr("PartitionCount", ""));
    gpus.push_back(
        {*name, instanceIdFromInterfacePath(*name), static_cast<std::uint32_t>(count.value_or(0))});
  }
  return gpus;
}

Result<std::vector<platform::GpuPartitionAdapter>>
RealHyperV::gpuPartitionAdapters(const platform::VmName& vm) const {
  HIL_TRY(checkVmName(kAdapters, vm));
  auto objects = runner_.query(
      kAdapters,
      fmt::format("Get-VMGpuPartitionAdapter -VMName {} | Select-Object Id, InstancePath",
                  psQuote(vm)));
  if (!objects) {
    return std::unexpected(std::move(objects).error());
  }
  std::vector<platform::GpuPartitionAdapter> adapters;
  for (const auto& object : *objects) {
    auto id = object.value("Id");
    if (!id) {
      return inOperation(kAdapters, id.error());
    }
    adapters.push_back({*id, object.valueOr("InstancePath", "")});
  }
  return adapters;
}

Result<platform::GpuPartitionAdapter>
RealHyperV::addGpuPartitionAdapter(const platform::VmName& vm, const std::string& instancePath) {
  HIL_TRY(checkVmName(kAddAdapter, vm));
  // -Passthru returns the new adapter; its Id is what Remove-VMGpuPartitionAdapter -AdapterId
  // takes, and its InstancePath the partitionable GPU's name (Add-/Get-/Remove-
  // VMGpuPartitionAdapter references; Get-VMGpuPartitionAdapter's example lists both).
  auto object = runner_.queryOne(
      kAddAdapter,
      fmt::format("Add-VMGpuPartitionAdapter -VMName {} -InstancePath {} -Passthru | "
                  "Select-Object Id, InstancePath",
                  psQuote(vm), psQuote(instancePath)),
      "GPU partition adapter");
  if (!object) {
    return std::unexpected(std::move(object).error());
  }
  auto id = object->value("Id");
  if (!id) {
    return inOperation(kAddAdapter, id.error());
  }
  auto path = object->valueOr("InstancePath", "");
  return platform::GpuPartitionAdapter{*id, path.empty() ? instancePath : path};
}

Result<void> RealHyperV::removeGpuPartitionAdapter(const platform::VmName& vm,
                                                   const std::string& adapterId) {
  HIL_TRY(checkVmName(kRemoveAdapter, vm));
  return runner_.act(kRemoveAdapter,
                     fmt::format("Remove-VMGpuPartitionAdapter -VMName {} -AdapterId {}",
                                 psQuote(vm), psQuote(adapterId)));
}

} // namespace hil::real_hw
