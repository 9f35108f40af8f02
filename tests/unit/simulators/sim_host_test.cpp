#include "simulators/sim_host.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "framework/data/catalog.h"
#include "framework/flows/deployer.h"
#include "framework/platform/platform.h"
#include "framework/platform/smoke_output.h"
#include "framework/platform/types.h"
#include "framework/scenario/scenario.h"
#include "simulators/sim_backend.h"

namespace hil::simulators {
namespace {

using platform::DeviceStatus;
using platform::Edition;
using platform::kDefaultMmio;
using platform::kMiB;
using platform::LocationPath;
using platform::MmioSpace;
using platform::VmState;
using scenario::FaultKind;
using scenario::FaultSpec;
using scenario::GpuSpec;
using scenario::HostSpec;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;
using ::testing::StartsWith;

constexpr const char* kVm = "EFLOW";

GpuSpec t4(bool mitigationDriver = true) {
  GpuSpec gpu;
  gpu.model = "tesla-t4";
  gpu.mitigationDriver = mitigationDriver;
  return gpu;
}

GpuSpec geforce(bool wslDriver = true) {
  GpuSpec gpu;
  gpu.model = "geforce-rtx-3080";
  gpu.wslDriver = wslDriver;
  return gpu;
}

HostSpec hostWith(std::vector<GpuSpec> gpus, VmState state = VmState::Running,
                  Edition edition = Edition::Server) {
  HostSpec spec;
  spec.edition = edition;
  spec.build = {17763, 0};
  spec.gpus = std::move(gpus);
  spec.vm.state = state;
  return spec;
}

std::unique_ptr<SimBackend> backendFor(const HostSpec& spec, std::uint64_t seed = 1) {
  return std::make_unique<SimBackend>(spec, data::GpuCatalog::builtin(), seed);
}

const data::GpuModel& model(const char* id) { return *data::GpuCatalog::builtin().find(id); }

/// The first GPU's instance id and location path, as a flow finds them.
struct Found {
  platform::InstanceId instanceId;
  LocationPath location;
};

Found firstGpu(platform::Platform p) {
  auto devices = p.pnp.displayDevices();
  EXPECT_TRUE(devices.has_value());
  EXPECT_FALSE(devices->empty());
  if (!devices || devices->empty()) {
    return {};
  }
  auto location = p.pnp.locationPath(devices->front().instanceId);
  EXPECT_TRUE(location.has_value());
  return {devices->front().instanceId, location.value_or("")};
}

/// Stops the VM and assigns the first GPU by DDA, the way the DDA flow does; the VM stays off.
Found assignFirstGpu(platform::Platform p) {
  const auto gpu = firstGpu(p);
  EXPECT_TRUE(p.hyperv.stopVm(kVm).has_value());
  EXPECT_TRUE(p.pnp.disableDevice(gpu.instanceId).has_value());
  EXPECT_TRUE(p.hyperv.dismountHostDevice(gpu.location, true).has_value());
  EXPECT_TRUE(p.hyperv.addAssignableDevice(kVm, gpu.location).has_value());
  return gpu;
}

/// Adds a GPU partition adapter for the first partitionable GPU; the VM stays off.
platform::GpuPartitionAdapter addAdapter(platform::Platform p) {
  EXPECT_TRUE(p.hyperv.stopVm(kVm).has_value());
  const auto gpus = p.hyperv.partitionableGpus();
  EXPECT_TRUE(gpus.has_value() && gpus->size() == 1u);
  if (!gpus || gpus->empty()) {
    return {};
  }
  auto adapter = p.hyperv.addGpuPartitionAdapter(kVm, gpus->front().name);
  EXPECT_TRUE(adapter.has_value());
  return adapter.value_or(platform::GpuPartitionAdapter{});
}

VmState stateOf(SimBackend& b) { return b.hostForTest().vms.at(kVm).config.state; }

std::vector<std::string> smokeArgv() { return {std::string{platform::kSmokeProgram}}; }

const platform::SmokeCheck* findCheck(const std::vector<platform::SmokeCheck>& checks,
                                      std::string_view name) {
  const auto it = std::find_if(checks.begin(), checks.end(),
                               [&](const platform::SmokeCheck& c) { return c.name == name; });
  return it == checks.end() ? nullptr : &*it;
}

// ---- PnP and dismounting ----------------------------------------------------------------------

TEST(SimPnpTest, ListsEveryGpuWithItsNameAndPciIds) {
  auto spec = hostWith({t4(), geforce()});
  spec.gpus[0].count = 2;
  auto b = backendFor(spec);
  auto p = b->platform();
  const auto devices = p.pnp.displayDevices();
  ASSERT_TRUE(devices.has_value());
  ASSERT_EQ(devices->size(), 3u);
  EXPECT_EQ((*devices)[0].friendlyName, "NVIDIA Tesla T4");
  EXPECT_EQ((*devices)[1].friendlyName, "NVIDIA Tesla T4");
  EXPECT_EQ((*devices)[2].friendlyName, "NVIDIA GeForce RTX 3080");
  EXPECT_NE((*devices)[0].instanceId, (*devices)[1].instanceId);
  for (const auto& d : *devices) {
    EXPECT_EQ(d.status, DeviceStatus::Ok);
    EXPECT_THAT(d.instanceId, StartsWith("PCI\\"));
    EXPECT_EQ(platform::pciIdFromInstanceId(d.instanceId), d.pci);
  }
  EXPECT_EQ((*devices)[0].pci, model("tesla-t4").pci);
}

TEST(SimPnpTest, DisableAndEnableChangeTheStatus) {
  auto b = backendFor(hostWith({t4()}));
  auto p = b->platform();
  const auto gpu = firstGpu(p);
  ASSERT_TRUE(p.pnp.disableDevice(gpu.instanceId).has_value());
  EXPECT_EQ(p.pnp.displayDevices()->front().status, DeviceStatus::Disabled);
  ASSERT_TRUE(p.pnp.enableDevice(gpu.instanceId).has_value());
  EXPECT_EQ(p.pnp.displayDevices()->front().status, DeviceStatus::Ok);
}

TEST(SimPnpTest, UnknownDevicesFail) {
  auto b = backendFor(hostWith({t4()}));
  auto p = b->platform();
  EXPECT_EQ(p.pnp.locationPath("PCI\\VEN_0000&DEV_0000\\0").error().code,
            ErrorCode::OperationFailed);
  EXPECT_EQ(p.pnp.disableDevice("nope").error().code, ErrorCode::OperationFailed);
  EXPECT_EQ(p.pnp.enableDevice("nope").error().code, ErrorCode::OperationFailed);
}

TEST(SimPnpTest, DisablingAnInUseGpuIsDeviceBusy) {
  auto spec = hostWith({t4()});
  spec.gpus[0].inUse = true;
  auto b = backendFor(spec);
  auto p = b->platform();
  const auto gpu = firstGpu(p);
  const auto result = p.pnp.disableDevice(gpu.instanceId);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::DeviceBusy);
  EXPECT_EQ(p.pnp.displayDevices()->front().status, DeviceStatus::Ok);
}

TEST(SimDismountTest, RequiresTheDeviceDisabled) {
  auto b = backendFor(hostWith({t4()}));
  auto p = b->platform();
  const auto gpu = firstGpu(p);
  const auto enabled = p.hyperv.dismountHostDevice(gpu.location, true);
  ASSERT_FALSE(enabled.has_value());
  EXPECT_EQ(enabled.error().code, ErrorCode::OperationFailed);
  EXPECT_TRUE(b->hostForTest().gpus[0].mounted);

  ASSERT_TRUE(p.pnp.disableDevice(gpu.instanceId).has_value());
  EXPECT_TRUE(p.hyperv.dismountHostDevice(gpu.location, false).has_value());
  EXPECT_FALSE(b->hostForTest().gpus[0].mounted);
}

TEST(SimDismountTest, WithoutMitigationDriverRequiresForce) {
  auto b = backendFor(hostWith({t4(/*mitigationDriver=*/false)}));
  auto p = b->platform();
  const auto gpu = firstGpu(p);
  ASSERT_TRUE(p.pnp.disableDevice(gpu.instanceId).has_value());
  const auto unforced = p.hyperv.dismountHostDevice(gpu.location, false);
  ASSERT_FALSE(unforced.has_value());
  EXPECT_EQ(unforced.error().code, ErrorCode::OperationFailed);
  EXPECT_TRUE(b->hostForTest().gpus[0].mounted);
  EXPECT_TRUE(p.hyperv.dismountHostDevice(gpu.location, true).has_value());
  EXPECT_FALSE(b->hostForTest().gpus[0].mounted);
}

TEST(SimDismountTest, DismountedDeviceLeavesPnpAndBecomesHostAssignable) {
  auto b = backendFor(hostWith({t4(), geforce()}));
  auto p = b->platform();
  ASSERT_THAT(*p.hyperv.hostAssignableDevices(), IsEmpty());
  const auto gpu = firstGpu(p);
  ASSERT_TRUE(p.pnp.disableDevice(gpu.instanceId).has_value());
  ASSERT_TRUE(p.hyperv.dismountHostDevice(gpu.location, false).has_value());

  const auto devices = p.pnp.displayDevices();
  ASSERT_TRUE(devices.has_value());
  ASSERT_EQ(devices->size(), 1u);
  EXPECT_EQ(devices->front().friendlyName, "NVIDIA GeForce RTX 3080");
  EXPECT_FALSE(p.pnp.locationPath(gpu.instanceId).has_value());
  EXPECT_THAT(*p.hyperv.hostAssignableDevices(), ElementsAre(gpu.location));

  // Dismounting twice fails: it is no longer on the host.
  EXPECT_EQ(p.hyperv.dismountHostDevice(gpu.location, true).error().code,
            ErrorCode::OperationFailed);
}

// ---- Assigning devices ------------------------------------------------------------------------

TEST(SimAssignTest, AddAssignableDeviceNeedsTheDeviceDismounted) {
  auto b = backendFor(hostWith({t4()}, VmState::Off));
  auto p = b->platform();
  const auto gpu = firstGpu(p);
  ASSERT_TRUE(p.pnp.disableDevice(gpu.instanceId).has_value());
  const auto result = p.hyperv.addAssignableDevice(kVm, gpu.location);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::OperationFailed);
  EXPECT_THAT(b->hostForTest().vms.at(kVm).assigned, IsEmpty());
}

