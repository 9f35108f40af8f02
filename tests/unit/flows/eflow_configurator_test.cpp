#include "framework/flows/eflow_configurator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "framework/flows/deployer.h"
#include "framework/flows/invariants.h"
#include "framework/flows/recovery.h"
#include "simulators/sim_backend.h"
#include "tests/support/hosts.h"

namespace hil::flows {
namespace {

using ::testing::_;
using ::testing::Field;
using ::testing::Invoke;
using ::testing::StrictMock;

class MockEflow : public platform::Eflow {
public:
  MOCK_METHOD(Result<void>, setGpu, (const platform::EflowGpuRequest&), (override));
};

/// EFLOW as it behaves: Set-EflowVM configures the host the way our own flows do.
class EflowConfiguratorTest : public ::testing::Test {
protected:
  EflowConfiguratorTest() {
    ON_CALL(eflow_, setGpu).WillByDefault(Invoke([this](const platform::EflowGpuRequest& r) {
      Deployer deployer{sim_.platform(), catalog_, rules_, log_};
      if (!r.technique) {
        return deployer.teardown("EFLOW").status;
      }
      DeployRequest request;
      request.passthrough = *r.technique == platform::Technique::DirectDeviceAssignment
                                ? DeployRequest::Passthrough::DirectDeviceAssignment
                                : DeployRequest::Passthrough::ParaVirtualization;
      request.gpuName = r.gpuName;
      request.gpuCount = r.gpuCount;
      return deployer.deploy(request).status;
    }));
  }

  DeployRequest t4() {
    DeployRequest r;
    r.gpuName = "NVIDIA Tesla T4";
    return r;
  }

