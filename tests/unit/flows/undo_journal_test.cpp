#include "framework/flows/undo_journal.h"

#include <set>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "framework/core/log.h"
#include "tests/mocks/platform_mocks.h"

namespace hil::flows {
namespace {

using platform::AssignedDevice;
using platform::DeviceStatus;
using platform::GpuPartitionAdapter;
using platform::InstanceId;
using platform::LocationPath;
using platform::MmioSpace;
using platform::PnpDevice;
using platform::StopAction;
using platform::VmConfig;
using platform::VmName;
using platform::VmState;
using test_mocks::returnError;
using test_mocks::StrictMockPlatform;
using testing::_;
using testing::AnyNumber;
using testing::ElementsAre;
using testing::InSequence;
using Kind = UndoAction::Kind;

const VmName kVm = "EFLOW";
const InstanceId kT4Id = "PCI\\VEN_10DE&DEV_1EB8&SUBSYS_12A210DE&REV_A1\\4&1&0&0008";
const LocationPath kT4Location = "PCIROOT(0)#PCI(0300)#PCI(0000)";
const InstanceId kOtherId = "PCI\\VEN_8086&DEV_4680&SUBSYS_88881043&REV_0C\\3&11583659&0&10";
const LocationPath kOtherLocation = "PCIROOT(0)#PCI(0200)";
const std::string kPartitionName = "\\\\?\\PCI#VEN_10DE&DEV_2503&SUBSYS_397D1462&REV_A1#4&"
                                   "2b0e2d5a&0&0008#{064092b3-625e-43bf-9eb5-dc845897dd59}";
constexpr MmioSpace kConfiguredMmio{144 * platform::kMiB, 800 * platform::kMiB};

UndoAction vmAction(Kind kind) { return UndoAction{kind, kVm, {}}; }

UndoAction stopActionUndo(StopAction action) {
  UndoAction undo = vmAction(Kind::SetStopAction);
  undo.stopAction = action;
  return undo;
}

UndoAction mmioUndo(MmioSpace mmio) {
  UndoAction undo = vmAction(Kind::SetMmio);
  undo.mmio = mmio;
  return undo;
}

UndoAction cacheUndo(bool flag) {
  UndoAction undo = vmAction(Kind::SetCacheTypes);
  undo.flag = flag;
  return undo;
}

UndoAction targetAction(Kind kind, std::string target) {
  return UndoAction{kind, kVm, std::move(target)};
}

/// What the undo steps see of the host; every query answers from it any number of times. The
/// mocks are strict: an undo step that acts calls a mutating method the test must expect.
class UndoJournalTest : public testing::Test {
protected:
  UndoJournalTest() {
    auto& hv = mocks_.hyperv;
    auto& pnp = mocks_.pnp;
    ON_CALL(hv, vmConfig).WillByDefault([this](const VmName&) -> Result<VmConfig> { return vm_; });
    ON_CALL(pnp, displayDevices).WillByDefault([this]() -> Result<std::vector<PnpDevice>> {
      return devices_;
    });
    ON_CALL(pnp, locationPath).WillByDefault([](const InstanceId& id) -> Result<LocationPath> {
      return id == kT4Id ? kT4Location : kOtherLocation;
    });
    ON_CALL(hv, hostAssignableDevices).WillByDefault([this]() -> Result<std::vector<LocationPath>> {
      return parked_;
    });
    ON_CALL(hv, assignableDevices)
        .WillByDefault(
            [this](const VmName&) -> Result<std::vector<AssignedDevice>> { return assigned_; });
    ON_CALL(hv, gpuPartitionAdapters)
        .WillByDefault([this](const VmName&) -> Result<std::vector<GpuPartitionAdapter>> {
          return adapters_;
        });
    EXPECT_CALL(hv, vmConfig).Times(AnyNumber());
    EXPECT_CALL(pnp, displayDevices).Times(AnyNumber());
    EXPECT_CALL(pnp, locationPath).Times(AnyNumber());
    EXPECT_CALL(hv, hostAssignableDevices).Times(AnyNumber());
    EXPECT_CALL(hv, assignableDevices).Times(AnyNumber());
    EXPECT_CALL(hv, gpuPartitionAdapters).Times(AnyNumber());
  }

  Result<bool> apply(const UndoAction& action) {
    auto platform = mocks_.platform();
    return applyUndo(action, platform);
  }

  UndoJournal::Rollback rollback() {
    auto platform = mocks_.platform();
    return journal_.rollback(platform, log_);
  }