TEST(SimAssignTest, AddAssignableDeviceNeedsTheVmOff) {
  auto b = backendFor(hostWith({t4()}, VmState::Running));
  auto p = b->platform();
  const auto gpu = firstGpu(p);
  ASSERT_TRUE(p.pnp.disableDevice(gpu.instanceId).has_value());
  ASSERT_TRUE(p.hyperv.dismountHostDevice(gpu.location, false).has_value());
  const auto running = p.hyperv.addAssignableDevice(kVm, gpu.location);
  ASSERT_FALSE(running.has_value());
  EXPECT_EQ(running.error().code, ErrorCode::FailedPrecondition);
  EXPECT_FALSE(b->hostForTest().gpus[0].assignedTo.has_value());

  ASSERT_TRUE(p.hyperv.stopVm(kVm).has_value());
  ASSERT_TRUE(p.hyperv.addAssignableDevice(kVm, gpu.location).has_value());
  EXPECT_EQ(b->hostForTest().gpus[0].assignedTo, kVm);
  EXPECT_THAT(*p.hyperv.hostAssignableDevices(), IsEmpty());
}

TEST(SimAssignTest, AssignedDeviceShowsWithThePcipEnumerator) {
  auto b = backendFor(hostWith({t4()}));
  auto p = b->platform();
  const auto gpu = assignFirstGpu(p);
  const auto assigned = p.hyperv.assignableDevices(kVm);
  ASSERT_TRUE(assigned.has_value());
  ASSERT_EQ(assigned->size(), 1u);
  EXPECT_EQ(assigned->front().location, gpu.location);
  EXPECT_THAT(assigned->front().instanceId, StartsWith("PCIP\\"));
  EXPECT_EQ(platform::hostInstanceId(assigned->front().instanceId), gpu.instanceId);
  EXPECT_EQ(platform::pciIdFromInstanceId(assigned->front().instanceId), model("tesla-t4").pci);
}

TEST(SimAssignTest, ADeviceAssignedToOneVmCannotGoToAnother) {
  auto b = backendFor(hostWith({t4()}));
  SimVm other;
  other.config.name = "OTHER";
  other.config.state = VmState::Off;
  b->hostForTest().vms.emplace("OTHER", std::move(other));
  auto p = b->platform();
  const auto gpu = assignFirstGpu(p);
  const auto second = p.hyperv.addAssignableDevice("OTHER", gpu.location);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code, ErrorCode::OperationFailed);
  EXPECT_THAT(b->hostForTest().vms.at("OTHER").assigned, IsEmpty());
  EXPECT_EQ(b->hostForTest().gpus[0].assignedTo, kVm);
  EXPECT_THAT(b->invariantViolations(), IsEmpty());
}

TEST(SimAssignTest, UnknownVmFails) {
  auto b = backendFor(hostWith({t4()}));
  auto p = b->platform();
  EXPECT_EQ(p.hyperv.vmConfig("NOPE").error().code, ErrorCode::OperationFailed);
  EXPECT_EQ(p.hyperv.startVm("NOPE").error().code, ErrorCode::OperationFailed);
  EXPECT_EQ(p.hyperv.assignableDevices("NOPE").error().code, ErrorCode::OperationFailed);
}