  const data::GpuCatalog& catalog_ = data::GpuCatalog::builtin();
  data::RulesProfile rules_ = *data::RulesProfile::builtin("eflow-2021-preview");
  simulators::SimBackend sim_{test_hosts::t4Server(/*mitigationDriver=*/true), catalog_, 1};
  Log log_;
  StrictMock<MockEflow> eflow_;
  EflowConfigurator configurator_{sim_.platform(), eflow_, catalog_, rules_, log_};
};

TEST_F(EflowConfiguratorTest, DeployAsksSetEflowVmAndChecksTheResult) {
  EXPECT_CALL(eflow_,
              setGpu(::testing::AllOf(Field(&platform::EflowGpuRequest::gpuName, "NVIDIA Tesla T4"),
                                      Field(&platform::EflowGpuRequest::gpuCount, 1),
                                      Field(&platform::EflowGpuRequest::headless, true))));
  const auto before = sim_.snapshot();

  const auto outcome = configurator_.deploy(t4());

  ASSERT_TRUE(outcome.status.has_value()) << outcome.status.error().describe();
  EXPECT_EQ(outcome.method, "DirectDeviceAssignment");
  ASSERT_EQ(outcome.gpus.size(), 1u);
  StepRecord done;
  done.technique = platform::Technique::DirectDeviceAssignment;
  done.gpus = outcome.gpus;
  EXPECT_TRUE(checkStep(before, before, sim_.snapshot(), done).empty());
}

TEST_F(EflowConfiguratorTest, ARejectedRequestNeverReachesEflow) {
  // StrictMock: no setGpu call is expected.
  auto request = t4();
  request.gpuCount = 2;
  const auto outcome = configurator_.deploy(request);
  ASSERT_FALSE(outcome.status.has_value());
  EXPECT_EQ(outcome.status.error().code, ErrorCode::GpuCount);
}

TEST_F(EflowConfiguratorTest, TeardownRemovesTheGpuWithSetEflowVmWithoutGpuArguments) {
  EXPECT_CALL(eflow_, setGpu(_)).Times(2);
  ASSERT_TRUE(configurator_.deploy(t4()).status.has_value());
  const auto outcome = configurator_.teardown("EFLOW");
  ASSERT_TRUE(outcome.status.has_value()) << outcome.status.error().describe();
  EXPECT_EQ(sim_.snapshot().vms.at("EFLOW").assigned.size(), 0u);
  // Nothing deployed: nothing asked of EFLOW.
  EXPECT_TRUE(configurator_.teardown("EFLOW").changedNothing);
}

TEST_F(EflowConfiguratorTest, ARepeatedDeployChangesNothingAndAsksEflowNothing) {
  EXPECT_CALL(eflow_, setGpu(_)).Times(1);
  ASSERT_TRUE(configurator_.deploy(t4()).status.has_value());
  const auto before = sim_.snapshot();

  const auto again = configurator_.deploy(t4());

  ASSERT_TRUE(again.status.has_value()) << again.status.error().describe();
  EXPECT_TRUE(again.changedNothing);
  EXPECT_EQ(again.method, "DirectDeviceAssignment");
  EXPECT_EQ(sim_.snapshot(), before);
}

TEST_F(EflowConfiguratorTest, AnotherTechniqueOverADeploymentIsRefusedBeforeEflowIsAsked) {
  EXPECT_CALL(eflow_, setGpu(_)).Times(1);
  ASSERT_TRUE(configurator_.deploy(t4()).status.has_value());
  const auto before = sim_.snapshot();
  auto request = t4();
  request.passthrough = DeployRequest::Passthrough::ParaVirtualization;

  const auto outcome = configurator_.deploy(request);

  ASSERT_FALSE(outcome.status.has_value());
  EXPECT_EQ(outcome.status.error().code, ErrorCode::InvalidRequest);
  EXPECT_THAT(outcome.status.error().message, ::testing::HasSubstr("tear down first"));
  EXPECT_EQ(sim_.snapshot(), before);
}

TEST_F(EflowConfiguratorTest, ASuccessThatLeavesNoGpuIsCaughtAndRolledBack) {
  // EFLOW half did it: the VM stopped and resized, the T4 disabled and dismounted, then it
  // claimed success. The journal gpu-hil kept before asking takes all of it back.
  const auto before = sim_.snapshot();
  EXPECT_CALL(eflow_, setGpu(_)).WillOnce(Invoke([this](const auto&) -> Result<void> {
    auto p = sim_.platform();
    const auto location = sim_.snapshot().gpus.front().location;
    const auto id = p.pnp.displayDevices()->front().instanceId;
    HIL_TRY(p.hyperv.stopVm("EFLOW"));
    HIL_TRY(p.hyperv.setMemoryMappedIo("EFLOW", {3ull << 30, 33280ull << 20}));
    HIL_TRY(p.pnp.disableDevice(id));
    HIL_TRY(p.hyperv.dismountHostDevice(location, false));
    return {};
  }));

  const auto outcome = configurator_.deploy(t4());

  ASSERT_FALSE(outcome.status.has_value());
  EXPECT_EQ(outcome.status.error().code, ErrorCode::OperationFailed);
  EXPECT_FALSE(outcome.rolledBack.empty());
  EXPECT_TRUE(outcome.gpus.empty());
  EXPECT_EQ(sim_.snapshot(), before);
  EXPECT_TRUE(configurator_.journal().empty());
}

TEST_F(EflowConfiguratorTest, AControllerKilledDuringSetEflowVmIsRecoveredFromItsJournal) {
  flows::MemoryFlowStore store;
  EflowConfigurator configurator{sim_.platform(), eflow_, catalog_, rules_, log_, &store};
  const auto before = sim_.snapshot();
  struct Killed {};
  EXPECT_CALL(eflow_, setGpu(_)).WillOnce(Invoke([this](const auto&) -> Result<void> {
    auto p = sim_.platform();
    const auto location = sim_.snapshot().gpus.front().location;
    HIL_TRY(p.hyperv.stopVm("EFLOW"));
    HIL_TRY(p.pnp.disableDevice(p.pnp.displayDevices()->front().instanceId));
    HIL_TRY(p.hyperv.dismountHostDevice(location, false));
    throw Killed{}; // the controller dies with the T4 dismounted and assigned to no VM
  }));
  EXPECT_THROW((void)configurator.deploy(t4()), Killed);
  ASSERT_NE(sim_.snapshot(), before);

  auto platform = sim_.platform();
  const auto recovery = flows::recover(platform, store, log_);

  ASSERT_TRUE(recovery.has_value()) << recovery.error().describe();
  EXPECT_TRUE(recovery->needed);
  EXPECT_EQ(sim_.snapshot(), before);
}

TEST_F(EflowConfiguratorTest, AFailedTeardownIsRolledBackToTheDeployment) {
  EXPECT_CALL(eflow_, setGpu(_)).Times(1);
  ASSERT_TRUE(configurator_.deploy(t4()).status.has_value());
  const auto deployed = sim_.snapshot();
  // EFLOW took the T4 off the VM and failed before giving it back to the host.
  EXPECT_CALL(eflow_, setGpu(Field(&platform::EflowGpuRequest::technique, std::nullopt)))
      .WillOnce(Invoke([this](const auto&) -> Result<void> {
        auto p = sim_.platform();
        HIL_TRY(p.hyperv.stopVm("EFLOW"));
        HIL_TRY(p.hyperv.removeAssignableDevice("EFLOW", sim_.snapshot().gpus.front().location));
        return fail(ErrorCode::OperationFailed, "Set-EflowVM : mounting the device failed");
      }));

  const auto outcome = configurator_.teardown("EFLOW");

  ASSERT_FALSE(outcome.status.has_value());
  EXPECT_EQ(outcome.status.error().code, ErrorCode::OperationFailed);
  EXPECT_EQ(sim_.snapshot(), deployed);
}

TEST_F(EflowConfiguratorTest, EflowsOwnFailureKeepsItsCode) {
  EXPECT_CALL(eflow_, setGpu(_)).WillOnce(Invoke([](const auto&) -> Result<void> {
    return fail(ErrorCode::Timeout, "Set-EflowVM did not finish");
  }));
  const auto outcome = configurator_.deploy(t4());
  ASSERT_FALSE(outcome.status.has_value());
  EXPECT_EQ(outcome.status.error().code, ErrorCode::Timeout);
}

} // namespace
} // namespace hil::flows
