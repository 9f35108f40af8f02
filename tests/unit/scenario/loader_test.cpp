#include "framework/scenario/scenario.h"

#include <algorithm>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "framework/core/diagnostic.h"
#include "framework/data/catalog.h"

namespace hil::scenario {
namespace {

using platform::Edition;
using platform::VmState;
using platform::WindowsBuild;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr const char* kPath = "scenarios/test/broken.xml";

Parsed<ScenarioFile> parse(const std::string& text) {
  return parseScenarioFile(text, kPath, data::GpuCatalog::builtin());
}

std::vector<int> linesOf(const Diagnostics& diagnostics) {
  std::vector<int> lines;
  for (const auto& d : diagnostics) {
    lines.push_back(d.line);
  }
  return lines;
}

// ---- A valid file -----------------------------------------------------------------------------

constexpr const char* kFull = R"(<?xml version="1.0" encoding="UTF-8"?>
<scenario name="full" tags="dda  t4
          certification" rules="eflow-current">
  <description>
    Every attribute, extensions included.
  </description>
  <host>
    <windows edition="iot-enterprise" build="19044.1620"/>
    <hyperv enabled="false"/>
    <gpu model="tesla-t4" mitigation-driver="true" wsl-driver="false" count="2" in-use="true"
         resizable-bar="true"/>
    <gpu model="geforce-rtx-3060" wsl-driver="true"/>
    <vm name="EFLOW2" state="off" guest-driver="false"/>
    <fault op="hyperv.add-assignable-device" kind="hang" occurrence="2"/>
    <fault op="guest.run"/>
  </host>
  <rig gpu="tesla-t4" edition="server"/>
  <steps>
    <deploy passthrough="DirectDeviceAssignment" gpu-name="NVIDIA Tesla T4" gpu-count="2"/>
    <expect result="ok" method="DirectDeviceAssignment" warning="mitigation-driver-missing"
            vm-gpu="dda" host-gpu="dismounted"/>
    <smoke/>
    <expect result="error" error="smoke-failed"/>
    <teardown/>
    <expect vm-gpu="none" host-gpu="present"/>
    <deploy passthrough="ParaVirtualization" gpu-count="-1"/>
    <expect error="gpu-count" vm-gpu="gpu-pv"/>
    <deploy passthrough="None"/>
    <deploy passthrough="auto"/>
  </steps>
</scenario>
)";

TEST(LoaderTest, FullScenarioParsesIntoTheModel) {
  const auto parsed = parse(kFull);
  ASSERT_TRUE(parsed.has_value()) << toString(parsed.error());
  EXPECT_EQ(parsed->path, kPath);
  ASSERT_EQ(parsed->scenarios.size(), 1u);
  const auto& s = parsed->scenarios[0];
  EXPECT_EQ(s.name, "full");
  EXPECT_EQ(s.file, kPath);
  EXPECT_EQ(s.line, 2);
  EXPECT_THAT(s.tags, ElementsAre("dda", "t4", "certification"));
  EXPECT_EQ(s.rules, "eflow-current");
  EXPECT_EQ(s.description, "Every attribute, extensions included.");

  EXPECT_EQ(s.host.edition, Edition::IotEnterprise);
  EXPECT_EQ(s.host.build, (WindowsBuild{19044, 1620}));
  EXPECT_FALSE(s.host.hypervEnabled);

  ASSERT_EQ(s.host.gpus.size(), 2u);
  const auto& t4 = s.host.gpus[0];
  EXPECT_EQ(t4.model, "tesla-t4");
  EXPECT_TRUE(t4.mitigationDriver);
  EXPECT_FALSE(t4.wslDriver);
  EXPECT_EQ(t4.count, 2);
  EXPECT_TRUE(t4.inUse);
  EXPECT_TRUE(t4.resizableBar);
  EXPECT_EQ(t4.line, 10);
  const auto& geforce = s.host.gpus[1];
  EXPECT_EQ(geforce.model, "geforce-rtx-3060");
  EXPECT_FALSE(geforce.mitigationDriver);
  EXPECT_TRUE(geforce.wslDriver);
  EXPECT_EQ(geforce.count, 1);
  EXPECT_FALSE(geforce.inUse);
  EXPECT_FALSE(geforce.resizableBar);
  EXPECT_EQ(geforce.line, 12);

  EXPECT_EQ(s.host.vm.name, "EFLOW2");
  EXPECT_EQ(s.host.vm.state, VmState::Off);
  EXPECT_FALSE(s.host.vm.guestDriver);

  ASSERT_EQ(s.host.faults.size(), 2u);
  EXPECT_EQ(s.host.faults[0].op, "hyperv.add-assignable-device");
  EXPECT_EQ(s.host.faults[0].kind, FaultKind::Hang);
  EXPECT_EQ(s.host.faults[0].occurrence, 2);
  EXPECT_EQ(s.host.faults[0].line, 14);
  EXPECT_EQ(s.host.faults[1].op, "guest.run");
  EXPECT_EQ(s.host.faults[1].kind, FaultKind::Error);
  EXPECT_EQ(s.host.faults[1].occurrence, 1);
  EXPECT_EQ(s.host.faults[1].line, 15);

  ASSERT_TRUE(s.rig.has_value());
  EXPECT_EQ(s.rig->gpu, "tesla-t4");
  EXPECT_EQ(s.rig->edition, Edition::Server);
  EXPECT_EQ(s.rig->line, 17);

  ASSERT_EQ(s.steps.size(), 10u);
  std::vector<StepKind> kinds;
  std::vector<int> lines;
  for (const auto& step : s.steps) {
    kinds.push_back(step.kind);
    lines.push_back(step.line);
  }
  EXPECT_THAT(kinds,
              ElementsAre(StepKind::Deploy, StepKind::Expect, StepKind::Smoke, StepKind::Expect,
                          StepKind::Teardown, StepKind::Expect, StepKind::Deploy, StepKind::Expect,
                          StepKind::Deploy, StepKind::Deploy));
  EXPECT_THAT(lines, ElementsAre(19, 20, 22, 23, 24, 25, 26, 27, 28, 29));

  const auto& deploy = s.steps[0].deploy;
  EXPECT_EQ(deploy.passthrough, Passthrough::DirectDeviceAssignment);
  EXPECT_EQ(deploy.gpuName, "NVIDIA Tesla T4");
  EXPECT_EQ(deploy.gpuCount, 2);

  const auto& okExpect = s.steps[1].expect;
  EXPECT_EQ(okExpect.ok, true);
  EXPECT_EQ(okExpect.error, std::nullopt);
  EXPECT_EQ(okExpect.method, "DirectDeviceAssignment");
  EXPECT_THAT(okExpect.warnings, ElementsAre(WarningCode::MitigationDriverMissing));
  EXPECT_EQ(okExpect.vmGpu, VmGpu::Dda);
  EXPECT_EQ(okExpect.hostGpu, HostGpu::Dismounted);

  const auto& errorExpect = s.steps[3].expect;
  EXPECT_EQ(errorExpect.ok, false);
  EXPECT_EQ(errorExpect.error, ErrorCode::SmokeFailed);
  EXPECT_EQ(errorExpect.method, std::nullopt);
  EXPECT_THAT(errorExpect.warnings, IsEmpty());

  const auto& observeOnly = s.steps[5].expect;
  EXPECT_EQ(observeOnly.ok, std::nullopt); // absent attributes are not checked
  EXPECT_EQ(observeOnly.vmGpu, VmGpu::None);
  EXPECT_EQ(observeOnly.hostGpu, HostGpu::Present);

  EXPECT_EQ(s.steps[6].deploy.passthrough, Passthrough::ParaVirtualization);
  EXPECT_EQ(s.steps[6].deploy.gpuCount, -1); // a request the flow rejects, not the loader
  EXPECT_EQ(s.steps[6].deploy.gpuName, std::nullopt);
  EXPECT_EQ(s.steps[7].expect.ok, false); // error= implies result="error"
  EXPECT_EQ(s.steps[7].expect.error, ErrorCode::GpuCount);
  EXPECT_EQ(s.steps[7].expect.vmGpu, VmGpu::GpuPv);
  EXPECT_EQ(s.steps[8].deploy.passthrough, Passthrough::None);
  EXPECT_EQ(s.steps[9].deploy.passthrough, Passthrough::Auto);
}

TEST(LoaderTest, DefaultsApplyWhenAttributesAreOmitted) {
  const auto parsed = parse(R"(<scenario name="minimal">
  <host>
    <windows edition="server" build="17763"/>
    <gpu model="tesla-t4"/>
    <fault op="hyperv.stop-vm"/>
  </host>
  <steps>
    <deploy/>
  </steps>
</scenario>)");
  ASSERT_TRUE(parsed.has_value()) << toString(parsed.error());
  const auto& s = parsed->scenarios.at(0);
  EXPECT_THAT(s.tags, IsEmpty());
  EXPECT_EQ(s.rules, "");
  EXPECT_EQ(s.description, "");
  EXPECT_FALSE(s.rig.has_value());
  EXPECT_TRUE(s.host.hypervEnabled);
  EXPECT_EQ(s.host.build, (WindowsBuild{17763, 0}));
  EXPECT_EQ(s.host.vm.name, "EFLOW");
  EXPECT_EQ(s.host.vm.state, VmState::Running);
  EXPECT_TRUE(s.host.vm.guestDriver);
  ASSERT_EQ(s.host.gpus.size(), 1u);
  EXPECT_FALSE(s.host.gpus[0].mitigationDriver);
  EXPECT_FALSE(s.host.gpus[0].wslDriver);
  EXPECT_EQ(s.host.gpus[0].count, 1);
  EXPECT_FALSE(s.host.gpus[0].inUse);
  EXPECT_FALSE(s.host.gpus[0].resizableBar);
  ASSERT_EQ(s.host.faults.size(), 1u);
  EXPECT_EQ(s.host.faults[0].kind, FaultKind::Error);
  EXPECT_EQ(s.host.faults[0].occurrence, 1);
  ASSERT_EQ(s.steps.size(), 1u);
  EXPECT_EQ(s.steps[0].deploy.passthrough, Passthrough::Auto);
  EXPECT_EQ(s.steps[0].deploy.gpuName, std::nullopt);
  EXPECT_EQ(s.steps[0].deploy.gpuCount, 1);
}

TEST(LoaderTest, ScenariosHoldsSeveralScenariosInFileOrder) {
  const auto parsed = parse(R"(<scenarios>
  <scenario name="first" tags="a">
    <host><windows edition="server" build="17763"/></host>
    <steps><deploy/></steps>
  </scenario>
  <scenario name="second" tags="b">
    <host><windows edition="home" build="22621"/></host>
    <steps><teardown/><expect result="ok"/></steps>
  </scenario>
</scenarios>)");
  ASSERT_TRUE(parsed.has_value()) << toString(parsed.error());
  ASSERT_EQ(parsed->scenarios.size(), 2u);
  EXPECT_EQ(parsed->scenarios[0].name, "first");
  EXPECT_EQ(parsed->scenarios[0].line, 2);
  EXPECT_EQ(parsed->scenarios[0].host.edition, Edition::Server);
  EXPECT_EQ(parsed->scenarios[1].name, "second");
  EXPECT_EQ(parsed->scenarios[1].line, 6);
  EXPECT_EQ(parsed->scenarios[1].host.edition, Edition::Home);
  EXPECT_EQ(parsed->scenarios[1].steps.size(), 2u);
  for (const auto& s : parsed->scenarios) {
    EXPECT_EQ(s.file, kPath);
  }
}

TEST(LoaderTest, TheLibrarysReferenceScenarioShapeParses) {
  // The example of the design doc, section 4, as written there.
  const auto parsed = parse(R"(<scenario name="t4-dda-server-2019" tags="dda t4 certification">
  <description>T4 on Server 2019 gets DDA by automatic selection.</description>
  <host>                                  <!-- the simulated host; on a real rig see <rig> -->
    <windows edition="server" build="17763"/>   <!-- server|enterprise|iot-enterprise|professional|home -->
    <hyperv enabled="true"/>                    <!-- optional, default true -->
    <gpu model="tesla-t4" mitigation-driver="true"/>  <!-- repeatable; model from the catalog -->
    <vm name="EFLOW" state="running"/>          <!-- optional, default: EFLOW VM running -->
  </host>
  <rig gpu="tesla-t4" edition="server"/>       <!-- optional: real rigs that may run it -->
  <steps>
    <deploy passthrough="auto" gpu-name="NVIDIA Tesla T4" gpu-count="1"/>
    <expect result="ok" method="DirectDeviceAssignment" vm-gpu="dda" host-gpu="dismounted"/>
    <smoke/>
    <expect result="ok"/>
    <teardown/>
    <expect result="ok" vm-gpu="none" host-gpu="present"/>
  </steps>
</scenario>)");
  ASSERT_TRUE(parsed.has_value()) << toString(parsed.error());
  EXPECT_EQ(parsed->scenarios.at(0).steps.size(), 6u);
}

// ---- Errors: every one names the file and the line ------------------------------------------

/// A valid scenario, one element per line, so a test can break line N and expect line N.
const std::vector<std::string> kBase = {
    R"(<scenario name="s">)",                                         // 1
    R"(  <host>)",                                                    // 2
    R"(    <windows edition="server" build="17763"/>)",               // 3
    R"(    <gpu model="tesla-t4" mitigation-driver="true"/>)",        // 4
    R"(    <vm name="EFLOW" state="running"/>)",                      // 5
    R"(  </host>)",                                                   // 6
    R"(  <steps>)",                                                   // 7
    R"(    <deploy passthrough="auto" gpu-name="NVIDIA Tesla T4"/>)", // 8
    R"(    <expect result="ok" vm-gpu="dda"/>)",                      // 9
    R"(    <teardown/>)",                                             // 10
    R"(  </steps>)",                                                  // 11
    R"(</scenario>)",                                                 // 12
};

/// kBase with some lines replaced (1-based); a replacement may be empty to delete an element.
std::string withLines(const std::map<int, std::string>& replaced) {
  std::ostringstream text;
  for (std::size_t i = 0; i < kBase.size(); ++i) {
    const auto it = replaced.find(static_cast<int>(i + 1));
    text << (it == replaced.end() ? kBase[i] : it->second) << '\n';
  }
  return text.str();
}

/// Parses, expects failure, checks every diagnostic names the file, returns their lines.
std::vector<int> errorLines(const std::string& text) {
  const auto parsed = parse(text);
  EXPECT_FALSE(parsed.has_value()) << "expected the file to be rejected:\n" << text;
  if (parsed) {
    return {};
  }
  for (const auto& d : parsed.error()) {
    EXPECT_EQ(d.file, kPath) << d.toString();
    EXPECT_FALSE(d.message.empty());
  }
  return linesOf(parsed.error());
}

TEST(LoaderErrorTest, BaseScenarioIsValid) {
  const auto parsed = parse(withLines({}));
  ASSERT_TRUE(parsed.has_value()) << toString(parsed.error());
  EXPECT_EQ(parsed->scenarios.at(0).steps.size(), 3u);
}

TEST(LoaderErrorTest, XmlSyntaxErrorIsReportedAtItsLine) {
  // <gpu> is left open, so </host> on line 6 closes the wrong element.
  const auto parsed = parse(withLines({{4, R"(    <gpu model="tesla-t4">)"}}));
  ASSERT_FALSE(parsed.has_value());
  ASSERT_EQ(parsed.error().size(), 1u);
  EXPECT_EQ(parsed.error()[0].file, kPath);
  EXPECT_EQ(parsed.error()[0].line, 6);
  EXPECT_THAT(parsed.error()[0].toString(), HasSubstr("scenarios/test/broken.xml:6: "));
}

TEST(LoaderErrorTest, UnclosedTagInTheMiddleIsReportedAtItsLine) {
  // The start tag of <vm> never ends: the parser stops on line 5.
  const auto parsed = parse(withLines({{5, R"(    <vm name="EFLOW" state="running" <)"}}));
  ASSERT_FALSE(parsed.has_value());
  ASSERT_EQ(parsed.error().size(), 1u);
  EXPECT_EQ(parsed.error()[0].line, 5);
}

TEST(LoaderErrorTest, CrashedIsARefusedResultWithoutACrash) {
  const auto parsed = parse(withLines({{9, R"(    <expect result="crashed" vm-gpu="none"/>)"}}));
  ASSERT_FALSE(parsed.has_value());
  ASSERT_EQ(parsed.error().size(), 1u) << toString(parsed.error());
  EXPECT_EQ(parsed.error()[0].line, 9);
  EXPECT_THAT(parsed.error()[0].message, HasSubstr("expected a <fault kind=\"crash\">"));
}

TEST(LoaderErrorTest, ACrashedStepHasNoResultToCheck) {
  const std::string crash = R"(    <fault op="hyperv.start-vm" kind="crash"/>)";
  // With a crash planned, result="crashed" and the host's state are what can be checked.
  const auto ok =
      parse(withLines({{5, crash}, {9, R"(    <expect result="crashed" vm-gpu="none"/>)"}}));
  ASSERT_TRUE(ok.has_value()) << toString(ok.error());
  EXPECT_TRUE(ok->scenarios[0].steps[1].expect.crashed);
  EXPECT_FALSE(ok->scenarios[0].steps[1].expect.ok.has_value());
  for (const char* also :
       {R"(error="gpu-not-found")", R"(method="None")", R"(warning="mitigation-driver-missing")"}) {
    EXPECT_THAT(errorLines(withLines(
                    {{5, crash}, {9, fmt::format(R"(    <expect result="crashed" {}/>)", also)}})),
                ElementsAre(9))
        << also;
  }
}

TEST(LoaderErrorTest, UnknownElement) {
  EXPECT_THAT(errorLines(withLines({{5, R"(    <vmm name="EFLOW"/>)"}})), ElementsAre(5));
  EXPECT_THAT(errorLines(withLines({{10, R"(    <reboot/>)"}})), ElementsAre(10));
  EXPECT_THAT(errorLines(withLines({{10, R"(    <teardown><now/></teardown>)"}})), ElementsAre(10));
}

TEST(LoaderErrorTest, UnknownAttribute) {
  EXPECT_THAT(
      errorLines(withLines({{3, R"(    <windows edition="server" build="17763" sp="1"/>)"}})),
      ElementsAre(3));
  EXPECT_THAT(errorLines(withLines({{4, R"(    <gpu model="tesla-t4" colour="green"/>)"}})),
              ElementsAre(4));
  EXPECT_THAT(errorLines(withLines({{9, R"(    <expect result="ok" vmgpu="dda"/>)"}})),
              ElementsAre(9));
  EXPECT_THAT(errorLines(withLines({{1, R"(<scenario name="s" owner="me">)"}})), ElementsAre(1));
}

TEST(LoaderErrorTest, AnUnknownAttributeNamesTheAllowedOnesAndTheNearest) {
  const auto parsed =
      parse(withLines({{4, R"(    <gpu modle="tesla-t4" mitigation-driver="true"/>)"}}));
  ASSERT_FALSE(parsed.has_value());
  std::vector<std::string> messages;
  for (const auto& d : parsed.error()) {
    messages.push_back(d.toString());
  }
  EXPECT_THAT(messages,
              Contains("scenarios/test/broken.xml:4: unknown attribute 'modle' on <gpu>; expected "
                       "one of model, mitigation-driver, wsl-driver, count, in-use, "
                       "resizable-bar, bad-memory (did you mean 'model'?)"));
  const auto onTeardown = parse(withLines({{10, R"(    <teardown force="true"/>)"}}));
  ASSERT_FALSE(onTeardown.has_value());
  EXPECT_EQ(onTeardown.error().at(0).message,
            "unknown attribute 'force' on <teardown>; expected no attributes");
}

TEST(LoaderErrorTest, AnUnknownElementSuggestsTheNearest) {
  const auto parsed = parse(withLines({{5, R"(    <vmm name="EFLOW"/>)"}}));
  ASSERT_FALSE(parsed.has_value());
  ASSERT_EQ(parsed.error().size(), 1u);
  EXPECT_EQ(parsed.error()[0].message, "unknown element <vmm> inside <host>; expected windows, "
                                       "hyperv, gpu, vm, fault (did you mean <vm>?)");
}

TEST(LoaderErrorTest, BadEditionValue) {
  EXPECT_THAT(errorLines(withLines({{3, R"(    <windows edition="xp" build="17763"/>)"}})),
              ElementsAre(3));
}

TEST(LoaderErrorTest, BadPassthroughValue) {
  EXPECT_THAT(errorLines(withLines({{8, R"(    <deploy passthrough="dda"/>)"}})), ElementsAre(8));
}

TEST(LoaderErrorTest, BadResultValue) {
  EXPECT_THAT(errorLines(withLines({{9, R"(    <expect result="maybe"/>)"}})), ElementsAre(9));
}

TEST(LoaderErrorTest, UnknownErrorCode) {
  EXPECT_THAT(errorLines(withLines({{9, R"(    <expect result="error" error="no-such-code"/>)"}})),
              ElementsAre(9));
}

TEST(LoaderErrorTest, UnknownWarningCode) {
  EXPECT_THAT(
      errorLines(withLines({{9, R"(    <expect warning="mitigation-driver-missing nope"/>)"}})),
      ElementsAre(9));
}

TEST(LoaderErrorTest, BadVmGpuAndHostGpuValues) {
  EXPECT_THAT(errorLines(withLines({{9, R"(    <expect vm-gpu="x"/>)"}})), ElementsAre(9));
  EXPECT_THAT(errorLines(withLines({{9, R"(    <expect host-gpu="gone"/>)"}})), ElementsAre(9));
  EXPECT_THAT(errorLines(withLines({{9, R"(    <expect method="dda"/>)"}})), ElementsAre(9));
}

TEST(LoaderErrorTest, BadFaultKind) {
  EXPECT_THAT(errorLines(withLines({{5, R"(    <fault op="hyperv.stop-vm" kind="explode"/>)"}})),
              ElementsAre(5));
  // when= belongs to crashes only.
  EXPECT_THAT(errorLines(withLines({{5, R"(    <fault op="hyperv.stop-vm" when="after"/>)"}})),
              ElementsAre(5));
  EXPECT_THAT(
      errorLines(withLines({{5, R"(    <fault op="hyperv.stop-vm" kind="crash" when="later"/>)"}})),
      ElementsAre(5));
}

TEST(LoaderTest, CrashFaultsTakeWhen) {
  const auto parsed = parse(withLines(
      {{5, R"(    <fault op="hyperv.dismount-host-device" kind="crash" when="after"/>)"}}));
  ASSERT_TRUE(parsed.has_value()) << toString(parsed.error());
  const auto& fault = parsed->scenarios.front().host.faults.front();
  EXPECT_EQ(fault.kind, FaultKind::Crash);
  EXPECT_TRUE(fault.after);
  EXPECT_EQ(fault.describe(), "hyperv.dismount-host-device:1:crash-after");
  const auto before = parse(withLines({{5, R"(    <fault op="hyperv.stop-vm" kind="crash"/>)"}}));
  ASSERT_TRUE(before.has_value());
  EXPECT_FALSE(before->scenarios.front().host.faults.front().after);
}

TEST(LoaderErrorTest, BadVmState) {
  EXPECT_THAT(errorLines(withLines({{5, R"(    <vm state="paused"/>)"}})), ElementsAre(5));
}

TEST(LoaderErrorTest, BadBoolean) {
  EXPECT_THAT(
      errorLines(withLines({{4, R"(    <gpu model="tesla-t4" mitigation-driver="yes"/>)"}})),
      ElementsAre(4));
  EXPECT_THAT(errorLines(withLines({{4, R"(    <gpu model="tesla-t4" resizable-bar="1"/>)"}})),
              ElementsAre(4));
  EXPECT_THAT(errorLines(withLines({{5, R"(    <hyperv enabled="TRUE"/>)"}})), ElementsAre(5));
  EXPECT_THAT(errorLines(withLines({{5, R"(    <vm guest-driver="no"/>)"}})), ElementsAre(5));
}

TEST(LoaderErrorTest, BadInteger) {
  EXPECT_THAT(errorLines(withLines({{4, R"(    <gpu model="tesla-t4" count="two"/>)"}})),
              ElementsAre(4));
  EXPECT_THAT(errorLines(withLines({{4, R"(    <gpu model="tesla-t4" count="0"/>)"}})),
              ElementsAre(4));
  EXPECT_THAT(errorLines(withLines({{5, R"(    <fault op="hyperv.stop-vm" occurrence="0"/>)"}})),
              ElementsAre(5));
  EXPECT_THAT(errorLines(withLines({{5, R"(    <fault op="hyperv.stop-vm" occurrence="1.5"/>)"}})),
              ElementsAre(5));
  EXPECT_THAT(errorLines(withLines({{8, R"(    <deploy gpu-count="one"/>)"}})), ElementsAre(8));
}

TEST(LoaderErrorTest, BadBuild) {
  EXPECT_THAT(errorLines(withLines({{3, R"(    <windows edition="server" build="1.2.3"/>)"}})),
              ElementsAre(3));
  EXPECT_THAT(
      errorLines(withLines({{3, R"(    <windows edition="server" build="Server 2019"/>)"}})),
      ElementsAre(3));
}

TEST(LoaderErrorTest, UnknownGpuModel) {
  EXPECT_THAT(errorLines(withLines({{4, R"(    <gpu model="tesla-t5"/>)"}})), ElementsAre(4));
  // Catalog ids, not friendly names.
  EXPECT_THAT(errorLines(withLines({{4, R"(    <gpu model="NVIDIA Tesla T4"/>)"}})),
              ElementsAre(4));
}

TEST(LoaderErrorTest, UnknownRigGpuAndRules) {
  EXPECT_THAT(errorLines(withLines({{6, "  </host>\n  <rig gpu=\"tesla-t5\"/>"}})), ElementsAre(7));
  EXPECT_THAT(errorLines(withLines({{1, R"(<scenario name="s" rules="eflow-2030">)"}})),
              ElementsAre(1));
}

TEST(LoaderErrorTest, UnknownFaultOperation) {
  EXPECT_THAT(errorLines(withLines({{5, R"(    <fault op="hyperv.explode"/>)"}})), ElementsAre(5));
}

TEST(LoaderErrorTest, MissingHost) {
  EXPECT_THAT(errorLines(withLines({{2, ""}, {3, ""}, {4, ""}, {5, ""}, {6, ""}})), ElementsAre(1));
}

TEST(LoaderErrorTest, MissingSteps) {
  EXPECT_THAT(errorLines(withLines({{7, ""}, {8, ""}, {9, ""}, {10, ""}, {11, ""}})),
              ElementsAre(1));
}

TEST(LoaderErrorTest, MissingWindows) {
  EXPECT_THAT(errorLines(withLines({{3, ""}})), ElementsAre(2));
}

TEST(LoaderErrorTest, MissingRequiredAttributes) {
  EXPECT_THAT(errorLines(withLines({{1, "<scenario>"}})), ElementsAre(1));
  EXPECT_THAT(errorLines(withLines({{1, R"(<scenario name="">)"}})), ElementsAre(1));
  EXPECT_THAT(errorLines(withLines({{4, R"(    <gpu mitigation-driver="true"/>)"}})),
              ElementsAre(4));
  EXPECT_THAT(errorLines(withLines({{5, R"(    <fault kind="error"/>)"}})), ElementsAre(5));
  EXPECT_THAT(errorLines(withLines({{3, R"(    <windows build="17763"/>)"}})), ElementsAre(3));
  EXPECT_THAT(errorLines(withLines({{3, R"(    <windows edition="server"/>)"}})), ElementsAre(3));
  EXPECT_THAT(errorLines(withLines({{6, "  </host>\n  <rig edition=\"server\"/>"}})),
              ElementsAre(7));
}

TEST(LoaderErrorTest, ExpectAsTheFirstStep) {
  EXPECT_THAT(errorLines(withLines({{8, R"(    <expect result="ok"/>)"}, {9, "    <deploy/>"}})),
              ElementsAre(8));
}

TEST(LoaderTest, SeveralExpectsCheckTheSameStep) {
  const auto parsed = parse(withLines({{10, R"(    <expect vm-gpu="none"/>)"}}));
  ASSERT_TRUE(parsed.has_value()) << toString(parsed.error());
  const auto& steps = parsed->scenarios.front().steps;
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[2].kind, StepKind::Expect);
  EXPECT_EQ(steps[2].expect.vmGpu, VmGpu::None);
}

