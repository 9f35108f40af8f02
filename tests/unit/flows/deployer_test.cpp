#include "framework/flows/deployer.h"

#include <algorithm>
#include <array>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "framework/core/log.h"
#include "framework/data/catalog.h"
#include "framework/data/rules.h"
#include "tests/mocks/platform_mocks.h"

namespace hil::flows {
namespace {

using platform::AssignedDevice;
using platform::DeviceStatus;
using platform::Edition;
using platform::GpuPartitionAdapter;
using platform::GuestOutput;
using platform::HyperVFeature;
using platform::InstanceId;
using platform::LocationPath;
using platform::MmioSpace;
using platform::PartitionableGpu;
using platform::PnpDevice;
using platform::StopAction;
using platform::VmConfig;
using platform::VmName;
using platform::VmState;
using platform::WindowsInfo;
using test_mocks::returnError;
using test_mocks::StrictMockPlatform;
using testing::_;
using testing::AnyNumber;
using testing::ElementsAre;
using testing::InSequence;
using Passthrough = DeployRequest::Passthrough;
using Kind = UndoAction::Kind;

const VmName kVm = "EFLOW";
const InstanceId kT4Id = "PCI\\VEN_10DE&DEV_1EB8&SUBSYS_12A210DE&REV_A1\\4&1&0&0008";
const InstanceId kT4AssignedId = "PCIP\\VEN_10DE&DEV_1EB8&SUBSYS_12A210DE&REV_A1\\4&1&0&0008";
const LocationPath kT4Location = "PCIROOT(0)#PCI(0300)#PCI(0000)";
const InstanceId kRtxId = "PCI\\VEN_10DE&DEV_2503&SUBSYS_397D1462&REV_A1\\4&2B0E2D5A&0&0008";
const LocationPath kRtxLocation = "PCIROOT(0)#PCI(0100)#PCI(0000)";
const std::string kRtxPartitionName = "\\\\?\\PCI#VEN_10DE&DEV_2503&SUBSYS_397D1462&REV_A1#4&"
                                      "2b0e2d5a&0&0008#{064092b3-625e-43bf-9eb5-dc845897dd59}";
const InstanceId kAmdId = "PCI\\VEN_1002&DEV_73E3&SUBSYS_0E0D1002&REV_00\\6&1A3E2E5B&0&00000008";

/// What the DDA flow needs for one T4: 128 MB + 16 MB low, 512 MB + 256 MB + 32 MB high.
constexpr MmioSpace kT4Mmio{(128 + 16) * platform::kMiB, (512 + 288) * platform::kMiB};

auto failed(ErrorCode code) { return returnError<void>(code); }

std::string describe(const Result<void>& status) {
  return status ? std::string{"ok"} : status.error().describe();
}

std::vector<ErrorCode> codesOf(const std::vector<Error>& errors) {
  std::vector<ErrorCode> codes;
  for (const auto& e : errors) {
    codes.push_back(e.code);
  }
  return codes;
}

DeployRequest t4Request() {
  return DeployRequest{
      .passthrough = Passthrough::Auto, .gpuName = "NVIDIA Tesla T4", .gpuCount = 1, .vm = kVm};
}

DeployRequest rtxRequest() {
  return DeployRequest{.passthrough = Passthrough::ParaVirtualization,
                       .gpuName = "NVIDIA GeForce RTX 3060",
                       .gpuCount = 1,
                       .vm = kVm};
}

/// One GPU of the fake host, wherever it is: on the host (PnP), dismounted, or on the VM.
struct FakeGpu {
  enum class Where { Host, Dismounted, Assigned };
  PnpDevice device;
  LocationPath location;
  bool mitigationDriver = true;
  bool wslDriver = false;
  Where where = Where::Host;
};

/// A small stateful host behind the mocks, so that what one seam does the others see (the undo
/// journal checks the actual state before acting). It enforces the Hyper-V rules the flows rely
/// on: a running VM takes no device and no MMIO change, an enabled device is not dismounted.
struct FakeHost {
  WindowsInfo windows{Edition::Server, {17763, 0}};
  HyperVFeature feature{true, true};
  VmConfig vm{.name = kVm, .state = VmState::Running};
  std::vector<FakeGpu> gpus;
  std::vector<PartitionableGpu> partitionable;
  std::vector<GpuPartitionAdapter> adapters;
  int adaptersAdded = 0;
  GuestOutput lspci{0,
                    "00:00.0 0600: 8086:7192\n"
                    "00:08.0 0302: 10de:1eb8 (rev a1)\n",
                    ""};
  GuestOutput ls{0, "/dev/dxg\n\n/usr/lib/wsl/lib:\nlibcuda.so\nlibd3d12.so\nlibdxcore.so\n", ""};

  /// Windows Server 2019 with one T4, its mitigation driver installed.
  void useT4Server() {
    windows = {Edition::Server, {17763, 0}};
    gpus = {FakeGpu{
        {kT4Id, "NVIDIA Tesla T4", {0x10de, 0x1eb8}, DeviceStatus::Ok}, kT4Location, true, false}};
    partitionable.clear();
  }

  /// Windows Professional 20145 with a GeForce RTX 3060, partitionable, WSL driver as given.
  void useGeForceWorkstation(bool wslDriver = true) {
    windows = {Edition::Professional, {20145, 0}};
    gpus = {FakeGpu{{kRtxId, "NVIDIA GeForce RTX 3060", {0x10de, 0x2503}, DeviceStatus::Ok},
                    kRtxLocation,
                    false,
                    wslDriver}};
    partitionable = {PartitionableGpu{kRtxPartitionName, kRtxId, 32}};
  }

  FakeGpu* byId(const InstanceId& id) {
    const auto it = std::find_if(gpus.begin(), gpus.end(),
                                 [&](const FakeGpu& g) { return g.device.instanceId == id; });
    return it == gpus.end() ? nullptr : &*it;
  }

  FakeGpu* byLocation(const LocationPath& location) {
    const auto it = std::find_if(gpus.begin(), gpus.end(),
                                 [&](const FakeGpu& g) { return g.location == location; });
    return it == gpus.end() ? nullptr : &*it;
  }

  Result<void> checkVm(const VmName& name) const {
    if (name != vm.name) {
      return fail(ErrorCode::OperationFailed, "Hyper-V was unable to find a virtual machine");
    }
    return {};
  }

  Result<void> checkVmOff(const VmName& name) const {
    HIL_TRY(checkVm(name));
    if (vm.state != VmState::Off) {
      return fail(ErrorCode::FailedPrecondition, "Invalid state for this operation (32775)");
    }
    return {};
  }
};

/// A Deployer over strict mocks: every query answers from the fake host any number of times,
/// every mutating call must be expected by the test and then acts on the fake host.
class DeployerTest : public testing::Test {
protected:
  DeployerTest() {
    host_.useT4Server();
    wireQueries();
    wireMutations();
    original_ = host_;
  }

