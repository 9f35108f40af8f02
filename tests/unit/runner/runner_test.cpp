#include "framework/runner/runner.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "framework/core/clock.h"
#include "framework/data/catalog.h"
#include "framework/data/rules.h"
#include "framework/scenario/scenario.h"
#include "reports/junit_writer.h"
#include "simulators/sim_backend.h"
#include "storage/discovery.h"
#include "tests/support/temp_dir.h"

namespace hil::runner {
namespace {

namespace fs = std::filesystem;
using storage::loadScenarios;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

// ---- Scenarios as text ------------------------------------------------------------------------

/// The scenario text with its first name="..." replaced.
std::string renamed(std::string text, std::string_view name) {
  const auto start = text.find("name=\"") + 6;
  text.replace(start, text.find('"', start) - start, name);
  return text;
}

constexpr const char* kT4Dda = R"(<scenario name="t4-dda" tags="dda t4">
  <host>
    <windows edition="server" build="17763"/>
    <gpu model="tesla-t4" mitigation-driver="true"/>
  </host>
  <steps>
    <deploy passthrough="auto" gpu-name="NVIDIA Tesla T4"/>
    <expect result="ok" method="DirectDeviceAssignment" vm-gpu="dda" host-gpu="dismounted"/>
    <smoke/>
    <expect result="ok"/>
    <teardown/>
    <expect result="ok" vm-gpu="none" host-gpu="present"/>
  </steps>
</scenario>
)";

/// Three scenarios with distinct names and tags, for filters and ordering.
constexpr const char* kMixed = R"(<scenarios>
  <scenario name="t4-server" tags="dda t4">
    <host>
      <windows edition="server" build="17763"/>
      <gpu model="tesla-t4" mitigation-driver="true"/>
    </host>
    <steps>
      <deploy/>
      <expect result="ok" method="DirectDeviceAssignment"/>
    </steps>
  </scenario>
  <scenario name="geforce-pro" tags="gpu-pv geforce">
    <host>
      <windows edition="professional" build="22621"/>
      <gpu model="geforce-rtx-3080" wsl-driver="true"/>
    </host>
    <steps>
      <deploy/>
      <expect result="ok" method="ParaVirtualization" vm-gpu="gpu-pv"/>
      <smoke/>
      <expect result="ok"/>
    </steps>
  </scenario>
  <scenario name="t4-home" tags="rules t4">
    <host>
      <windows edition="home" build="22621"/>
      <gpu model="tesla-t4"/>
    </host>
    <steps>
      <deploy/>
      <expect result="error" error="unsupported-edition"/>
    </steps>
  </scenario>
</scenarios>
)";

class RunnerTest : public ::testing::Test {
protected:
  void SetUp() override {
    for (const auto name : data::RulesProfile::builtinNames()) {
      builtins_.emplace(std::string{name}, *data::RulesProfile::builtin(name));
    }
  }

  [[nodiscard]] Runner runner() const {
    return Runner{factory_, catalog_, builtins_.at(std::string{data::RulesProfile::kDefault}),
                  builtins_, wall_};
  }

  /// One suite from scenario text; the file is named after the suite.
  [[nodiscard]] SuiteInput suite(const std::string& name, const std::string& text) const {
    auto parsed = scenario::parseScenarioFile(text, "mem/" + name + ".xml", catalog_);
    EXPECT_TRUE(parsed.has_value()) << (parsed ? "" : toString(parsed.error()));
    return {name, parsed.value_or(scenario::ScenarioFile{})};
  }

  [[nodiscard]] CaseResult runOne(const std::string& text, std::uint64_t seed = 1) const {
    const auto report = *runner().run({suite("one", text)}, RunOptions{1, seed, {}, 1});
    EXPECT_EQ(report.total(), 1);
    if (report.total() != 1) {
      return {};
    }
    return report.suites.at(0).cases.at(0);
  }

  const data::GpuCatalog& catalog_ = data::GpuCatalog::builtin();
  std::map<std::string, data::RulesProfile> builtins_;
  simulators::SimBackendFactory factory_{data::GpuCatalog::builtin()};
  ManualClock wall_;
};

std::vector<std::string> caseNames(const RunReport& report) {
  std::vector<std::string> names;
  for (const auto& s : report.suites) {
    for (const auto& c : s.cases) {
      names.push_back(s.name + "/" + c.name);
    }
  }
  return names;
}

/// Every field of two reports but the times.
void expectSameReport(const RunReport& a, const RunReport& b) {
  ASSERT_EQ(a.suites.size(), b.suites.size());
  for (std::size_t i = 0; i < a.suites.size(); ++i) {
    const auto& sa = a.suites[i];
    const auto& sb = b.suites[i];
    EXPECT_EQ(sa.name, sb.name);
    EXPECT_EQ(sa.file, sb.file);
    EXPECT_EQ(sa.properties, sb.properties) << sa.name;
    ASSERT_EQ(sa.cases.size(), sb.cases.size()) << sa.name;
    for (std::size_t j = 0; j < sa.cases.size(); ++j) {
      const auto& ca = sa.cases[j];
      const auto& cb = sb.cases[j];
      EXPECT_EQ(ca.suite, cb.suite);
      EXPECT_EQ(ca.name, cb.name);
      EXPECT_EQ(ca.file, cb.file);
      EXPECT_EQ(ca.line, cb.line);
      EXPECT_EQ(ca.status, cb.status) << ca.name;
      EXPECT_EQ(ca.failureType, cb.failureType) << ca.name;
      EXPECT_EQ(ca.failureMessage, cb.failureMessage) << ca.name;
      EXPECT_EQ(ca.failureDetail, cb.failureDetail) << ca.name;
      EXPECT_EQ(ca.skipReason, cb.skipReason) << ca.name;
      EXPECT_EQ(ca.log, cb.log) << ca.name;
      EXPECT_EQ(ca.properties, cb.properties) << ca.name;
    }
  }
}