TEST(SimAssignTest, RemovingADeviceNotAssignedFails) {
  auto b = backendFor(hostWith({t4()}, VmState::Off));
  auto p = b->platform();
  EXPECT_EQ(p.hyperv.removeAssignableDevice(kVm, "PCIROOT(0)#PCI(0300)#PCI(0000)").error().code,
            ErrorCode::OperationFailed);
  EXPECT_EQ(p.hyperv.removeGpuPartitionAdapter(kVm, "no-such-adapter").error().code,
            ErrorCode::OperationFailed);
}

// ---- A running VM -----------------------------------------------------------------------------

TEST(SimRunningVmTest, RefusesSettingsChanges) {
  auto b = backendFor(hostWith({t4()}, VmState::Running));
  auto p = b->platform();
  const auto before = *p.hyperv.vmConfig(kVm);
  const auto mmio = p.hyperv.setMemoryMappedIo(kVm, {3072 * kMiB, 33280 * kMiB});
  ASSERT_FALSE(mmio.has_value());
  EXPECT_EQ(mmio.error().code, ErrorCode::FailedPrecondition);
  const auto cache = p.hyperv.setGuestControlledCacheTypes(kVm, true);
  ASSERT_FALSE(cache.has_value());
  EXPECT_EQ(cache.error().code, ErrorCode::FailedPrecondition);
  EXPECT_EQ(*p.hyperv.vmConfig(kVm), before);
}

TEST(SimRunningVmTest, RefusesAddingAndRemovingDevices) {
  auto b = backendFor(hostWith({t4()}, VmState::Running));
  auto p = b->platform();
  const auto gpu = assignFirstGpu(p);
  ASSERT_TRUE(p.hyperv.setMemoryMappedIo(kVm, flows::mmioNeed(model("tesla-t4"), 1)).has_value());
  ASSERT_TRUE(p.hyperv.startVm(kVm).has_value());
  ASSERT_EQ(stateOf(*b), VmState::Running);

  const auto removed = p.hyperv.removeAssignableDevice(kVm, gpu.location);
  ASSERT_FALSE(removed.has_value());
  EXPECT_EQ(removed.error().code, ErrorCode::FailedPrecondition);
  EXPECT_THAT(b->hostForTest().vms.at(kVm).assigned, ElementsAre(gpu.location));
  EXPECT_EQ(b->hostForTest().gpus[0].assignedTo, kVm);
}

TEST(SimRunningVmTest, RefusesAddingAndRemovingPartitionAdapters) {
  auto b = backendFor(hostWith({geforce()}, VmState::Running));
  auto p = b->platform();
  const auto gpus = p.hyperv.partitionableGpus();
  ASSERT_TRUE(gpus.has_value());
  ASSERT_EQ(gpus->size(), 1u);
  const auto added = p.hyperv.addGpuPartitionAdapter(kVm, gpus->front().name);
  ASSERT_FALSE(added.has_value());
  EXPECT_EQ(added.error().code, ErrorCode::FailedPrecondition);
  EXPECT_THAT(*p.hyperv.gpuPartitionAdapters(kVm), IsEmpty());

  const auto adapter = addAdapter(p);
  ASSERT_TRUE(p.hyperv.startVm(kVm).has_value());
  const auto removed = p.hyperv.removeGpuPartitionAdapter(kVm, adapter.id);
  ASSERT_FALSE(removed.has_value());
  EXPECT_EQ(removed.error().code, ErrorCode::FailedPrecondition);
  EXPECT_THAT(*p.hyperv.gpuPartitionAdapters(kVm), ElementsAre(adapter));
}

TEST(SimRunningVmTest, AcceptsStopActionWhileRunning) {
  // Only settings Hyper-V locks while running are refused.
  auto b = backendFor(hostWith({t4()}, VmState::Running));
  auto p = b->platform();
  ASSERT_TRUE(p.hyperv.setAutomaticStopAction(kVm, platform::StopAction::TurnOff).has_value());
  EXPECT_EQ(p.hyperv.vmConfig(kVm)->automaticStopAction, platform::StopAction::TurnOff);
}

// ---- Mounting back ----------------------------------------------------------------------------

TEST(SimMountTest, MountingAnAssignedDeviceFails) {
  auto b = backendFor(hostWith({t4()}));
  auto p = b->platform();
  const auto gpu = assignFirstGpu(p);
  const auto result = p.hyperv.mountHostDevice(gpu.location);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::OperationFailed);
  EXPECT_FALSE(b->hostForTest().gpus[0].mounted);
}

TEST(SimMountTest, MountingAMountedDeviceFails) {
  auto b = backendFor(hostWith({t4()}));
  auto p = b->platform();
  const auto gpu = firstGpu(p);
  EXPECT_EQ(p.hyperv.mountHostDevice(gpu.location).error().code, ErrorCode::OperationFailed);
}

TEST(SimMountTest, AMountedDeviceComesBackDisabled) {
  auto b = backendFor(hostWith({t4()}));
  auto p = b->platform();
  const auto gpu = assignFirstGpu(p);
  ASSERT_TRUE(p.hyperv.removeAssignableDevice(kVm, gpu.location).has_value());
  EXPECT_THAT(*p.hyperv.hostAssignableDevices(), ElementsAre(gpu.location));
  ASSERT_TRUE(p.hyperv.mountHostDevice(gpu.location).has_value());

  const auto devices = p.pnp.displayDevices();
  ASSERT_TRUE(devices.has_value());
  ASSERT_EQ(devices->size(), 1u);
  EXPECT_EQ(devices->front().instanceId, gpu.instanceId);
  EXPECT_EQ(devices->front().status, DeviceStatus::Disabled);
  ASSERT_TRUE(p.pnp.enableDevice(gpu.instanceId).has_value());
  EXPECT_EQ(p.pnp.displayDevices()->front().status, DeviceStatus::Ok);
  EXPECT_THAT(*p.hyperv.hostAssignableDevices(), IsEmpty());
  EXPECT_THAT(b->invariantViolations(), IsEmpty());
}

// ---- Starting the VM: MMIO --------------------------------------------------------------------

TEST(SimStartVmTest, FailsWhenMmioIsSmallerThanTheAssignedBarsPlusDefault) {
  auto b = backendFor(hostWith({t4()}));
  auto p = b->platform();
  assignFirstGpu(p);
  ASSERT_EQ(p.hyperv.vmConfig(kVm)->mmio, kDefaultMmio);
  const auto result = p.hyperv.startVm(kVm);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::VmStartFailed);
  EXPECT_EQ(stateOf(*b), VmState::Off);
}

