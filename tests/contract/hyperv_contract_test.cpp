// The contract every backend must keep: what the seams do on a Windows host with Hyper-V and
// EFLOW, stated once and run against
//   sim         the simulator's Sim* seams,
//   powershell  the Real* seams over real pwsh and the stand-in module (simulators/powershell),
//   replay      the Real* seams over tests/contract/transcripts/<test>.xml,
//   real        the Real* seams over a rig's PowerShell, when HIL_RIG=FILE names a rig file.
// When the simulator and a transcript from a rig disagree, the simulator is wrong.
//
// Re-recording the shipped transcripts (after a Real* command or the stand-in changed):
//   HIL_RECORD_CONTRACT=1 build/tests/hyperv_contract_test
// writes tests/contract/transcripts/<test>.xml from the powershell backend (the replay backend
// then checks the fresh files in the same run). See tests/contract/README.md.
//
// Tests assert codes and values, never message text, and put the host back as they found it
// (a rig is a shared machine): every test starts and ends with the VM running and the GPU on
// the host, enabled.

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/contract/contract_host.h"

#ifndef HIL_CONTRACT_TRANSCRIPTS_DIR
#error "HIL_CONTRACT_TRANSCRIPTS_DIR must name tests/contract/transcripts"
#endif

namespace hil::contract {
namespace {

using platform::DeviceStatus;
using platform::VmState;

/// What the DDA guide sets for a GPU: 3 GB below 4 GB, 33280 MB above.
constexpr platform::MmioSpace kDdaMmio{3072 * platform::kMiB, 33280 * platform::kMiB};
const platform::VmName kNoSuchVm = "hil-contract-no-such-vm";

#define HIL_ASSERT_OK(expr)                                                                        \
  do {                                                                                             \
    const auto hil_ok_ = (expr);                                                                   \
    ASSERT_TRUE(hil_ok_) << #expr << ": " << hil_ok_.error().describe();                           \
  } while (false)

/// Opens the backend's host of `machine`, or skips the test when the backend has none.
#define HIL_CONTRACT_HOST(machine)                                                                 \
  do {                                                                                             \
    ASSERT_NO_FATAL_FAILURE(open(machine));                                                        \
    if (IsSkipped()) {                                                                             \
      return;                                                                                      \
    }                                                                                              \
  } while (false)

template <class T> void expectCode(const Result<T>& result, ErrorCode code) {
  ASSERT_FALSE(result) << "succeeded; expected " << toString(code);
  EXPECT_EQ(result.error().code, code) << result.error().describe();
}

class HyperVContract : public ::testing::TestWithParam<std::string> {
protected:
  void open(Machine machine) {
    auto opened =
        contract::open(GetParam(), machine, transcriptName(), HIL_CONTRACT_TRANSCRIPTS_DIR);
    ASSERT_TRUE(opened) << opened.error().describe();
    if (!opened->host) {
      GTEST_SKIP() << opened->skip;
    }
    host_ = std::move(opened->host);
    p_.emplace(host_->platform());
  }

  void TearDown() override {
    if (host_) {
      const auto finished = host_->finish(HasFailure());
      EXPECT_TRUE(finished) << finished.error().describe();
    }
  }

  /// The test's name without its backend: one transcript serves every backend.
  static std::string transcriptName() {
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    return name.substr(0, name.find('/'));
  }

  platform::Platform& p() { return *p_; }
  const data::GpuModel& model() const { return host_->gpu(); }
  const platform::VmName& vm() const { return host_->vm(); }

  /// The machine's GPU as PnP lists it (by its PCI ids), if it is on the host. A rig may have
  /// several of the model: the tests use the first one listed.
  std::optional<platform::PnpDevice> gpuOnHost() {
    auto devices = p().pnp.displayDevices();
    EXPECT_TRUE(devices) << devices.error().describe();
    if (!devices) {
      return std::nullopt;
    }
    for (const auto& d : *devices) {
      if (d.pci == model().pci && (!chosen_ || d.instanceId == *chosen_)) {
        chosen_ = d.instanceId;
        return d;
      }
    }
    return std::nullopt;
  }

  std::vector<platform::LocationPath> parked() {
    auto devices = p().hyperv.hostAssignableDevices();
    EXPECT_TRUE(devices) << devices.error().describe();
    return devices ? *devices : std::vector<platform::LocationPath>{};
  }