  void wireQueries() {
    auto& h = mocks_.host;
    auto& pnp = mocks_.pnp;
    auto& hv = mocks_.hyperv;
    auto& drv = mocks_.drivers;
    auto& guest = mocks_.guest;
    ON_CALL(h, windowsInfo).WillByDefault([this]() -> Result<WindowsInfo> {
      return host_.windows;
    });
    ON_CALL(h, hypervFeature).WillByDefault([this]() -> Result<HyperVFeature> {
      return host_.feature;
    });
    ON_CALL(pnp, displayDevices).WillByDefault([this]() -> Result<std::vector<PnpDevice>> {
      std::vector<PnpDevice> present;
      for (const auto& g : host_.gpus) {
        if (g.where == FakeGpu::Where::Host) {
          present.push_back(g.device);
        }
      }
      return present;
    });
    ON_CALL(pnp, locationPath).WillByDefault([this](const InstanceId& id) -> Result<LocationPath> {
      const auto* g = host_.byId(id);
      if (g == nullptr || g->where != FakeGpu::Where::Host) {
        return fail(ErrorCode::OperationFailed, "No matching Win32_PnPEntity objects found");
      }
      return g->location;
    });
    ON_CALL(hv, vmConfig).WillByDefault([this](const VmName& vm) -> Result<VmConfig> {
      HIL_TRY(host_.checkVm(vm));
      return host_.vm;
    });
    ON_CALL(hv, hostAssignableDevices).WillByDefault([this]() -> Result<std::vector<LocationPath>> {
      std::vector<LocationPath> parked;
      for (const auto& g : host_.gpus) {
        if (g.where == FakeGpu::Where::Dismounted) {
          parked.push_back(g.location);
        }
      }
      return parked;
    });
    ON_CALL(hv, assignableDevices)
        .WillByDefault([this](const VmName& vm) -> Result<std::vector<AssignedDevice>> {
          HIL_TRY(host_.checkVm(vm));
          std::vector<AssignedDevice> assigned;
          for (const auto& g : host_.gpus) {
            if (g.where == FakeGpu::Where::Assigned) {
              assigned.push_back({g.location, "PCIP" + g.device.instanceId.substr(3)});
            }
          }
          return assigned;
        });
    ON_CALL(hv, partitionableGpus).WillByDefault([this]() -> Result<std::vector<PartitionableGpu>> {
      return host_.partitionable;
    });
    ON_CALL(hv, gpuPartitionAdapters)
        .WillByDefault([this](const VmName& vm) -> Result<std::vector<GpuPartitionAdapter>> {
          HIL_TRY(host_.checkVm(vm));
          return host_.adapters;
        });
    ON_CALL(drv, mitigationDriverInstalled).WillByDefault([this](const InstanceId& id) {
      const auto* g = host_.byId(id);
      return g == nullptr ? Result<bool>{fail(ErrorCode::OperationFailed, "no such device")}
                          : Result<bool>{g->mitigationDriver};
    });
    ON_CALL(drv, wslDriverInstalled).WillByDefault([this](const InstanceId& id) {
      const auto* g = host_.byId(id);
      return g == nullptr ? Result<bool>{fail(ErrorCode::OperationFailed, "no such device")}
                          : Result<bool>{g->wslDriver};
    });
    ON_CALL(guest, run).WillByDefault([this](const std::vector<std::string>& argv) {
      if (!argv.empty() && argv.front() == "lspci") {
        return Result<GuestOutput>{host_.lspci};
      }
      if (!argv.empty() && argv.front() == "ls") {
        return Result<GuestOutput>{host_.ls};
      }
      return Result<GuestOutput>{GuestOutput{127, "", "command not found"}};
    });

    EXPECT_CALL(h, windowsInfo).Times(AnyNumber());
    EXPECT_CALL(h, hypervFeature).Times(AnyNumber());
    EXPECT_CALL(pnp, displayDevices).Times(AnyNumber());
    EXPECT_CALL(pnp, locationPath).Times(AnyNumber());
    EXPECT_CALL(hv, vmConfig).Times(AnyNumber());
    EXPECT_CALL(hv, hostAssignableDevices).Times(AnyNumber());
    EXPECT_CALL(hv, assignableDevices).Times(AnyNumber());
    EXPECT_CALL(hv, partitionableGpus).Times(AnyNumber());
    EXPECT_CALL(hv, gpuPartitionAdapters).Times(AnyNumber());
    EXPECT_CALL(drv, mitigationDriverInstalled).Times(AnyNumber());
    EXPECT_CALL(drv, wslDriverInstalled).Times(AnyNumber());
    EXPECT_CALL(guest, run).Times(AnyNumber());
  }

  void wireMutations() {
    using Where = FakeGpu::Where;
    auto& pnp = mocks_.pnp;
    auto& hv = mocks_.hyperv;
    ON_CALL(hv, startVm).WillByDefault([this](const VmName& vm) -> Result<void> {
      HIL_TRY(host_.checkVm(vm));
      host_.vm.state = VmState::Running;
      return {};
    });
    ON_CALL(hv, stopVm).WillByDefault([this](const VmName& vm) -> Result<void> {
      HIL_TRY(host_.checkVm(vm));
      host_.vm.state = VmState::Off;
      return {};
    });
    ON_CALL(hv, setAutomaticStopAction)
        .WillByDefault([this](const VmName& vm, StopAction action) -> Result<void> {
          HIL_TRY(host_.checkVm(vm));
          host_.vm.automaticStopAction = action;
          return {};
        });
    ON_CALL(hv, setMemoryMappedIo)
        .WillByDefault([this](const VmName& vm, MmioSpace space) -> Result<void> {
          HIL_TRY(host_.checkVmOff(vm));
          host_.vm.mmio = space;
          return {};
        });
    ON_CALL(hv, setGuestControlledCacheTypes)
        .WillByDefault([this](const VmName& vm, bool enabled) -> Result<void> {
          HIL_TRY(host_.checkVm(vm));
          host_.vm.guestControlledCacheTypes = enabled;
          return {};
        });
    ON_CALL(pnp, disableDevice).WillByDefault([this](const InstanceId& id) -> Result<void> {
      auto* g = host_.byId(id);
      if (g == nullptr || g->where != Where::Host) {
        return fail(ErrorCode::OperationFailed, "No matching Win32_PnPEntity objects found");
      }
      g->device.status = DeviceStatus::Disabled;
      return {};
    });
    ON_CALL(pnp, enableDevice).WillByDefault([this](const InstanceId& id) -> Result<void> {
      auto* g = host_.byId(id);
      if (g == nullptr || g->where != Where::Host) {
        return fail(ErrorCode::OperationFailed, "No matching Win32_PnPEntity objects found");
      }
      g->device.status = DeviceStatus::Ok;
      return {};
    });
    ON_CALL(hv, dismountHostDevice)
        .WillByDefault([this](const LocationPath& location, bool) -> Result<void> {
          auto* g = host_.byLocation(location);
          if (g == nullptr || g->where != Where::Host) {
            return fail(ErrorCode::OperationFailed, "The specified device was not found");
          }
          if (g->device.status != DeviceStatus::Disabled) {
            return fail(ErrorCode::DeviceBusy, "The device is in use");
          }
          g->where = Where::Dismounted;
          return {};
        });
    ON_CALL(hv, mountHostDevice).WillByDefault([this](const LocationPath& location) {
      auto* g = host_.byLocation(location);
      if (g == nullptr || g->where != Where::Dismounted) {
        return Result<void>{fail(ErrorCode::OperationFailed, "The device is not dismounted")};
      }
      g->where = Where::Host; // back on the host, still disabled
      return Result<void>{};
    });
    ON_CALL(hv, addAssignableDevice)
        .WillByDefault([this](const VmName& vm, const LocationPath& location) -> Result<void> {
          HIL_TRY(host_.checkVmOff(vm));
          auto* g = host_.byLocation(location);
          if (g == nullptr || g->where != Where::Dismounted) {
            return fail(ErrorCode::OperationFailed, "The device is not assignable");
          }
          g->where = Where::Assigned;
          return {};
        });
    ON_CALL(hv, removeAssignableDevice)
        .WillByDefault([this](const VmName& vm, const LocationPath& location) -> Result<void> {
          HIL_TRY(host_.checkVmOff(vm));
          auto* g = host_.byLocation(location);
          if (g == nullptr || g->where != Where::Assigned) {
            return fail(ErrorCode::OperationFailed, "The device is not assigned to the VM");
          }
          g->where = Where::Dismounted;
          return {};
        });
    ON_CALL(hv, addGpuPartitionAdapter)
        .WillByDefault(
            [this](const VmName& vm, const std::string& path) -> Result<GpuPartitionAdapter> {
              HIL_TRY(host_.checkVmOff(vm));
              GpuPartitionAdapter adapter{"adapter-" + std::to_string(++host_.adaptersAdded), path};
              host_.adapters.push_back(adapter);
              return adapter;
            });
    ON_CALL(hv, removeGpuPartitionAdapter)
        .WillByDefault([this](const VmName& vm, const std::string& id) -> Result<void> {
          HIL_TRY(host_.checkVmOff(vm));
          const auto it = std::find_if(host_.adapters.begin(), host_.adapters.end(),
                                       [&](const auto& a) { return a.id == id; });
          if (it == host_.adapters.end()) {
            return fail(ErrorCode::OperationFailed, "no such adapter");
          }
          host_.adapters.erase(it);
          return {};
        });
  }

  /// Records the host as the test arranged it, before the flow runs.
  void arranged() { original_ = host_; }

  /// The first invariant: no GPU is left dismounted and assigned to no VM.
  void expectNoLostGpu() const {
    for (const auto& g : host_.gpus) {
      EXPECT_NE(g.where, FakeGpu::Where::Dismounted) << g.device.instanceId << " is lost";
    }
  }

  /// The host is exactly as the test arranged it.
  void expectUnchanged() const {
    EXPECT_EQ(host_.vm, original_.vm);
    ASSERT_EQ(host_.gpus.size(), original_.gpus.size());
    for (std::size_t i = 0; i < host_.gpus.size(); ++i) {
      EXPECT_EQ(host_.gpus[i].where, original_.gpus[i].where) << host_.gpus[i].device.instanceId;
      EXPECT_EQ(host_.gpus[i].device, original_.gpus[i].device);
    }
    EXPECT_EQ(host_.adapters, original_.adapters);
  }

  /// The T4 on the VM, the VM configured for it and running.
  void expectT4Deployed() const {
    ASSERT_EQ(host_.gpus.size(), 1u);
    EXPECT_EQ(host_.gpus[0].where, FakeGpu::Where::Assigned);
    EXPECT_EQ(host_.vm.state, VmState::Running);
    EXPECT_EQ(host_.vm.automaticStopAction, StopAction::TurnOff);
    EXPECT_EQ(host_.vm.mmio, kT4Mmio);
    EXPECT_TRUE(host_.vm.guestControlledCacheTypes);
  }

  /// The T4 already on the VM when the test starts (another process deployed it).
  void arrangeT4AlreadyDeployed() {
    host_.gpus[0].where = FakeGpu::Where::Assigned;
    host_.gpus[0].device.status = DeviceStatus::Disabled;
    host_.vm.automaticStopAction = StopAction::TurnOff;
    host_.vm.mmio = kT4Mmio;
    host_.vm.guestControlledCacheTypes = true;
    arranged();
  }