TEST(SimStartVmTest, SucceedsOnceMmioIsSized) {
  auto b = backendFor(hostWith({t4()}));
  auto p = b->platform();
  assignFirstGpu(p);
  const auto need = flows::mmioNeed(model("tesla-t4"), 1);
  EXPECT_EQ(need, (MmioSpace{kDefaultMmio.low + 16 * kMiB, kDefaultMmio.high + 288 * kMiB}));

  // One MiB short of either half is still too little.
  ASSERT_TRUE(p.hyperv.setMemoryMappedIo(kVm, {need.low - kMiB, need.high}).has_value());
  EXPECT_EQ(p.hyperv.startVm(kVm).error().code, ErrorCode::VmStartFailed);
  ASSERT_TRUE(p.hyperv.setMemoryMappedIo(kVm, {need.low, need.high - kMiB}).has_value());
  EXPECT_EQ(p.hyperv.startVm(kVm).error().code, ErrorCode::VmStartFailed);
  EXPECT_EQ(stateOf(*b), VmState::Off);

  ASSERT_TRUE(p.hyperv.setMemoryMappedIo(kVm, need).has_value());
  ASSERT_TRUE(p.hyperv.startVm(kVm).has_value());
  EXPECT_EQ(stateOf(*b), VmState::Running);
}

TEST(SimStartVmTest, TwoAssignedDevicesNeedTwiceTheBars) {
  auto spec = hostWith({t4()});
  spec.gpus[0].count = 2;
  auto b = backendFor(spec);
  auto p = b->platform();
  ASSERT_TRUE(p.hyperv.stopVm(kVm).has_value());
  const auto devices = p.pnp.displayDevices();
  ASSERT_TRUE(devices.has_value());
  ASSERT_EQ(devices->size(), 2u);
  for (const auto& device : *devices) {
    const auto location = *p.pnp.locationPath(device.instanceId);
    ASSERT_TRUE(p.pnp.disableDevice(device.instanceId).has_value());
    ASSERT_TRUE(p.hyperv.dismountHostDevice(location, false).has_value());
    ASSERT_TRUE(p.hyperv.addAssignableDevice(kVm, location).has_value());
  }
  ASSERT_TRUE(p.hyperv.setMemoryMappedIo(kVm, flows::mmioNeed(model("tesla-t4"), 1)).has_value());
  EXPECT_EQ(p.hyperv.startVm(kVm).error().code, ErrorCode::VmStartFailed);
  ASSERT_TRUE(p.hyperv.setMemoryMappedIo(kVm, flows::mmioNeed(model("tesla-t4"), 2)).has_value());
  EXPECT_TRUE(p.hyperv.startVm(kVm).has_value());
}

TEST(SimStartVmTest, ResizableBarNeedsMoreThanTheCatalogsBars) {
  auto spec = hostWith({t4()});
  spec.gpus[0].resizableBar = true;
  auto b = backendFor(spec);
  EXPECT_GT(b->hostForTest().gpus[0].need.high, model("tesla-t4").highMmioNeed());
  EXPECT_EQ(b->hostForTest().gpus[0].need.low, model("tesla-t4").lowMmioNeed());
  auto p = b->platform();
  assignFirstGpu(p);
  // Sized from the catalog: too small for a BAR1 that spans the 16 GB of device memory.
  ASSERT_TRUE(p.hyperv.setMemoryMappedIo(kVm, flows::mmioNeed(model("tesla-t4"), 1)).has_value());
  EXPECT_EQ(p.hyperv.startVm(kVm).error().code, ErrorCode::VmStartFailed);
  // The Windows Server DDA guide's starting point (3 GB low, 33280 MB high) is enough.
  ASSERT_TRUE(p.hyperv.setMemoryMappedIo(kVm, {3072 * kMiB, 33280 * kMiB}).has_value());
  EXPECT_TRUE(p.hyperv.startVm(kVm).has_value());
}

TEST(SimStartVmTest, NothingAssignedStartsWithDefaultMmio) {
  auto b = backendFor(hostWith({t4()}, VmState::Off));
  auto p = b->platform();
  ASSERT_TRUE(p.hyperv.startVm(kVm).has_value());
  EXPECT_EQ(stateOf(*b), VmState::Running);
  // Starting a running VM is a no-op.
  EXPECT_TRUE(p.hyperv.startVm(kVm).has_value());
}

TEST(SimStartVmTest, AStoppedVmStaysStoppedUntilStartVm) {
  auto b = backendFor(hostWith({t4(), geforce()}, VmState::Off));
  auto p = b->platform();
  const auto gpu = firstGpu(p);
  // Every other operation, succeeding or not, leaves the VM off.
  (void)p.host.windowsInfo();
  (void)p.host.hypervFeature();
  (void)p.hyperv.vmConfig(kVm);
  (void)p.hyperv.stopVm(kVm);
  (void)p.hyperv.setAutomaticStopAction(kVm, platform::StopAction::TurnOff);
  (void)p.hyperv.setMemoryMappedIo(kVm, flows::mmioNeed(model("tesla-t4"), 1));
  (void)p.hyperv.setGuestControlledCacheTypes(kVm, true);
  (void)p.pnp.disableDevice(gpu.instanceId);
  (void)p.hyperv.dismountHostDevice(gpu.location, true);
  (void)p.hyperv.addAssignableDevice(kVm, gpu.location);
  (void)p.hyperv.assignableDevices(kVm);
  (void)p.hyperv.hostAssignableDevices();
  const auto partitionable = p.hyperv.partitionableGpus();
  ASSERT_TRUE(partitionable.has_value());
  ASSERT_EQ(partitionable->size(), 1u);
  const auto adapter = p.hyperv.addGpuPartitionAdapter(kVm, partitionable->front().name);
  (void)p.hyperv.gpuPartitionAdapters(kVm);
  (void)p.drivers.mitigationDriverInstalled(gpu.instanceId);
  (void)p.drivers.wslDriverInstalled(gpu.instanceId);
  const auto guest = p.guest.run({"lspci", "-n"});
  EXPECT_FALSE(guest.has_value()); // the VM is off: nothing to run in
  EXPECT_EQ(guest.error().code, ErrorCode::OperationFailed);
  if (adapter) {
    (void)p.hyperv.removeGpuPartitionAdapter(kVm, adapter->id);
  }
  (void)p.hyperv.removeAssignableDevice(kVm, gpu.location);
  (void)p.hyperv.mountHostDevice(gpu.location);
  (void)p.pnp.enableDevice(gpu.instanceId);
  EXPECT_EQ(stateOf(*b), VmState::Off);

  ASSERT_TRUE(p.hyperv.startVm(kVm).has_value());
  EXPECT_EQ(stateOf(*b), VmState::Running);
}

// ---- GPU partitioning -------------------------------------------------------------------------

TEST(SimPartitionTest, NeedsAPartitionableGpuWithTheWslDriver) {
  auto b = backendFor(hostWith({geforce(/*wslDriver=*/false)}, VmState::Off));
  auto p = b->platform();
  EXPECT_THAT(*p.hyperv.partitionableGpus(), IsEmpty());
  const auto path = b->hostForTest().gpus[0].interfacePath;
  const auto result = p.hyperv.addGpuPartitionAdapter(kVm, path);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::OperationFailed);
  EXPECT_THAT(*p.hyperv.gpuPartitionAdapters(kVm), IsEmpty());
}