TEST(LoaderErrorTest, ResultOkTogetherWithAnError) {
  EXPECT_THAT(errorLines(withLines({{9, R"(    <expect result="ok" error="gpu-count"/>)"}})),
              ElementsAre(9));
}

TEST(LoaderErrorTest, EmptySteps) {
  EXPECT_THAT(errorLines(withLines({{8, ""}, {9, ""}, {10, ""}})), ElementsAre(7));
}

TEST(LoaderErrorTest, ElementsThatMayAppearOnlyOnce) {
  EXPECT_THAT(errorLines(withLines({{5, R"(    <windows edition="home" build="1"/>)"}})),
              ElementsAre(5));
  EXPECT_THAT(errorLines(withLines({{11, "  </steps>\n  <steps><deploy/></steps>"}})),
              ElementsAre(12));
}

TEST(LoaderErrorTest, DuplicateScenarioNames) {
  EXPECT_THAT(errorLines(R"(<scenarios>
  <scenario name="same">
    <host><windows edition="server" build="17763"/></host>
    <steps><deploy/></steps>
  </scenario>
  <scenario name="other">
    <host><windows edition="server" build="17763"/></host>
    <steps><deploy/></steps>
  </scenario>
  <scenario name="same">
    <host><windows edition="server" build="17763"/></host>
    <steps><deploy/></steps>
  </scenario>
</scenarios>)"),
              ElementsAre(10));
}

