#include "framework/runner/sweep.h"

#include <map>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "framework/data/catalog.h"
#include "framework/data/rules.h"
#include "simulators/sim_backend.h"
#include "tests/mocks/platform_mocks.h"

namespace hil::runner {
namespace {

using ::testing::_;
using ::testing::Contains;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::NiceMock;

// Deploys a T4 and stops there: the flow itself never mounts a device back, only a rollback
// (and the sweep's final teardown) does.
constexpr const char* kT4Deploy = R"(<scenario name="t4-deploy">
  <description>T4 DDA deploy only.</description>
  <host>
    <windows edition="server" build="17763"/>
    <gpu model="tesla-t4" mitigation-driver="true"/>
  </host>
  <steps>
    <deploy gpu-name="NVIDIA Tesla T4"/>
    <expect result="ok" vm-gpu="dda"/>
  </steps>
</scenario>)";

/// The simulator, with one undo step deliberately broken in a test double: Hyper-V's
/// Mount-VMHostAssignableDevice reports success and does nothing. Everything else delegates to
/// the real simulated seam (the gMock cookbook's "delegating calls to a real object").
class BrokenMountBackend : public Backend {
public:
  BrokenMountBackend(const scenario::Scenario& s, std::uint64_t seed,
                     const std::vector<scenario::FaultSpec>& faults)
      : sim_(s.host, data::GpuCatalog::builtin(), seed) {
    if (!faults.empty()) {
      sim_.host().setFaults(simulators::combineFaults(faults, s.host.faults));
    }
    auto& real = sim_.platform().hyperv;
    ON_CALL(hyperv_, vmConfig).WillByDefault([&real](const auto& vm) { return real.vmConfig(vm); });
    ON_CALL(hyperv_, startVm).WillByDefault([&real](const auto& vm) { return real.startVm(vm); });
    ON_CALL(hyperv_, stopVm).WillByDefault([&real](const auto& vm) { return real.stopVm(vm); });
    ON_CALL(hyperv_, setAutomaticStopAction).WillByDefault([&real](const auto& vm, auto action) {
      return real.setAutomaticStopAction(vm, action);
    });
    ON_CALL(hyperv_, setMemoryMappedIo).WillByDefault([&real](const auto& vm, auto space) {
      return real.setMemoryMappedIo(vm, space);
    });
    ON_CALL(hyperv_, setGuestControlledCacheTypes).WillByDefault([&real](const auto& vm, bool on) {
      return real.setGuestControlledCacheTypes(vm, on);
    });
    ON_CALL(hyperv_, hostAssignableDevices).WillByDefault([&real] {
      return real.hostAssignableDevices();
    });
    ON_CALL(hyperv_, dismountHostDevice).WillByDefault([&real](const auto& device, bool force) {
      return real.dismountHostDevice(device, force);
    });
    ON_CALL(hyperv_, mountHostDevice).WillByDefault([](const auto&) { return Result<void>{}; });
    ON_CALL(hyperv_, assignableDevices).WillByDefault([&real](const auto& vm) {
      return real.assignableDevices(vm);
    });
    ON_CALL(hyperv_, addAssignableDevice).WillByDefault([&real](const auto& vm, const auto& d) {
      return real.addAssignableDevice(vm, d);
    });
    ON_CALL(hyperv_, removeAssignableDevice).WillByDefault([&real](const auto& vm, const auto& d) {
      return real.removeAssignableDevice(vm, d);
    });
    ON_CALL(hyperv_, partitionableGpus).WillByDefault([&real] { return real.partitionableGpus(); });
    ON_CALL(hyperv_, gpuPartitionAdapters).WillByDefault([&real](const auto& vm) {
      return real.gpuPartitionAdapters(vm);
    });
    ON_CALL(hyperv_, addGpuPartitionAdapter).WillByDefault([&real](const auto& vm, const auto& p) {
      return real.addGpuPartitionAdapter(vm, p);
    });
    ON_CALL(hyperv_, removeGpuPartitionAdapter)
        .WillByDefault([&real](const auto& vm, const auto& id) {
          return real.removeGpuPartitionAdapter(vm, id);
        });
  }

  platform::Platform platform() override {
    auto real = sim_.platform();
    return {real.host, real.pnp, hyperv_, real.drivers, real.guest};
  }
  const Clock& clock() const override { return sim_.clock(); }
  void setLog(Log* log) override { sim_.setLog(log); }
  Result<Observation> observe(const platform::VmName& vm) override { return sim_.observe(vm); }
  platform::HostState snapshot() override { return sim_.snapshot(); }
  FaultControl* faults() override { return sim_.faults(); }

private:
  simulators::SimBackend sim_;
  NiceMock<test_mocks::MockHyperV> hyperv_;
};

class BrokenMountFactory : public BackendFactory {
public:
  std::string name() const override { return "sim"; }
  Result<std::unique_ptr<Backend>>
  create(const scenario::Scenario& s, std::uint64_t seed,
         const std::vector<scenario::FaultSpec>& faults) const override {
    return std::make_unique<BrokenMountBackend>(s, seed, faults);
  }
};

class SweepTest : public ::testing::Test {
protected:
  SweepTest() {
    for (const auto name : data::RulesProfile::builtinNames()) {
      builtins_.emplace(std::string{name}, *data::RulesProfile::builtin(name));
    }
    auto parsed = scenario::parseScenarioFile(kT4Deploy, "mem/t4-deploy.xml", catalog_);
    EXPECT_TRUE(parsed.has_value());
    suites_.push_back({"t4-deploy", std::move(*parsed)});
  }