TEST(SimPartitionTest, ADdaOnlyGpuIsNotPartitionableEvenWithTheWslDriver) {
  auto spec = hostWith({t4()}, VmState::Off);
  spec.gpus[0].wslDriver = true;
  auto b = backendFor(spec);
  auto p = b->platform();
  EXPECT_THAT(*p.hyperv.partitionableGpus(), IsEmpty());
  EXPECT_EQ(
      p.hyperv.addGpuPartitionAdapter(kVm, b->hostForTest().gpus[0].interfacePath).error().code,
      ErrorCode::OperationFailed);
}

TEST(SimPartitionTest, WithTheWslDriverTheGpuIsSharedAndStaysOnTheHost) {
  auto b = backendFor(hostWith({geforce()}, VmState::Off));
  auto p = b->platform();
  const auto gpus = p.hyperv.partitionableGpus();
  ASSERT_TRUE(gpus.has_value());
  ASSERT_EQ(gpus->size(), 1u);
  EXPECT_EQ(gpus->front().instanceId, firstGpu(p).instanceId);
  const auto adapter = p.hyperv.addGpuPartitionAdapter(kVm, gpus->front().name);
  ASSERT_TRUE(adapter.has_value());
  EXPECT_EQ(adapter->instancePath, gpus->front().name);
  EXPECT_FALSE(adapter->id.empty());
  EXPECT_THAT(*p.hyperv.gpuPartitionAdapters(kVm), ElementsAre(*adapter));
  EXPECT_EQ(p.pnp.displayDevices()->size(), 1u); // still on the host
  ASSERT_TRUE(p.hyperv.removeGpuPartitionAdapter(kVm, adapter->id).has_value());
  EXPECT_THAT(*p.hyperv.gpuPartitionAdapters(kVm), IsEmpty());
}

// ---- Hyper-V disabled -------------------------------------------------------------------------

TEST(SimHyperVDisabledTest, HostOsReportsTheFeature) {
  auto spec = hostWith({t4()});
  spec.hypervEnabled = false;
  auto b = backendFor(spec);
  auto p = b->platform();
  const auto feature = p.host.hypervFeature();
  ASSERT_TRUE(feature.has_value());
  EXPECT_TRUE(feature->present);
  EXPECT_FALSE(feature->enabled);

  auto home = backendFor(hostWith({t4()}, VmState::Running, Edition::Home));
  const auto homeFeature = home->platform().host.hypervFeature();
  ASSERT_TRUE(homeFeature.has_value());
  EXPECT_FALSE(homeFeature->present);
  EXPECT_FALSE(homeFeature->enabled);
}

TEST(SimHyperVDisabledTest, VmOperationsFail) {
  auto spec = hostWith({geforce()});
  spec.hypervEnabled = false;
  auto b = backendFor(spec);
  auto p = b->platform();
  const auto path = b->hostForTest().gpus[0].interfacePath;
  EXPECT_EQ(p.hyperv.vmConfig(kVm).error().code, ErrorCode::OperationFailed);
  EXPECT_EQ(p.hyperv.startVm(kVm).error().code, ErrorCode::OperationFailed);
  EXPECT_EQ(p.hyperv.stopVm(kVm).error().code, ErrorCode::OperationFailed);
  EXPECT_EQ(p.hyperv.setAutomaticStopAction(kVm, platform::StopAction::TurnOff).error().code,
            ErrorCode::OperationFailed);
  EXPECT_EQ(p.hyperv.setMemoryMappedIo(kVm, kDefaultMmio).error().code, ErrorCode::OperationFailed);
  EXPECT_EQ(p.hyperv.setGuestControlledCacheTypes(kVm, true).error().code,
            ErrorCode::OperationFailed);
  EXPECT_EQ(p.hyperv.assignableDevices(kVm).error().code, ErrorCode::OperationFailed);
  EXPECT_EQ(p.hyperv.addAssignableDevice(kVm, "PCIROOT(0)#PCI(0300)#PCI(0000)").error().code,
            ErrorCode::OperationFailed);
  EXPECT_EQ(p.hyperv.removeAssignableDevice(kVm, "PCIROOT(0)#PCI(0300)#PCI(0000)").error().code,
            ErrorCode::OperationFailed);
  EXPECT_EQ(p.hyperv.gpuPartitionAdapters(kVm).error().code, ErrorCode::OperationFailed);
  EXPECT_EQ(p.hyperv.addGpuPartitionAdapter(kVm, path).error().code, ErrorCode::OperationFailed);
  EXPECT_EQ(p.hyperv.removeGpuPartitionAdapter(kVm, "x").error().code, ErrorCode::OperationFailed);
  // Get-VMHostPartitionableGpu is a Hyper-V cmdlet too.
  EXPECT_FALSE(p.hyperv.partitionableGpus().has_value());
  EXPECT_EQ(stateOf(*b), VmState::Running);
}

TEST(SimHyperVDisabledTest, HostDeviceOperationsFail) {
  auto spec = hostWith({t4()});
  spec.hypervEnabled = false;
  auto b = backendFor(spec);
  auto p = b->platform();
  const auto gpu = firstGpu(p);
  ASSERT_TRUE(p.pnp.disableDevice(gpu.instanceId).has_value());
  const auto dismounted = p.hyperv.dismountHostDevice(gpu.location, true);
  ASSERT_FALSE(dismounted.has_value());
  EXPECT_EQ(dismounted.error().code, ErrorCode::OperationFailed);
  EXPECT_TRUE(b->hostForTest().gpus[0].mounted);
  EXPECT_FALSE(p.hyperv.hostAssignableDevices().has_value());
  EXPECT_FALSE(p.hyperv.mountHostDevice(gpu.location).has_value());
}

// ---- Faults -----------------------------------------------------------------------------------

TEST(SimFaultTest, AnErrorFaultFailsExactlyTheNthCall) {
  auto spec = hostWith({t4()}, VmState::Running);
  spec.faults.push_back(FaultSpec{"hyperv.stop-vm", FaultKind::Error, 2, 0});
  auto b = backendFor(spec);
  auto p = b->platform();

  ASSERT_TRUE(p.hyperv.stopVm(kVm).has_value()); // #1
  EXPECT_EQ(stateOf(*b), VmState::Off);
  ASSERT_TRUE(p.hyperv.startVm(kVm).has_value());

  const auto second = p.hyperv.stopVm(kVm); // #2: injected
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code, ErrorCode::OperationFailed);
  EXPECT_THAT(second.error().context, ElementsAre("hyperv.stop-vm"));
  EXPECT_EQ(stateOf(*b), VmState::Running); // the failed call changed nothing

  EXPECT_TRUE(p.hyperv.stopVm(kVm).has_value()); // #3
  EXPECT_EQ(stateOf(*b), VmState::Off);
  EXPECT_TRUE(p.hyperv.stopVm(kVm).has_value()); // #4
}