TEST(LoaderErrorTest, EmptyScenariosAndStrayChildren) {
  EXPECT_THAT(errorLines("<scenarios>\n</scenarios>\n"), ElementsAre(1));
  EXPECT_THAT(errorLines("<scenarios>\n  <host/>\n</scenarios>\n"), Contains(2));
}

TEST(LoaderErrorTest, WrongRootElement) {
  EXPECT_THAT(errorLines("<?xml version=\"1.0\"?>\n<test name=\"s\"/>\n"), ElementsAre(2));
  EXPECT_THAT(errorLines("<gpu-catalog/>"), ElementsAre(1));
}

TEST(LoaderErrorTest, TwoScenarioRootsAreRejectedAtTheSecond) {
  const auto parsed = parse(withLines({}) + withLines({{1, R"(<scenario name="t">)"}}));
  ASSERT_FALSE(parsed.has_value());
  ASSERT_EQ(parsed.error().size(), 1u);
  EXPECT_EQ(parsed.error()[0].line, 13);
  EXPECT_THAT(parsed.error()[0].message, HasSubstr("expected one root element"));
}

TEST(LoaderErrorTest, TextAfterTheRootIsRejected) {
  const auto parsed = parse(withLines({}) + "\n  left over\n");
  ASSERT_FALSE(parsed.has_value());
  ASSERT_EQ(parsed.error().size(), 1u);
  EXPECT_EQ(parsed.error()[0].line, 14);
  EXPECT_THAT(parsed.error()[0].message,
              HasSubstr("text \"left over\" after the root element <scenario>"));
}