std::string withoutTimes(const std::string& xml) {
  static const std::regex time{R"( time="[^"]*")"};
  return std::regex_replace(xml, time, "");
}

/// A folder of the test's own (tests/support/temp_dir.h) that files can be written into.
class ScratchDir {
public:
  std::string write(const std::string& relative, const std::string& text) const {
    const auto file = temp_.path() / relative;
    fs::create_directories(file.parent_path());
    std::ofstream{file, std::ios::binary} << text;
    return file.string();
  }
  [[nodiscard]] const fs::path& path() const { return temp_.path(); }

private:
  test_support::TempDir temp_{"hil-runner-test"};
};

// ---- Running scenarios ------------------------------------------------------------------------

TEST_F(RunnerTest, APassingScenarioReportsItsProperties) {
  const auto result = runOne(kT4Dda, 5);
  EXPECT_EQ(result.status, CaseStatus::Passed) << result.failureDetail;
  EXPECT_EQ(result.suite, "one");
  EXPECT_EQ(result.name, "t4-dda");
  EXPECT_EQ(result.file, "mem/one.xml");
  EXPECT_EQ(result.line, 1);
  EXPECT_THAT(result.failureType, IsEmpty());
  EXPECT_THAT(result.failureMessage, IsEmpty());
  EXPECT_FALSE(result.log.empty());
  EXPECT_EQ(result.properties.at("backend"), "sim");
  EXPECT_EQ(result.properties.at("rig"), "simulator");
  EXPECT_EQ(result.properties.at("gpu"), "tesla-t4");
  EXPECT_EQ(result.properties.at("windows-build"), "server 17763");
  EXPECT_EQ(result.properties.at("passthrough"), "auto");
  EXPECT_EQ(result.properties.at("technique"), "DirectDeviceAssignment");
  EXPECT_FALSE(result.properties.contains("deploy-error"));
  EXPECT_EQ(result.properties.at("rules"), "eflow-2021-preview");
  EXPECT_EQ(result.properties.at("scenario-seed"),
            std::to_string(scenarioSeed(5, "one", "t4-dda")));
  EXPECT_EQ(result.properties.at("smoke.device-name"), "NVIDIA Tesla T4");
}

TEST_F(RunnerTest, TheWallClockIsTheInjectedOne) {
  // A manual clock that never moves: every time in the report is zero.
  const auto report = *runner().run({suite("one", kT4Dda)}, RunOptions{});
  EXPECT_EQ(report.seconds, 0.0);
  EXPECT_EQ(report.suites.at(0).cases.at(0).seconds, 0.0);
}

TEST_F(RunnerTest, AScenarioRulesAttributePicksThatProfile) {
  const auto result = runOne(R"(<scenario name="a2" rules="eflow-current">
  <host>
    <windows edition="server" build="20348"/>
    <gpu model="nvidia-a2" mitigation-driver="true"/>
  </host>
  <steps>
    <deploy/>
    <expect result="ok" method="DirectDeviceAssignment"/>
  </steps>
</scenario>)");
  EXPECT_EQ(result.status, CaseStatus::Passed) << result.failureDetail;
  EXPECT_EQ(result.properties.at("rules"), "eflow-current");
}

TEST_F(RunnerTest, AFailedExpectationOnAnErrorStepHasTheErrorCodeAsType) {
  // GeForce GPU-PV on Server: unsupported-edition, but the scenario expects ok (line 7).
  const auto result = runOne(R"(<scenario name="wrong">
  <host>
    <windows edition="server" build="17763"/>
    <gpu model="geforce-rtx-3080" wsl-driver="true"/>
  </host>
  <steps>
    <deploy passthrough="ParaVirtualization"/>
    <expect result="ok"/>
  </steps>
</scenario>)");
  EXPECT_EQ(result.status, CaseStatus::Failed);
  EXPECT_EQ(result.failureType, "unsupported-edition");
  EXPECT_THAT(result.failureMessage, StartsWith("mem/one.xml:8: "));
  EXPECT_THAT(result.failureMessage, Not(HasSubstr("\n")));
  EXPECT_THAT(result.failureDetail, HasSubstr("mem/one.xml:8: "));
}

TEST_F(RunnerTest, AFailedExpectationOnASuccessfulStepIsOfTypeExpectation) {
  const auto result = runOne(R"(<scenario name="wrong-technique">
  <host>
    <windows edition="server" build="17763"/>
    <gpu model="tesla-t4" mitigation-driver="true"/>
  </host>
  <steps>
    <deploy/>
    <expect result="ok" vm-gpu="gpu-pv"/>
    <teardown/>
    <expect result="ok"/>
  </steps>
</scenario>)");
  EXPECT_EQ(result.status, CaseStatus::Failed);
  EXPECT_EQ(result.failureType, "expectation");
  EXPECT_THAT(result.failureMessage, StartsWith("mem/one.xml:8: "));
}

TEST_F(RunnerTest, EveryFailedExpectationIsInTheDetailTheFirstIsTheMessage) {
  const auto result = runOne(R"(<scenario name="two-wrong">
  <host>
    <windows edition="server" build="17763"/>
    <gpu model="tesla-t4" mitigation-driver="true"/>
  </host>
  <steps>
    <deploy/>
    <expect result="error"/>
    <teardown/>
    <expect host-gpu="dismounted"/>
  </steps>
</scenario>)");
  EXPECT_EQ(result.status, CaseStatus::Failed);
  EXPECT_EQ(result.failureType, "expectation");
  EXPECT_THAT(result.failureMessage, StartsWith("mem/one.xml:8: "));
  EXPECT_THAT(result.failureDetail,
              AllOf(HasSubstr("mem/one.xml:8: "), HasSubstr("mem/one.xml:10: ")));
}

TEST_F(RunnerTest, AStepThatFailsWithNoExpectAfterItFailsTheScenario) {
  const auto result = runOne(R"(<scenario name="unchecked">
  <host>
    <windows edition="home" build="22621"/>
    <gpu model="tesla-t4"/>
  </host>
  <steps>
    <deploy/>
  </steps>
</scenario>)");
  EXPECT_EQ(result.status, CaseStatus::Failed);
  EXPECT_EQ(result.failureType, "unsupported-edition");
  EXPECT_THAT(result.failureMessage, StartsWith("mem/one.xml:7: "));
}

TEST_F(RunnerTest, AFailedStepFollowedByAnotherStepFailsTheScenario) {
  const auto result = runOne(R"(<scenario name="unchecked-middle">
  <host>
    <windows edition="server" build="17763"/>
    <gpu model="tesla-t4" mitigation-driver="true"/>
  </host>
  <steps>
    <smoke/>
    <deploy/>
    <expect result="ok"/>
  </steps>
</scenario>)");
  EXPECT_EQ(result.status, CaseStatus::Failed);
  EXPECT_EQ(result.failureType, "smoke-failed");
  EXPECT_THAT(result.failureMessage, StartsWith("mem/one.xml:7: "));
}

TEST_F(RunnerTest, AnExpectOnTheHostStateAloneDoesNotAcknowledgeAFailedStep) {
  const auto result = runOne(R"(<scenario name="state-only">
  <host>
    <windows edition="server" build="17763"/>
    <gpu model="tesla-t4" mitigation-driver="true"/>
  </host>
  <steps>
    <deploy gpu-count="2"/>
    <expect vm-gpu="none" host-gpu="present"/>
  </steps>
</scenario>)");
  EXPECT_EQ(result.status, CaseStatus::Failed);
  EXPECT_EQ(result.failureType, "gpu-count");
  EXPECT_THAT(result.failureMessage, StartsWith("mem/one.xml:7: "));
}

TEST_F(RunnerTest, SeveralExpectsAfterOneStepAllCheckIt) {
  const auto result = runOne(R"(<scenario name="two-expects">
  <host>
    <windows edition="server" build="17763"/>
    <gpu model="tesla-t4" mitigation-driver="true"/>
  </host>
  <steps>
    <deploy gpu-count="2"/>
    <expect result="error" error="gpu-count"/>
    <expect vm-gpu="dda"/>
  </steps>
</scenario>)");
  EXPECT_EQ(result.status, CaseStatus::Failed);
  EXPECT_THAT(result.failureMessage, StartsWith("mem/one.xml:9: "));
}

TEST_F(RunnerTest, AnExpectedErrorPasses) {
  const auto result = runOne(R"(<scenario name="expected-error">
  <host>
    <windows edition="server" build="17763"/>
    <gpu model="tesla-t4" mitigation-driver="true"/>
    <fault op="hyperv.dismount-host-device" kind="error"/>
  </host>
  <steps>
    <deploy/>
    <expect result="error" error="operation-failed" vm-gpu="none" host-gpu="present"/>
  </steps>
</scenario>)");
  EXPECT_EQ(result.status, CaseStatus::Passed) << result.failureDetail;
  // What was asked, what was configured, and why not: three properties, not one.
  EXPECT_EQ(result.properties.at("passthrough"), "auto");
  EXPECT_EQ(result.properties.at("technique"), "None");
  EXPECT_EQ(result.properties.at("deploy-error"), "operation-failed");
}

TEST_F(RunnerTest, AFaultThatNeverHappensFailsTheScenario) {
  // One dismount in a one-T4 deploy: a fault at the second proves nothing about it.
  const auto result = runOne(R"(<scenario name="unreached">
  <host>
    <windows edition="server" build="17763"/>
    <gpu model="tesla-t4" mitigation-driver="true"/>
    <fault op="hyperv.dismount-host-device" kind="error" occurrence="2"/>
  </host>
  <steps>
    <deploy/>
    <expect result="ok"/>
  </steps>
</scenario>)");
  EXPECT_EQ(result.status, CaseStatus::Failed);
  EXPECT_EQ(result.failureType, "fault-not-reached");
  EXPECT_THAT(result.failureMessage,
              StartsWith("mem/one.xml:5: <fault op=\"hyperv.dismount-host-device\" "
                         "occurrence=\"2\"> never happened: the scenario performed "
                         "hyperv.dismount-host-device 1 time(s)"));
}

TEST_F(RunnerTest, ARefusedRequestNamesTheRefusalNotTheRequestAsItsTechnique) {
  const auto result = runOne(R"(<scenario name="refused">
  <host>
    <windows edition="home" build="22621"/>
    <gpu model="geforce-rtx-3080" wsl-driver="true"/>
  </host>
  <steps>
    <deploy passthrough="ParaVirtualization"/>
    <expect result="error" error="unsupported-edition"/>
  </steps>
</scenario>)");
  EXPECT_EQ(result.status, CaseStatus::Passed) << result.failureDetail;
  EXPECT_EQ(result.properties.at("passthrough"), "ParaVirtualization");
  EXPECT_EQ(result.properties.at("technique"), "None");
  EXPECT_EQ(result.properties.at("deploy-error"), "unsupported-edition");
}

TEST_F(RunnerTest, AScenarioWithoutADeployHasNoPassthroughProperty) {
  const auto result = runOne(R"(<scenario name="teardown-only">
  <host>
    <windows edition="server" build="17763"/>
    <gpu model="tesla-t4" mitigation-driver="true"/>
  </host>
  <steps>
    <teardown/>
    <expect result="ok"/>
  </steps>
</scenario>)");
  EXPECT_EQ(result.status, CaseStatus::Passed) << result.failureDetail;
  EXPECT_FALSE(result.properties.contains("passthrough"));
  EXPECT_EQ(result.properties.at("technique"), "None");
}

/// A T4 deploy that a crash cuts short at start-vm, with `expect` after it.
std::string crashScenario(std::string_view expect) {
  return fmt::format(R"(<scenario name="crash">
  <host>
    <windows edition="server" build="17763"/>
    <gpu model="tesla-t4" mitigation-driver="true"/>
    <fault op="hyperv.start-vm" kind="crash" when="after"/>
  </host>
  <steps>
    <deploy/>
    {}
  </steps>
</scenario>)",
                     expect);
}

