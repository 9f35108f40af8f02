#include "framework/flows/invariants.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "framework/platform/host_state.h"
#include "framework/platform/hyperv.h"

namespace hil::flows {
namespace {

using platform::GpuPlacement;
using platform::HostState;
using platform::kMiB;
using platform::LocationPath;
using platform::MmioSpace;
using platform::StopAction;
using platform::Technique;
using platform::VmName;
using platform::VmSnapshot;
using platform::VmState;
using testing::AllOf;
using testing::Contains;
using testing::ElementsAre;
using testing::Field;
using testing::HasSubstr;
using testing::IsEmpty;
using testing::Matcher;
using Kind = StepRecord::Kind;
using Ending = StepRecord::Ending;

const VmName kEflow = "EFLOW";
const VmName kOther = "OTHER";
const LocationPath kT4 = "PCIROOT(0)#PCI(0300)#PCI(0000)";
const LocationPath kT4b = "PCIROOT(0)#PCI(0400)#PCI(0000)";
const LocationPath kRtx = "PCIROOT(0)#PCI(0100)#PCI(0000)";
const std::string kPartition = "\\\\?\\PCI#VEN_10DE&DEV_2503#4&2283f625&0&0010#{064092b3}";
constexpr std::uint64_t kGiB = 1024 * kMiB;
constexpr MmioSpace kDdaMmio{3 * kGiB, 33280 * kMiB};

GpuPlacement gpuOnHost(const LocationPath& location, const std::string& name) {
  GpuPlacement placement;
  placement.location = location;
  placement.name = name;
  return placement;
}

/// Two T4s and a GeForce on the host, the EFLOW VM running with Hyper-V's defaults and another
/// VM that no step touches.
HostState freshHost() {
  HostState host;
  host.gpus = {gpuOnHost(kT4, "NVIDIA Tesla T4"), gpuOnHost(kT4b, "NVIDIA Tesla T4"),
               gpuOnHost(kRtx, "NVIDIA GeForce RTX 3060")};
  host.vms[kEflow].config = {.name = kEflow, .state = VmState::Running};
  host.vms[kOther].config = {.name = kOther};
  return host;
}

GpuPlacement& gpu(HostState& host, const LocationPath& location) {
  for (auto& placement : host.gpus) {
    if (placement.location == location) {
      return placement;
    }
  }
  ADD_FAILURE() << "no GPU at " << location;
  return host.gpus.front();
}

/// What a DDA flow does: VM settings, then the T4 disabled, dismounted and assigned.
HostState ddaDeployed(HostState host, const LocationPath& location = kT4) {
  auto& vm = host.vms[kEflow];
  vm.config.automaticStopAction = StopAction::TurnOff;
  vm.config.mmio = kDdaMmio;
  vm.config.guestControlledCacheTypes = true;
  vm.assigned.push_back(location);
  auto& t4 = gpu(host, location);
  t4.onHost = false;
  t4.enabled = false;
  t4.assignedTo = kEflow;
  return host;
}

/// What a GPU-PV flow does: VM settings and one partition adapter; the GPU stays on the host.
HostState gpuPvDeployed(HostState host) {
  auto& vm = host.vms[kEflow];
  vm.config.automaticStopAction = StopAction::TurnOff;
  vm.config.mmio = {1 * kGiB, 32 * kGiB};
  vm.config.guestControlledCacheTypes = true;
  vm.adapterGpus.push_back(kPartition);
  return host;
}

/// A DDA teardown that mounts the GPU back and keeps the deployed VM settings.
HostState ddaTornDownKeepingSettings(HostState deployed, const LocationPath& location = kT4) {
  auto& vm = deployed.vms[kEflow];
  std::erase(vm.assigned, location);
  auto& t4 = gpu(deployed, location);
  t4.onHost = true;
  t4.enabled = true;
  t4.assignedTo.reset();
  return deployed;
}

StepRecord ddaDeploy(std::vector<LocationPath> gpus = {kT4}) {
  return {Kind::Deploy, Ending::Done, kEflow, Technique::DirectDeviceAssignment, std::move(gpus)};
}

StepRecord gpuPvDeploy() {
  return {Kind::Deploy, Ending::Done, kEflow, Technique::ParaVirtualization, {kRtx}};
}

StepRecord teardown() { return {Kind::Teardown, Ending::Done, kEflow, std::nullopt, {}}; }

StepRecord ended(Ending ending, Kind kind = Kind::Deploy) {
  return {kind, ending, kEflow, std::nullopt, {}};
}

Matcher<Violation> violation(const std::string& invariant, const std::string& subjectPart) {
  return AllOf(Field(&Violation::invariant, invariant),
               Field(&Violation::subject, HasSubstr(subjectPart)));
}

Matcher<Violation> violation(const std::string& invariant, const std::string& subjectPart,
                             const std::string& before, const std::string& after) {
  return AllOf(violation(invariant, subjectPart), Field(&Violation::before, before),
               Field(&Violation::after, after));
}

// ---- GpuPlacement, HostState, Violation ----

TEST(GpuPlacementTest, DescribesEachPlacement) {
  auto placement = gpuOnHost(kT4, "NVIDIA Tesla T4");
  EXPECT_EQ(placement.describe(), "on the host, enabled");
  placement.enabled = false;
  EXPECT_EQ(placement.describe(), "on the host, disabled");
  placement.onHost = false;
  EXPECT_EQ(placement.describe(), "dismounted, assigned to no VM");
  placement.assignedTo = kEflow;
  EXPECT_EQ(placement.describe(), "dismounted, assigned to EFLOW");
  placement.onHost = true;
  EXPECT_EQ(placement.describe(), "on the host and assigned to EFLOW");
}

TEST(HostStateTest, GpuAtFindsByLocation) {
  const auto host = freshHost();
  ASSERT_NE(host.gpuAt(kRtx), nullptr);
  EXPECT_EQ(host.gpuAt(kRtx)->name, "NVIDIA GeForce RTX 3060");
  EXPECT_EQ(host.gpuAt("PCIROOT(9)"), nullptr);
}

TEST(ViolationTest, DescribeFormat) {
  const Violation withBefore{"gpu-lost", "GPU \"NVIDIA Tesla T4\" at PCIROOT(0)",
                             "on the host, enabled", "dismounted, assigned to no VM"};
  EXPECT_EQ(withBefore.describe(), "gpu-lost: GPU \"NVIDIA Tesla T4\" at PCIROOT(0): before on "
                                   "the host, enabled; after dismounted, assigned to no VM");
  const Violation withoutBefore{"gpu-lost", "GPU \"NVIDIA Tesla T4\" at PCIROOT(0)", "",
                                "dismounted, assigned to no VM"};
  EXPECT_EQ(withoutBefore.describe(),
            "gpu-lost: GPU \"NVIDIA Tesla T4\" at PCIROOT(0): after dismounted, assigned to no VM");
}

// ---- checkHost ----

TEST(CheckHostTest, FreshAndDeployedHostsAreFine) {
  EXPECT_THAT(checkHost(freshHost()), IsEmpty());
  EXPECT_THAT(checkHost(ddaDeployed(freshHost())), IsEmpty());
  EXPECT_THAT(checkHost(gpuPvDeployed(freshHost())), IsEmpty());
}

TEST(CheckHostTest, DismountedGpuOnNoVmIsLost) {
  auto host = freshHost();
  gpu(host, kT4).onHost = false;
  EXPECT_THAT(
      checkHost(host),
      ElementsAre(violation("gpu-lost", "GPU \"NVIDIA Tesla T4\" at PCIROOT(0)#PCI(0300)#PCI(0000)",
                            "", "dismounted, assigned to no VM")));
}

TEST(CheckHostTest, GpuOnHostAndAssignedIsCaught) {
  auto host = freshHost();
  gpu(host, kT4).assignedTo = kEflow;
  host.vms[kEflow].assigned = {kT4};
  EXPECT_THAT(checkHost(host), ElementsAre(violation("gpu-on-host-and-vm", kT4, "",
                                                     "on the host and assigned to EFLOW")));
}

TEST(CheckHostTest, GpuListedByTwoVmsIsAssignedTwice) {
  auto host = ddaDeployed(freshHost());
  host.vms[kOther].assigned = {kT4};
  const auto violations = checkHost(host);
  ASSERT_THAT(violations, ElementsAre(violation("gpu-assigned-twice", kT4)));
  EXPECT_THAT(violations[0].after, HasSubstr("EFLOW, OTHER"));
}

TEST(CheckHostTest, GpuListedTwiceByOneVmIsAssignedTwice) {
  auto host = ddaDeployed(freshHost());
  host.vms[kEflow].assigned = {kT4, kT4};
  EXPECT_THAT(checkHost(host), ElementsAre(violation("gpu-assigned-twice", kT4)));
}

TEST(CheckHostTest, GpuListedByAVmItIsNotAssignedToIsAssignedTwice) {
  auto host = ddaDeployed(freshHost());
  host.vms[kEflow].assigned.clear();
  host.vms[kOther].assigned = {kT4};
  EXPECT_THAT(checkHost(host), ElementsAre(violation("gpu-assigned-twice", kT4)));
}

TEST(CheckHostTest, ReportsGpusInHostOrder) {
  auto host = freshHost();
  gpu(host, kRtx).onHost = false;
  gpu(host, kT4).onHost = false;
  gpu(host, kT4b).assignedTo = kOther;
  host.vms[kOther].assigned = {kT4b};
  EXPECT_THAT(checkHost(host),
              ElementsAre(violation("gpu-lost", kT4), violation("gpu-on-host-and-vm", kT4b),
                          violation("gpu-lost", kRtx)));
}

TEST(CheckStepTest, HostViolationsCarryThePlacementBefore) {
  const auto before = freshHost();
  auto after = before;
  gpu(after, kT4).onHost = false;
  EXPECT_THAT(checkStep(before, before, after, ended(Ending::RolledBack)),
              Contains(violation("gpu-lost", kT4, "on the host, enabled",
                                 "dismounted, assigned to no VM")));
}

// ---- checkStep: Rejected, Unchanged, RolledBack ----

TEST(CheckStepTest, UntouchedRejectedRequestIsFine) {
  const auto host = freshHost();
  EXPECT_THAT(checkStep(host, host, host, ended(Ending::Rejected)), IsEmpty());
  const auto deployed = ddaDeployed(host);
  EXPECT_THAT(checkStep(host, deployed, deployed, ended(Ending::Rejected, Kind::Teardown)),
              IsEmpty());
}

struct HostChange {
  std::string name;
  std::function<void(HostState&)> change;
  std::string subject;
  std::string before;
  std::string after;
};

void PrintTo(const HostChange& change, std::ostream* os) { *os << change.name; }

class RejectedChangeTest : public testing::TestWithParam<HostChange> {};

TEST_P(RejectedChangeTest, IsReportedWithBothValues) {
  const auto before = freshHost();
  auto after = before;
  GetParam().change(after);
  EXPECT_THAT(checkStep(before, before, after, ended(Ending::Rejected)),
              Contains(violation("rejected-changed-host", GetParam().subject, GetParam().before,
                                 GetParam().after)));
}

INSTANTIATE_TEST_SUITE_P(
    EachKind, RejectedChangeTest,
    testing::Values(
        HostChange{"GpuDisabled", [](HostState& h) { gpu(h, kRtx).enabled = false; },
                   "GPU \"NVIDIA GeForce RTX 3060\" at " + kRtx, "on the host, enabled",
                   "on the host, disabled"},
        HostChange{"GpuDismounted",
                   [](HostState& h) {
                     gpu(h, kT4).onHost = false;
                     gpu(h, kT4).assignedTo = kEflow;
                     h.vms[kEflow].assigned = {kT4};
                   },
                   kT4, "on the host, enabled", "dismounted, assigned to EFLOW"},
        HostChange{"GpuGone", [](HostState& h) { h.gpus.pop_back(); }, kRtx, "on the host, enabled",
                   "absent from the host"},
        HostChange{"Mmio", [](HostState& h) { h.vms[kEflow].config.mmio = kDdaMmio; },
                   "VM EFLOW MMIO", "128 MB low, 512 MB high", "3 GB low, 33280 MB high"},
        HostChange{"State", [](HostState& h) { h.vms[kEflow].config.state = VmState::Off; },
                   "VM EFLOW state", "Running", "Off"},
        HostChange{
            "StopAction",
            [](HostState& h) { h.vms[kEflow].config.automaticStopAction = StopAction::TurnOff; },
            "VM EFLOW automatic stop action", "Save", "TurnOff"},
        HostChange{"CacheTypes",
                   [](HostState& h) { h.vms[kEflow].config.guestControlledCacheTypes = true; },
                   "VM EFLOW guest-controlled cache types", "disabled", "enabled"},
        HostChange{"Adapters", [](HostState& h) { h.vms[kEflow].adapterGpus = {kPartition}; },
                   "VM EFLOW partition adapters", "none", kPartition},
        HostChange{"AssignedDevices",
                   [](HostState& h) {
                     gpu(h, kT4).onHost = false;
                     gpu(h, kT4).assignedTo = kEflow;
                     h.vms[kEflow].assigned = {kT4};
                   },
                   "VM EFLOW assigned devices", "none", kT4},
        HostChange{"OtherVm", [](HostState& h) { h.vms[kOther].config.state = VmState::Running; },
                   "VM OTHER state", "Off", "Running"},
        HostChange{"VmGone", [](HostState& h) { h.vms.erase(kOther); }, "VM OTHER", "present",
                   "absent"}),
    [](const testing::TestParamInfo<HostChange>& info) { return info.param.name; });

TEST(CheckStepTest, RejectedChangesComeInAFixedOrder) {
  const auto before = freshHost();
  auto after = ddaDeployed(before);
  after.vms[kEflow].config.state = VmState::Off;
  after.vms[kEflow].adapterGpus = {kPartition};
  after.vms[kOther].config.mmio = kDdaMmio;
  EXPECT_THAT(checkStep(before, before, after, ended(Ending::Rejected)),
              ElementsAre(violation("rejected-changed-host", kT4),
                          violation("rejected-changed-host", "VM EFLOW state"),
                          violation("rejected-changed-host", "VM EFLOW automatic stop action"),
                          violation("rejected-changed-host", "VM EFLOW MMIO"),
                          violation("rejected-changed-host", "VM EFLOW guest-controlled cache"),
                          violation("rejected-changed-host", "VM EFLOW assigned devices"),
                          violation("rejected-changed-host", "VM EFLOW partition adapters"),
                          violation("rejected-changed-host", "VM OTHER MMIO")));
}

TEST(CheckStepTest, EnabledFlagOfADismountedGpuCountsForRejected) {
  const auto before = ddaDeployed(freshHost());
  auto after = before;
  gpu(after, kT4).enabled = true;
  const auto violations = checkStep(before, before, after, ended(Ending::Rejected));
  ASSERT_THAT(violations, ElementsAre(violation("rejected-changed-host", kT4)));
  EXPECT_NE(violations[0].before, violations[0].after);
}

TEST(CheckStepTest, RepeatedDeployThatChangesSomethingIsNotIdempotent) {
  const auto original = freshHost();
  const auto deployed = ddaDeployed(original);
  EXPECT_THAT(checkStep(original, deployed, deployed, ended(Ending::Unchanged)), IsEmpty());
  auto after = deployed;
  after.vms[kEflow].config.mmio = {4 * kGiB, 33280 * kMiB};
  EXPECT_THAT(checkStep(original, deployed, after, ended(Ending::Unchanged)),
              ElementsAre(violation("not-idempotent", "VM EFLOW MMIO", "3 GB low, 33280 MB high",
                                    "4 GB low, 33280 MB high")));
}

TEST(CheckStepTest, RepeatedTeardownThatChangesSomethingIsNotIdempotent) {
  const auto host = freshHost();
  auto after = host;
  gpu(after, kT4b).enabled = false;
  EXPECT_THAT(checkStep(host, host, after, ended(Ending::Unchanged, Kind::Teardown)),
              ElementsAre(violation("not-idempotent", kT4b)));
}

TEST(CheckStepTest, FailedDeployThatLeavesAGpuDismountedIsNotRolledBack) {
  const auto before = freshHost();
  auto after = before;
  gpu(after, kT4).onHost = false;
  gpu(after, kT4).enabled = false;
  after.vms[kEflow].config.state = VmState::Off;
  EXPECT_THAT(checkStep(before, before, after, ended(Ending::RolledBack)),
              ElementsAre(violation("gpu-lost", kT4), violation("not-rolled-back", kT4),
                          violation("not-rolled-back", "VM EFLOW state", "Running", "Off")));
  EXPECT_THAT(checkStep(before, before, before, ended(Ending::RolledBack)), IsEmpty());
}

TEST(CheckStepTest, DevicesAssignedBackInAnotherOrderAreRolledBack) {
  auto before = ddaDeployed(ddaDeployed(freshHost(), kT4), kT4b);
  auto after = before;
  auto& assigned = after.vms[kEflow].assigned;
  std::reverse(assigned.begin(), assigned.end());
  ASSERT_NE(after, before);
  EXPECT_THAT(checkStep(before, before, after, ended(Ending::RolledBack, Kind::Teardown)),
              IsEmpty());
}

// ---- checkStep: Done ----

TEST(CheckStepTest, CorrectDdaDeployIsFine) {
  const auto before = freshHost();
  auto after = ddaDeployed(before);
  after.vms[kEflow].config.state = VmState::Off; // run state is not checked for Done
  EXPECT_THAT(checkStep(before, before, after, ddaDeploy()), IsEmpty());
}

TEST(CheckStepTest, DdaDeployOfTwoGpusIsFine) {
  const auto before = freshHost();
  const auto after = ddaDeployed(ddaDeployed(before, kT4), kT4b);
  EXPECT_THAT(checkStep(before, before, after, ddaDeploy({kT4, kT4b})), IsEmpty());
}

TEST(CheckStepTest, CorrectGpuPvDeployIsFine) {
  const auto before = freshHost();
  EXPECT_THAT(checkStep(before, before, gpuPvDeployed(before), gpuPvDeploy()), IsEmpty());
}

TEST(CheckStepTest, CorrectTeardownRestoringOriginalsIsFine) {
  const auto original = freshHost();
  EXPECT_THAT(checkStep(original, ddaDeployed(original), original, teardown()), IsEmpty());
  EXPECT_THAT(checkStep(original, gpuPvDeployed(original), original, teardown()), IsEmpty());
}

TEST(CheckStepTest, TeardownThatLeavesSettingsAsDeployedIsFine) {
  const auto original = freshHost();
  const auto deployed = ddaDeployed(original);
  EXPECT_THAT(checkStep(original, deployed, ddaTornDownKeepingSettings(deployed), teardown()),
              IsEmpty());
}

TEST(CheckStepTest, DdaDeployThatTakesAnUnrequestedGpuMisplacesIt) {
  const auto before = freshHost();
  const auto after = ddaDeployed(ddaDeployed(before, kT4), kT4b);
  EXPECT_THAT(checkStep(before, before, after, ddaDeploy({kT4})),
              ElementsAre(violation("gpu-misplaced",
                                    "GPU \"NVIDIA Tesla T4\" at PCIROOT(0)#PCI(0400)#PCI(0000)",
                                    "on the host, enabled", "dismounted, assigned to EFLOW"),
                          violation("gpu-misplaced", "VM EFLOW assigned devices")));
}

TEST(CheckStepTest, DdaDeployThatLeavesTheGpuDisabledOnTheHostMisplacesIt) {
  const auto before = freshHost();
  auto after = before;
  gpu(after, kT4).enabled = false;
  EXPECT_THAT(checkStep(before, before, after, ddaDeploy()),
              ElementsAre(violation("gpu-misplaced", kT4, "on the host, enabled",
                                    "on the host, disabled")));
}

TEST(CheckStepTest, DdaDeployToTheWrongVmMisplacesTheGpu) {
  const auto before = freshHost();
  auto after = before;
  gpu(after, kT4).onHost = false;
  gpu(after, kT4).assignedTo = kOther;
  after.vms[kOther].assigned = {kT4};
  EXPECT_THAT(checkStep(before, before, after, ddaDeploy()),
              ElementsAre(violation("gpu-misplaced", kT4),
                          violation("gpu-misplaced", "VM OTHER assigned devices")));
}

TEST(CheckStepTest, DdaDeployThatTakesAnotherVmsGpuMisplacesIt) {
  auto before = freshHost();
  gpu(before, kT4b).onHost = false;
  gpu(before, kT4b).assignedTo = kOther;
  before.vms[kOther].assigned = {kT4b};
  auto after = ddaDeployed(before, kT4b);
  after.vms[kOther].assigned.clear();
  EXPECT_THAT(checkStep(before, before, after, ddaDeploy({kT4b})),
              ElementsAre(violation("gpu-misplaced", kT4b, "dismounted, assigned to OTHER",
                                    "dismounted, assigned to EFLOW"),
                          violation("gpu-misplaced", "VM OTHER assigned devices", kT4b, "none")));
}

TEST(CheckStepTest, GpuPvDeployThatDismountsTheGpuMisplacesIt) {
  const auto before = freshHost();
  auto after = gpuPvDeployed(before);
  gpu(after, kRtx).onHost = false;
  gpu(after, kRtx).assignedTo = kEflow;
  after.vms[kEflow].assigned = {kRtx};
  EXPECT_THAT(checkStep(before, before, after, gpuPvDeploy()),
              ElementsAre(violation("gpu-misplaced", "GeForce RTX 3060"),
                          violation("gpu-misplaced", "VM EFLOW assigned devices")));
}

TEST(CheckStepTest, TeardownThatReturnsTheGpuDisabledMisplacesIt) {
  const auto original = freshHost();
  const auto deployed = ddaDeployed(original);
  auto after = ddaTornDownKeepingSettings(deployed);
  gpu(after, kT4).enabled = false;
  EXPECT_THAT(checkStep(original, deployed, after, teardown()),
              ElementsAre(violation("gpu-misplaced", kT4, "dismounted, assigned to EFLOW",
                                    "on the host, disabled")));
}

TEST(CheckStepTest, TeardownThatTakesAnotherVmsGpuMisplacesIt) {
  auto original = freshHost();
  gpu(original, kT4b).onHost = false;
  gpu(original, kT4b).assignedTo = kOther;
  original.vms[kOther].assigned = {kT4b};
  const auto deployed = ddaDeployed(original);
  auto after = ddaTornDownKeepingSettings(deployed);
  after = ddaTornDownKeepingSettings(after, kT4b);
  after.vms[kOther].assigned.clear();
  EXPECT_THAT(checkStep(original, deployed, after, teardown()),
              ElementsAre(violation("gpu-misplaced", kT4b, "dismounted, assigned to OTHER",
                                    "on the host, enabled"),
                          violation("gpu-misplaced", "VM OTHER assigned devices", kT4b, "none")));
}

TEST(CheckStepTest, DeployThatChangesAnotherVmsSettingsIsCaught) {
  const auto before = freshHost();
  auto after = ddaDeployed(before);
  after.vms[kOther].config.mmio = kDdaMmio;
  after.vms[kOther].config.guestControlledCacheTypes = true;
  after.vms[kOther].adapterGpus = {kPartition};
  EXPECT_THAT(checkStep(before, before, after, ddaDeploy()),
              ElementsAre(violation("vm-settings", "VM OTHER MMIO"),
                          violation("vm-settings", "VM OTHER guest-controlled cache types"),
                          violation("vm-settings", "VM OTHER partition adapters")));
}

TEST(CheckStepTest, DeployThatShrinksMmioIsCaught) {
  auto before = freshHost();
  before.vms[kEflow].config.mmio = {3 * kGiB, 512 * kMiB};
  auto after = ddaDeployed(before);
  after.vms[kEflow].config.mmio = {2 * kGiB, 33280 * kMiB};
  EXPECT_THAT(checkStep(before, before, after, ddaDeploy()),
              ElementsAre(violation("vm-settings", "VM EFLOW MMIO", "3 GB low, 512 MB high",
                                    "2 GB low, 33280 MB high")));
}

TEST(CheckStepTest, DeployThatSetsAnotherStopActionIsCaught) {
  const auto before = freshHost();
  auto after = ddaDeployed(before);
  after.vms[kEflow].config.automaticStopAction = StopAction::ShutDown;
  EXPECT_THAT(
      checkStep(before, before, after, ddaDeploy()),
      ElementsAre(violation("vm-settings", "VM EFLOW automatic stop action", "Save", "ShutDown")));
}

TEST(CheckStepTest, DeployThatTurnsCacheTypesOffIsCaught) {
  auto before = freshHost();
  before.vms[kEflow].config.guestControlledCacheTypes = true;
  auto after = gpuPvDeployed(before);
  after.vms[kEflow].config.guestControlledCacheTypes = false;
  EXPECT_THAT(checkStep(before, before, after, gpuPvDeploy()),
              ElementsAre(violation("vm-settings", "VM EFLOW guest-controlled cache types",
                                    "enabled", "disabled")));
}

TEST(CheckStepTest, GpuPvDeployThatAddsTwoAdaptersIsCaught) {
  const auto before = freshHost();
  auto after = gpuPvDeployed(before);
  after.vms[kEflow].adapterGpus.push_back(kPartition);
  EXPECT_THAT(checkStep(before, before, after, gpuPvDeploy()),
              ElementsAre(violation("vm-settings", "VM EFLOW partition adapters")));
}

TEST(CheckStepTest, DdaDeployThatAddsAnAdapterIsCaught) {
  const auto before = freshHost();
  auto after = ddaDeployed(before);
  after.vms[kEflow].adapterGpus = {kPartition};
  EXPECT_THAT(
      checkStep(before, before, after, ddaDeploy()),
      ElementsAre(violation("vm-settings", "VM EFLOW partition adapters", "none", kPartition)));
}

TEST(CheckStepTest, TeardownThatSwapsAnAdapterIsCaught) {
  const auto original = freshHost();
  const auto deployed = gpuPvDeployed(original);
  auto after = original;
  after.vms[kEflow].adapterGpus = {"another partitionable GPU"};
  EXPECT_THAT(checkStep(original, deployed, after, teardown()),
              ElementsAre(violation("vm-settings", "VM EFLOW partition adapters")));
}

TEST(CheckStepTest, TeardownThatSetsNeitherBeforeNorOriginalSettingsIsCaught) {
  const auto original = freshHost();
  const auto deployed = ddaDeployed(original);
  auto after = ddaTornDownKeepingSettings(deployed);
  after.vms[kEflow].config.mmio = {1 * kGiB, 1 * kGiB};
  after.vms[kEflow].config.automaticStopAction = StopAction::ShutDown;
  EXPECT_THAT(
      checkStep(original, deployed, after, teardown()),
      ElementsAre(violation("vm-settings", "VM EFLOW automatic stop action", "TurnOff", "ShutDown"),
                  violation("vm-settings", "VM EFLOW MMIO", "3 GB low, 33280 MB high",
                            "1 GB low, 1 GB high")));
}

TEST(CheckStepTest, TeardownWithoutAnOriginalVmKeepsSettingsAsBefore) {
  HostState original; // the VM was created after the scenario's first snapshot
  auto deployed = ddaDeployed(freshHost());
  auto after = ddaTornDownKeepingSettings(deployed);
  EXPECT_THAT(checkStep(original, deployed, after, teardown()), IsEmpty());
  after.vms[kEflow].config.guestControlledCacheTypes = false;
  EXPECT_THAT(checkStep(original, deployed, after, teardown()),
              ElementsAre(violation("vm-settings", "VM EFLOW guest-controlled cache types")));
}

// ---- checkClean ----

TEST(CheckCleanTest, HostAfterTeardownIsClean) {
  const auto original = freshHost();
  EXPECT_THAT(checkClean(original, original), IsEmpty());
  EXPECT_THAT(checkClean(original, ddaTornDownKeepingSettings(ddaDeployed(original))), IsEmpty());
}

TEST(CheckCleanTest, GpuDisabledInTheOriginalMayStayDisabled) {
  auto original = freshHost();
  gpu(original, kRtx).enabled = false;
  EXPECT_THAT(checkClean(original, original), IsEmpty());
  auto after = original;
  gpu(after, kRtx).enabled = true;
  EXPECT_THAT(
      checkClean(original, after),
      ElementsAre(violation("not-clean", kRtx, "on the host, disabled", "on the host, enabled")));
}

TEST(CheckCleanTest, GpuLeftDisabledIsNotClean) {
  const auto original = freshHost();
  auto after = original;
  gpu(after, kT4).enabled = false;
  EXPECT_THAT(
      checkClean(original, after),
      ElementsAre(violation("not-clean", kT4, "on the host, enabled", "on the host, disabled")));
}

TEST(CheckCleanTest, GpuLeftOnTheVmIsNotClean) {
  const auto original = freshHost();
  EXPECT_THAT(checkClean(original, ddaDeployed(original)),
              ElementsAre(violation("not-clean", kT4, "on the host, enabled",
                                    "dismounted, assigned to EFLOW"),
                          violation("not-clean", "VM EFLOW assigned devices", "none", kT4)));
}

TEST(CheckCleanTest, LostGpuIsNotClean) {
  const auto original = freshHost();
  auto after = original;
  gpu(after, kT4).onHost = false;
  EXPECT_THAT(checkClean(original, after),
              ElementsAre(violation("gpu-lost", kT4), violation("not-clean", kT4)));
}

TEST(CheckCleanTest, PartitionAdapterLeftIsNotClean) {
  const auto original = freshHost();
  EXPECT_THAT(
      checkClean(original, gpuPvDeployed(original)),
      ElementsAre(violation("not-clean", "VM EFLOW partition adapters", "none", kPartition)));
}

TEST(CheckCleanTest, SettingsNeitherOriginalNorDeployedAreNotClean) {
  auto original = freshHost();
  original.vms[kEflow].config.guestControlledCacheTypes = true;
  auto after = original;
  after.vms[kEflow].config.automaticStopAction = StopAction::ShutDown;
  after.vms[kEflow].config.mmio = {64 * kMiB, 512 * kMiB};
  after.vms[kEflow].config.guestControlledCacheTypes = false;
  EXPECT_THAT(
      checkClean(original, after),
      ElementsAre(
          violation("not-clean", "VM EFLOW automatic stop action", "Save", "ShutDown"),
          violation("not-clean", "VM EFLOW MMIO", "128 MB low, 512 MB high",
                    "64 MB low, 512 MB high"),
          violation("not-clean", "VM EFLOW guest-controlled cache types", "enabled", "disabled")));
}

TEST(CheckCleanTest, RunStateIsNotPartOfClean) {
  const auto original = freshHost();
  auto after = original;
  after.vms[kEflow].config.state = VmState::Off;
  EXPECT_THAT(checkClean(original, after), IsEmpty());
}

} // namespace
} // namespace hil::flows