TEST(SimFaultTest, FaultsCountOccurrencesPerOperation) {
  auto spec = hostWith({t4()});
  spec.faults.push_back(FaultSpec{"pnp.get-devices", FaultKind::Error, 1, 0});
  spec.faults.push_back(FaultSpec{"hostos.get-windows-info", FaultKind::Error, 3, 0});
  auto b = backendFor(spec);
  auto p = b->platform();
  EXPECT_TRUE(p.host.windowsInfo().has_value());
  EXPECT_EQ(p.pnp.displayDevices().error().code, ErrorCode::OperationFailed);
  EXPECT_TRUE(p.host.windowsInfo().has_value());
  EXPECT_TRUE(p.pnp.displayDevices().has_value());
  EXPECT_EQ(p.host.windowsInfo().error().code, ErrorCode::OperationFailed);
  EXPECT_TRUE(p.host.windowsInfo().has_value());
}

TEST(SimFaultTest, ADismountErrorLeavesTheDeviceMounted) {
  auto spec = hostWith({t4()});
  spec.faults.push_back(FaultSpec{"hyperv.dismount-host-device", FaultKind::Error, 1, 0});
  auto b = backendFor(spec);
  auto p = b->platform();
  const auto gpu = firstGpu(p);
  ASSERT_TRUE(p.pnp.disableDevice(gpu.instanceId).has_value());
  EXPECT_EQ(p.hyperv.dismountHostDevice(gpu.location, true).error().code,
            ErrorCode::OperationFailed);
  EXPECT_TRUE(b->hostForTest().gpus[0].mounted);
  EXPECT_TRUE(p.hyperv.dismountHostDevice(gpu.location, true).has_value());
}

TEST(SimFaultTest, AHangTimesOutAndAdvancesTheVirtualClockPastTheDeadline) {
  auto spec = hostWith({t4()}, VmState::Off);
  spec.faults.push_back(FaultSpec{"hyperv.start-vm", FaultKind::Hang, 1, 0});
  auto b = backendFor(spec);
  auto p = b->platform();
  const auto before = b->clock().now();
  const auto result = p.hyperv.startVm(kVm);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::Timeout);
  EXPECT_GE(b->clock().now() - before, b->hostForTest().commandDeadline);
  EXPECT_EQ(&b->clock(), &b->hostForTest().clock());
  EXPECT_EQ(stateOf(*b), VmState::Off);
  // The next call runs normally.
  EXPECT_TRUE(p.hyperv.startVm(kVm).has_value());
  EXPECT_EQ(stateOf(*b), VmState::Running);
}

TEST(SimFaultTest, AGuestFaultFailsTheGuestCommand) {
  auto spec = hostWith({t4()});
  spec.faults.push_back(FaultSpec{"guest.run", FaultKind::Error, 1, 0});
  auto b = backendFor(spec);
  auto p = b->platform();
  EXPECT_EQ(p.guest.run({"lspci", "-n"}).error().code, ErrorCode::OperationFailed);
  EXPECT_TRUE(p.guest.run({"lspci", "-n"}).has_value());
}

TEST(SimFaultTest, ReachedRecordsOperationsWithOccurrences) {
  auto b = backendFor(hostWith({t4()}));
  auto p = b->platform();
  EXPECT_THAT(b->hostForTest().reached(), IsEmpty());
  (void)p.hyperv.vmConfig(kVm);
  (void)p.hyperv.stopVm(kVm);
  (void)p.hyperv.vmConfig(kVm);
  (void)p.pnp.displayDevices();
  (void)p.guest.run({"lspci"}); // reached even though the VM is off
  EXPECT_THAT(b->hostForTest().reached(),
              ElementsAre(Pair("hyperv.get-vm", 1), Pair("hyperv.stop-vm", 1),
                          Pair("hyperv.get-vm", 2), Pair("pnp.get-devices", 1),
                          Pair("guest.run", 1)));
}

TEST(SimFaultTest, EveryOperationMovesTheVirtualClockForward) {
  auto b = backendFor(hostWith({t4()}));
  auto p = b->platform();
  auto last = b->clock().now();
  (void)p.hyperv.vmConfig(kVm);
  EXPECT_GT(b->clock().now(), last);
  last = b->clock().now();
  (void)p.pnp.displayDevices();
  EXPECT_GT(b->clock().now(), last);
}

// ---- The guest --------------------------------------------------------------------------------

TEST(SimGuestTest, LspciListsAssignedDevicesOnlyWhileRunning) {
  auto b = backendFor(hostWith({t4()}));
  auto p = b->platform();
  const auto before = p.guest.run({"lspci", "-n"});
  ASSERT_TRUE(before.has_value());
  EXPECT_EQ(before->exitCode, 0);
  EXPECT_THAT(before->out, Not(HasSubstr("10de:1eb8")));

  assignFirstGpu(p);
  EXPECT_FALSE(p.guest.run({"lspci", "-n"}).has_value()); // off: nothing runs
  ASSERT_TRUE(p.hyperv.setMemoryMappedIo(kVm, flows::mmioNeed(model("tesla-t4"), 1)).has_value());
  ASSERT_TRUE(p.hyperv.startVm(kVm).has_value());
  const auto running = p.guest.run({"lspci", "-n"});
  ASSERT_TRUE(running.has_value());
  EXPECT_EQ(running->exitCode, 0);
  EXPECT_THAT(running->out, HasSubstr("10de:1eb8"));
}

TEST(SimGuestTest, DevDxgExistsOnlyWithAPartitionAdapter) {
  auto b = backendFor(hostWith({geforce()}));
  auto p = b->platform();
  const auto without = p.guest.run({"ls", "/dev/dxg"});
  ASSERT_TRUE(without.has_value());
  EXPECT_NE(without->exitCode, 0);
  EXPECT_THAT(without->out, IsEmpty());

  addAdapter(p);
  ASSERT_TRUE(p.hyperv.startVm(kVm).has_value());
  const auto with = p.guest.run({"ls", "/dev/dxg"});
  ASSERT_TRUE(with.has_value());
  EXPECT_EQ(with->exitCode, 0);
  EXPECT_EQ(with->out, "/dev/dxg\n");
  const auto libs = p.guest.run({"ls", "/usr/lib/wsl/lib"});
  ASSERT_TRUE(libs.has_value());
  EXPECT_EQ(libs->exitCode, 0);
  EXPECT_THAT(libs->out, HasSubstr("libcuda.so"));
}

TEST(SimGuestTest, UnknownCommandIsNotFound) {
  auto b = backendFor(hostWith({t4()}));
  const auto result = b->platform().guest.run({"nvidia-smi-please"});
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->exitCode, 127);
}

