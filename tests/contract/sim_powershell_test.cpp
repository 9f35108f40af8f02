#include "simulators/sim_powershell.h"

#include <chrono>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "framework/data/catalog.h"
#include "real_hw/ps_objects.h"
#include "real_hw/real_seams.h"
#include "simulators/sim_host.h"
#include "tests/support/hosts.h"

namespace hil::simulators {
namespace {

using namespace std::chrono_literals;
using real_hw::ShellReply;
using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr auto kDeadline = std::chrono::milliseconds{30s};

class SimPowerShellTest : public ::testing::Test {
protected:
  explicit SimPowerShellTest(const scenario::HostSpec& spec = test_hosts::t4Server(false,
                                                                                   {17763, 5329}))
      : host(spec, data::GpuCatalog::builtin(), 1), shell(host) {}

  ShellReply run(const std::string& command) {
    auto reply = shell.run(command, kDeadline);
    EXPECT_TRUE(reply) << command << ": " << reply.error().describe();
    return reply ? *reply : ShellReply{"", "", false};
  }

  const SimGpu& t4() const { return host.gpus.front(); }

  SimHost host;
  SimPowerShell shell;
};

// ---- Replies in the documented shapes ---------------------------------------------------------

TEST_F(SimPowerShellTest, GetVmAnswersInConvertToXmlsShape) {
  const auto reply = run("Get-VM -Name 'EFLOW' | Select-Object Name, @{Name='State'; "
                         "Expression={[string]$_.State}}, @{Name='AutomaticStopAction'; "
                         "Expression={[string]$_.AutomaticStopAction}}, LowMemoryMappedIoSpace, "
                         "HighMemoryMappedIoSpace, GuestControlledCacheTypes | ConvertTo-Xml -As "
                         "String -Depth 3");
  EXPECT_TRUE(reply.succeeded);
  EXPECT_EQ(reply.err, "");
  EXPECT_EQ(reply.out,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n"
            "<Objects>\r\n"
            "  <Object Type=\"System.Management.Automation.PSCustomObject\">\r\n"
            "    <Property Name=\"Name\" Type=\"System.String\">EFLOW</Property>\r\n"
            "    <Property Name=\"State\" Type=\"System.String\">Running</Property>\r\n"
            "    <Property Name=\"AutomaticStopAction\" Type=\"System.String\">Save</Property>\r\n"
            "    <Property Name=\"LowMemoryMappedIoSpace\" Type=\"System.UInt32\">134217728"
            "</Property>\r\n"
            "    <Property Name=\"HighMemoryMappedIoSpace\" Type=\"System.UInt64\">536870912"
            "</Property>\r\n"
            "    <Property Name=\"GuestControlledCacheTypes\" Type=\"System.Boolean\">False"
            "</Property>\r\n"
            "  </Object>\r\n"
            "</Objects>\r\n");
}

TEST_F(SimPowerShellTest, AnEnumPastDepthOneIsItsValueField) {
  // Why the Real* seams read enums through [string]: at -Depth 3 ConvertTo-Xml writes an enum
  // as an object whose only field is value__.
  const auto reply =
      run("Get-VM -Name 'EFLOW' | Select-Object Name, State | ConvertTo-Xml -As String -Depth 3");
  EXPECT_THAT(reply.out, HasSubstr("<Property Name=\"State\" Type=\"Microsoft.HyperV.PowerShell."
                                   "VMState\">\r\n      <Property Name=\"value__\" "
                                   "Type=\"System.Int32\">2</Property>\r\n    </Property>"));
  auto objects = real_hw::parsePsObjects(reply.out);
  ASSERT_TRUE(objects) << objects.error().describe();
  EXPECT_EQ(objects->front().valueOr("State", "?"), "");
}

TEST_F(SimPowerShellTest, NothingIsAnEmptyObjectsElement) {
  const auto reply = run("Get-VMAssignableDevice -VMName 'EFLOW' | Select-Object InstanceID, "
                         "LocationPath | ConvertTo-Xml -As String -Depth 3");
  EXPECT_EQ(reply.out, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<Objects />\r\n");
}

TEST_F(SimPowerShellTest, LocationPathsAreAStringList) {
  const auto reply = run("Get-PnpDeviceProperty -InstanceId '" + t4().instanceId +
                         "' -KeyName 'DEVPKEY_Device_LocationPaths' | Select-Object KeyName, Data "
                         "| ConvertTo-Xml -As String -Depth 3");
  EXPECT_THAT(reply.out, HasSubstr("<Property Name=\"Data\" Type=\"System.String[]\">\r\n"
                                   "      <Property Type=\"System.String\">" +
                                   t4().location + "</Property>\r\n"));
}

TEST_F(SimPowerShellTest, TestPathIsOneBoolean) {
  const auto reply = run("Test-Path -LiteralPath (Join-Path $env:SystemRoot "
                         "'System32\\lxss\\lib\\libcuda.so') | ConvertTo-Xml -As String -Depth 3");
  EXPECT_THAT(reply.out, HasSubstr("<Object Type=\"System.Boolean\">False</Object>"));
}

TEST_F(SimPowerShellTest, ActionsPrintNothingAndChangeTheHost) {
  auto reply = run("Disable-PnpDevice -InstanceId '" + t4().instanceId + "' -Confirm:$false");
  EXPECT_TRUE(reply.succeeded);
  EXPECT_EQ(reply.out, "");
  EXPECT_FALSE(t4().enabled);
  reply = run("Dismount-VMHostAssignableDevice -Force -LocationPath '" + t4().location + "'");
  EXPECT_TRUE(reply.succeeded) << reply.err;
  EXPECT_FALSE(t4().mounted);
}

// ---- Failures ----------------------------------------------------------------------------------

TEST_F(SimPowerShellTest, AFailedCmdletPrintsItsErrorRecord) {
  const auto reply = run("Get-VM -Name 'nope' | Select-Object Name | ConvertTo-Xml -As String "
                         "-Depth 3");
  EXPECT_FALSE(reply.succeeded);
  EXPECT_EQ(reply.out, "");
  EXPECT_THAT(reply.err,
              StartsWith("Get-VM : Hyper-V was unable to find a virtual machine with name "
                         "\"nope\".\r\nAt line:1 char:1\r\n+ Get-VM -Name 'nope' | "));
  EXPECT_THAT(reply.err, HasSubstr("FullyQualifiedErrorId"));
}

TEST_F(SimPowerShellTest, AHyperVRuleIsTheCmdletsFailure) {
  auto reply = run("Dismount-VMHostAssignableDevice -Force -LocationPath '" + t4().location + "'");
  EXPECT_FALSE(reply.succeeded) << "dismounted an enabled device";
  EXPECT_THAT(reply.err, StartsWith("Dismount-VMHostAssignableDevice : "));
  EXPECT_TRUE(t4().mounted);
}

TEST_F(SimPowerShellTest, AnUnknownCommandIsALoudFailure) {
  for (const std::string command :
       {"Get-Process", "Remove-VM -Name 'EFLOW'", "Get-VM -Name 'EFLOW' -ComputerName 'x'",
        "Get-VM -Name EFLOW; Remove-VM -Name EFLOW", "Get-VM -Name \"EFLOW\"",
        "Get-VM -Name 'EFL*'", "Get-VM -Name 'EFLOW'", "Set-VM -Name 'EFLOW' -ProcessorCount 4",
        "Get-PnpDevice -Class Display", "Invoke-EflowVmCommand -command 'lspci' -ignoreError",
        "Invoke-EflowVmCommand -command 'ls' /tmp; echo __hil_exit=$?' -ignoreError",
        "Test-Path -LiteralPath 'C:\\Windows\\notepad.exe' | ConvertTo-Xml -As String -Depth 3",
        "Get-VM -Name 'unterminated"}) {
    const auto reply = run(command);
    EXPECT_FALSE(reply.succeeded) << command;
    EXPECT_THAT(reply.err, StartsWith("SimPowerShell does not know: ")) << command;
  }
  EXPECT_TRUE(host.vm("EFLOW") != nullptr);
}

TEST_F(SimPowerShellTest, ConfirmationPromptsFailWithoutAConsole) {
  const auto reply = run("Disable-PnpDevice -InstanceId '" + t4().instanceId + "'");
  EXPECT_FALSE(reply.succeeded);
  EXPECT_THAT(reply.err, StartsWith("Disable-PnpDevice : PowerShell is in NonInteractive mode."));
  EXPECT_TRUE(t4().enabled);
}

TEST_F(SimPowerShellTest, AnInjectedHangIsTheSessionsTimeout) {
  host.setFaults({scenario::FaultSpec{"hyperv.start-vm", scenario::FaultKind::Hang, 1}});
  auto reply = shell.run("Start-VM -Name 'EFLOW'", kDeadline);
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().code, ErrorCode::Timeout);
  EXPECT_EQ(host.clock().now(), std::chrono::nanoseconds{30s} + std::chrono::milliseconds{2000});
}

TEST_F(SimPowerShellTest, AnInjectedErrorIsTheCmdletsFailure) {
  host.setFaults({scenario::FaultSpec{"pnp.disable-device", scenario::FaultKind::Error, 1}});
  const auto reply = run("Disable-PnpDevice -InstanceId '" + t4().instanceId + "' -Confirm:$false");
  EXPECT_FALSE(reply.succeeded);
  EXPECT_THAT(reply.err, StartsWith("Disable-PnpDevice : Generic failure\r\n"));
  EXPECT_TRUE(t4().enabled);
}

// ---- Quoting -----------------------------------------------------------------------------------

TEST_F(SimPowerShellTest, LiteralsAreReadWithTheirDoubledQuotes) {
  const std::string open = "\xE2\x80\x98"; // PowerShell reads the typographic quotes as ' too
  const std::string close = "\xE2\x80\x99";
  const std::string name = "it's " + open + "EFLOW" + close + " $(x) `n; |";
  auto vm = host.vms.extract("EFLOW");
  vm.key() = name;
  vm.mapped().config.name = name;
  host.vms.insert(std::move(vm));
  const auto reply = run("Get-VM -Name 'it''s " + open + open + "EFLOW" + close + close +
                         " $(x) `n; |' | Select-Object Name | ConvertTo-Xml -As String -Depth 3");
  EXPECT_TRUE(reply.succeeded) << reply.err;
  EXPECT_THAT(reply.out, HasSubstr(">" + name + "</Property>"));
}

// ---- The guest and EFLOW -----------------------------------------------------------------------

TEST_F(SimPowerShellTest, InvokeEflowVmCommandRunsTheGuestAndEchoesItsStatus) {
  auto reply = run("Invoke-EflowVmCommand -command '''ls'' ''/dev/dxg''; echo __hil_exit=$?' "
                   "-ignoreError");
  EXPECT_TRUE(reply.succeeded);
  EXPECT_EQ(reply.out, "__hil_exit=2\r\n");
  EXPECT_EQ(reply.err, "ls: cannot access '/dev/dxg': No such file or directory\r\n");
}

TEST_F(SimPowerShellTest, GuestArgumentsKeepTheirQuotes) {
  // bash's 'it'\''s': the quote survives both layers of quoting.
  auto reply = run("Invoke-EflowVmCommand -command '''ls'' ''it''\\''''s''; echo __hil_exit=$?' "
                   "-ignoreError");
  EXPECT_EQ(reply.err, "ls: cannot access 'it's': No such file or directory\r\n");
}

TEST_F(SimPowerShellTest, SetEflowVmDeploysAndRemovesTheGpu) {
  const std::string prefix = "Set-EflowVM -cpuCount (Get-VM -Name 'EFLOW').ProcessorCount "
                             "-memoryInMB ([int]((Get-VM -Name 'EFLOW').MemoryStartup / 1MB))";
  auto reply = run(prefix + " -gpuPassthroughType DirectDeviceAssignment -gpuName 'NVIDIA Tesla "
                            "T4' -gpuCount 1 -headless");
  ASSERT_TRUE(reply.succeeded) << reply.err;
  EXPECT_THAT(host.vm("EFLOW")->assigned, ElementsAre(t4().location));
  EXPECT_EQ(host.vm("EFLOW")->config.state, platform::VmState::Running);
  reply = run(prefix + " -headless");
  ASSERT_TRUE(reply.succeeded) << reply.err;
  EXPECT_TRUE(host.vm("EFLOW")->assigned.empty());
  EXPECT_TRUE(t4().mounted);
  EXPECT_TRUE(t4().enabled);
}

TEST_F(SimPowerShellTest, SetEflowVmRefusesWhatEflowRefuses) {
  const auto reply = run("Set-EflowVM -cpuCount 1 -memoryInMB 1024 -gpuPassthroughType "
                         "ParaVirtualization -gpuName 'NVIDIA Tesla T4' -gpuCount 1");
  EXPECT_FALSE(reply.succeeded);
  EXPECT_THAT(reply.err, StartsWith("Set-EflowVM : "));
  EXPECT_TRUE(host.vm("EFLOW")->adapters.empty());
}

TEST_F(SimPowerShellTest, TheMitigationDriverOverrideIsAnEnvironmentVariable) {
  real_hw::RealSeams seams{shell, real_hw::RealOptions{kDeadline, "EFLOW"}};
  auto installed = seams.platform().drivers.mitigationDriverInstalled(t4().instanceId);
  ASSERT_TRUE(installed) << installed.error().describe();
  EXPECT_FALSE(*installed);
  shell.setEnvironment("HIL_MITIGATION_DRIVER", "nvlddmkm");
  installed = seams.platform().drivers.mitigationDriverInstalled(t4().instanceId);
  ASSERT_TRUE(installed) << installed.error().describe();
  EXPECT_TRUE(*installed);
}

class SimPowerShellGeForceTest : public SimPowerShellTest {
protected:
  SimPowerShellGeForceTest() : SimPowerShellTest(test_hosts::geforceWorkstation()) {}
};

TEST_F(SimPowerShellGeForceTest, PartitionableGpusAndAdaptersThroughTheRealSeams) {
  real_hw::RealSeams seams{shell, real_hw::RealOptions{kDeadline, "EFLOW"}};
  auto p = seams.platform();
  auto gpus = p.hyperv.partitionableGpus();
  ASSERT_TRUE(gpus) << gpus.error().describe();
  ASSERT_EQ(gpus->size(), 1u);
  EXPECT_EQ(gpus->front().instanceId, host.gpus.front().instanceId);
  ASSERT_TRUE(p.hyperv.stopVm("EFLOW"));
  auto added = p.hyperv.addGpuPartitionAdapter("EFLOW", gpus->front().name);
  ASSERT_TRUE(added) << added.error().describe();
  EXPECT_EQ(host.vm("EFLOW")->adapters, std::vector{*added});
  auto info = p.host.windowsInfo();
  ASSERT_TRUE(info) << info.error().describe();
  EXPECT_EQ(info->edition, platform::Edition::Professional);
  EXPECT_EQ(info->build, (platform::WindowsBuild{22631, 0}));
}

TEST_F(SimPowerShellGeForceTest, SetEflowVmSharesTheGpuByParaVirtualization) {
  const auto reply = run("Set-EflowVM -cpuCount 2 -memoryInMB 2048 -gpuPassthroughType "
                         "ParaVirtualization -gpuName 'NVIDIA GeForce RTX 3060' -gpuCount 1");
  ASSERT_TRUE(reply.succeeded) << reply.err;
  ASSERT_EQ(host.vm("EFLOW")->adapters.size(), 1u);
  const auto vm = run("Get-VM -Name 'EFLOW' | Select-Object ProcessorCount, MemoryStartup | "
                      "ConvertTo-Xml -As String -Depth 3");
  EXPECT_THAT(vm.out, HasSubstr(">2</Property>"));
  EXPECT_THAT(vm.out, HasSubstr(">2147483648</Property>"));
  EXPECT_THAT(vm.out, EndsWith("</Objects>\r\n"));
}

} // namespace
} // namespace hil::simulators