  bool isParked(const platform::LocationPath& location) {
    const auto all = parked();
    return std::find(all.begin(), all.end(), location) != all.end();
  }

  std::optional<VmState> vmState() {
    auto config = p().hyperv.vmConfig(vm());
    EXPECT_TRUE(config) << config.error().describe();
    return config ? std::optional{config->state} : std::nullopt;
  }

  /// Takes the GPU off the host as DDA does: disable, then dismount (-Force: no mitigation
  /// driver on this host).
  void park(const platform::PnpDevice& gpu, const platform::LocationPath& location) {
    HIL_ASSERT_OK(p().pnp.disableDevice(gpu.instanceId));
    HIL_ASSERT_OK(p().hyperv.dismountHostDevice(location, true));
  }

  /// Gives it back: mount, then enable.
  void unpark(const platform::PnpDevice& gpu, const platform::LocationPath& location) {
    HIL_ASSERT_OK(p().hyperv.mountHostDevice(location));
    HIL_ASSERT_OK(p().pnp.enableDevice(gpu.instanceId));
  }

  std::unique_ptr<ContractHost> host_;
  std::optional<platform::Platform> p_;
  std::optional<platform::InstanceId> chosen_; // the GPU the test works on
};

// ---- The host ----------------------------------------------------------------------------------

TEST_P(HyperVContract, ReportsWindowsServer2019WithHyperV) {
  HIL_CONTRACT_HOST(Machine::T4Server2019);
  auto info = p().host.windowsInfo();
  ASSERT_TRUE(info) << info.error().describe();
  EXPECT_EQ(info->edition, host_->edition());
  EXPECT_GE(info->build.number, 17763u);
  auto feature = p().host.hypervFeature();
  ASSERT_TRUE(feature) << feature.error().describe();
  EXPECT_TRUE(feature->present);
  EXPECT_TRUE(feature->enabled);
}

TEST_P(HyperVContract, ReportsWindows11WithHyperV) {
  HIL_CONTRACT_HOST(Machine::GeForceWin11);
  auto info = p().host.windowsInfo();
  ASSERT_TRUE(info) << info.error().describe();
  EXPECT_EQ(info->edition, host_->edition());
  EXPECT_GE(info->build.number, 22000u); // Windows 11
  auto feature = p().host.hypervFeature();
  ASSERT_TRUE(feature) << feature.error().describe();
  EXPECT_TRUE(feature->enabled);
}

// ---- PnP ---------------------------------------------------------------------------------------

TEST_P(HyperVContract, EnumeratesTheGpuWithItsNamePciIdsAndStatus) {
  HIL_CONTRACT_HOST(Machine::T4Server2019);
  const auto gpu = gpuOnHost();
  ASSERT_TRUE(gpu) << model().name << " is not among the display devices";
  EXPECT_EQ(gpu->friendlyName, model().name);
  EXPECT_EQ(gpu->pci, model().pci);
  EXPECT_EQ(gpu->status, DeviceStatus::Ok);
  EXPECT_EQ(
      gpu->instanceId.rfind(
          fmt::format("PCI\\VEN_{:04X}&DEV_{:04X}", model().pci.vendor, model().pci.device), 0),
      0u)
      << gpu->instanceId;
}

TEST_P(HyperVContract, EnumeratesTheGeForce) {
  HIL_CONTRACT_HOST(Machine::GeForceWin11);
  const auto gpu = gpuOnHost();
  ASSERT_TRUE(gpu) << model().name << " is not among the display devices";
  EXPECT_EQ(gpu->friendlyName, model().name);
  EXPECT_EQ(gpu->status, DeviceStatus::Ok);
}

TEST_P(HyperVContract, LocationPathIsThePcirootPath) {
  HIL_CONTRACT_HOST(Machine::T4Server2019);
  const auto gpu = gpuOnHost();
  ASSERT_TRUE(gpu);
  auto location = p().pnp.locationPath(gpu->instanceId);
  ASSERT_TRUE(location) << location.error().describe();
  EXPECT_TRUE(location->starts_with("PCIROOT(")) << *location;
  EXPECT_NE(location->find("#PCI("), std::string::npos) << *location;
}

TEST_P(HyperVContract, DisablesAndEnablesTheGpu) {
  HIL_CONTRACT_HOST(Machine::T4Server2019);
  const auto gpu = gpuOnHost();
  ASSERT_TRUE(gpu);
  HIL_ASSERT_OK(p().pnp.disableDevice(gpu->instanceId));
  auto disabled = gpuOnHost();
  ASSERT_TRUE(disabled) << "a disabled device is still present";
  EXPECT_EQ(disabled->status, DeviceStatus::Disabled);
  HIL_ASSERT_OK(p().pnp.enableDevice(gpu->instanceId));
  auto enabled = gpuOnHost();
  ASSERT_TRUE(enabled);
  EXPECT_EQ(enabled->status, DeviceStatus::Ok);
}

// ---- Dismount and mount ------------------------------------------------------------------------

TEST_P(HyperVContract, DismountingAnEnabledGpuFails) {
  HIL_CONTRACT_HOST(Machine::T4Server2019);
  const auto gpu = gpuOnHost();
  ASSERT_TRUE(gpu);
  auto location = p().pnp.locationPath(gpu->instanceId);
  ASSERT_TRUE(location) << location.error().describe();
  expectCode(p().hyperv.dismountHostDevice(*location, true), ErrorCode::OperationFailed);
  const auto still = gpuOnHost();
  ASSERT_TRUE(still) << "the GPU left the host";
  EXPECT_EQ(still->status, DeviceStatus::Ok);
  EXPECT_FALSE(isParked(*location));
}

TEST_P(HyperVContract, DismountWithoutTheMitigationDriverNeedsForceAndMountGivesItBack) {
  HIL_CONTRACT_HOST(Machine::T4Server2019);
  const auto gpu = gpuOnHost();
  ASSERT_TRUE(gpu);
  auto mitigation = p().drivers.mitigationDriverInstalled(gpu->instanceId);
  ASSERT_TRUE(mitigation) << mitigation.error().describe();
  if (*mitigation) {
    GTEST_SKIP() << "the host has the mitigation driver: dismounting needs no -Force";
  }
  auto location = p().pnp.locationPath(gpu->instanceId);
  ASSERT_TRUE(location) << location.error().describe();
  HIL_ASSERT_OK(p().pnp.disableDevice(gpu->instanceId));

  expectCode(p().hyperv.dismountHostDevice(*location, false), ErrorCode::OperationFailed);
  ASSERT_TRUE(gpuOnHost()) << "a refused dismount took the GPU off the host";
  EXPECT_FALSE(isParked(*location));

  HIL_ASSERT_OK(p().hyperv.dismountHostDevice(*location, true));
  EXPECT_FALSE(gpuOnHost()) << "a dismounted GPU is no display device of the host";
  EXPECT_TRUE(isParked(*location));

  HIL_ASSERT_OK(p().hyperv.mountHostDevice(*location));
  EXPECT_FALSE(isParked(*location));
  ASSERT_TRUE(gpuOnHost()) << "a mounted GPU is back on the host";
  HIL_ASSERT_OK(p().pnp.enableDevice(gpu->instanceId));
  const auto back = gpuOnHost();
  ASSERT_TRUE(back);
  EXPECT_EQ(back->status, DeviceStatus::Ok);
  EXPECT_EQ(back->instanceId, gpu->instanceId);
}

// ---- Assign and remove -------------------------------------------------------------------------

TEST_P(HyperVContract, AssignsAndRemovesTheGpuWhileTheVmIsOff) {
  HIL_CONTRACT_HOST(Machine::T4Server2019);
  const auto gpu = gpuOnHost();
  ASSERT_TRUE(gpu);
  auto location = p().pnp.locationPath(gpu->instanceId);
  ASSERT_TRUE(location) << location.error().describe();
  HIL_ASSERT_OK(p().hyperv.stopVm(vm()));
  EXPECT_EQ(vmState(), VmState::Off);
  ASSERT_NO_FATAL_FAILURE(park(*gpu, *location));

  HIL_ASSERT_OK(p().hyperv.addAssignableDevice(vm(), *location));
  auto assigned = p().hyperv.assignableDevices(vm());
  ASSERT_TRUE(assigned) << assigned.error().describe();
  ASSERT_EQ(assigned->size(), 1u);
  EXPECT_EQ(assigned->front().location, *location);
  EXPECT_EQ(platform::pciIdFromInstanceId(assigned->front().instanceId), model().pci)
      << assigned->front().instanceId;
  EXPECT_FALSE(isParked(*location)) << "an assigned device is no longer the host's to assign";

  HIL_ASSERT_OK(p().hyperv.removeAssignableDevice(vm(), *location));
  assigned = p().hyperv.assignableDevices(vm());
  ASSERT_TRUE(assigned) << assigned.error().describe();
  EXPECT_TRUE(assigned->empty());
  EXPECT_TRUE(isParked(*location)) << "a removed device is dismounted, on no VM";

  ASSERT_NO_FATAL_FAILURE(unpark(*gpu, *location));
  HIL_ASSERT_OK(p().hyperv.startVm(vm()));
}

TEST_P(HyperVContract, AssigningToARunningVmFails) {
  HIL_CONTRACT_HOST(Machine::T4Server2019);
  const auto gpu = gpuOnHost();
  ASSERT_TRUE(gpu);
  auto location = p().pnp.locationPath(gpu->instanceId);
  ASSERT_TRUE(location) << location.error().describe();
  ASSERT_EQ(vmState(), VmState::Running);
  ASSERT_NO_FATAL_FAILURE(park(*gpu, *location));

  // Job error 32775, invalid state: stop the VM first, retrying as is cannot help.
  expectCode(p().hyperv.addAssignableDevice(vm(), *location), ErrorCode::FailedPrecondition);
  auto assigned = p().hyperv.assignableDevices(vm());
  ASSERT_TRUE(assigned) << assigned.error().describe();
  EXPECT_TRUE(assigned->empty());
  EXPECT_TRUE(isParked(*location));

  ASSERT_NO_FATAL_FAILURE(unpark(*gpu, *location));
}

// ---- The VM ------------------------------------------------------------------------------------

TEST_P(HyperVContract, StopsAndStartsTheVm) {
  HIL_CONTRACT_HOST(Machine::T4Server2019);
  ASSERT_EQ(vmState(), VmState::Running);
  HIL_ASSERT_OK(p().hyperv.stopVm(vm()));
  EXPECT_EQ(vmState(), VmState::Off);
  HIL_ASSERT_OK(p().hyperv.startVm(vm()));
  EXPECT_EQ(vmState(), VmState::Running);
}

TEST_P(HyperVContract, SetsMmioCacheTypesAndStopActionOfAnOffVm) {
  HIL_CONTRACT_HOST(Machine::T4Server2019);
  HIL_ASSERT_OK(p().hyperv.stopVm(vm()));
  auto before = p().hyperv.vmConfig(vm());
  ASSERT_TRUE(before) << before.error().describe();
  EXPECT_EQ(before->state, VmState::Off);

  HIL_ASSERT_OK(p().hyperv.setMemoryMappedIo(vm(), kDdaMmio));
  HIL_ASSERT_OK(p().hyperv.setGuestControlledCacheTypes(vm(), true));
  HIL_ASSERT_OK(p().hyperv.setAutomaticStopAction(vm(), platform::StopAction::TurnOff));
  auto set = p().hyperv.vmConfig(vm());
  ASSERT_TRUE(set) << set.error().describe();
  EXPECT_EQ(set->mmio, kDdaMmio);
  EXPECT_TRUE(set->guestControlledCacheTypes);
  EXPECT_EQ(set->automaticStopAction, platform::StopAction::TurnOff);

  HIL_ASSERT_OK(p().hyperv.setMemoryMappedIo(vm(), before->mmio));
  HIL_ASSERT_OK(p().hyperv.setGuestControlledCacheTypes(vm(), before->guestControlledCacheTypes));
  HIL_ASSERT_OK(p().hyperv.setAutomaticStopAction(vm(), before->automaticStopAction));
  auto after = p().hyperv.vmConfig(vm());
  ASSERT_TRUE(after) << after.error().describe();
  EXPECT_EQ(*after, *before);
  HIL_ASSERT_OK(p().hyperv.startVm(vm()));
}

TEST_P(HyperVContract, AnUnknownVmFails) {
  HIL_CONTRACT_HOST(Machine::T4Server2019);
  expectCode(p().hyperv.vmConfig(kNoSuchVm), ErrorCode::OperationFailed);
  expectCode(p().hyperv.stopVm(kNoSuchVm), ErrorCode::OperationFailed);
  expectCode(p().hyperv.assignableDevices(kNoSuchVm), ErrorCode::OperationFailed);
  expectCode(p().hyperv.gpuPartitionAdapters(kNoSuchVm), ErrorCode::OperationFailed);
}

// ---- The guest ---------------------------------------------------------------------------------

TEST_P(HyperVContract, GuestCommandsReportTheirExitStatus) {
  HIL_CONTRACT_HOST(Machine::T4Server2019);
  auto missing = p().guest.run({"ls", "/hil-contract/no-such-path"});
  ASSERT_TRUE(missing) << missing.error().describe();
  EXPECT_EQ(missing->exitCode, 2); // GNU ls: a command-line argument it cannot access
  EXPECT_FALSE(missing->err.empty());
  auto unknown = p().guest.run({"hil-contract-no-such-program"});
  ASSERT_TRUE(unknown) << unknown.error().describe();
  EXPECT_EQ(unknown->exitCode, 127); // bash: command not found
  auto lspci = p().guest.run({"lspci", "-n"});
  ASSERT_TRUE(lspci) << lspci.error().describe();
  EXPECT_EQ(lspci->exitCode, 0);
  EXPECT_EQ(lspci->out.find(model().pci.toString()), std::string::npos)
      << "the guest sees the GPU before it was assigned";
}

TEST_P(HyperVContract, GuestCommandsNeedARunningVm) {
  HIL_CONTRACT_HOST(Machine::T4Server2019);
  HIL_ASSERT_OK(p().hyperv.stopVm(vm()));
  expectCode(p().guest.run({"lspci", "-n"}), ErrorCode::OperationFailed);
  HIL_ASSERT_OK(p().hyperv.startVm(vm()));
}

TEST_P(HyperVContract, TheGuestSeesTheGpuUnderDda) {
  HIL_CONTRACT_HOST(Machine::T4Server2019);
  const auto gpu = gpuOnHost();
  ASSERT_TRUE(gpu);
  auto location = p().pnp.locationPath(gpu->instanceId);
  ASSERT_TRUE(location) << location.error().describe();
  HIL_ASSERT_OK(p().hyperv.stopVm(vm()));
  auto before = p().hyperv.vmConfig(vm());
  ASSERT_TRUE(before) << before.error().describe();
  HIL_ASSERT_OK(p().hyperv.setMemoryMappedIo(vm(), kDdaMmio));
  HIL_ASSERT_OK(p().hyperv.setGuestControlledCacheTypes(vm(), true));
  ASSERT_NO_FATAL_FAILURE(park(*gpu, *location));
  HIL_ASSERT_OK(p().hyperv.addAssignableDevice(vm(), *location));
  HIL_ASSERT_OK(p().hyperv.startVm(vm()));

  auto lspci = p().guest.run({"lspci", "-n"});
  ASSERT_TRUE(lspci) << lspci.error().describe();
  EXPECT_EQ(lspci->exitCode, 0);
  EXPECT_NE(lspci->out.find(model().pci.toString()), std::string::npos) << lspci->out;

  HIL_ASSERT_OK(p().hyperv.stopVm(vm()));
  HIL_ASSERT_OK(p().hyperv.removeAssignableDevice(vm(), *location));
  ASSERT_NO_FATAL_FAILURE(unpark(*gpu, *location));
  HIL_ASSERT_OK(p().hyperv.setMemoryMappedIo(vm(), before->mmio));
  HIL_ASSERT_OK(p().hyperv.setGuestControlledCacheTypes(vm(), before->guestControlledCacheTypes));
  HIL_ASSERT_OK(p().hyperv.startVm(vm()));
}

// ---- GPU partitioning --------------------------------------------------------------------------

TEST_P(HyperVContract, ListsTheGeForceAsPartitionable) {
  HIL_CONTRACT_HOST(Machine::GeForceWin11);
  const auto gpu = gpuOnHost();
  ASSERT_TRUE(gpu);
  auto wsl = p().drivers.wslDriverInstalled(gpu->instanceId);
  ASSERT_TRUE(wsl) << wsl.error().describe();
  EXPECT_TRUE(*wsl);
  auto gpus = p().hyperv.partitionableGpus();
  ASSERT_TRUE(gpus) << gpus.error().describe();
  const auto it = std::find_if(gpus->begin(), gpus->end(),
                               [&](const auto& g) { return g.instanceId == gpu->instanceId; });
  ASSERT_NE(it, gpus->end()) << gpu->instanceId << " is not partitionable";
  EXPECT_FALSE(it->name.empty());
  EXPECT_GE(it->partitionCount, 1u);
}

TEST_P(HyperVContract, AddsListsAndRemovesPartitionAdaptersWhileTheVmIsOff) {
  HIL_CONTRACT_HOST(Machine::GeForceWin11);
  auto gpus = p().hyperv.partitionableGpus();
  ASSERT_TRUE(gpus) << gpus.error().describe();
  ASSERT_FALSE(gpus->empty());
  const auto gpu = gpus->front();
  HIL_ASSERT_OK(p().hyperv.stopVm(vm()));
  auto none = p().hyperv.gpuPartitionAdapters(vm());
  ASSERT_TRUE(none) << none.error().describe();
  EXPECT_TRUE(none->empty());

  auto added = p().hyperv.addGpuPartitionAdapter(vm(), gpu.name);
  ASSERT_TRUE(added) << added.error().describe();
  EXPECT_FALSE(added->id.empty());
  EXPECT_TRUE(platform::equalsIgnoringCase(added->instancePath, gpu.name)) << added->instancePath;
  auto listed = p().hyperv.gpuPartitionAdapters(vm());
  ASSERT_TRUE(listed) << listed.error().describe();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().id, added->id);