  SweepReport sweepWith(const BackendFactory& factory, int jobs = 1) {
    Runner runner{factory, catalog_, builtins_.at("eflow-2021-preview"), builtins_, clock_};
    SweepOptions options;
    options.jobs = jobs;
    return sweep(runner, suites_, options);
  }

  const data::GpuCatalog& catalog_ = data::GpuCatalog::builtin();
  std::map<std::string, data::RulesProfile> builtins_;
  std::vector<SuiteInput> suites_;
  ManualClock clock_;
};

TEST_F(SweepTest, TheRealSimulatorHasNoViolations) {
  simulators::SimBackendFactory factory{catalog_};
  const auto result = sweepWith(factory);
  EXPECT_EQ(result.scenarios, 1);
  EXPECT_GT(result.faultRuns, 40);
  EXPECT_EQ(result.violations, 0);
  EXPECT_EQ(result.cleanFailures, 0);
  // Four kinds at every reached operation: error, hang, crash before, crash after.
  EXPECT_EQ(result.faultRuns % 4, 0);
}

TEST_F(SweepTest, ABrokenUndoStepIsFound) {
  BrokenMountFactory factory;
  const auto result = sweepWith(factory);
  EXPECT_EQ(result.cleanFailures, 0) << "the deploy alone never mounts";
  EXPECT_GT(result.violations, 0);
  ASSERT_EQ(result.report.suites.size(), 1u);
  const auto& cases = result.report.suites[0].cases;
  // A fault after the dismount makes the rollback mount the T4 back; the broken mount leaves
  // it dismounted and assigned to no VM.
  EXPECT_THAT(cases, Contains(Field(&CaseResult::failureType, "gpu-lost")));
  bool named = false;
  for (const auto& c : cases) {
    if (c.name == "t4-deploy hyperv.add-assignable-device:1:error") {
      named = true;
      EXPECT_EQ(c.status, CaseStatus::Failed);
      EXPECT_THAT(c.failureDetail, HasSubstr("gpu-lost"));
    }
  }
  EXPECT_TRUE(named);
}

TEST_F(SweepTest, JobsDoNotChangeTheSweep) {
  simulators::SimBackendFactory factory{catalog_};
  const auto serial = sweepWith(factory, 1);
  const auto parallel = sweepWith(factory, 3);
  ASSERT_EQ(serial.report.total(), parallel.report.total());
  for (std::size_t s = 0; s < serial.report.suites.size(); ++s) {
    const auto& a = serial.report.suites[s].cases;
    const auto& b = parallel.report.suites[s].cases;
    for (std::size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].name, b[i].name);
      EXPECT_EQ(a[i].status, b[i].status);
      EXPECT_EQ(a[i].log, b[i].log);
    }
  }
}

TEST(FaultPlansTest, FourKindsPerReachedOperationPlusRandomPlans) {
  const std::vector<std::pair<std::string, int>> reached = {
      {"hyperv.stop-vm", 1}, {"pnp.disable-device", 1}, {"hyperv.start-vm", 1}};
  const auto single = faultPlans(reached, 0, 7);
  ASSERT_EQ(single.size(), 12u);
  EXPECT_EQ(single[0].front().describe(), "hyperv.stop-vm:1:error");
  EXPECT_EQ(single[1].front().describe(), "hyperv.stop-vm:1:hang");
  EXPECT_EQ(single[2].front().describe(), "hyperv.stop-vm:1:crash-before");
  EXPECT_EQ(single[3].front().describe(), "hyperv.stop-vm:1:crash-after");
  const auto withRandom = faultPlans(reached, 5, 7);
  ASSERT_EQ(withRandom.size(), 17u);
  for (std::size_t i = 12; i < withRandom.size(); ++i) {
    EXPECT_GE(withRandom[i].size(), 1u);
    EXPECT_LE(withRandom[i].size(), 3u);
  }
  // Seeded: the same seed, the same plans.
  const auto again = faultPlans(reached, 5, 7);
  for (std::size_t i = 0; i < again.size(); ++i) {
    ASSERT_EQ(again[i].size(), withRandom[i].size());
    for (std::size_t f = 0; f < again[i].size(); ++f) {
      EXPECT_EQ(again[i][f].describe(), withRandom[i][f].describe());
    }
  }
  EXPECT_TRUE(faultPlans({}, 5, 7).empty());
}

} // namespace
} // namespace hil::runner