TEST(SimGuestTest, SmokeWithNothingAssignedFindsNoCudaDevice) {
  auto b = backendFor(hostWith({t4()}));
  const auto result = b->platform().guest.run(smokeArgv());
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->exitCode, 3);
  EXPECT_THAT(result->err, HasSubstr("no CUDA device"));
  const auto checks = platform::parseSmokeOutput(result->out);
  ASSERT_TRUE(checks.has_value());
  EXPECT_THAT(*checks, IsEmpty());
}

/// A T4 assigned by DDA to a running VM: what the smoke test sees.
std::unique_ptr<SimBackend> t4Running(std::uint64_t seed, bool guestDriver = true) {
  auto spec = hostWith({t4()});
  spec.vm.guestDriver = guestDriver;
  auto b = backendFor(spec, seed);
  auto p = b->platform();
  assignFirstGpu(p);
  EXPECT_TRUE(p.hyperv.setMemoryMappedIo(kVm, flows::mmioNeed(model("tesla-t4"), 1)).has_value());
  EXPECT_TRUE(p.hyperv.startVm(kVm).has_value());
  return b;
}

TEST(SimGuestTest, SmokeWithAT4ReportsTheT4) {
  auto b = t4Running(1);
  const auto result = b->platform().guest.run(smokeArgv());
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->exitCode, 0);
  const auto checks = platform::parseSmokeOutput(result->out);
  ASSERT_TRUE(checks.has_value()) << checks.error().describe();
  ASSERT_FALSE(checks->empty());
  for (const auto& check : *checks) {
    EXPECT_TRUE(check.passed) << check.name;
  }
  const auto* name = findCheck(*checks, "device-name");
  ASSERT_NE(name, nullptr);
  EXPECT_EQ(name->value, "NVIDIA Tesla T4");
  const auto* count = findCheck(*checks, "device-count");
  ASSERT_NE(count, nullptr);
  EXPECT_EQ(count->value, "1");
  const auto* cc = findCheck(*checks, "compute-capability");
  ASSERT_NE(cc, nullptr);
  EXPECT_EQ(cc->value, "7.5");
  const auto* sm = findCheck(*checks, "sm-count");
  ASSERT_NE(sm, nullptr);
  EXPECT_EQ(sm->value, "40");
  const auto* link = findCheck(*checks, "pcie-link");
  ASSERT_NE(link, nullptr);
  EXPECT_EQ(link->value, "Gen3 x16");
  for (const auto* bandwidth : {"h2d-bandwidth", "d2h-bandwidth", "d2d-bandwidth"}) {
    const auto* check = findCheck(*checks, bandwidth);
    ASSERT_NE(check, nullptr) << bandwidth;
    EXPECT_EQ(check->unit, "GB/s") << bandwidth;
    EXPECT_GT(std::stod(check->value), 0.0) << bandwidth;
    ASSERT_THAT(check->threshold, StartsWith(">= ")) << bandwidth;
    EXPECT_GE(std::stod(check->value), std::stod(check->threshold.substr(3))) << bandwidth;
  }
  const auto* mode = findCheck(*checks, "mode");
  ASSERT_NE(mode, nullptr);
  EXPECT_EQ(mode->value, "dda");
}

TEST(SimGuestTest, SmokeOnBadMemoryFailsThePatternCheckOnly) {
  auto spec = hostWith({t4()});
  spec.gpus[0].badMemory = true;
  auto b = backendFor(spec, 1);
  auto p = b->platform();
  assignFirstGpu(p);
  ASSERT_TRUE(p.hyperv.setMemoryMappedIo(kVm, flows::mmioNeed(model("tesla-t4"), 1)).has_value());
  ASSERT_TRUE(p.hyperv.startVm(kVm).has_value());

  const auto result = p.guest.run(smokeArgv());

  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->exitCode, 1);
  const auto checks = platform::parseSmokeOutput(result->out);
  ASSERT_TRUE(checks.has_value()) << checks.error().describe();
  for (const auto& check : *checks) {
    EXPECT_EQ(check.passed, check.name != "memory-pattern") << check.name;
  }
  const auto* pattern = findCheck(*checks, "memory-pattern");
  ASSERT_NE(pattern, nullptr);
  EXPECT_THAT(pattern->message, HasSubstr("first bad address 0x"));
}

TEST(SimGuestTest, SmokeWithoutTheGuestDriverFindsNoCudaDevice) {
  auto b = t4Running(1, /*guestDriver=*/false);
  auto p = b->platform();
  // The PCI device is there; only CUDA is missing.
  EXPECT_THAT(p.guest.run({"lspci", "-n"})->out, HasSubstr("10de:1eb8"));
  const auto result = p.guest.run(smokeArgv());
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->exitCode, 3);
  EXPECT_THAT(result->err, HasSubstr("no CUDA device"));
}

TEST(SimGuestTest, SmokeWithANonNvidiaGpuFindsNoCudaDevice) {
  GpuSpec radeon;
  radeon.model = "radeon-pro-w6600";
  radeon.mitigationDriver = true;
  auto b = backendFor(hostWith({radeon}));
  auto p = b->platform();
  assignFirstGpu(p);
  ASSERT_TRUE(p.hyperv.setMemoryMappedIo(kVm, {3072 * kMiB, 33280 * kMiB}).has_value());
  ASSERT_TRUE(p.hyperv.startVm(kVm).has_value());
  const auto result = p.guest.run(smokeArgv());
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->exitCode, 3);
}

TEST(SimGuestTest, SmokeOverGpuPvNeedsTheMmioForTheBars) {
  auto b = backendFor(hostWith({geforce()}));
  auto p = b->platform();
  addAdapter(p);
  ASSERT_TRUE(p.hyperv.startVm(kVm).has_value());
  // Default MMIO: the guest cannot map the GPU (dxgglobal_getiospace).
  const auto unmapped = p.guest.run(smokeArgv());
  ASSERT_TRUE(unmapped.has_value());
  EXPECT_EQ(unmapped->exitCode, 3);

  ASSERT_TRUE(p.hyperv.stopVm(kVm).has_value());
  ASSERT_TRUE(
      p.hyperv.setMemoryMappedIo(kVm, flows::mmioNeed(model("geforce-rtx-3080"), 1)).has_value());
  ASSERT_TRUE(p.hyperv.startVm(kVm).has_value());
  const auto mapped = p.guest.run(smokeArgv());
  ASSERT_TRUE(mapped.has_value());
  EXPECT_EQ(mapped->exitCode, 0);
  const auto checks = platform::parseSmokeOutput(mapped->out);
  ASSERT_TRUE(checks.has_value());
  ASSERT_NE(findCheck(*checks, "device-name"), nullptr);
  EXPECT_EQ(findCheck(*checks, "device-name")->value, "NVIDIA GeForce RTX 3080");
  ASSERT_NE(findCheck(*checks, "mode"), nullptr);
  EXPECT_EQ(findCheck(*checks, "mode")->value, "gpu-pv");
}