  HIL_ASSERT_OK(p().hyperv.removeGpuPartitionAdapter(vm(), added->id));
  listed = p().hyperv.gpuPartitionAdapters(vm());
  ASSERT_TRUE(listed) << listed.error().describe();
  EXPECT_TRUE(listed->empty());
  expectCode(p().hyperv.removeGpuPartitionAdapter(vm(), added->id), ErrorCode::OperationFailed);
  HIL_ASSERT_OK(p().hyperv.startVm(vm()));
}

TEST_P(HyperVContract, AddingAPartitionAdapterToARunningVmFails) {
  HIL_CONTRACT_HOST(Machine::GeForceWin11);
  auto gpus = p().hyperv.partitionableGpus();
  ASSERT_TRUE(gpus) << gpus.error().describe();
  ASSERT_FALSE(gpus->empty());
  ASSERT_EQ(vmState(), VmState::Running);
  expectCode(p().hyperv.addGpuPartitionAdapter(vm(), gpus->front().name),
             ErrorCode::FailedPrecondition);
  auto listed = p().hyperv.gpuPartitionAdapters(vm());
  ASSERT_TRUE(listed) << listed.error().describe();
  EXPECT_TRUE(listed->empty());
}

TEST_P(HyperVContract, TheGuestSeesDxgUnderGpuPvAndTheHostKeepsTheGpu) {
  HIL_CONTRACT_HOST(Machine::GeForceWin11);
  auto withoutGpu = p().guest.run({"ls", "/dev/dxg"});
  ASSERT_TRUE(withoutGpu) << withoutGpu.error().describe();
  EXPECT_NE(withoutGpu->exitCode, 0) << "/dev/dxg without a partition adapter";

  auto gpus = p().hyperv.partitionableGpus();
  ASSERT_TRUE(gpus) << gpus.error().describe();
  ASSERT_FALSE(gpus->empty());
  HIL_ASSERT_OK(p().hyperv.stopVm(vm()));
  auto added = p().hyperv.addGpuPartitionAdapter(vm(), gpus->front().name);
  ASSERT_TRUE(added) << added.error().describe();
  HIL_ASSERT_OK(p().hyperv.startVm(vm()));

  auto dxg = p().guest.run({"ls", "/dev/dxg"});
  ASSERT_TRUE(dxg) << dxg.error().describe();
  EXPECT_EQ(dxg->exitCode, 0);
  EXPECT_NE(dxg->out.find("/dev/dxg"), std::string::npos) << dxg->out;
  const auto onHost = gpuOnHost();
  ASSERT_TRUE(onHost) << "GPU-PV shares the GPU: the host keeps it";
  EXPECT_EQ(onHost->status, DeviceStatus::Ok);

  HIL_ASSERT_OK(p().hyperv.stopVm(vm()));
  HIL_ASSERT_OK(p().hyperv.removeGpuPartitionAdapter(vm(), added->id));
  HIL_ASSERT_OK(p().hyperv.startVm(vm()));
}

std::string backendName(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

INSTANTIATE_TEST_SUITE_P(Backends, HyperVContract,
                         ::testing::Values(std::string{kBackends[0]}, std::string{kBackends[1]},
                                           std::string{kBackends[2]}, std::string{kBackends[3]}),
                         backendName);

} // namespace
} // namespace hil::contract