  /// The T4 on the host, in the given state.
  void t4OnHost(DeviceStatus status) {
    devices_ = {PnpDevice{kOtherId, "Intel(R) UHD Graphics 770", {0x8086, 0x4680}},
                PnpDevice{kT4Id, "NVIDIA Tesla T4", {0x10de, 0x1eb8}, status}};
  }

  /// The T4 dismounted from the host and assigned to no VM.
  void t4Dismounted() {
    devices_ = {PnpDevice{kOtherId, "Intel(R) UHD Graphics 770", {0x8086, 0x4680}}};
    parked_ = {kT4Location};
  }

  /// The T4 on the VM.
  void t4Assigned() {
    devices_ = {PnpDevice{kOtherId, "Intel(R) UHD Graphics 770", {0x8086, 0x4680}}};
    assigned_ = {
        AssignedDevice{kT4Location, "PCIP\\VEN_10DE&DEV_1EB8&SUBSYS_12A210DE&REV_A1\\4&1&0&0008"}};
  }

  VmConfig vm_{.name = kVm, .state = VmState::Off};
  std::vector<PnpDevice> devices_;
  std::vector<LocationPath> parked_;
  std::vector<AssignedDevice> assigned_;
  std::vector<GpuPartitionAdapter> adapters_;
  StrictMockPlatform mocks_;
  UndoJournal journal_;
  Log log_;
};

// ---------------------------------------------------------------------------------------------
// The journal.

TEST_F(UndoJournalTest, StartsEmpty) {
  EXPECT_TRUE(journal_.empty());
  EXPECT_TRUE(journal_.entries().empty());
}

TEST_F(UndoJournalTest, RecordKeepsEntriesInOrder) {
  ASSERT_TRUE(journal_.record(vmAction(Kind::StartVm)).has_value());
  ASSERT_TRUE(journal_.record(targetAction(Kind::EnableDevice, kT4Id)).has_value());

  EXPECT_FALSE(journal_.empty());
  ASSERT_EQ(journal_.entries().size(), 2u);
  EXPECT_EQ(journal_.entries()[0].kind, Kind::StartVm);
  EXPECT_EQ(journal_.entries()[1].kind, Kind::EnableDevice);
  EXPECT_EQ(journal_.entries()[1].target, kT4Id);
}

TEST_F(UndoJournalTest, CommitForgetsEverythingAndUndoesNothing) {
  ASSERT_TRUE(journal_.record(vmAction(Kind::StartVm)).has_value());
  ASSERT_TRUE(journal_.record(targetAction(Kind::MountDevice, kT4Location)).has_value());
  t4Dismounted(); // both undo steps would act

  ASSERT_TRUE(journal_.commit().has_value());
  const auto result = rollback(); // strict mocks: any undo call would fail the test

  EXPECT_TRUE(journal_.empty());
  EXPECT_TRUE(result.undone.empty());
  EXPECT_TRUE(result.failures.empty());
}

TEST_F(UndoJournalTest, RollbackUndoesNewestFirstAndEmptiesTheJournal) {
  vm_.automaticStopAction = StopAction::TurnOff;
  vm_.mmio = kConfiguredMmio;
  vm_.guestControlledCacheTypes = true;
  t4OnHost(DeviceStatus::Disabled);
  const std::vector<UndoAction> entries{vmAction(Kind::StartVm), stopActionUndo(StopAction::Save),
                                        mmioUndo(platform::kDefaultMmio), cacheUndo(false),
                                        targetAction(Kind::EnableDevice, kT4Id)};
  for (const auto& entry : entries) {
    ASSERT_TRUE(journal_.record(entry).has_value());
  }
  {
    InSequence seq;
    EXPECT_CALL(mocks_.pnp, enableDevice(kT4Id));
    EXPECT_CALL(mocks_.hyperv, setGuestControlledCacheTypes(kVm, false));
    EXPECT_CALL(mocks_.hyperv, setMemoryMappedIo(kVm, platform::kDefaultMmio));
    EXPECT_CALL(mocks_.hyperv, setAutomaticStopAction(kVm, StopAction::Save));
    EXPECT_CALL(mocks_.hyperv, startVm(kVm));
  }

  const auto result = rollback();

  EXPECT_TRUE(result.failures.empty());
  EXPECT_THAT(result.undone,
              ElementsAre(entries[4].describe(), entries[3].describe(), entries[2].describe(),
                          entries[1].describe(), entries[0].describe()));
  EXPECT_TRUE(journal_.empty());
  EXPECT_FALSE(log_.lines().empty());
}

TEST_F(UndoJournalTest, RollbackSkipsStepsThatNeverTookEffect) {
  // The flow recorded the undo of the dismount, then the dismount failed: only the disable and
  // the stop are taken back.
  vm_.state = VmState::Off;
  t4OnHost(DeviceStatus::Disabled);
  ASSERT_TRUE(journal_.record(vmAction(Kind::StartVm)).has_value());
  ASSERT_TRUE(journal_.record(targetAction(Kind::EnableDevice, kT4Id)).has_value());
  ASSERT_TRUE(journal_.record(targetAction(Kind::MountDevice, kT4Location)).has_value());
  {
    InSequence seq;
    EXPECT_CALL(mocks_.pnp, enableDevice(kT4Id));
    EXPECT_CALL(mocks_.hyperv, startVm(kVm));
  }

  const auto result = rollback();

  EXPECT_TRUE(result.failures.empty());
  EXPECT_EQ(result.undone.size(), 2u);
}

TEST_F(UndoJournalTest, AFailingUndoStepIsReportedAndOlderEntriesAreStillUndone) {
  vm_.mmio = kConfiguredMmio;
  vm_.guestControlledCacheTypes = true;
  vm_.automaticStopAction = StopAction::TurnOff;
  ASSERT_TRUE(journal_.record(stopActionUndo(StopAction::Save)).has_value());
  ASSERT_TRUE(journal_.record(mmioUndo(platform::kDefaultMmio)).has_value());
  ASSERT_TRUE(journal_.record(cacheUndo(false)).has_value());
  {
    InSequence seq;
    EXPECT_CALL(mocks_.hyperv, setGuestControlledCacheTypes(kVm, false));
    EXPECT_CALL(mocks_.hyperv, setMemoryMappedIo(kVm, platform::kDefaultMmio))
        .WillOnce(returnError<void>(ErrorCode::OperationFailed)); // not transient: tried once
    EXPECT_CALL(mocks_.hyperv, setAutomaticStopAction(kVm, StopAction::Save));
  }

  const auto result = rollback();

  ASSERT_EQ(result.failures.size(), 1u);
  EXPECT_EQ(result.failures[0].code, ErrorCode::OperationFailed);
  EXPECT_THAT(result.undone, ElementsAre(cacheUndo(false).describe(),
                                         stopActionUndo(StopAction::Save).describe()));
  // The journal stays for `hil recover` to try again; undo steps that took effect are no-ops
  // on the next try.
  EXPECT_EQ(journal_.entries().size(), 3u);
}

TEST_F(UndoJournalTest, AFailedVmSettingUndoLeavesTheOlderVmStartInTheJournal) {
  vm_.mmio = kConfiguredMmio;
  vm_.guestControlledCacheTypes = true;
  ASSERT_TRUE(journal_.record(vmAction(Kind::StartVm)).has_value());
  ASSERT_TRUE(journal_.record(mmioUndo(platform::kDefaultMmio)).has_value());
  ASSERT_TRUE(journal_.record(cacheUndo(false)).has_value());
  EXPECT_CALL(mocks_.hyperv, setGuestControlledCacheTypes(kVm, false));
  EXPECT_CALL(mocks_.hyperv, setMemoryMappedIo(kVm, platform::kDefaultMmio))
      .WillOnce(returnError<void>(ErrorCode::OperationFailed));
  // Strict mocks: no startVm. Set-VM on a running VM fails (32775), so starting it would make
  // the MMIO undo impossible.
  EXPECT_CALL(mocks_.hyperv, startVm).Times(0);

  const auto result = rollback();

  ASSERT_EQ(result.failures.size(), 1u);
  EXPECT_THAT(result.undone, ElementsAre(cacheUndo(false).describe()));
  ASSERT_EQ(journal_.entries().size(), 3u);
  EXPECT_EQ(journal_.entries().front().kind, Kind::StartVm);
}

TEST_F(UndoJournalTest, AVmStartWaitsOnlyForStepsThatNeedTheVmOff) {
  // The stop action can be set on a running VM: its failure does not keep the VM off.
  vm_.state = VmState::Off;
  vm_.automaticStopAction = StopAction::TurnOff;
  ASSERT_TRUE(journal_.record(vmAction(Kind::StartVm)).has_value());
  ASSERT_TRUE(journal_.record(stopActionUndo(StopAction::Save)).has_value());
  EXPECT_CALL(mocks_.hyperv, setAutomaticStopAction(kVm, StopAction::Save))
      .WillOnce(returnError<void>(ErrorCode::OperationFailed));
  EXPECT_CALL(mocks_.hyperv, startVm(kVm));

  const auto result = rollback();

  ASSERT_EQ(result.failures.size(), 1u);
  EXPECT_THAT(result.undone, ElementsAre(vmAction(Kind::StartVm).describe()));
}

TEST_F(UndoJournalTest, AfterAFailedRollbackTheNextOneAppliesWhatWasLeft) {
  vm_.mmio = kConfiguredMmio;
  ASSERT_TRUE(journal_.record(vmAction(Kind::StartVm)).has_value());
  ASSERT_TRUE(journal_.record(mmioUndo(platform::kDefaultMmio)).has_value());
  {
    InSequence seq;
    EXPECT_CALL(mocks_.hyperv, setMemoryMappedIo(kVm, platform::kDefaultMmio))
        .WillOnce(returnError<void>(ErrorCode::OperationFailed));
    EXPECT_CALL(mocks_.hyperv, setMemoryMappedIo(kVm, platform::kDefaultMmio))
        .WillOnce([this](const VmName&, MmioSpace mmio) -> Result<void> {
          vm_.mmio = mmio;
          return {};
        });
    EXPECT_CALL(mocks_.hyperv, startVm(kVm));
  }

  const auto first = rollback();
  const auto second = rollback(); // `hil recover`

  EXPECT_EQ(first.failures.size(), 1u);
  EXPECT_TRUE(second.failures.empty());
  EXPECT_THAT(second.undone, ElementsAre(mmioUndo(platform::kDefaultMmio).describe(),
                                         vmAction(Kind::StartVm).describe()));
  EXPECT_TRUE(journal_.empty());
}

TEST_F(UndoJournalTest, AFailedPreconditionIsNotRetried) {
  vm_.mmio = kConfiguredMmio;
  ASSERT_TRUE(journal_.record(mmioUndo(platform::kDefaultMmio)).has_value());
  EXPECT_CALL(mocks_.hyperv, setMemoryMappedIo(kVm, platform::kDefaultMmio))
      .WillOnce(returnError<void>(ErrorCode::FailedPrecondition));

  const auto result = rollback();

  ASSERT_EQ(result.failures.size(), 1u);
  EXPECT_EQ(result.failures[0].code, ErrorCode::FailedPrecondition);
  EXPECT_FALSE(journal_.empty());
}

TEST_F(UndoJournalTest, AFailingUndoStepKeepsItsCode) {
  t4Dismounted();
  ASSERT_TRUE(journal_.record(targetAction(Kind::MountDevice, kT4Location)).has_value());
  EXPECT_CALL(mocks_.hyperv, mountHostDevice(kT4Location))
      .WillRepeatedly(returnError<void>(ErrorCode::Timeout));
  // A device that cannot be mounted back goes back to the VM rather than be lost to both.
  EXPECT_CALL(mocks_.hyperv, addAssignableDevice(kVm, kT4Location));

  const auto result = rollback();

  ASSERT_EQ(result.failures.size(), 1u);
  EXPECT_EQ(result.failures[0].code, ErrorCode::Timeout);
  EXPECT_TRUE(result.undone.empty());
}

TEST_F(UndoJournalTest, ATransientUndoFailureIsRetried) {
  t4Dismounted();
  ASSERT_TRUE(journal_.record(targetAction(Kind::MountDevice, kT4Location)).has_value());
  {
    InSequence seq;
    EXPECT_CALL(mocks_.hyperv, mountHostDevice(kT4Location))
        .WillOnce(returnError<void>(ErrorCode::Timeout))
        .WillOnce(returnError<void>(ErrorCode::Unavailable));
    EXPECT_CALL(mocks_.hyperv, mountHostDevice(kT4Location));
  }

  const auto result = rollback();

  EXPECT_TRUE(result.failures.empty());
  EXPECT_THAT(result.undone, ElementsAre(targetAction(Kind::MountDevice, kT4Location).describe()));
}

TEST_F(UndoJournalTest, ATransientUndoFailureIsTriedABoundedNumberOfTimes) {
  t4Dismounted();
  ASSERT_TRUE(journal_.record(targetAction(Kind::MountDevice, kT4Location)).has_value());
  EXPECT_CALL(mocks_.hyperv, mountHostDevice(kT4Location))
      .Times(kUndoAttempts)
      .WillRepeatedly(returnError<void>(ErrorCode::Unavailable));
  EXPECT_CALL(mocks_.hyperv, addAssignableDevice(kVm, kT4Location));

  const auto result = rollback();

  ASSERT_EQ(result.failures.size(), 1u);
  EXPECT_EQ(result.failures[0].code, ErrorCode::Unavailable);
}

TEST_F(UndoJournalTest, AnUnknownUndoFailureIsNotRetried) {
  t4Dismounted();
  ASSERT_TRUE(journal_.record(targetAction(Kind::MountDevice, kT4Location)).has_value());
  EXPECT_CALL(mocks_.hyperv, mountHostDevice(kT4Location))
      .WillOnce(returnError<void>(ErrorCode::OperationFailed));
  // Not lost: back to the VM until `hil recover` mounts it.
  EXPECT_CALL(mocks_.hyperv, addAssignableDevice(kVm, kT4Location));

  const auto result = rollback();

  ASSERT_EQ(result.failures.size(), 1u);
  EXPECT_FALSE(journal_.empty());
}

TEST_F(UndoJournalTest, KeepingAGpuReachableTriesAgainAfterAnyFailureButAPrecondition) {
  t4Dismounted();
  ASSERT_TRUE(journal_.record(targetAction(Kind::MountDevice, kT4Location)).has_value());
  EXPECT_CALL(mocks_.hyperv, mountHostDevice(kT4Location))
      .WillOnce(returnError<void>(ErrorCode::OperationFailed));
  {
    // The mount failed; assigning the device to the VM again is all that keeps it reachable,
    // so an unknown failure there is tried again (a failed precondition would not be).
    InSequence seq;
    EXPECT_CALL(mocks_.hyperv, addAssignableDevice(kVm, kT4Location))
        .WillOnce(returnError<void>(ErrorCode::OperationFailed));
    EXPECT_CALL(mocks_.hyperv, addAssignableDevice(kVm, kT4Location));
  }

  const auto result = rollback();

  ASSERT_EQ(result.failures.size(), 1u);
  EXPECT_EQ(result.failures[0].code, ErrorCode::OperationFailed);
  EXPECT_FALSE(journal_.empty());
}

TEST_F(UndoJournalTest, OnlyVmSettingsAndDeviceChangesNeedTheVmOff) {
  std::vector<Kind> needOff;
  for (auto kind : {Kind::StartVm, Kind::StopVm, Kind::SetStopAction, Kind::SetMmio,
                    Kind::SetCacheTypes, Kind::EnableDevice, Kind::DisableDevice, Kind::MountDevice,
                    Kind::DismountDevice, Kind::RemoveAssignment, Kind::AddAssignment,
                    Kind::RemovePartitionAdapter, Kind::AddPartitionAdapter}) {
    if (vmAction(kind).needsVmOff()) {
      needOff.push_back(kind);
    }
  }
  EXPECT_THAT(needOff, ElementsAre(Kind::SetMmio, Kind::SetCacheTypes, Kind::RemoveAssignment,
                                   Kind::AddAssignment, Kind::RemovePartitionAdapter,
                                   Kind::AddPartitionAdapter));
}

TEST_F(UndoJournalTest, AFailingQueryIsReportedAndTheRollbackGoesOn) {
  t4Dismounted();
  ASSERT_TRUE(journal_.record(targetAction(Kind::MountDevice, kT4Location)).has_value());
  ASSERT_TRUE(journal_.record(vmAction(Kind::StartVm)).has_value());
  EXPECT_CALL(mocks_.hyperv, vmConfig(kVm))
      .WillRepeatedly(returnError<VmConfig>(ErrorCode::Timeout));
  EXPECT_CALL(mocks_.hyperv, mountHostDevice(kT4Location));

  const auto result = rollback();

  ASSERT_EQ(result.failures.size(), 1u);
  EXPECT_EQ(result.failures[0].code, ErrorCode::Timeout);
  EXPECT_EQ(result.undone.size(), 1u);
}

TEST_F(UndoJournalTest, RollbackOfAnEmptyJournalDoesNothing) {
  const auto result = rollback();

  EXPECT_TRUE(result.undone.empty());
  EXPECT_TRUE(result.failures.empty());
  EXPECT_TRUE(journal_.empty());
}

TEST_F(UndoJournalTest, RollbackTwiceUndoesOnce) {
  ASSERT_TRUE(journal_.record(vmAction(Kind::StartVm)).has_value());
  EXPECT_CALL(mocks_.hyperv, startVm(kVm));

  const auto first = rollback();
  const auto second = rollback();

  EXPECT_EQ(first.undone.size(), 1u);
  EXPECT_TRUE(second.undone.empty());
}

// ---------------------------------------------------------------------------------------------
// applyUndo acts only when the host still needs it.

TEST_F(UndoJournalTest, StartVmStartsAStoppedVm) {
  vm_.state = VmState::Off;
  EXPECT_CALL(mocks_.hyperv, startVm(kVm));

  const auto acted = apply(vmAction(Kind::StartVm));

  ASSERT_TRUE(acted.has_value());
  EXPECT_TRUE(*acted);
}

TEST_F(UndoJournalTest, StartVmOnARunningVmDoesNothing) {
  vm_.state = VmState::Running;

  const auto acted = apply(vmAction(Kind::StartVm));

  ASSERT_TRUE(acted.has_value());
  EXPECT_FALSE(*acted);
}

TEST_F(UndoJournalTest, StopVmStopsARunningVm) {
  vm_.state = VmState::Running;
  EXPECT_CALL(mocks_.hyperv, stopVm(kVm));

  const auto acted = apply(vmAction(Kind::StopVm));

  ASSERT_TRUE(acted.has_value());
  EXPECT_TRUE(*acted);
}

TEST_F(UndoJournalTest, StopVmOnAStoppedVmDoesNothing) {
  vm_.state = VmState::Off;

  const auto acted = apply(vmAction(Kind::StopVm));

  ASSERT_TRUE(acted.has_value());
  EXPECT_FALSE(*acted);
}

TEST_F(UndoJournalTest, SetStopActionRestoresOnlyAChangedValue) {
  vm_.automaticStopAction = StopAction::TurnOff;
  EXPECT_CALL(mocks_.hyperv, setAutomaticStopAction(kVm, StopAction::ShutDown));

  const auto changed = apply(stopActionUndo(StopAction::ShutDown));
  const auto same = apply(stopActionUndo(StopAction::TurnOff));

  ASSERT_TRUE(changed.has_value() && same.has_value());
  EXPECT_TRUE(*changed);
  EXPECT_FALSE(*same);
}

TEST_F(UndoJournalTest, SetMmioRestoresOnlyAChangedValue) {
  vm_.mmio = kConfiguredMmio;
  EXPECT_CALL(mocks_.hyperv, setMemoryMappedIo(kVm, platform::kDefaultMmio));

  const auto changed = apply(mmioUndo(platform::kDefaultMmio));
  const auto same = apply(mmioUndo(kConfiguredMmio));

  ASSERT_TRUE(changed.has_value() && same.has_value());
  EXPECT_TRUE(*changed);
  EXPECT_FALSE(*same);
}

TEST_F(UndoJournalTest, SetCacheTypesRestoresOnlyAChangedValue) {
  vm_.guestControlledCacheTypes = true;
  EXPECT_CALL(mocks_.hyperv, setGuestControlledCacheTypes(kVm, false));

  const auto changed = apply(cacheUndo(false));
  const auto same = apply(cacheUndo(true));

  ASSERT_TRUE(changed.has_value() && same.has_value());
  EXPECT_TRUE(*changed);
  EXPECT_FALSE(*same);
}

TEST_F(UndoJournalTest, EnableDeviceEnablesADisabledDevice) {
  t4OnHost(DeviceStatus::Disabled);
  EXPECT_CALL(mocks_.pnp, enableDevice(kT4Id));

  const auto acted = apply(targetAction(Kind::EnableDevice, kT4Id));

  ASSERT_TRUE(acted.has_value());
  EXPECT_TRUE(*acted);
}

TEST_F(UndoJournalTest, EnableDeviceOnAnEnabledDeviceDoesNothing) {
  t4OnHost(DeviceStatus::Ok);

  const auto acted = apply(targetAction(Kind::EnableDevice, kT4Id));

  ASSERT_TRUE(acted.has_value());
  EXPECT_FALSE(*acted);
}

TEST_F(UndoJournalTest, EnableDeviceNotOnTheHostDoesNothing) {
  t4Assigned();

  const auto acted = apply(targetAction(Kind::EnableDevice, kT4Id));

  ASSERT_TRUE(acted.has_value());
  EXPECT_FALSE(*acted);
}

TEST_F(UndoJournalTest, DisableDeviceDisablesAnEnabledDevice) {
  t4OnHost(DeviceStatus::Ok);
  EXPECT_CALL(mocks_.pnp, disableDevice(kT4Id));

  const auto acted = apply(targetAction(Kind::DisableDevice, kT4Id));

  ASSERT_TRUE(acted.has_value());
  EXPECT_TRUE(*acted);
}

TEST_F(UndoJournalTest, DisableDeviceOnADisabledOrAbsentDeviceDoesNothing) {
  t4OnHost(DeviceStatus::Disabled);
  const auto disabled = apply(targetAction(Kind::DisableDevice, kT4Id));
  t4Dismounted();
  const auto absent = apply(targetAction(Kind::DisableDevice, kT4Id));

  ASSERT_TRUE(disabled.has_value() && absent.has_value());
  EXPECT_FALSE(*disabled);
  EXPECT_FALSE(*absent);
}

TEST_F(UndoJournalTest, MountDeviceMountsADismountedDevice) {
  t4Dismounted();
  EXPECT_CALL(mocks_.hyperv, mountHostDevice(kT4Location));

  const auto acted = apply(targetAction(Kind::MountDevice, kT4Location));

  ASSERT_TRUE(acted.has_value());
  EXPECT_TRUE(*acted);
}

TEST_F(UndoJournalTest, MountDeviceNotInHostAssignableDevicesDoesNothing) {
  t4OnHost(DeviceStatus::Disabled); // the dismount never happened
  const auto onHost = apply(targetAction(Kind::MountDevice, kT4Location));
  t4Assigned(); // on a VM: not the host's to mount
  const auto onVm = apply(targetAction(Kind::MountDevice, kT4Location));

  ASSERT_TRUE(onHost.has_value() && onVm.has_value());
  EXPECT_FALSE(*onHost);
  EXPECT_FALSE(*onVm);
}

TEST_F(UndoJournalTest, AddAssignmentReassignsADismountedDevice) {
  t4Dismounted();
  EXPECT_CALL(mocks_.hyperv, addAssignableDevice(kVm, kT4Location));

  const auto acted = apply(targetAction(Kind::AddAssignment, kT4Location));

  ASSERT_TRUE(acted.has_value());
  EXPECT_TRUE(*acted);
}

TEST_F(UndoJournalTest, AddAssignmentOfADeviceNotDismountedDoesNothing) {
  t4Assigned();

  const auto acted = apply(targetAction(Kind::AddAssignment, kT4Location));

  ASSERT_TRUE(acted.has_value());
  EXPECT_FALSE(*acted);
}

TEST_F(UndoJournalTest, DismountDeviceDisablesAndForceDismountsADeviceBackOnTheHost) {
  t4OnHost(DeviceStatus::Ok);
  {
    InSequence seq;
    EXPECT_CALL(mocks_.pnp, disableDevice(kT4Id));
    EXPECT_CALL(mocks_.hyperv, dismountHostDevice(kT4Location, true));
  }

  const auto acted = apply(targetAction(Kind::DismountDevice, kT4Location));

  ASSERT_TRUE(acted.has_value());
  EXPECT_TRUE(*acted);
}

TEST_F(UndoJournalTest, DismountDeviceOfADisabledDeviceOnlyDismounts) {
  t4OnHost(DeviceStatus::Disabled);
  EXPECT_CALL(mocks_.hyperv, dismountHostDevice(kT4Location, true));

  const auto acted = apply(targetAction(Kind::DismountDevice, kT4Location));

  ASSERT_TRUE(acted.has_value());
  EXPECT_TRUE(*acted);
}

TEST_F(UndoJournalTest, DismountDeviceNotOnTheHostDoesNothing) {
  t4Dismounted();

  const auto acted = apply(targetAction(Kind::DismountDevice, kT4Location));

  ASSERT_TRUE(acted.has_value());
  EXPECT_FALSE(*acted);
}

TEST_F(UndoJournalTest, RemoveAssignmentRemovesAnAssignedDevice) {
  t4Assigned();
  EXPECT_CALL(mocks_.hyperv, removeAssignableDevice(kVm, kT4Location));

  const auto acted = apply(targetAction(Kind::RemoveAssignment, kT4Location));

  ASSERT_TRUE(acted.has_value());
  EXPECT_TRUE(*acted);
}

TEST_F(UndoJournalTest, RemoveAssignmentOfADeviceNotAssignedDoesNothing) {
  t4Dismounted();

  const auto acted = apply(targetAction(Kind::RemoveAssignment, kT4Location));

  ASSERT_TRUE(acted.has_value());
  EXPECT_FALSE(*acted);
}

TEST_F(UndoJournalTest, RemovePartitionAdapterRemovesItById) {
  adapters_ = {GpuPartitionAdapter{"adapter-1", kPartitionName}};
  EXPECT_CALL(mocks_.hyperv, removeGpuPartitionAdapter(kVm, "adapter-1"));

  const auto acted = apply(targetAction(Kind::RemovePartitionAdapter, kPartitionName));

  ASSERT_TRUE(acted.has_value());
  EXPECT_TRUE(*acted);
}

TEST_F(UndoJournalTest, RemovePartitionAdapterThatIsNotThereDoesNothing) {
  const auto acted = apply(targetAction(Kind::RemovePartitionAdapter, kPartitionName));

  ASSERT_TRUE(acted.has_value());
  EXPECT_FALSE(*acted);
}

TEST_F(UndoJournalTest, AddPartitionAdapterAddsItBack) {
  EXPECT_CALL(mocks_.hyperv, addGpuPartitionAdapter(kVm, kPartitionName));

  const auto acted = apply(targetAction(Kind::AddPartitionAdapter, kPartitionName));

  ASSERT_TRUE(acted.has_value());
  EXPECT_TRUE(*acted);
}

TEST_F(UndoJournalTest, AddPartitionAdapterThatIsThereDoesNothing) {
  adapters_ = {GpuPartitionAdapter{"adapter-1", kPartitionName}};

  const auto acted = apply(targetAction(Kind::AddPartitionAdapter, kPartitionName));

  ASSERT_TRUE(acted.has_value());
  EXPECT_FALSE(*acted);
}

TEST_F(UndoJournalTest, AFailingActionIsReturnedWithItsCode) {
  vm_.state = VmState::Off;
  EXPECT_CALL(mocks_.hyperv, startVm(kVm)).WillOnce(returnError<void>(ErrorCode::VmStartFailed));
  EXPECT_CALL(mocks_.hyperv, addGpuPartitionAdapter(kVm, _))
      .WillOnce(returnError<GpuPartitionAdapter>(ErrorCode::OperationFailed));

  const auto start = apply(vmAction(Kind::StartVm));
  const auto adapter = apply(targetAction(Kind::AddPartitionAdapter, kPartitionName));

  ASSERT_FALSE(start.has_value());
  EXPECT_EQ(start.error().code, ErrorCode::VmStartFailed);
  ASSERT_FALSE(adapter.has_value());
  EXPECT_EQ(adapter.error().code, ErrorCode::OperationFailed);
}

TEST_F(UndoJournalTest, AFailingQueryIsReturnedWithItsCode) {
  EXPECT_CALL(mocks_.hyperv, hostAssignableDevices)
      .WillOnce(returnError<std::vector<LocationPath>>(ErrorCode::Timeout));
  EXPECT_CALL(mocks_.pnp, displayDevices)
      .WillOnce(returnError<std::vector<PnpDevice>>(ErrorCode::OperationFailed));

  const auto mount = apply(targetAction(Kind::MountDevice, kT4Location));
  const auto enable = apply(targetAction(Kind::EnableDevice, kT4Id));

  ASSERT_FALSE(mount.has_value());
  EXPECT_EQ(mount.error().code, ErrorCode::Timeout);
  ASSERT_FALSE(enable.has_value());
  EXPECT_EQ(enable.error().code, ErrorCode::OperationFailed);
}

// ---------------------------------------------------------------------------------------------
// describe()

TEST(UndoActionTest, DescribeIsNonEmptyAndDistinctForEveryKind) {
  std::set<std::string> seen;
  for (int k = static_cast<int>(Kind::StartVm); k <= static_cast<int>(Kind::AddPartitionAdapter);
       ++k) {
    UndoAction action{static_cast<Kind>(k), kVm, kT4Location};
    const auto text = action.describe();
    EXPECT_FALSE(text.empty()) << "kind " << k;
    EXPECT_TRUE(seen.insert(text).second) << "kind " << k << " repeats \"" << text << "\"";
  }
  EXPECT_EQ(seen.size(), 13u);
}

} // namespace
} // namespace hil::flows