  /// The mutating calls of a successful DDA deploy of the T4 from the healthy host, in order.
  void expectDdaDeploy(bool force = false) {
    auto& hv = mocks_.hyperv;
    EXPECT_CALL(hv, stopVm(kVm));
    EXPECT_CALL(hv, setAutomaticStopAction(kVm, StopAction::TurnOff));
    EXPECT_CALL(hv, setMemoryMappedIo(kVm, kT4Mmio));
    EXPECT_CALL(hv, setGuestControlledCacheTypes(kVm, true));
    EXPECT_CALL(mocks_.pnp, disableDevice(kT4Id));
    EXPECT_CALL(hv, dismountHostDevice(kT4Location, force));
    EXPECT_CALL(hv, addAssignableDevice(kVm, kT4Location));
    EXPECT_CALL(hv, startVm(kVm));
  }

  FakeHost host_;
  FakeHost original_;
  StrictMockPlatform mocks_;
  Log log_;
  const data::GpuCatalog& catalog_ = data::GpuCatalog::builtin();
  data::RulesProfile rules_ = *data::RulesProfile::builtin("eflow-2021-preview");
  Deployer deployer_{mocks_.platform(), catalog_, rules_, log_};
};

// ---------------------------------------------------------------------------------------------
// DDA and GPU-PV deploy: the mutating calls, in order.

TEST_F(DeployerTest, DdaDeployRunsTheStepsInOrder) {
  {
    InSequence seq;
    expectDdaDeploy(/*force=*/false);
    EXPECT_CALL(mocks_.guest, run(ElementsAre("lspci", "-n")));
  }

  const auto outcome = deployer_.deploy(t4Request());

  ASSERT_TRUE(outcome.status.has_value()) << describe(outcome.status);
  EXPECT_EQ(outcome.method, "DirectDeviceAssignment");
  EXPECT_TRUE(outcome.warnings.empty());
  EXPECT_TRUE(outcome.problems.empty());
  EXPECT_TRUE(outcome.rolledBack.empty());
  EXPECT_FALSE(outcome.changedNothing);
  EXPECT_TRUE(deployer_.journal().empty());
  expectT4Deployed();
}

TEST_F(DeployerTest, DdaDeployByExplicitTechniqueAndNoGpuName) {
  expectDdaDeploy();
  auto request = t4Request();
  request.passthrough = Passthrough::DirectDeviceAssignment;
  request.gpuName.reset(); // one GPU model on the host: it is the one

  const auto outcome = deployer_.deploy(request);

  ASSERT_TRUE(outcome.status.has_value()) << describe(outcome.status);
  EXPECT_EQ(outcome.method, "DirectDeviceAssignment");
  expectT4Deployed();
}

TEST_F(DeployerTest, DdaDeployMatchesTheGpuNameIgnoringCase) {
  expectDdaDeploy();
  auto request = t4Request();
  request.gpuName = "nvidia TESLA t4";

  const auto outcome = deployer_.deploy(request);

  ASSERT_TRUE(outcome.status.has_value()) << describe(outcome.status);
  expectT4Deployed();
}

TEST_F(DeployerTest, DdaDeployWithoutMitigationDriverForcesTheDismountAndWarns) {
  host_.gpus[0].mitigationDriver = false;
  {
    InSequence seq;
    expectDdaDeploy(/*force=*/true);
  }

  const auto outcome = deployer_.deploy(t4Request());

  ASSERT_TRUE(outcome.status.has_value()) << describe(outcome.status);
  EXPECT_EQ(outcome.method, "DirectDeviceAssignment");
  EXPECT_THAT(outcome.warnings, ElementsAre(WarningCode::MitigationDriverMissing));
  expectT4Deployed();
}

TEST_F(DeployerTest, DdaDeployOnAStoppedVmLeavesOutTheStopAndStartsIt) {
  host_.vm.state = VmState::Off;
  arranged();
  {
    InSequence seq;
    auto& hv = mocks_.hyperv;
    EXPECT_CALL(hv, setAutomaticStopAction(kVm, StopAction::TurnOff));
    EXPECT_CALL(hv, setMemoryMappedIo(kVm, kT4Mmio));
    EXPECT_CALL(hv, setGuestControlledCacheTypes(kVm, true));
    EXPECT_CALL(mocks_.pnp, disableDevice(kT4Id));
    EXPECT_CALL(hv, dismountHostDevice(kT4Location, false));
    EXPECT_CALL(hv, addAssignableDevice(kVm, kT4Location));
    EXPECT_CALL(hv, startVm(kVm));
  }

  const auto outcome = deployer_.deploy(t4Request());

  ASSERT_TRUE(outcome.status.has_value()) << describe(outcome.status);
  expectT4Deployed();
}

TEST_F(DeployerTest, DdaDeployKeepsSettingsThatAreAlreadyEnough) {
  host_.vm.automaticStopAction = StopAction::TurnOff;
  host_.vm.mmio = {3072 * platform::kMiB, 33280 * platform::kMiB}; // the DDA guide's values
  host_.vm.guestControlledCacheTypes = true;
  arranged();
  {
    InSequence seq;
    auto& hv = mocks_.hyperv;
    EXPECT_CALL(hv, stopVm(kVm));
    EXPECT_CALL(mocks_.pnp, disableDevice(kT4Id));
    EXPECT_CALL(hv, dismountHostDevice(kT4Location, false));
    EXPECT_CALL(hv, addAssignableDevice(kVm, kT4Location));
    EXPECT_CALL(hv, startVm(kVm));
  }

  const auto outcome = deployer_.deploy(t4Request());

  ASSERT_TRUE(outcome.status.has_value()) << describe(outcome.status);
  EXPECT_EQ(host_.vm.mmio, original_.vm.mmio);
}

TEST_F(DeployerTest, GpuPvDeployRunsTheStepsInOrder) {
  host_.useGeForceWorkstation(/*wslDriver=*/true);
  arranged();
  {
    InSequence seq;
    auto& hv = mocks_.hyperv;
    EXPECT_CALL(hv, stopVm(kVm));
    EXPECT_CALL(hv, setAutomaticStopAction(kVm, StopAction::TurnOff));
    EXPECT_CALL(hv, addGpuPartitionAdapter(kVm, kRtxPartitionName));
    EXPECT_CALL(hv, setMemoryMappedIo(kVm, kT4Mmio)); // the RTX 3060 has the T4's BARs
    EXPECT_CALL(hv, setGuestControlledCacheTypes(kVm, true));
    EXPECT_CALL(hv, startVm(kVm));
    EXPECT_CALL(mocks_.guest, run(ElementsAre("ls", "/dev/dxg", "/usr/lib/wsl/lib")));
  }

  const auto outcome = deployer_.deploy(rtxRequest());

  ASSERT_TRUE(outcome.status.has_value()) << describe(outcome.status);
  EXPECT_EQ(outcome.method, "ParaVirtualization");
  EXPECT_TRUE(outcome.warnings.empty());
  ASSERT_EQ(host_.adapters.size(), 1u);
  EXPECT_EQ(host_.adapters[0].instancePath, kRtxPartitionName);
  EXPECT_EQ(host_.gpus[0].where, FakeGpu::Where::Host); // GPU-PV keeps the GPU on the host
  EXPECT_EQ(host_.vm.state, VmState::Running);
}

TEST_F(DeployerTest, AutoPicksGpuPvForAGeForce) {
  host_.useGeForceWorkstation(/*wslDriver=*/true);
  arranged();
  auto& hv = mocks_.hyperv;
  EXPECT_CALL(hv, stopVm(kVm));
  EXPECT_CALL(hv, setAutomaticStopAction(kVm, StopAction::TurnOff));
  EXPECT_CALL(hv, setMemoryMappedIo(kVm, _));
  EXPECT_CALL(hv, setGuestControlledCacheTypes(kVm, true));
  EXPECT_CALL(hv, addGpuPartitionAdapter(kVm, kRtxPartitionName));
  EXPECT_CALL(hv, startVm(kVm));
  auto request = rtxRequest();
  request.passthrough = Passthrough::Auto;

  const auto outcome = deployer_.deploy(request);

  ASSERT_TRUE(outcome.status.has_value()) << describe(outcome.status);
  EXPECT_EQ(outcome.method, "ParaVirtualization");
}

TEST_F(DeployerTest, GpuPvDeployRollsBackWhenTheGuestDoesNotSeeDxg) {
  host_.useGeForceWorkstation(/*wslDriver=*/true);
  host_.ls = GuestOutput{2, "", "ls: cannot access '/dev/dxg': No such file or directory"};
  arranged();
  {
    InSequence seq;
    auto& hv = mocks_.hyperv;
    EXPECT_CALL(hv, stopVm(kVm));
    EXPECT_CALL(hv, setAutomaticStopAction(kVm, StopAction::TurnOff));
    EXPECT_CALL(hv, addGpuPartitionAdapter(kVm, kRtxPartitionName));
    EXPECT_CALL(hv, setMemoryMappedIo(kVm, kT4Mmio));
    EXPECT_CALL(hv, setGuestControlledCacheTypes(kVm, true));
    EXPECT_CALL(hv, startVm(kVm));
    // Rollback, newest first.
    EXPECT_CALL(hv, stopVm(kVm));
    EXPECT_CALL(hv, setGuestControlledCacheTypes(kVm, false));
    EXPECT_CALL(hv, setMemoryMappedIo(kVm, platform::kDefaultMmio));
    EXPECT_CALL(hv, removeGpuPartitionAdapter(kVm, "adapter-1"));
    EXPECT_CALL(hv, setAutomaticStopAction(kVm, StopAction::Save));
    EXPECT_CALL(hv, startVm(kVm));
  }

  const auto outcome = deployer_.deploy(rtxRequest());

  ASSERT_FALSE(outcome.status.has_value());
  EXPECT_EQ(outcome.status.error().code, ErrorCode::OperationFailed);
  EXPECT_EQ(outcome.rolledBack.size(), 6u);
  expectUnchanged();
}

// ---------------------------------------------------------------------------------------------
// Rejected requests change nothing: the strict mocks fail on any mutating call.

struct RejectionCase {
  const char* name;
  std::function<void(FakeHost&, DeployRequest&)> arrange;
  ErrorCode code;
};

class DeployerRejectionTest : public DeployerTest,
                              public testing::WithParamInterface<RejectionCase> {};

TEST_P(DeployerRejectionTest, MakesNoMutatingCall) {
  auto request = t4Request();
  GetParam().arrange(host_, request);
  arranged();

  const auto outcome = deployer_.deploy(request);

  ASSERT_FALSE(outcome.status.has_value());
  EXPECT_EQ(outcome.status.error().code, GetParam().code);
  ASSERT_FALSE(outcome.problems.empty());
  EXPECT_EQ(outcome.problems.front().code, GetParam().code);
  EXPECT_TRUE(outcome.rolledBack.empty());
  EXPECT_TRUE(deployer_.journal().empty());
  expectUnchanged();
}

const RejectionCase kRejections[] = {
    {"HomeEdition",
     [](FakeHost& h, DeployRequest&) {
       h.windows.edition = Edition::Home;
       h.feature = {false, false};
     },
     ErrorCode::UnsupportedEdition},
    {"HypervDisabled", [](FakeHost& h, DeployRequest&) { h.feature.enabled = false; },
     ErrorCode::HypervUnavailable},
    {"GpuNameNotFound", [](FakeHost&, DeployRequest& r) { r.gpuName = "NVIDIA Tesla V100"; },
     ErrorCode::GpuNotFound},
    {"NoDisplayDevice", [](FakeHost& h, DeployRequest&) { h.gpus.clear(); },
     ErrorCode::GpuNotFound},
    {"GpuCountTwoWithOneT4", [](FakeHost&, DeployRequest& r) { r.gpuCount = 2; },
     ErrorCode::GpuCount},
    {"GpuCountZero", [](FakeHost&, DeployRequest& r) { r.gpuCount = 0; }, ErrorCode::GpuCount},
    {"GpuCountNegative", [](FakeHost&, DeployRequest& r) { r.gpuCount = -1; }, ErrorCode::GpuCount},
    {"GpuPvForT4",
     [](FakeHost&, DeployRequest& r) { r.passthrough = Passthrough::ParaVirtualization; },
     ErrorCode::MethodNotSupported},
    {"OldServerBuild",
     [](FakeHost& h, DeployRequest&) {
       h.windows.build = {17762, 0};
     },
     ErrorCode::UnsupportedBuild},
    {"T4OnOldProfessional",
     [](FakeHost& h, DeployRequest&) {
       h.windows = {Edition::Professional, {21317, 0}};
     },
     ErrorCode::UnsupportedBuild},
    {"T4OnIotEnterprise",
     [](FakeHost& h, DeployRequest&) {
       h.windows = {Edition::IotEnterprise, {22000, 0}};
     },
     ErrorCode::UnsupportedEdition},
    {"GeForceWithoutWslDriver",
     [](FakeHost& h, DeployRequest& r) {
       h.useGeForceWorkstation(/*wslDriver=*/false);
       r = rtxRequest();
     },
     ErrorCode::DriverMissing},
    {"GeForceOnOldBuild",
     [](FakeHost& h, DeployRequest& r) {
       h.useGeForceWorkstation();
       h.windows.build = {20144, 0};
       r = rtxRequest();
     },
     ErrorCode::UnsupportedBuild},
    {"GeForceOnServer",
     [](FakeHost& h, DeployRequest& r) {
       h.useGeForceWorkstation();
       h.windows = {Edition::Server, {20348, 0}};
       r = rtxRequest();
       r.passthrough = Passthrough::Auto;
     },
     ErrorCode::UnsupportedEdition},
    {"DdaForGeForce",
     [](FakeHost& h, DeployRequest& r) {
       h.useGeForceWorkstation();
       r = rtxRequest();
       r.passthrough = Passthrough::DirectDeviceAssignment;
     },
     ErrorCode::MethodNotSupported},
    {"GeForceNotPartitionable",
     [](FakeHost& h, DeployRequest& r) {
       h.useGeForceWorkstation();
       h.partitionable.clear();
       r = rtxRequest();
     },
     ErrorCode::MethodNotSupported},
    {"GpuPvCountTwo",
     [](FakeHost& h, DeployRequest& r) {
       h.useGeForceWorkstation();
       h.gpus.push_back(h.gpus.front());
       h.gpus.back().device.instanceId += "-2";
       h.gpus.back().location = "PCIROOT(0)#PCI(0200)#PCI(0000)";
       r = rtxRequest();
       r.gpuCount = 2;
     },
     ErrorCode::GpuCount},
    {"UnsupportedGpu",
     [](FakeHost& h, DeployRequest& r) {
       h.gpus = {FakeGpu{{kAmdId, "AMD Radeon PRO W6600", {0x1002, 0x73e3}, DeviceStatus::Ok},
                         "PCIROOT(0)#PCI(0100)#PCI(0000)",
                         false,
                         false}};
       r.gpuName = "AMD Radeon PRO W6600";
     },
     ErrorCode::UnsupportedGpu},
    {"GpuNotInCatalog",
     [](FakeHost& h, DeployRequest& r) {
       h.gpus = {FakeGpu{{"PCI\\VEN_10DE&DEV_1DB4&SUBSYS_121410DE&REV_A1\\4&1&0&0008",
                          "NVIDIA Tesla V100-PCIE-16GB",
                          {0x10de, 0x1db4},
                          DeviceStatus::Ok},
                         kT4Location,
                         true,
                         false}};
       r.gpuName = "NVIDIA Tesla V100-PCIE-16GB";
     },
     ErrorCode::UnsupportedGpu},
    {"SeveralModelsAndNoGpuName",
     [](FakeHost& h, DeployRequest& r) {
       h.gpus.push_back(
           FakeGpu{{kRtxId, "NVIDIA GeForce RTX 3060", {0x10de, 0x2503}, DeviceStatus::Ok},
                   kRtxLocation,
                   false,
                   true});
       r.gpuName.reset();
     },
     ErrorCode::InvalidRequest},
};

INSTANTIATE_TEST_SUITE_P(Rejections, DeployerRejectionTest, testing::ValuesIn(kRejections),
                         [](const testing::TestParamInfo<RejectionCase>& info) {
                           return std::string{info.param.name};
                         });

TEST_F(DeployerTest, SeveralFailingRulesAreAllReportedInPrecedenceOrder) {
  host_.feature.enabled = false;
  host_.windows.build = {17762, 0};
  arranged();
  auto request = t4Request();
  request.gpuCount = 2;

  const auto outcome = deployer_.deploy(request);

  ASSERT_FALSE(outcome.status.has_value());
  EXPECT_EQ(outcome.status.error().code, ErrorCode::HypervUnavailable);
  EXPECT_THAT(
      codesOf(outcome.problems),
      ElementsAre(ErrorCode::HypervUnavailable, ErrorCode::GpuCount, ErrorCode::UnsupportedBuild));
  expectUnchanged();
}

TEST_F(DeployerTest, FailingRulesFoundOutOfOrderAreSortedByPrecedence) {
  // gpu-count is checked before the name is matched; gpu-not-found still comes first.
  auto request = t4Request();
  request.gpuCount = 0;
  request.gpuName = "NVIDIA Tesla V100";

  const auto outcome = deployer_.deploy(request);

  ASSERT_FALSE(outcome.status.has_value());
  EXPECT_EQ(outcome.status.error().code, ErrorCode::GpuNotFound);
  EXPECT_THAT(codesOf(outcome.problems), ElementsAre(ErrorCode::GpuNotFound, ErrorCode::GpuCount));
  expectUnchanged();
}

TEST_F(DeployerTest, HomeWithoutWslDriverReportsEditionThenDriver) {
  host_.useGeForceWorkstation(/*wslDriver=*/false);
  host_.windows.edition = Edition::Home;
  host_.feature = {false, false};
  arranged();

  const auto outcome = deployer_.deploy(rtxRequest());

  ASSERT_FALSE(outcome.status.has_value());
  EXPECT_EQ(outcome.status.error().code, ErrorCode::UnsupportedEdition);
  EXPECT_THAT(codesOf(outcome.problems),
              ElementsAre(ErrorCode::UnsupportedEdition, ErrorCode::DriverMissing));
  expectUnchanged();
}

TEST_F(DeployerTest, AQueryErrorBeforeAnyChangeKeepsItsCodeAndChangesNothing) {
  ON_CALL(mocks_.host, windowsInfo).WillByDefault(returnError<WindowsInfo>(ErrorCode::Timeout));

  const auto outcome = deployer_.deploy(t4Request());

  ASSERT_FALSE(outcome.status.has_value());
  EXPECT_EQ(outcome.status.error().code, ErrorCode::Timeout);
  expectUnchanged();
}

// ---------------------------------------------------------------------------------------------
// Rollback: a failing DDA step undoes the steps before it, newest first.

enum class DdaStep {
  StopVm,
  SetStopAction,
  SetMmio,
  SetCacheTypes,
  DisableDevice,
  DismountDevice,
  AddAssignment,
  StartVm,
};

constexpr std::array kDdaSteps{
    DdaStep::StopVm,        DdaStep::SetStopAction,  DdaStep::SetMmio,       DdaStep::SetCacheTypes,
    DdaStep::DisableDevice, DdaStep::DismountDevice, DdaStep::AddAssignment, DdaStep::StartVm};

const char* nameOf(DdaStep step) {
  switch (step) {
  case DdaStep::StopVm:
    return "StopVm";
  case DdaStep::SetStopAction:
    return "SetStopAction";
  case DdaStep::SetMmio:
    return "SetMmio";
  case DdaStep::SetCacheTypes:
    return "SetCacheTypes";
  case DdaStep::DisableDevice:
    return "DisableDevice";
  case DdaStep::DismountDevice:
    return "DismountDevice";
  case DdaStep::AddAssignment:
    return "AddAssignment";
  case DdaStep::StartVm:
    return "StartVm";
  }
  return "Unknown";
}

struct RollbackCase {
  DdaStep failing;
  ErrorCode code;
};

class DeployerRollbackTest : public DeployerTest, public testing::WithParamInterface<RollbackCase> {
protected:
  /// Expects one DDA step; it fails with `failure` when one is given.
  void expectStep(DdaStep step, std::optional<ErrorCode> failure) {
    auto& hv = mocks_.hyperv;
    const auto failIf = [&](auto& expectation) {
      if (failure) {
        expectation.WillOnce(failed(*failure));
      }
    };
    switch (step) {
    case DdaStep::StopVm:
      failIf(EXPECT_CALL(hv, stopVm(kVm)));
      return;
    case DdaStep::SetStopAction:
      failIf(EXPECT_CALL(hv, setAutomaticStopAction(kVm, StopAction::TurnOff)));
      return;
    case DdaStep::SetMmio:
      failIf(EXPECT_CALL(hv, setMemoryMappedIo(kVm, kT4Mmio)));
      return;
    case DdaStep::SetCacheTypes:
      failIf(EXPECT_CALL(hv, setGuestControlledCacheTypes(kVm, true)));
      return;
    case DdaStep::DisableDevice:
      failIf(EXPECT_CALL(mocks_.pnp, disableDevice(kT4Id)));
      return;
    case DdaStep::DismountDevice:
      failIf(EXPECT_CALL(hv, dismountHostDevice(kT4Location, false)));
      return;
    case DdaStep::AddAssignment:
      failIf(EXPECT_CALL(hv, addAssignableDevice(kVm, kT4Location)));
      return;
    case DdaStep::StartVm:
      failIf(EXPECT_CALL(hv, startVm(kVm)));
      return;
    }
  }