TEST_F(RunnerTest, ACrashedStepIsCheckedOnTheRecoveredHost) {
  const auto result =
      runOne(crashScenario(R"(<expect result="crashed" vm-gpu="none" host-gpu="present"/>
    <deploy/>
    <expect result="ok" vm-gpu="dda" host-gpu="dismounted"/>)"));
  EXPECT_EQ(result.status, CaseStatus::Passed) << result.failureDetail;
  // The next process went on: the second deploy ran on the recovered host.
  EXPECT_EQ(std::count_if(result.log.begin(), result.log.end(),
                          [](const std::string& l) { return l.find("<deploy>") != l.npos; }),
            2);
}

TEST_F(RunnerTest, WhatACrashScenarioExpectsCanFail) {
  // An outcome, where the process crashed, fails (this passed unchecked once).
  const auto outcome = runOne(crashScenario(R"(<expect result="error" error="gpu-not-found"/>)"));
  EXPECT_EQ(outcome.status, CaseStatus::Failed);
  EXPECT_EQ(outcome.failureType, "crash");
  EXPECT_THAT(outcome.failureMessage,
              HasSubstr("expected result=error; expected error=gpu-not-found; the <deploy> at "
                        "line 8 gave no result: the process crashed at hyperv.start-vm #1"));
  // The recovered host, when it is not what the scenario says.
  const auto host = runOne(crashScenario(R"(<expect result="crashed" vm-gpu="dda"/>)"));
  EXPECT_EQ(host.status, CaseStatus::Failed);
  EXPECT_THAT(host.failureMessage, HasSubstr("expected vm-gpu=dda, got vm-gpu=none"));
  // A crash nobody acknowledges.
  const auto silent = runOne(crashScenario(""));
  EXPECT_EQ(silent.status, CaseStatus::Failed);
  EXPECT_EQ(silent.failureType, "crash");
  EXPECT_THAT(silent.failureMessage,
              HasSubstr("<deploy> was cut short by a crash at hyperv.start-vm #1 (after it took "
                        "effect) and no <expect result=\"crashed\"> follows it"));
}

TEST_F(RunnerTest, AHangFaultIsATimeoutInVirtualTime) {
  const auto result = runOne(R"(<scenario name="hang">
  <host>
    <windows edition="server" build="17763"/>
    <gpu model="tesla-t4" mitigation-driver="true"/>
    <fault op="hyperv.add-assignable-device" kind="hang"/>
  </host>
  <steps>
    <deploy/>
    <expect result="error" error="timeout" vm-gpu="none" host-gpu="present"/>
  </steps>
</scenario>)");
  EXPECT_EQ(result.status, CaseStatus::Passed) << result.failureDetail;
  EXPECT_EQ(result.seconds, 0.0); // the wall clock did not move
}

/// Builds SimBackends whose first GPU is already lost (dismounted, assigned to no VM).
class BrokenHostFactory : public BackendFactory {
public:
  std::string name() const override { return "sim"; }
  Result<std::unique_ptr<Backend>> create(const scenario::Scenario& scenario, std::uint64_t seed,
                                          const std::vector<scenario::FaultSpec>&) const override {
    auto backend =
        std::make_unique<simulators::SimBackend>(scenario.host, data::GpuCatalog::builtin(), seed);
    backend->hostForTest().gpus.at(0).mounted = false;
    return backend;
  }
};

class FailingFactory : public BackendFactory {
public:
  std::string name() const override { return "replay"; }
  Result<std::unique_ptr<Backend>> create(const scenario::Scenario&, std::uint64_t,
                                          const std::vector<scenario::FaultSpec>&) const override {
    return fail(ErrorCode::InvalidRequest, "no transcript for this scenario");
  }
};

TEST_F(RunnerTest, ABrokenInvariantFailsTheScenario) {
  const BrokenHostFactory broken;
  const Runner r{broken, catalog_, builtins_.at("eflow-2021-preview"), builtins_, wall_};
  const auto report = *r.run({suite("one", R"(<scenario name="lost">
  <host>
    <windows edition="server" build="17763"/>
    <gpu model="tesla-t4" mitigation-driver="true"/>
  </host>
  <steps>
    <smoke/>
    <expect result="error" error="smoke-failed"/>
  </steps>
</scenario>)")},
                             RunOptions{});
  ASSERT_EQ(report.total(), 1);
  const auto& result = report.suites[0].cases[0];
  EXPECT_EQ(result.status, CaseStatus::Failed);
  EXPECT_EQ(result.failureType, "gpu-lost");
  EXPECT_THAT(result.failureMessage, StartsWith("mem/one.xml:1: "));
  EXPECT_THAT(result.failureMessage, HasSubstr("gpu-lost"));
}

TEST_F(RunnerTest, ABackendThatCannotBeCreatedFailsTheScenario) {
  const FailingFactory failing;
  const Runner r{failing, catalog_, builtins_.at("eflow-2021-preview"), builtins_, wall_};
  const auto report = *r.run({suite("one", kT4Dda)}, RunOptions{});
  ASSERT_EQ(report.total(), 1);
  const auto& result = report.suites[0].cases[0];
  EXPECT_EQ(result.status, CaseStatus::Failed);
  EXPECT_EQ(result.failureType, "invalid-request");
  EXPECT_THAT(result.failureMessage, StartsWith("mem/one.xml:1: "));
  EXPECT_EQ(result.properties.at("backend"), "replay");
}

/// One host for every scenario, as a rig or a state folder has: one scenario at a time.
class OneHostFactory : public simulators::SimBackendFactory {
public:
  using SimBackendFactory::SimBackendFactory;
  int maxJobs() const override { return 1; }
};

TEST_F(RunnerTest, ABackendWithOneHostRefusesMoreJobsOrRepeatsBeforeAnythingRuns) {
  const OneHostFactory one{catalog_};
  const Runner r{one, catalog_, builtins_.at("eflow-2021-preview"), builtins_, wall_};
  int ran = 0;
  const auto count = [&](const CaseResult&, int, int) { ++ran; };
  for (const auto& options : {RunOptions{2, 1, {}, 1}, RunOptions{1, 1, {}, 2}}) {
    const auto refused = r.run({suite("one", kT4Dda)}, options, count);
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().code, ErrorCode::InvalidRequest);
    EXPECT_THAT(refused.error().message, HasSubstr("1 scenario(s) at a time on its one host"));
  }
  EXPECT_EQ(ran, 0);
  const auto serial = r.run({suite("one", kT4Dda)}, RunOptions{1, 1, {}, 1}, count);
  ASSERT_TRUE(serial.has_value());
  EXPECT_EQ(serial->count(CaseStatus::Passed), 1);
  EXPECT_EQ(ran, 1);
}

// ---- Reports: order, determinism, jobs ----------------------------------------------------------

TEST_F(RunnerTest, ReportKeepsFileAndScenarioOrder) {
  const auto report =
      *runner().run({suite("b-mixed", kMixed), suite("a-t4", kT4Dda)}, RunOptions{});
  EXPECT_THAT(caseNames(report), ElementsAre("b-mixed/t4-server", "b-mixed/geforce-pro",
                                             "b-mixed/t4-home", "a-t4/t4-dda"));
  EXPECT_EQ(report.total(), 4);
  EXPECT_EQ(report.count(CaseStatus::Passed), 4);
  EXPECT_EQ(report.count(CaseStatus::Failed), 0);
  // Suite properties merge the cases' distinct values.
  EXPECT_THAT(report.suites[0].properties.at("gpu"), HasSubstr("tesla-t4"));
  EXPECT_THAT(report.suites[0].properties.at("gpu"), HasSubstr("geforce-rtx-3080"));
  EXPECT_EQ(report.suites[1].properties.at("gpu"), "tesla-t4");
}

TEST_F(RunnerTest, SuitePropertiesJoinEveryDistinctValueInCaseOrder) {
  // "tesla-t4" is a substring of "2xtesla-t4" but a value of its own.
  const auto report = *runner().run({suite("pair", R"(<scenarios>
  <scenario name="two">
    <host>
      <windows edition="server" build="17763"/>
      <gpu model="tesla-t4" mitigation-driver="true" count="2"/>
    </host>
    <steps><deploy gpu-count="2"/><expect result="ok"/></steps>
  </scenario>
  <scenario name="one">
    <host>
      <windows edition="server" build="17763"/>
      <gpu model="tesla-t4" mitigation-driver="true"/>
    </host>
    <steps><deploy/><expect result="ok"/></steps>
  </scenario>
  <scenario name="one-again">
    <host>
      <windows edition="server" build="17763"/>
      <gpu model="tesla-t4" mitigation-driver="true"/>
    </host>
    <steps><deploy/><expect result="ok"/></steps>
  </scenario>
</scenarios>)")},
                                    RunOptions{});
  ASSERT_EQ(report.suites.size(), 1u);
  EXPECT_EQ(report.count(CaseStatus::Passed), 3);
  EXPECT_EQ(report.suites[0].properties.at("gpu"), "2xtesla-t4 | tesla-t4");
  EXPECT_EQ(report.suites[0].properties.at("backend"), "sim");
}

TEST_F(RunnerTest, ProgressIsReportedOncePerScenario) {
  std::vector<int> done;
  int total = 0;
  const auto report = *runner().run({suite("mixed", kMixed)}, RunOptions{2, 1, {}, 1},
                                    [&](const CaseResult&, int d, int t) {
                                      done.push_back(d);
                                      total = t;
                                    });
  EXPECT_THAT(done, ElementsAre(1, 2, 3));
  EXPECT_EQ(total, 3);
  EXPECT_EQ(report.total(), 3);
}

TEST_F(RunnerTest, SameSeedGivesTheSameLogs) {
  const std::vector<SuiteInput> suites = {suite("mixed", kMixed), suite("t4", kT4Dda)};
  const auto first = *runner().run(suites, RunOptions{1, 7, {}, 1});
  const auto second = *runner().run(suites, RunOptions{1, 7, {}, 1});
  expectSameReport(first, second);
  EXPECT_EQ(reports::toJunitXml(first), reports::toJunitXml(second));
}

TEST_F(RunnerTest, ADifferentSeedChangesTheSeedProperty) {
  const auto one = runOne(kT4Dda, 1);
  const auto two = runOne(kT4Dda, 2);
  EXPECT_EQ(one.status, CaseStatus::Passed);
  EXPECT_EQ(two.status, CaseStatus::Passed);
  EXPECT_NE(one.properties.at("scenario-seed"), two.properties.at("scenario-seed"));
  // The smoke figures come from the seeded random: they differ too.
  EXPECT_NE(one.properties, two.properties);
}

TEST_F(RunnerTest, JobsDoNotChangeTheReportOfStringScenarios) {
  const std::vector<SuiteInput> suites = {suite("mixed", kMixed), suite("t4", kT4Dda)};
  const auto serial = *runner().run(suites, RunOptions{1, 3, {}, 1});
  const auto parallel = *runner().run(suites, RunOptions{4, 3, {}, 1});
  expectSameReport(serial, parallel);
  EXPECT_EQ(withoutTimes(reports::toJunitXml(serial)), withoutTimes(reports::toJunitXml(parallel)));
}

TEST_F(RunnerTest, JobsDoNotChangeTheReportOfTheLibrary) {
  const auto loaded = loadScenarios({"scenarios"}, catalog_);
  ASSERT_TRUE(loaded.has_value()) << toString(loaded.error());
  ASSERT_FALSE(loaded->empty());
  std::size_t scenarios = 0;
  for (const auto& s : *loaded) {
    scenarios += s.file.scenarios.size();
  }
  const auto serial = *runner().run(*loaded, RunOptions{1, 11, {}, 1});
  const auto parallel = *runner().run(*loaded, RunOptions{4, 11, {}, 1});
  EXPECT_EQ(static_cast<std::size_t>(serial.total()), scenarios);
  expectSameReport(serial, parallel);
  const auto serialXml = reports::toJunitXml(serial);
  const auto parallelXml = reports::toJunitXml(parallel);
  EXPECT_NE(serialXml, withoutTimes(serialXml)); // the regex did strip something
  EXPECT_EQ(withoutTimes(serialXml), withoutTimes(parallelXml));
}

TEST_F(RunnerTest, LibrarySuitesAreNamedRelativeToTheFolder) {
  const auto loaded = loadScenarios({"scenarios"}, catalog_);
  ASSERT_TRUE(loaded.has_value()) << toString(loaded.error());
  std::vector<std::string> names;
  for (const auto& s : *loaded) {
    names.push_back(s.suite);
  }
  EXPECT_THAT(names, Contains("dda/t4-dda-server-2019"));
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
}

// ---- Filters and repeats ----------------------------------------------------------------------

TEST_F(RunnerTest, FiltersByNameGlob) {
  const auto report =
      *runner().run({suite("mixed", kMixed), suite("t4", kT4Dda)}, RunOptions{1, 1, {"t4-*"}, 1});
  EXPECT_THAT(caseNames(report), ElementsAre("mixed/t4-server", "mixed/t4-home", "t4/t4-dda"));
}

TEST_F(RunnerTest, FiltersByTag) {
  const auto report =
      *runner().run({suite("mixed", kMixed), suite("t4", kT4Dda)}, RunOptions{1, 1, {"gpu-pv"}, 1});
  EXPECT_THAT(caseNames(report), ElementsAre("mixed/geforce-pro"));
  // A suite with nothing left is dropped.
  EXPECT_EQ(report.suites.size(), 1u);
}

TEST_F(RunnerTest, SeveralFiltersMatchAny) {
  const auto report = *runner().run({suite("mixed", kMixed), suite("t4", kT4Dda)},
                                    RunOptions{1, 1, {"rules", "t4-dda"}, 1});
  EXPECT_THAT(caseNames(report), ElementsAre("mixed/t4-home", "t4/t4-dda"));
}

TEST_F(RunnerTest, AFilterThatMatchesNothingGivesAnEmptyReport) {
  const auto report = *runner().run({suite("mixed", kMixed)}, RunOptions{4, 1, {"no-such-*"}, 1});
  EXPECT_EQ(report.total(), 0);
  EXPECT_THAT(report.suites, IsEmpty());
}

TEST(MatchesFilterTest, MatchesNameOrTagByGlob) {
  scenario::Scenario s;
  s.name = "t4-dda-server-2019";
  s.tags = {"dda", "certification"};
  EXPECT_TRUE(matchesFilter(s, {}));
  EXPECT_TRUE(matchesFilter(s, {"t4-*"}));
  EXPECT_TRUE(matchesFilter(s, {"*-2019"}));
  EXPECT_TRUE(matchesFilter(s, {"cert*"}));
  EXPECT_TRUE(matchesFilter(s, {"gpu-pv", "dda"}));
  EXPECT_FALSE(matchesFilter(s, {"t4"}));
  EXPECT_FALSE(matchesFilter(s, {"gpu-pv"}));
}

TEST_F(RunnerTest, RepeatPassesForADeterministicScenario) {
  const auto report =
      *runner().run({suite("mixed", kMixed), suite("t4", kT4Dda)}, RunOptions{2, 1, {}, 3});
  EXPECT_EQ(report.total(), 4);
  for (const auto& s : report.suites) {
    for (const auto& c : s.cases) {
      EXPECT_EQ(c.status, CaseStatus::Passed) << c.name << ": " << c.failureDetail;
      EXPECT_NE(c.failureType, "nondeterminism") << c.name;
    }
  }
}

// ---- Seeds ------------------------------------------------------------------------------------

TEST(ScenarioSeedTest, DependsOnTheRunSeedAndTheScenariosIdentityOnly) {
  EXPECT_EQ(scenarioSeed(1, "dda/t4", "a"), scenarioSeed(1, "dda/t4", "a"));
  EXPECT_NE(scenarioSeed(1, "dda/t4", "a"), scenarioSeed(2, "dda/t4", "a"));
  EXPECT_NE(scenarioSeed(1, "dda/t4", "a"), scenarioSeed(1, "dda/t4", "b"));
  EXPECT_NE(scenarioSeed(1, "dda/t4", "a"), scenarioSeed(1, "dda/t5", "a"));
  // The suite/name boundary matters: "ab"+"c" is not "a"+"bc".
  EXPECT_NE(scenarioSeed(1, "ab", "c"), scenarioSeed(1, "a", "bc"));
}

TEST_F(RunnerTest, ScenarioSeedDoesNotDependOnOrderOrFilter) {
  const auto forward =
      *runner().run({suite("mixed", kMixed), suite("t4", kT4Dda)}, RunOptions{1, 9, {}, 1});
  const auto backward =
      *runner().run({suite("t4", kT4Dda), suite("mixed", kMixed)}, RunOptions{3, 9, {}, 1});
  const auto filtered =
      *runner().run({suite("mixed", kMixed)}, RunOptions{1, 9, {"geforce-pro"}, 1});
  std::map<std::string, std::string> seeds;
  for (const auto& s : forward.suites) {
    for (const auto& c : s.cases) {
      seeds[s.name + "/" + c.name] = c.properties.at("scenario-seed");
      EXPECT_EQ(c.properties.at("scenario-seed"), std::to_string(scenarioSeed(9, s.name, c.name)));
    }
  }
  ASSERT_EQ(seeds.size(), 4u);
  for (const auto& s : backward.suites) {
    for (const auto& c : s.cases) {
      EXPECT_EQ(c.properties.at("scenario-seed"), seeds.at(s.name + "/" + c.name)) << c.name;
    }
  }
  ASSERT_EQ(filtered.total(), 1);
  EXPECT_EQ(filtered.suites[0].cases[0].properties.at("scenario-seed"),
            seeds.at("mixed/geforce-pro"));
  // The run's own seed is the one to pass back: every suite carries it.
  EXPECT_EQ(forward.properties.at("seed"), "9");
  EXPECT_EQ(filtered.suites[0].cases[0].log,
            forward.suites[0].cases[1].log); // same seed, same run
}

// ---- Loading files ----------------------------------------------------------------------------

TEST(LoadScenariosTest, AMissingPathIsReported) {
  const auto loaded =
      loadScenarios({"scenarios/dda", "no/such/folder.xml"}, data::GpuCatalog::builtin());
  ASSERT_FALSE(loaded.has_value());
  ASSERT_EQ(loaded.error().size(), 1u);
  EXPECT_EQ(loaded.error()[0].file, "no/such/folder.xml");
  EXPECT_EQ(loaded.error()[0].line, 0);
}

TEST(LoadScenariosTest, ErrorsFromSeveralFilesAreAllReported) {
  const ScratchDir dir;
  const auto good = dir.write("a-good.xml", kT4Dda);
  const auto bad1 = dir.write("b-bad.xml", "<scenario name=\"x\">\n  <host>\n"
                                           "    <windows edition=\"xp\" build=\"1\"/>\n"
                                           "  </host>\n  <steps><deploy/></steps>\n"
                                           "</scenario>\n");
  const auto bad2 = dir.write("sub/c-bad.xml", "<scenario name=\"y\">\n  <host>\n"
                                               "    <windows edition=\"server\" build=\"1\"/>\n"
                                               "    <gpu model=\"tesla-t5\"/>\n"
                                               "  </host>\n  <steps><deploy/></steps>\n"
                                               "</scenario>\n");
  dir.write("notes.txt", "not a scenario");
  const auto loaded = loadScenarios({dir.path().string()}, data::GpuCatalog::builtin());
  ASSERT_FALSE(loaded.has_value());
  ASSERT_EQ(loaded.error().size(), 2u) << toString(loaded.error());
  EXPECT_EQ(loaded.error()[0].file, bad1);
  EXPECT_EQ(loaded.error()[0].line, 3);
  EXPECT_EQ(loaded.error()[1].file, bad2);
  EXPECT_EQ(loaded.error()[1].line, 4);
  EXPECT_THAT(loaded.error()[1].toString(), StartsWith(bad2 + ":4: "));
}

TEST(LoadScenariosTest, LoadsFoldersRecursivelyInSortedOrder) {
  const ScratchDir dir;
  dir.write("tree/z/last.xml", renamed(kT4Dda, "last"));
  dir.write("tree/first.xml", kMixed);
  dir.write("tree/m.xml", renamed(kT4Dda, "m"));
  const auto single = dir.write("single.xml", renamed(kT4Dda, "single"));
  const auto loaded =
      loadScenarios({(dir.path() / "tree").string(), single}, data::GpuCatalog::builtin());
  ASSERT_TRUE(loaded.has_value()) << toString(loaded.error());
  std::vector<std::string> suites;
  for (const auto& s : *loaded) {
    suites.push_back(s.suite);
  }
  // A folder's files are named relative to it; a single file by its own name.
  EXPECT_THAT(suites, ElementsAre("first", "m", "z/last", "single"));
  EXPECT_EQ(loaded->at(0).file.scenarios.size(), 3u);
}

TEST(LoadScenariosTest, FilesNamedAlikeInDifferentFoldersKeepApart) {
  const ScratchDir dir;
  const auto a = dir.write("a/x.xml", renamed(kT4Dda, "a"));
  const auto b = dir.write("b/x.xml", renamed(kT4Dda, "b"));
  const auto loaded = loadScenarios({a, b}, data::GpuCatalog::builtin());
  ASSERT_TRUE(loaded.has_value()) << toString(loaded.error());
  ASSERT_EQ(loaded->size(), 2u);
  EXPECT_NE(loaded->at(0).suite, loaded->at(1).suite);
  EXPECT_THAT(loaded->at(0).suite, EndsWith("a/x"));
  EXPECT_THAT(loaded->at(1).suite, EndsWith("b/x"));
}

TEST(LoadScenariosTest, AScenarioNameInTwoFilesIsRejectedWithBothPlaces) {
  const ScratchDir dir;
  const auto first = dir.write("a.xml", kT4Dda);
  const auto second = dir.write("sub/b.xml", std::string{"\n\n"} + kT4Dda);
  const auto loaded = loadScenarios({dir.path().string()}, data::GpuCatalog::builtin());
  ASSERT_FALSE(loaded.has_value());
  ASSERT_EQ(loaded.error().size(), 1u) << toString(loaded.error());
  EXPECT_EQ(loaded.error()[0].file, second);
  EXPECT_EQ(loaded.error()[0].line, 3);
  EXPECT_THAT(loaded.error()[0].message,
              HasSubstr("scenario name 't4-dda' is already used at " + first + ":1"));
}

TEST(LoadScenariosTest, AFileGivenTwiceIsLoadedOnce) {
  const ScratchDir dir;
  const auto file = dir.write("tree/one.xml", kT4Dda);
  dir.write("tree/two.xml", renamed(kT4Dda, "two"));
  const auto tree = (dir.path() / "tree").string();
  const auto respelled = (dir.path() / "tree" / "." / "one.xml").string();
  const auto loaded = loadScenarios({file, tree, respelled, tree}, data::GpuCatalog::builtin());
  ASSERT_TRUE(loaded.has_value()) << toString(loaded.error());
  std::vector<std::string> suites;
  for (const auto& s : *loaded) {
    suites.push_back(s.suite);
  }
  // Where a file was first named decides its suite name.
  EXPECT_THAT(suites, ElementsAre("one", "two"));
}

TEST(LoadScenariosTest, AFolderWithoutScenarioFilesIsReported) {
  const ScratchDir dir;
  dir.write("readme.txt", "nothing here");
  const auto loaded = loadScenarios({dir.path().string()}, data::GpuCatalog::builtin());
  ASSERT_FALSE(loaded.has_value());
  ASSERT_EQ(loaded.error().size(), 1u);
  EXPECT_EQ(loaded.error()[0].file, dir.path().string());
}

} // namespace
} // namespace hil::runner
