#include "simulators/sim_eflow.h"

#include <filesystem>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "framework/data/catalog.h"
#include "framework/platform/operations.h"
#include "framework/scenario/scenario.h"
#include "tests/support/hosts.h"
#include "tests/support/temp_dir.h"

namespace hil::simulators {
namespace {

using platform::EflowGpuRequest;
using platform::kDefaultMmio;
using platform::StopAction;
using platform::Technique;
using platform::VmState;
using scenario::HostSpec;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr const char* kVm = "EFLOW";
constexpr const char* kT4 = "NVIDIA Tesla T4";
constexpr const char* kGeForce = "NVIDIA GeForce RTX 3060";

EflowGpuRequest request(Technique technique, const char* name, int count = 1) {
  EflowGpuRequest r;
  r.technique = technique;
  r.gpuName = name;
  r.gpuCount = count;
  return r;
}

const data::GpuModel& model(const char* id) { return *data::GpuCatalog::builtin().find(id); }

/// The host-changing operations the host saw, in order.
std::vector<std::string> changes(const SimHost& host) {
  std::vector<std::string> ops;
  for (const auto& [op, occurrence] : host.reached()) {
    if (const auto known = platform::findOperation(op); known && known->mutating) {
      ops.push_back(op);
    }
  }
  return ops;
}

struct Fixture : ::testing::Test {
  explicit Fixture(HostSpec spec = test_hosts::t4Server(true))
      : host(spec, data::GpuCatalog::builtin(), 1), eflow(host, kVm, dir.path().string()) {}
  SimVm& vm() { return *host.vm(kVm); }

  test_support::TempDir dir{"hil-sim-eflow"};
  SimHost host;
  SimEflow eflow;
};

struct SimEflowDda : Fixture {};

TEST_F(SimEflowDda, RunsTheDocumentedStepsAndSizesMmioFromTheCatalog) {
  ASSERT_TRUE(eflow.setGpu(request(Technique::DirectDeviceAssignment, kT4)).has_value());

  EXPECT_THAT(changes(host), ElementsAre("hyperv.stop-vm", "hyperv.set-vm-automatic-stop-action",
                                         "hyperv.set-vm-memory-mapped-io",
                                         "hyperv.set-vm-guest-controlled-cache-types",
                                         "pnp.disable-device", "hyperv.dismount-host-device",
                                         "hyperv.add-assignable-device", "hyperv.start-vm"));
  const auto& t4 = model("tesla-t4");
  EXPECT_EQ(vm().config.state, VmState::Running);
  EXPECT_EQ(vm().config.automaticStopAction, StopAction::TurnOff);
  EXPECT_EQ(vm().config.mmio.low, kDefaultMmio.low + t4.lowMmioNeed());
  EXPECT_EQ(vm().config.mmio.high, kDefaultMmio.high + t4.highMmioNeed());
  EXPECT_TRUE(vm().config.guestControlledCacheTypes);
  EXPECT_THAT(vm().assigned, ElementsAre(host.gpus[0].location));
  EXPECT_FALSE(host.gpus[0].mounted);
  EXPECT_TRUE(std::filesystem::exists(eflow.settingsFile()));
}

TEST_F(SimEflowDda, WithoutGpuArgumentsGivesTheGpuBackAndRestoresTheSettings) {
  ASSERT_TRUE(eflow.setGpu(request(Technique::DirectDeviceAssignment, kT4)).has_value());
  ASSERT_TRUE(eflow.setGpu(EflowGpuRequest{}).has_value());

  EXPECT_EQ(vm().config.state, VmState::Running);
  EXPECT_EQ(vm().config.automaticStopAction, StopAction::Save);
  EXPECT_EQ(vm().config.mmio, kDefaultMmio);
  EXPECT_FALSE(vm().config.guestControlledCacheTypes);
  EXPECT_THAT(vm().assigned, IsEmpty());
  EXPECT_TRUE(host.gpus[0].mounted);
  EXPECT_TRUE(host.gpus[0].enabled);
  EXPECT_FALSE(std::filesystem::exists(eflow.settingsFile()));
}

TEST_F(SimEflowDda, TheSameGpuAgainChangesNothing) {
  ASSERT_TRUE(eflow.setGpu(request(Technique::DirectDeviceAssignment, kT4)).has_value());
  const auto before = changes(host).size();
  ASSERT_TRUE(eflow.setGpu(request(Technique::DirectDeviceAssignment, kT4)).has_value());
  EXPECT_EQ(changes(host).size(), before);
  EXPECT_THAT(vm().assigned, ElementsAre(host.gpus[0].location));
}

TEST_F(SimEflowDda, AFailedStepLeavesTheHostAsFarAsItGot) {
  // EFLOW documents no rollback: its caller puts the host back.
  host.setFaults({{"hyperv.add-assignable-device", scenario::FaultKind::Error, 1}});
  auto done = eflow.setGpu(request(Technique::DirectDeviceAssignment, kT4));
  ASSERT_FALSE(done.has_value());
  EXPECT_EQ(done.error().code, ErrorCode::OperationFailed);
  EXPECT_EQ(vm().config.state, VmState::Off);
  EXPECT_FALSE(host.gpus[0].mounted);
  EXPECT_THAT(vm().assigned, IsEmpty());
}

TEST_F(SimEflowDda, TheRefusalsChangeNothing) {
  struct Case {
    EflowGpuRequest request;
    ErrorCode code;
  };
  auto notHeadless = request(Technique::DirectDeviceAssignment, kT4);
  notHeadless.headless = false;
  const std::vector<Case> cases = {
      {request(Technique::DirectDeviceAssignment, "NVIDIA A2"), ErrorCode::GpuNotFound},
      {request(Technique::DirectDeviceAssignment, kT4, 2), ErrorCode::GpuCount},
      {request(Technique::DirectDeviceAssignment, kT4, 0), ErrorCode::GpuCount},
      {request(Technique::ParaVirtualization, kT4, 2), ErrorCode::GpuCount},
      // A T4 is not partitionable.
      {request(Technique::ParaVirtualization, kT4), ErrorCode::MethodNotSupported},
  };
  for (const auto& c : cases) {
    auto done = eflow.setGpu(c.request);
    ASSERT_FALSE(done.has_value()) << c.request.gpuName << " x" << c.request.gpuCount;
    EXPECT_EQ(done.error().code, c.code) << done.error().describe();
  }
  EXPECT_THAT(changes(host), IsEmpty());
  EXPECT_EQ(vm().config.state, VmState::Running);
  EXPECT_FALSE(std::filesystem::exists(eflow.settingsFile()));
}

struct SimEflowNoMitigation : Fixture {
  SimEflowNoMitigation() : Fixture(twoT4sWithoutMitigation()) {}
  static HostSpec twoT4sWithoutMitigation() {
    auto spec = test_hosts::t4Server(false);
    spec.gpus.front().count = 2;
    return spec;
  }
};

TEST_F(SimEflowNoMitigation, ASecurityWarningNeedsHeadless) {
  auto r = request(Technique::DirectDeviceAssignment, kT4, 2);
  r.headless = false;
  auto refused = eflow.setGpu(r);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::InvalidRequest);
  EXPECT_THAT(changes(host), IsEmpty());