  /// Expects the call that takes one successful DDA step back.
  void expectUndo(DdaStep step) {
    auto& hv = mocks_.hyperv;
    switch (step) {
    case DdaStep::StopVm:
      EXPECT_CALL(hv, startVm(kVm));
      return;
    case DdaStep::SetStopAction:
      EXPECT_CALL(hv, setAutomaticStopAction(kVm, StopAction::Save));
      return;
    case DdaStep::SetMmio:
      EXPECT_CALL(hv, setMemoryMappedIo(kVm, platform::kDefaultMmio));
      return;
    case DdaStep::SetCacheTypes:
      EXPECT_CALL(hv, setGuestControlledCacheTypes(kVm, false));
      return;
    case DdaStep::DisableDevice:
      EXPECT_CALL(mocks_.pnp, enableDevice(kT4Id));
      return;
    case DdaStep::DismountDevice:
      EXPECT_CALL(hv, mountHostDevice(kT4Location));
      return;
    case DdaStep::AddAssignment:
      EXPECT_CALL(hv, removeAssignableDevice(kVm, kT4Location));
      return;
    case DdaStep::StartVm:
      EXPECT_CALL(hv, stopVm(kVm));
      return;
    }
  }

  /// The journal entry a successful step leaves, as the rollback describes it.
  static std::string undoDescription(DdaStep step) {
    switch (step) {
    case DdaStep::StopVm:
      return UndoAction{Kind::StartVm, kVm, {}}.describe();
    case DdaStep::SetStopAction:
      return UndoAction{Kind::SetStopAction, kVm, {}, StopAction::Save}.describe();
    case DdaStep::SetMmio:
      return UndoAction{Kind::SetMmio, kVm, {}, StopAction::TurnOff, platform::kDefaultMmio}
          .describe();
    case DdaStep::SetCacheTypes:
      return UndoAction{Kind::SetCacheTypes, kVm, {}, StopAction::TurnOff, {}, false}.describe();
    case DdaStep::DisableDevice:
      return UndoAction{Kind::EnableDevice, kVm, kT4Id}.describe();
    case DdaStep::DismountDevice:
      return UndoAction{Kind::MountDevice, kVm, kT4Location}.describe();
    case DdaStep::AddAssignment:
      return UndoAction{Kind::RemoveAssignment, kVm, kT4Location}.describe();
    case DdaStep::StartVm:
      return UndoAction{Kind::StopVm, kVm, {}}.describe();
    }
    return {};
  }
};

TEST_P(DeployerRollbackTest, UndoesTheStepsBeforeTheFailingOneNewestFirst) {
  const auto [failing, code] = GetParam();
  const auto at = static_cast<std::size_t>(std::find(kDdaSteps.begin(), kDdaSteps.end(), failing) -
                                           kDdaSteps.begin());
  std::vector<std::string> expectedUndone;
  {
    InSequence seq;
    for (std::size_t i = 0; i < at; ++i) {
      expectStep(kDdaSteps[i], std::nullopt);
    }
    expectStep(failing, code);
    for (std::size_t i = at; i-- > 0;) {
      expectUndo(kDdaSteps[i]);
      expectedUndone.push_back(undoDescription(kDdaSteps[i]));
    }
  }

  const auto outcome = deployer_.deploy(t4Request());

  ASSERT_FALSE(outcome.status.has_value());
  EXPECT_EQ(outcome.status.error().code, code);
  EXPECT_EQ(outcome.method, "DirectDeviceAssignment");
  EXPECT_EQ(outcome.rolledBack, expectedUndone);
  EXPECT_TRUE(deployer_.journal().empty());
  expectNoLostGpu();
  expectUnchanged();
}

std::vector<RollbackCase> rollbackCases() {
  std::vector<RollbackCase> cases;
  for (auto step : kDdaSteps) {
    cases.push_back({step, ErrorCode::OperationFailed});
  }
  for (auto step : kDdaSteps) {
    cases.push_back({step, ErrorCode::Timeout}); // a hang
  }
  cases.push_back({DdaStep::StartVm, ErrorCode::VmStartFailed});
  cases.push_back({DdaStep::DismountDevice, ErrorCode::DeviceBusy});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(EachDdaStep, DeployerRollbackTest, testing::ValuesIn(rollbackCases()),
                         [](const testing::TestParamInfo<RollbackCase>& info) {
                           auto code = std::string{toString(info.param.code)};
                           std::replace(code.begin(), code.end(), '-', '_');
                           return std::string{nameOf(info.param.failing)} + "_" + code;
                         });

TEST_F(DeployerTest, TwoT4sAreEachDisabledDismountedAndAssigned) {
  const InstanceId secondId = "PCI\\VEN_10DE&DEV_1EB8&SUBSYS_12A210DE&REV_A1\\4&2&0&0010";
  const LocationPath secondLocation = "PCIROOT(0)#PCI(0302)#PCI(0000)";
  host_.gpus.push_back(host_.gpus.front());
  host_.gpus.back().device.instanceId = secondId;
  host_.gpus.back().location = secondLocation;
  host_.lspci.out += "00:09.0 0302: 10de:1eb8 (rev a1)\n";
  arranged();
  const MmioSpace twoT4s{(128 + 32) * platform::kMiB, (512 + 576) * platform::kMiB};
  {
    InSequence seq;
    auto& hv = mocks_.hyperv;
    EXPECT_CALL(hv, stopVm(kVm));
    EXPECT_CALL(hv, setAutomaticStopAction(kVm, StopAction::TurnOff));
    EXPECT_CALL(hv, setMemoryMappedIo(kVm, twoT4s));
    EXPECT_CALL(hv, setGuestControlledCacheTypes(kVm, true));
    EXPECT_CALL(mocks_.pnp, disableDevice(kT4Id));
    EXPECT_CALL(hv, dismountHostDevice(kT4Location, false));
    EXPECT_CALL(hv, addAssignableDevice(kVm, kT4Location));
    EXPECT_CALL(mocks_.pnp, disableDevice(secondId));
    EXPECT_CALL(hv, dismountHostDevice(secondLocation, false));
    EXPECT_CALL(hv, addAssignableDevice(kVm, secondLocation));
    EXPECT_CALL(hv, startVm(kVm));
  }
  auto request = t4Request();
  request.gpuCount = 2;

  const auto outcome = deployer_.deploy(request);

  ASSERT_TRUE(outcome.status.has_value()) << describe(outcome.status);
  EXPECT_EQ(host_.gpus[0].where, FakeGpu::Where::Assigned);
  EXPECT_EQ(host_.gpus[1].where, FakeGpu::Where::Assigned);
}

TEST_F(DeployerTest, SecondT4FailingToAssignRollsBackBoth) {
  const InstanceId secondId = "PCI\\VEN_10DE&DEV_1EB8&SUBSYS_12A210DE&REV_A1\\4&2&0&0010";
  const LocationPath secondLocation = "PCIROOT(0)#PCI(0302)#PCI(0000)";
  host_.gpus.push_back(host_.gpus.front());
  host_.gpus.back().device.instanceId = secondId;
  host_.gpus.back().location = secondLocation;
  arranged();
  {
    InSequence seq;
    auto& hv = mocks_.hyperv;
    EXPECT_CALL(hv, stopVm(kVm));
    EXPECT_CALL(hv, setAutomaticStopAction(kVm, StopAction::TurnOff));
    EXPECT_CALL(hv, setMemoryMappedIo(kVm, _));
    EXPECT_CALL(hv, setGuestControlledCacheTypes(kVm, true));
    EXPECT_CALL(mocks_.pnp, disableDevice(kT4Id));
    EXPECT_CALL(hv, dismountHostDevice(kT4Location, false));
    EXPECT_CALL(hv, addAssignableDevice(kVm, kT4Location));
    EXPECT_CALL(mocks_.pnp, disableDevice(secondId));
    EXPECT_CALL(hv, dismountHostDevice(secondLocation, false));
    EXPECT_CALL(hv, addAssignableDevice(kVm, secondLocation))
        .WillOnce(failed(ErrorCode::OperationFailed));
    // Rollback, newest first.
    EXPECT_CALL(hv, mountHostDevice(secondLocation));
    EXPECT_CALL(mocks_.pnp, enableDevice(secondId));
    EXPECT_CALL(hv, removeAssignableDevice(kVm, kT4Location));
    EXPECT_CALL(hv, mountHostDevice(kT4Location));
    EXPECT_CALL(mocks_.pnp, enableDevice(kT4Id));
    EXPECT_CALL(hv, setGuestControlledCacheTypes(kVm, false));
    EXPECT_CALL(hv, setMemoryMappedIo(kVm, platform::kDefaultMmio));
    EXPECT_CALL(hv, setAutomaticStopAction(kVm, StopAction::Save));
    EXPECT_CALL(hv, startVm(kVm));
  }
  auto request = t4Request();
  request.gpuCount = 2;

  const auto outcome = deployer_.deploy(request);

  ASSERT_FALSE(outcome.status.has_value());
  EXPECT_EQ(outcome.status.error().code, ErrorCode::OperationFailed);
  EXPECT_EQ(outcome.rolledBack.size(), 9u);
  expectNoLostGpu();
  expectUnchanged();
}

TEST_F(DeployerTest, LocationPathQueryFailingAfterTheVmSettingsRollsThemBack) {
  ON_CALL(mocks_.pnp, locationPath).WillByDefault(returnError<LocationPath>(ErrorCode::Timeout));
  {
    InSequence seq;
    auto& hv = mocks_.hyperv;
    EXPECT_CALL(hv, stopVm(kVm));
    EXPECT_CALL(hv, setAutomaticStopAction(kVm, StopAction::TurnOff));
    EXPECT_CALL(hv, setMemoryMappedIo(kVm, kT4Mmio));
    EXPECT_CALL(hv, setGuestControlledCacheTypes(kVm, true));
    EXPECT_CALL(hv, setGuestControlledCacheTypes(kVm, false));
    EXPECT_CALL(hv, setMemoryMappedIo(kVm, platform::kDefaultMmio));
    EXPECT_CALL(hv, setAutomaticStopAction(kVm, StopAction::Save));
    EXPECT_CALL(hv, startVm(kVm));
  }

  const auto outcome = deployer_.deploy(t4Request());

  ASSERT_FALSE(outcome.status.has_value());
  EXPECT_EQ(outcome.status.error().code, ErrorCode::Timeout);
  expectUnchanged();
}

TEST_F(DeployerTest, StartFailingOnAVmThatWasOffLeavesItOff) {
  host_.vm.state = VmState::Off;
  arranged();
  {
    InSequence seq;
    auto& hv = mocks_.hyperv;
    EXPECT_CALL(hv, setAutomaticStopAction(kVm, StopAction::TurnOff));
    EXPECT_CALL(hv, setMemoryMappedIo(kVm, kT4Mmio));
    EXPECT_CALL(hv, setGuestControlledCacheTypes(kVm, true));
    EXPECT_CALL(mocks_.pnp, disableDevice(kT4Id));
    EXPECT_CALL(hv, dismountHostDevice(kT4Location, false));
    EXPECT_CALL(hv, addAssignableDevice(kVm, kT4Location));
    EXPECT_CALL(hv, startVm(kVm)).WillOnce(failed(ErrorCode::VmStartFailed));
    EXPECT_CALL(hv, removeAssignableDevice(kVm, kT4Location));
    EXPECT_CALL(hv, mountHostDevice(kT4Location));
    EXPECT_CALL(mocks_.pnp, enableDevice(kT4Id));
    EXPECT_CALL(hv, setGuestControlledCacheTypes(kVm, false));
    EXPECT_CALL(hv, setMemoryMappedIo(kVm, platform::kDefaultMmio));
    EXPECT_CALL(hv, setAutomaticStopAction(kVm, StopAction::Save));
  }

  const auto outcome = deployer_.deploy(t4Request());

  ASSERT_FALSE(outcome.status.has_value());
  EXPECT_EQ(outcome.status.error().code, ErrorCode::VmStartFailed);
  expectUnchanged();
}

TEST_F(DeployerTest, GuestNotSeeingTheGpuRollsBackEverything) {
  host_.lspci = GuestOutput{0, "00:00.0 0600: 8086:7192\n", ""};
  {
    InSequence seq;
    expectDdaDeploy();
    auto& hv = mocks_.hyperv;
    EXPECT_CALL(hv, stopVm(kVm));
    EXPECT_CALL(hv, removeAssignableDevice(kVm, kT4Location));
    EXPECT_CALL(hv, mountHostDevice(kT4Location));
    EXPECT_CALL(mocks_.pnp, enableDevice(kT4Id));
    EXPECT_CALL(hv, setGuestControlledCacheTypes(kVm, false));
    EXPECT_CALL(hv, setMemoryMappedIo(kVm, platform::kDefaultMmio));
    EXPECT_CALL(hv, setAutomaticStopAction(kVm, StopAction::Save));
    EXPECT_CALL(hv, startVm(kVm));
  }

  const auto outcome = deployer_.deploy(t4Request());

  ASSERT_FALSE(outcome.status.has_value());
  EXPECT_EQ(outcome.status.error().code, ErrorCode::OperationFailed);
  EXPECT_EQ(outcome.rolledBack.size(), 8u);
  expectNoLostGpu();
  expectUnchanged();
}

TEST_F(DeployerTest, GuestCommandHangRollsBackWithTimeout) {
  {
    InSequence seq;
    expectDdaDeploy();
    EXPECT_CALL(mocks_.guest, run(_)).WillOnce(returnError<GuestOutput>(ErrorCode::Timeout));
    auto& hv = mocks_.hyperv;
    EXPECT_CALL(hv, stopVm(kVm));
    EXPECT_CALL(hv, removeAssignableDevice(kVm, kT4Location));
    EXPECT_CALL(hv, mountHostDevice(kT4Location));
    EXPECT_CALL(mocks_.pnp, enableDevice(kT4Id));
    EXPECT_CALL(hv, setGuestControlledCacheTypes(kVm, false));
    EXPECT_CALL(hv, setMemoryMappedIo(kVm, platform::kDefaultMmio));
    EXPECT_CALL(hv, setAutomaticStopAction(kVm, StopAction::Save));
    EXPECT_CALL(hv, startVm(kVm));
  }

  const auto outcome = deployer_.deploy(t4Request());

  ASSERT_FALSE(outcome.status.has_value());
  EXPECT_EQ(outcome.status.error().code, ErrorCode::Timeout);
  expectNoLostGpu();
  expectUnchanged();
}

TEST_F(DeployerTest, AFailingUndoStepKeepsTheStepsCodeAndUndoesTheRest) {
  {
    InSequence seq;
    auto& hv = mocks_.hyperv;
    EXPECT_CALL(hv, stopVm(kVm));
    EXPECT_CALL(hv, setAutomaticStopAction(kVm, StopAction::TurnOff));
    EXPECT_CALL(hv, setMemoryMappedIo(kVm, kT4Mmio));
    EXPECT_CALL(hv, setGuestControlledCacheTypes(kVm, true));
    EXPECT_CALL(mocks_.pnp, disableDevice(kT4Id)).WillOnce(failed(ErrorCode::DeviceBusy));
    EXPECT_CALL(hv, setGuestControlledCacheTypes(kVm, false)) // not transient: tried once
        .WillOnce(failed(ErrorCode::OperationFailed));
    EXPECT_CALL(hv, setMemoryMappedIo(kVm, platform::kDefaultMmio));
    EXPECT_CALL(hv, setAutomaticStopAction(kVm, StopAction::Save));
    // No startVm: the cache-type undo needs the VM off, so the VM stays off until it is done.
  }

  const auto outcome = deployer_.deploy(t4Request());

  ASSERT_FALSE(outcome.status.has_value());
  EXPECT_EQ(outcome.status.error().code, ErrorCode::DeviceBusy);
  EXPECT_EQ(outcome.rolledBack.size(), 2u);
  // Kept for `hil recover`: the cache-type setting still needs undoing.
  EXPECT_FALSE(deployer_.journal().empty());
  expectNoLostGpu();
}

TEST_F(DeployerTest, ATransientUndoFailureIsRetriedSoTheGpuIsNotStranded) {
  {
    InSequence seq;
    expectDdaDeploy();
    auto& hv = mocks_.hyperv;
    EXPECT_CALL(mocks_.guest, run(_)).WillOnce(returnError<GuestOutput>(ErrorCode::Timeout));
    EXPECT_CALL(hv, stopVm(kVm));
    EXPECT_CALL(hv, removeAssignableDevice(kVm, kT4Location));
    EXPECT_CALL(hv, mountHostDevice(kT4Location)).WillOnce(failed(ErrorCode::Timeout));
    EXPECT_CALL(hv, mountHostDevice(kT4Location)); // timeout is transient: the retry succeeds
    EXPECT_CALL(mocks_.pnp, enableDevice(kT4Id));
    EXPECT_CALL(hv, setGuestControlledCacheTypes(kVm, false));
    EXPECT_CALL(hv, setMemoryMappedIo(kVm, platform::kDefaultMmio));
    EXPECT_CALL(hv, setAutomaticStopAction(kVm, StopAction::Save));
    EXPECT_CALL(hv, startVm(kVm));
  }

  const auto outcome = deployer_.deploy(t4Request());

  ASSERT_FALSE(outcome.status.has_value());
  EXPECT_EQ(outcome.status.error().code, ErrorCode::Timeout);
  EXPECT_EQ(outcome.rolledBack.size(), 8u);
  expectNoLostGpu();
  expectUnchanged();
}

// ---------------------------------------------------------------------------------------------
// Teardown.

TEST_F(DeployerTest, DdaTeardownReversesTheDeployInOrder) {
  {
    InSequence seq;
    expectDdaDeploy();
    auto& hv = mocks_.hyperv;
    EXPECT_CALL(hv, stopVm(kVm));
    EXPECT_CALL(hv, removeAssignableDevice(kVm, kT4Location));
    EXPECT_CALL(hv, mountHostDevice(kT4Location));
    EXPECT_CALL(mocks_.pnp, enableDevice(kT4Id));
    EXPECT_CALL(hv, setAutomaticStopAction(kVm, StopAction::Save));
    EXPECT_CALL(hv, setMemoryMappedIo(kVm, platform::kDefaultMmio));
    EXPECT_CALL(hv, setGuestControlledCacheTypes(kVm, false));
    EXPECT_CALL(hv, startVm(kVm));
  }
  const auto deployed = deployer_.deploy(t4Request());
  ASSERT_TRUE(deployed.status.has_value()) << describe(deployed.status);

  const auto outcome = deployer_.teardown(kVm);

  ASSERT_TRUE(outcome.status.has_value()) << describe(outcome.status);
  EXPECT_FALSE(outcome.changedNothing);
  EXPECT_TRUE(outcome.rolledBack.empty());
  EXPECT_TRUE(deployer_.journal().empty());
  expectUnchanged();
}

TEST_F(DeployerTest, TeardownAfterTeardownIsANoOp) {
  {
    InSequence seq;
    expectDdaDeploy();
    auto& hv = mocks_.hyperv;
    EXPECT_CALL(hv, stopVm(kVm));
    EXPECT_CALL(hv, removeAssignableDevice(kVm, kT4Location));
    EXPECT_CALL(hv, mountHostDevice(kT4Location));
    EXPECT_CALL(mocks_.pnp, enableDevice(kT4Id));
    EXPECT_CALL(hv, setAutomaticStopAction(kVm, StopAction::Save));
    EXPECT_CALL(hv, setMemoryMappedIo(kVm, platform::kDefaultMmio));
    EXPECT_CALL(hv, setGuestControlledCacheTypes(kVm, false));
    EXPECT_CALL(hv, startVm(kVm));
  }
  ASSERT_TRUE(deployer_.deploy(t4Request()).status.has_value());
  ASSERT_TRUE(deployer_.teardown(kVm).status.has_value());

  const auto again = deployer_.teardown(kVm);

  ASSERT_TRUE(again.status.has_value()) << describe(again.status);
  EXPECT_TRUE(again.changedNothing);
  expectUnchanged();
}

TEST_F(DeployerTest, TeardownWithNothingDeployedMakesNoMutatingCall) {
  const auto outcome = deployer_.teardown(kVm);

  ASSERT_TRUE(outcome.status.has_value()) << describe(outcome.status);
  EXPECT_TRUE(outcome.changedNothing);
  expectUnchanged();
}

TEST_F(DeployerTest, PassthroughNoneWithNothingDeployedMakesNoMutatingCall) {
  auto request = t4Request();
  request.passthrough = Passthrough::None;

  const auto outcome = deployer_.deploy(request);

  ASSERT_TRUE(outcome.status.has_value()) << describe(outcome.status);
  EXPECT_EQ(outcome.method, "None");
  EXPECT_TRUE(outcome.changedNothing);
  expectUnchanged();
}

TEST_F(DeployerTest, TeardownOfAnotherProcessesDeployKeepsTheVmSettings) {
  arrangeT4AlreadyDeployed();
  {
    InSequence seq;
    auto& hv = mocks_.hyperv;
    EXPECT_CALL(hv, stopVm(kVm));
    EXPECT_CALL(hv, removeAssignableDevice(kVm, kT4Location));
    EXPECT_CALL(hv, mountHostDevice(kT4Location));
    EXPECT_CALL(mocks_.pnp, enableDevice(kT4Id));
    EXPECT_CALL(hv, startVm(kVm));
  }

  const auto outcome = deployer_.teardown(kVm);

  ASSERT_TRUE(outcome.status.has_value()) << describe(outcome.status);
  EXPECT_EQ(host_.gpus[0].where, FakeGpu::Where::Host);
  EXPECT_EQ(host_.gpus[0].device.status, DeviceStatus::Ok);
  EXPECT_EQ(host_.vm.mmio, kT4Mmio);
}

TEST_F(DeployerTest, FailingMountInTeardownReassignsTheGpu) {
  arrangeT4AlreadyDeployed();
  {
    InSequence seq;
    auto& hv = mocks_.hyperv;
    EXPECT_CALL(hv, stopVm(kVm));
    EXPECT_CALL(hv, removeAssignableDevice(kVm, kT4Location));
    EXPECT_CALL(hv, mountHostDevice(kT4Location)).WillOnce(failed(ErrorCode::OperationFailed));
    // Rollback, newest first: the GPU goes back to the VM, never left dismounted.
    EXPECT_CALL(hv, addAssignableDevice(kVm, kT4Location));
    EXPECT_CALL(hv, startVm(kVm));
  }

  const auto outcome = deployer_.teardown(kVm);

  ASSERT_FALSE(outcome.status.has_value());
  EXPECT_EQ(outcome.status.error().code, ErrorCode::OperationFailed);
  EXPECT_EQ(outcome.rolledBack,
            (std::vector<std::string>{UndoAction{Kind::AddAssignment, kVm, kT4Location}.describe(),
                                      UndoAction{Kind::StartVm, kVm, {}}.describe()}));
  expectNoLostGpu();
  expectUnchanged();
}

TEST_F(DeployerTest, FailingMountInTeardownAfterDeployReassignsTheGpu) {
  {
    InSequence seq;
    expectDdaDeploy();
    auto& hv = mocks_.hyperv;
    EXPECT_CALL(hv, stopVm(kVm));
    EXPECT_CALL(hv, removeAssignableDevice(kVm, kT4Location));
    EXPECT_CALL(hv, mountHostDevice(kT4Location)).WillOnce(failed(ErrorCode::Timeout));
    EXPECT_CALL(hv, addAssignableDevice(kVm, kT4Location));
    EXPECT_CALL(hv, startVm(kVm));
  }
  ASSERT_TRUE(deployer_.deploy(t4Request()).status.has_value());

  const auto outcome = deployer_.teardown(kVm);

  ASSERT_FALSE(outcome.status.has_value());
  EXPECT_EQ(outcome.status.error().code, ErrorCode::Timeout);
  expectNoLostGpu();
  expectT4Deployed();
}

TEST_F(DeployerTest, TeardownRetriedAfterAFailedOneRestoresTheOriginalSettings) {
  {
    InSequence seq;
    expectDdaDeploy();
    auto& hv = mocks_.hyperv;
    // The first teardown: the mount fails, the rollback gives the GPU back to the VM.
    EXPECT_CALL(hv, stopVm(kVm));
    EXPECT_CALL(hv, removeAssignableDevice(kVm, kT4Location));
    EXPECT_CALL(hv, mountHostDevice(kT4Location)).WillOnce(failed(ErrorCode::OperationFailed));
    EXPECT_CALL(hv, addAssignableDevice(kVm, kT4Location));
    EXPECT_CALL(hv, startVm(kVm));
    // The second teardown still knows the settings from before the deploy.
    EXPECT_CALL(hv, stopVm(kVm));
    EXPECT_CALL(hv, removeAssignableDevice(kVm, kT4Location));
    EXPECT_CALL(hv, mountHostDevice(kT4Location));
    EXPECT_CALL(mocks_.pnp, enableDevice(kT4Id));
    EXPECT_CALL(hv, setAutomaticStopAction(kVm, StopAction::Save));
    EXPECT_CALL(hv, setMemoryMappedIo(kVm, platform::kDefaultMmio));
    EXPECT_CALL(hv, setGuestControlledCacheTypes(kVm, false));
    EXPECT_CALL(hv, startVm(kVm));
  }
  ASSERT_TRUE(deployer_.deploy(t4Request()).status.has_value());
  ASSERT_FALSE(deployer_.teardown(kVm).status.has_value());

  const auto retried = deployer_.teardown(kVm);

  ASSERT_TRUE(retried.status.has_value()) << describe(retried.status);
  expectUnchanged();
}

TEST_F(DeployerTest, FailingEnableInTeardownDismountsAndReassignsTheGpu) {
  arrangeT4AlreadyDeployed();
  {
    InSequence seq;
    auto& hv = mocks_.hyperv;
    EXPECT_CALL(hv, stopVm(kVm));
    EXPECT_CALL(hv, removeAssignableDevice(kVm, kT4Location));
    EXPECT_CALL(hv, mountHostDevice(kT4Location));
    EXPECT_CALL(mocks_.pnp, enableDevice(kT4Id)).WillOnce(failed(ErrorCode::DeviceBusy));
    // Rollback: the device is back on the host, disabled: dismount it again and reassign it.
    EXPECT_CALL(hv, dismountHostDevice(kT4Location, true));
    EXPECT_CALL(hv, addAssignableDevice(kVm, kT4Location));
    EXPECT_CALL(hv, startVm(kVm));
  }

  const auto outcome = deployer_.teardown(kVm);

  ASSERT_FALSE(outcome.status.has_value());
  EXPECT_EQ(outcome.status.error().code, ErrorCode::DeviceBusy);
  expectNoLostGpu();
  expectUnchanged();
}

TEST_F(DeployerTest, GpuPvTeardownRemovesTheAdapterAndRestoresSettings) {
  host_.useGeForceWorkstation(/*wslDriver=*/true);
  arranged();
  {
    InSequence seq;
    auto& hv = mocks_.hyperv;
    EXPECT_CALL(hv, stopVm(kVm));
    EXPECT_CALL(hv, setAutomaticStopAction(kVm, StopAction::TurnOff));
    EXPECT_CALL(hv, addGpuPartitionAdapter(kVm, kRtxPartitionName));
    EXPECT_CALL(hv, setMemoryMappedIo(kVm, kT4Mmio));
    EXPECT_CALL(hv, setGuestControlledCacheTypes(kVm, true));
    EXPECT_CALL(hv, startVm(kVm));
    EXPECT_CALL(hv, stopVm(kVm));
    EXPECT_CALL(hv, removeGpuPartitionAdapter(kVm, "adapter-1"));
    EXPECT_CALL(hv, setAutomaticStopAction(kVm, StopAction::Save));
    EXPECT_CALL(hv, setMemoryMappedIo(kVm, platform::kDefaultMmio));
    EXPECT_CALL(hv, setGuestControlledCacheTypes(kVm, false));
    EXPECT_CALL(hv, startVm(kVm));
  }
  ASSERT_TRUE(deployer_.deploy(rtxRequest()).status.has_value());

  const auto outcome = deployer_.teardown(kVm);

  ASSERT_TRUE(outcome.status.has_value()) << describe(outcome.status);
  expectUnchanged();
}

// ---------------------------------------------------------------------------------------------
// Deploying over an existing deployment.

TEST_F(DeployerTest, DeployOnAnAlreadyDeployedVmChangesNothing) {
  arrangeT4AlreadyDeployed();
  const auto assigned = mocks_.hyperv.assignableDevices(kVm); // what the Deployer will see
  ASSERT_TRUE(assigned.has_value());
  ASSERT_THAT(*assigned, ElementsAre(AssignedDevice{kT4Location, kT4AssignedId}));

  const auto outcome = deployer_.deploy(t4Request());

  ASSERT_TRUE(outcome.status.has_value()) << describe(outcome.status);
  EXPECT_TRUE(outcome.changedNothing);
  EXPECT_EQ(outcome.method, "DirectDeviceAssignment");
  EXPECT_TRUE(outcome.warnings.empty());
  expectUnchanged();
}

TEST_F(DeployerTest, DeployOnAnAlreadyDeployedVmStillReportsTheMitigationWarning) {
  host_.gpus[0].mitigationDriver = false;
  arrangeT4AlreadyDeployed();

  const auto outcome = deployer_.deploy(t4Request());

  ASSERT_TRUE(outcome.status.has_value()) << describe(outcome.status);
  EXPECT_TRUE(outcome.changedNothing);
  EXPECT_THAT(outcome.warnings, ElementsAre(WarningCode::MitigationDriverMissing));
  expectUnchanged();
}

TEST_F(DeployerTest, DeployTwiceInOneDeployerIsIdempotent) {
  expectDdaDeploy();
  ASSERT_TRUE(deployer_.deploy(t4Request()).status.has_value());

  const auto again = deployer_.deploy(t4Request());

  ASSERT_TRUE(again.status.has_value()) << describe(again.status);
  EXPECT_TRUE(again.changedNothing);
  expectT4Deployed();
}

TEST_F(DeployerTest, GpuPvOverADdaDeploymentIsInvalidRequest) {
  arrangeT4AlreadyDeployed();
  auto request = t4Request();
  request.passthrough = Passthrough::ParaVirtualization;

  const auto outcome = deployer_.deploy(request);

  ASSERT_FALSE(outcome.status.has_value());
  EXPECT_EQ(outcome.status.error().code, ErrorCode::InvalidRequest);
  EXPECT_THAT(codesOf(outcome.problems), ElementsAre(ErrorCode::InvalidRequest));
  expectUnchanged();
}

TEST_F(DeployerTest, AnotherGpuCountOverADdaDeploymentIsInvalidRequest) {
  arrangeT4AlreadyDeployed();
  auto request = t4Request();
  request.gpuCount = 2;

  const auto outcome = deployer_.deploy(request);

  ASSERT_FALSE(outcome.status.has_value());
  EXPECT_EQ(outcome.status.error().code, ErrorCode::InvalidRequest);
  expectUnchanged();
}

TEST_F(DeployerTest, DdaOverAGpuPvDeploymentIsInvalidRequest) {
  host_.useGeForceWorkstation(/*wslDriver=*/true);
  host_.adapters = {GpuPartitionAdapter{"adapter-7", kRtxPartitionName}};
  arranged();
  auto request = rtxRequest();
  request.passthrough = Passthrough::DirectDeviceAssignment;

  const auto outcome = deployer_.deploy(request);

  ASSERT_FALSE(outcome.status.has_value());
  EXPECT_EQ(outcome.status.error().code, ErrorCode::InvalidRequest);
  expectUnchanged();
}

TEST_F(DeployerTest, GpuPvOnAGpuPvDeploymentChangesNothing) {
  host_.useGeForceWorkstation(/*wslDriver=*/true);
  host_.adapters = {GpuPartitionAdapter{"adapter-7", kRtxPartitionName}};
  arranged();

  const auto outcome = deployer_.deploy(rtxRequest());

  ASSERT_TRUE(outcome.status.has_value()) << describe(outcome.status);
  EXPECT_TRUE(outcome.changedNothing);
  EXPECT_EQ(outcome.method, "ParaVirtualization");
  expectUnchanged();
}

} // namespace
} // namespace hil::flows