TEST(LoaderErrorTest, SeveralErrorsAreAllReportedSortedByLine) {
  const auto lines = errorLines(withLines({
      {1, R"(<scenario name="s" owner="me">)"},          // unknown attribute
      {3, R"(    <windows edition="xp" build="abc"/>)"}, // two bad values
      {4, R"(    <gpu model="tesla-t5" count="two"/>)"}, // two problems
      {5, R"(    <fault op="hyperv.explode" kind="boom" occurrence="0"/>)"},
      {8, R"(    <deploy passthrough="dda"/>)"},
      {9, R"(    <expect result="maybe" vm-gpu="x"/>)"},
      {10, R"(    <expect result="ok" error="gpu-count"/>)"},
  }));
  EXPECT_THAT(lines, ElementsAre(1, 3, 3, 4, 4, 5, 5, 5, 8, 9, 9, 10));
  EXPECT_TRUE(std::is_sorted(lines.begin(), lines.end()));
}

TEST(LoaderErrorTest, ErrorsInSeveralScenariosOfOneFileAreAllReported) {
  const auto lines = errorLines(R"(<scenarios>
  <scenario name="a">
    <host><windows edition="xp" build="17763"/></host>
    <steps><deploy/></steps>
  </scenario>
  <scenario name="b">
    <host><windows edition="server" build="17763"/></host>
    <steps><expect result="ok"/></steps>
  </scenario>
</scenarios>)");
  EXPECT_THAT(lines, ElementsAre(3, 8));
}