  r.headless = true;
  ASSERT_TRUE(eflow.setGpu(r).has_value());
  EXPECT_THAT(vm().assigned, ElementsAre(host.gpus[0].location, host.gpus[1].location));
  const auto& t4 = model("tesla-t4");
  EXPECT_EQ(vm().config.mmio.high, kDefaultMmio.high + 2 * t4.highMmioNeed());
}

struct SimEflowGpuPv : Fixture {
  SimEflowGpuPv() : Fixture(test_hosts::geforceWorkstation()) {}
};

TEST_F(SimEflowGpuPv, AddsAPartitionAdapterAndTakesItOffAgain) {
  ASSERT_TRUE(eflow.setGpu(request(Technique::ParaVirtualization, kGeForce)).has_value());
  EXPECT_THAT(changes(host),
              ElementsAre("hyperv.stop-vm", "hyperv.set-vm-automatic-stop-action",
                          "hyperv.add-gpu-partition-adapter", "hyperv.set-vm-memory-mapped-io",
                          "hyperv.set-vm-guest-controlled-cache-types", "hyperv.start-vm"));
  ASSERT_EQ(vm().adapters.size(), 1u);
  EXPECT_EQ(vm().adapters.front().instancePath, host.gpus[0].interfacePath);
  EXPECT_TRUE(host.gpus[0].mounted);
  EXPECT_EQ(vm().config.state, VmState::Running);

  ASSERT_TRUE(eflow.setGpu(EflowGpuRequest{}).has_value());
  EXPECT_THAT(vm().adapters, IsEmpty());
  EXPECT_EQ(vm().config.mmio, kDefaultMmio);
}

TEST_F(SimEflowGpuPv, AnotherTechniqueReplacesTheGpuTheVmHeld) {
  ASSERT_TRUE(eflow.setGpu(request(Technique::ParaVirtualization, kGeForce)).has_value());
  ASSERT_TRUE(eflow.setGpu(request(Technique::DirectDeviceAssignment, kGeForce)).has_value());
  EXPECT_THAT(vm().adapters, IsEmpty());
  EXPECT_THAT(vm().assigned, ElementsAre(host.gpus[0].location));
}

} // namespace
} // namespace hil::simulators
