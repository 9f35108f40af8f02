// A crash at every mutating operation of both flows, before and after the operation took
// effect: recovery from the persisted journal brings the host back to where it was.
#include "framework/flows/recovery.h"

#include <string>
#include <string_view>
#include <tuple>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "framework/core/crash.h"
#include "framework/data/catalog.h"
#include "framework/data/rules.h"
#include "framework/flows/deployer.h"
#include "framework/flows/invariants.h"
#include "framework/platform/operations.h"
#include "simulators/sim_backend.h"
#include "tests/support/hosts.h"

namespace hil::flows {
namespace {

using scenario::FaultKind;
using scenario::FaultSpec;
using ::testing::IsEmpty;

DeployRequest request(const char* name) {
  DeployRequest r;
  r.gpuName = name;
  return r;
}

struct CrashCase {
  const char* op;
  bool after;
  bool gpuPv;
};

std::string caseName(const testing::TestParamInfo<CrashCase>& info) {
  std::string name = std::string{info.param.gpuPv ? "GpuPv_" : "Dda_"} + info.param.op +
                     (info.param.after ? "_after" : "_before");
  for (auto& c : name) {
    c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  }
  return name;
}

class CrashRecoveryTest : public testing::TestWithParam<CrashCase> {};

TEST_P(CrashRecoveryTest, RecoveryRollsTheHostBack) {
  const auto& param = GetParam();
  auto spec = param.gpuPv ? test_hosts::geforceWorkstation() : test_hosts::t4Server();
  spec.faults.push_back(FaultSpec{param.op, FaultKind::Crash, 1, param.after, 0});
  simulators::SimBackend sim{spec, data::GpuCatalog::builtin(), 1};
  const auto rules = *data::RulesProfile::builtin("eflow-2021-preview");
  const auto original = sim.snapshot();
  MemoryFlowStore store; // what a crashed process leaves behind
  Log log;
  {
    Deployer deployer{sim.platform(), data::GpuCatalog::builtin(), rules, log, &store};
    const auto* name = param.gpuPv ? "NVIDIA GeForce RTX 3060" : "NVIDIA Tesla T4";
    EXPECT_THROW(
        {
          (void)deployer.deploy(request(name));
          sim.checkpoint();
        },
        SimulatedCrash);
  }
  const auto state = store.load();
  ASSERT_TRUE(state.has_value());
  ASSERT_TRUE(state->journal.has_value()) << "the journal is written before each mutating step";
  EXPECT_FALSE(state->journal->undo.empty());

  auto platform = sim.platform();
  const auto recovered = recover(platform, store, log);
  ASSERT_TRUE(recovered.has_value()) << recovered.error().describe();
  EXPECT_TRUE(recovered->needed);
  EXPECT_EQ(recovered->flow, "deploy");
  StepRecord rolledBack;
  rolledBack.ending = StepRecord::Ending::RolledBack;
  EXPECT_THAT(checkStep(original, original, sim.snapshot(), rolledBack), IsEmpty());
  EXPECT_FALSE(store.load()->journal.has_value()) << "recovery clears the journal";

  // Nothing left to recover, and the host deploys and tears down normally afterwards.
  EXPECT_FALSE(recover(platform, store, log)->needed);
  Deployer again{sim.platform(), data::GpuCatalog::builtin(), rules, log, &store};
  const auto* name = param.gpuPv ? "NVIDIA GeForce RTX 3060" : "NVIDIA Tesla T4";
  EXPECT_TRUE(again.deploy(request(name)).status.has_value());
  EXPECT_TRUE(again.teardown("EFLOW").status.has_value());
  EXPECT_THAT(checkClean(original, sim.snapshot()), IsEmpty());
}

// guest.run is the flows' last operation: a crash after it finds the flow finished (see
// ACrashAfterTheLastOperationFindsTheFlowFinished).
std::vector<CrashCase> crashCases() {
  std::vector<CrashCase> cases;
  for (const bool after : {false, true}) {
    for (const auto* op :
         {"hyperv.stop-vm", "hyperv.set-vm-automatic-stop-action", "hyperv.set-vm-memory-mapped-io",
          "hyperv.set-vm-guest-controlled-cache-types", "pnp.disable-device",
          "hyperv.dismount-host-device", "hyperv.add-assignable-device", "hyperv.start-vm",
          "guest.run"}) {
      if (!after || std::string_view{op} != "guest.run") {
        cases.push_back({op, after, false});
      }
    }
    for (const auto* op : {"hyperv.stop-vm", "hyperv.add-gpu-partition-adapter",
                           "hyperv.set-vm-memory-mapped-io", "hyperv.start-vm", "guest.run"}) {
      if (!after || std::string_view{op} != "guest.run") {
        cases.push_back({op, after, true});
      }
    }
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(EveryMutatingStep, CrashRecoveryTest, testing::ValuesIn(crashCases()),
                         caseName);

TEST(RecoveryTest, ATeardownCutShortIsRolledBackToTheDeployment) {
  auto spec = test_hosts::t4Server();
  spec.faults.push_back(FaultSpec{"hyperv.mount-host-device", FaultKind::Crash, 1, true, 0});
  simulators::SimBackend sim{spec, data::GpuCatalog::builtin(), 1};
  const auto rules = *data::RulesProfile::builtin("eflow-2021-preview");
  MemoryFlowStore store;
  Log log;
  Deployer deployer{sim.platform(), data::GpuCatalog::builtin(), rules, log, &store};
  ASSERT_TRUE(deployer.deploy(request("NVIDIA Tesla T4")).status.has_value());
  const auto deployed = sim.snapshot();
  EXPECT_THROW((void)deployer.teardown("EFLOW"), SimulatedCrash);

  auto platform = sim.platform();
  const auto recovered = recover(platform, store, log);
  ASSERT_TRUE(recovered.has_value());
  EXPECT_EQ(recovered->flow, "teardown");
  StepRecord rolledBack;
  rolledBack.kind = StepRecord::Kind::Teardown;
  rolledBack.ending = StepRecord::Ending::RolledBack;
  EXPECT_THAT(checkStep(deployed, deployed, sim.snapshot(), rolledBack), IsEmpty());
}

TEST(RecoveryTest, ACrashAfterTheLastOperationFindsTheFlowFinished) {
  auto spec = test_hosts::t4Server();
  spec.faults.push_back(FaultSpec{"guest.run", FaultKind::Crash, 1, true, 0});
  simulators::SimBackend sim{spec, data::GpuCatalog::builtin(), 1};
  const auto rules = *data::RulesProfile::builtin("eflow-2021-preview");
  MemoryFlowStore store;
  Log log;
  Deployer deployer{sim.platform(), data::GpuCatalog::builtin(), rules, log, &store};
  EXPECT_THROW(
      {
        (void)deployer.deploy(request("NVIDIA Tesla T4"));
        sim.checkpoint();
      },
      SimulatedCrash);
  const auto deployed = sim.snapshot();
  auto platform = sim.platform();
  const auto recovered = recover(platform, store, log);
  ASSERT_TRUE(recovered.has_value());
  EXPECT_FALSE(recovered->needed);
  EXPECT_EQ(sim.snapshot(), deployed);
  ASSERT_EQ(deployed.vms.at("EFLOW").assigned.size(), 1u);
}

TEST(RecoveryTest, NothingToRecoverChangesNothing) {
  simulators::SimBackend sim{test_hosts::t4Server(), data::GpuCatalog::builtin(), 1};
  MemoryFlowStore store;
  Log log;
  const auto before = sim.snapshot();
  auto platform = sim.platform();
  const auto recovered = recover(platform, store, log);
  ASSERT_TRUE(recovered.has_value());
  EXPECT_FALSE(recovered->needed);
  EXPECT_EQ(sim.snapshot(), before);
  EXPECT_TRUE(sim.reachedOperations().empty()) << "recovery without a journal touches nothing";
}

TEST(RecoveryTest, ADeployRefusesToStartOverAnUnfinishedJournal) {
  auto spec = test_hosts::t4Server();
  spec.faults.push_back(FaultSpec{"hyperv.dismount-host-device", FaultKind::Crash, 1, false, 0});
  simulators::SimBackend sim{spec, data::GpuCatalog::builtin(), 1};
  const auto rules = *data::RulesProfile::builtin("eflow-2021-preview");
  MemoryFlowStore store;
  Log log;
  {
    Deployer crashed{sim.platform(), data::GpuCatalog::builtin(), rules, log, &store};
    EXPECT_THROW((void)crashed.deploy(request("NVIDIA Tesla T4")), SimulatedCrash);
  }
  Deployer next{sim.platform(), data::GpuCatalog::builtin(), rules, log, &store};
  const auto before = sim.snapshot();
  const auto outcome = next.deploy(request("NVIDIA Tesla T4"));
  ASSERT_FALSE(outcome.status.has_value());
  EXPECT_EQ(outcome.status.error().code, ErrorCode::InvalidRequest);
  EXPECT_EQ(sim.snapshot(), before);
}

TEST(RecoveryTest, TheJournalIsSavedBeforeEveryMutatingOperation) {
  simulators::SimBackend sim{test_hosts::t4Server(), data::GpuCatalog::builtin(), 1};
  const auto rules = *data::RulesProfile::builtin("eflow-2021-preview");
  MemoryFlowStore store;
  Log log;
  Deployer deployer{sim.platform(), data::GpuCatalog::builtin(), rules, log, &store};
  ASSERT_TRUE(deployer.deploy(request("NVIDIA Tesla T4")).status.has_value());
  int mutating = 0;
  for (const auto& [op, occurrence] : sim.reachedOperations()) {
    mutating += platform::findOperation(op)->mutating ? 1 : 0;
  }
  // One save per undo record (one per mutating operation), one for the original settings,
  // one when the flow closes its journal.
  EXPECT_EQ(store.savesForTest(), mutating + 2);
}

} // namespace
} // namespace hil::flows