TEST(LoaderErrorTest, LinesAreRightWithWindowsLineEndings) {
  std::string crlf;
  for (const char c : withLines({{8, R"(    <deploy passthrough="dda"/>)"}})) {
    crlf += c == '\n' ? std::string{"\r\n"} : std::string(1, c);
  }
  EXPECT_THAT(errorLines(crlf), ElementsAre(8));
}

TEST(LoaderErrorTest, LinesAreRightAfterAByteOrderMark) {
  EXPECT_THAT(errorLines("\xEF\xBB\xBF" + withLines({{8, R"(    <deploy passthrough="dda"/>)"}})),
              ElementsAre(8));
}

TEST(LoaderErrorTest, LinesAreRightInUtf16Files) {
  std::string utf16 = "\xFF\xFE";
  for (const char c : withLines({{8, R"(    <deploy passthrough="dda"/>)"}})) {
    utf16 += c;
    utf16 += '\0';
  }
  EXPECT_THAT(errorLines(utf16), ElementsAre(8));
}

TEST(LoaderErrorTest, DiagnosticsFormatAsFileColonLine) {
  const auto parsed = parse(withLines({{8, R"(    <deploy passthrough="dda"/>)"}}));
  ASSERT_FALSE(parsed.has_value());
  ASSERT_EQ(parsed.error().size(), 1u);
  EXPECT_THAT(parsed.error()[0].toString(), ::testing::StartsWith("scenarios/test/broken.xml:8: "));
}

} // namespace
} // namespace hil::scenario