TEST(SimGuestTest, SameSeedGivesIdenticalSmokeOutput) {
  auto first = t4Running(42);
  auto second = t4Running(42);
  const auto a = first->platform().guest.run(smokeArgv());
  const auto b = second->platform().guest.run(smokeArgv());
  ASSERT_TRUE(a.has_value());
  ASSERT_TRUE(b.has_value());
  EXPECT_FALSE(a->out.empty());
  EXPECT_EQ(a->out, b->out);
  EXPECT_EQ(a->err, b->err);
  EXPECT_EQ(a->exitCode, b->exitCode);
}

TEST(SimGuestTest, DifferentSeedGivesDifferentFigures) {
  auto first = t4Running(1);
  auto second = t4Running(2);
  const auto a = platform::parseSmokeOutput(first->platform().guest.run(smokeArgv())->out);
  const auto b = platform::parseSmokeOutput(second->platform().guest.run(smokeArgv())->out);
  ASSERT_TRUE(a.has_value());
  ASSERT_TRUE(b.has_value());
  ASSERT_EQ(a->size(), b->size());
  // The same checks, the same facts; the measured figures differ.
  EXPECT_EQ(findCheck(*a, "device-name")->value, findCheck(*b, "device-name")->value);
  EXPECT_NE(*a, *b);
  int differing = 0;
  for (const auto* name : {"h2d-bandwidth", "d2h-bandwidth", "d2d-bandwidth", "fp32-throughput"}) {
    differing += findCheck(*a, name)->value != findCheck(*b, name)->value ? 1 : 0;
  }
  EXPECT_GE(differing, 1);
}

// ---- Observation and invariants ---------------------------------------------------------------

TEST(SimObserveTest, FollowsTheHostState) {
  auto b = backendFor(hostWith({t4()}));
  auto p = b->platform();
  auto seen = b->observe(kVm);
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->vmGpu, scenario::VmGpu::None);
  EXPECT_EQ(seen->hostGpu, scenario::HostGpu::Present);

  const auto gpu = firstGpu(p);
  ASSERT_TRUE(p.pnp.disableDevice(gpu.instanceId).has_value());
  ASSERT_TRUE(p.hyperv.dismountHostDevice(gpu.location, true).has_value());
  seen = b->observe(kVm);
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->vmGpu, scenario::VmGpu::None);
  EXPECT_EQ(seen->hostGpu, scenario::HostGpu::Dismounted);

  ASSERT_TRUE(p.hyperv.stopVm(kVm).has_value());
  ASSERT_TRUE(p.hyperv.addAssignableDevice(kVm, gpu.location).has_value());
  seen = b->observe(kVm);
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->vmGpu, scenario::VmGpu::Dda);
  EXPECT_EQ(seen->hostGpu, scenario::HostGpu::Dismounted);
}

TEST(SimObserveTest, SeesAPartitionAdapterAsGpuPv) {
  auto b = backendFor(hostWith({geforce()}));
  addAdapter(b->platform());
  const auto seen = b->observe(kVm);
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->vmGpu, scenario::VmGpu::GpuPv);
  EXPECT_EQ(seen->hostGpu, scenario::HostGpu::Present);
}

TEST(SimObserveTest, IgnoresInjectedFaults) {
  auto spec = hostWith({t4()});
  spec.faults.push_back(FaultSpec{"hyperv.get-vm", FaultKind::Error, 1, 0});
  spec.faults.push_back(FaultSpec{"hyperv.get-assignable-devices", FaultKind::Error, 1, 0});
  auto b = backendFor(spec);
  EXPECT_TRUE(b->observe(kVm).has_value());
  EXPECT_THAT(b->hostForTest().reached(), IsEmpty());
}

TEST(SimObserveTest, UnknownVmIsInvalidRequest) {
  auto b = backendFor(hostWith({t4()}));
  EXPECT_EQ(b->observe("NOPE").error().code, ErrorCode::InvalidRequest);
}

TEST(SimInvariantTest, AFreshHostHasNoViolations) {
  auto b = backendFor(hostWith({t4(), geforce()}));
  EXPECT_THAT(b->invariantViolations(), IsEmpty());
}

TEST(SimInvariantTest, ADismountedUnassignedGpuIsLost) {
  auto b = backendFor(hostWith({t4()}));
  auto& gpu = b->hostForTest().gpus[0];
  gpu.mounted = false;
  gpu.assignedTo.reset();
  const auto violations = b->invariantViolations();
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_THAT(violations[0], StartsWith("gpu-lost"));
}

TEST(SimInvariantTest, TheSameStateReachedThroughTheSeamsIsLostToo) {
  auto b = backendFor(hostWith({t4()}));
  auto p = b->platform();
  const auto gpu = firstGpu(p);
  ASSERT_TRUE(p.pnp.disableDevice(gpu.instanceId).has_value());
  ASSERT_TRUE(p.hyperv.dismountHostDevice(gpu.location, true).has_value());
  const auto violations = b->invariantViolations();
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_THAT(violations[0], StartsWith("gpu-lost"));
}

TEST(SimInvariantTest, AGpuOnTheHostAndAssignedIsReported) {
  auto b = backendFor(hostWith({t4()}));
  auto& gpu = b->hostForTest().gpus[0];
  gpu.assignedTo = kVm;
  b->hostForTest().vms.at(kVm).assigned.push_back(gpu.location);
  const auto violations = b->invariantViolations();
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_THAT(violations[0], StartsWith("gpu-on-host-and-vm"));
}

TEST(SimInvariantTest, AGpuAssignedToTwoVmsIsReported) {
  auto b = backendFor(hostWith({t4()}));
  auto& host = b->hostForTest();
  auto& gpu = host.gpus[0];
  gpu.mounted = false;
  gpu.assignedTo = kVm;
  host.vms.at(kVm).assigned.push_back(gpu.location);
  SimVm other;
  other.config.name = "OTHER";
  other.assigned.push_back(gpu.location);
  host.vms.emplace("OTHER", std::move(other));
  const auto violations = b->invariantViolations();
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_THAT(violations[0], StartsWith("gpu-assigned-twice"));
}

TEST(SimBackendFactoryTest, MakesASimBackendFromTheScenariosHost) {
  const SimBackendFactory factory{data::GpuCatalog::builtin()};
  EXPECT_EQ(factory.name(), "sim");
  scenario::Scenario s;
  s.host = hostWith({t4(), geforce()});
  const auto backend = factory.create(s, 7, {});
  ASSERT_TRUE(backend.has_value());
  const auto devices = (*backend)->platform().pnp.displayDevices();
  ASSERT_TRUE(devices.has_value());
  EXPECT_EQ(devices->size(), 2u);
  EXPECT_THAT((*backend)->invariantViolations(), IsEmpty());
}

} // namespace
} // namespace hil::simulators
