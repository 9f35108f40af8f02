// The Real* seams over real PowerShell 7 and the stand-in module (simulators/powershell):
// - every command a seam sends names only cmdlets with a documented signature in
//   simulators/powershell/cmdlets.xml (which the stand-in defines from it) or PowerShell's own,
//   as PowerShell's parser reads the command;
// - hostile values (quotes, $(), backticks, semicolons, newlines, non-ASCII, 64 KiB) as VM names
//   and device ids reach the simulated host byte for byte and execute nothing;
// - what the binder refuses (a misspelt parameter, a value of the wrong type, an enum value
//   Hyper-V does not have) fails as PowerShell fails it.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fmt/format.h>

#include "framework/core/base64.h"
#include "framework/data/catalog.h"
#include "framework/data/rules.h"
#include "framework/scenario/scenario.h"
#include "real_hw/real_runner.h"
#include "real_hw/real_seams.h"
#include "real_hw/rig.h"
#include "real_hw/standin_rig.h"
#include "real_hw/transcript.h"
#include "storage/state_dir.h"
#include "tests/powershell/session/pwsh_test_support.h"

namespace hil::real_hw {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

constexpr auto kDeadline = std::chrono::milliseconds{60s};

std::string randomHex() {
  std::random_device entropy;
  return fmt::format("{:08x}{:08x}", entropy(), entropy());
}

class StandInSeams : public ::testing::Test {
protected:
  StandInSeams()
      : dir_((std::filesystem::temp_directory_path() / ("hil-standin-test-" + randomHex()))),
        shell_(openPersistentShell(defaultStandInPowerShell(), ShellDialect::PowerShell,
                                   "__hil_" + randomHex())),
        standin_(*shell_, StandIn{HIL_STANDIN_MODULE, HIL_STANDIN_HIL, (dir_ / "state").string()}),
        recorder_(standin_, transcript_), seams_(recorder_, RealOptions{kDeadline, "EFLOW"}) {
    std::filesystem::create_directories(dir_);
  }
  ~StandInSeams() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  void SetUp() override {
    const std::string file = HIL_CONTRACT_HOSTS_DIR "/t4-server-2019.xml";
    auto text = storage::readFileIfExists(file);
    ASSERT_TRUE(text && *text) << file;
    auto parsed = scenario::parseScenarioFile(std::move(**text), file, data::GpuCatalog::builtin());
    ASSERT_TRUE(parsed) << toString(parsed.error());
    auto reset = resetStandIn(standin_, kDeadline, parsed->scenarios.front(), 1, {},
                              std::string{data::RulesProfile::kDefault});
    ASSERT_TRUE(reset) << reset.error().describe();
  }

  /// A command straight to the stand-in's session (not through a seam).
  ShellReply direct(const std::string& command) {
    auto reply = standin_.run(command, kDeadline);
    EXPECT_TRUE(reply) << (reply ? "" : reply.error().describe());
    return reply ? *reply : ShellReply{};
  }

  std::filesystem::path dir_;
  std::unique_ptr<ShellSession> shell_;
  StandInShell standin_;
  Transcript transcript_;
  RecordingShellSession recorder_;
  RealSeams seams_;
};

/// Every seam operation once (values of a real host where they matter).
std::vector<std::function<void(RealSeams&)>>
everyOperation(const std::string& vm, const std::string& device, const std::string& location) {
  auto p = [](RealSeams& s) { return s.platform(); };
  return {
      [=](RealSeams& s) { (void)p(s).host.windowsInfo(); },
      [=](RealSeams& s) { (void)p(s).host.hypervFeature(); },
      [=](RealSeams& s) { (void)p(s).pnp.displayDevices(); },
      [=](RealSeams& s) { (void)p(s).pnp.locationPath(device); },
      [=](RealSeams& s) { (void)p(s).drivers.mitigationDriverInstalled(device); },
      [=](RealSeams& s) { (void)p(s).drivers.wslDriverInstalled(device); },
      [=](RealSeams& s) { (void)p(s).hyperv.vmConfig(vm); },
      [=](RealSeams& s) { (void)p(s).hyperv.stopVm(vm); },
      [=](RealSeams& s) {
        (void)p(s).hyperv.setAutomaticStopAction(vm, platform::StopAction::TurnOff);
      },
      [=](RealSeams& s) { (void)p(s).hyperv.setMemoryMappedIo(vm, platform::kDefaultMmio); },
      [=](RealSeams& s) { (void)p(s).hyperv.setGuestControlledCacheTypes(vm, true); },
      [=](RealSeams& s) { (void)p(s).pnp.disableDevice(device); },
      [=](RealSeams& s) { (void)p(s).hyperv.dismountHostDevice(location, true); },
      [=](RealSeams& s) { (void)p(s).hyperv.hostAssignableDevices(); },
      [=](RealSeams& s) { (void)p(s).hyperv.addAssignableDevice(vm, location); },
      [=](RealSeams& s) { (void)p(s).hyperv.assignableDevices(vm); },
      [=](RealSeams& s) { (void)p(s).hyperv.removeAssignableDevice(vm, location); },
      [=](RealSeams& s) { (void)p(s).hyperv.mountHostDevice(location); },
      [=](RealSeams& s) { (void)p(s).pnp.enableDevice(device); },
      [=](RealSeams& s) { (void)p(s).hyperv.partitionableGpus(); },
      [=](RealSeams& s) { (void)p(s).hyperv.gpuPartitionAdapters(vm); },
      [=](RealSeams& s) { (void)p(s).hyperv.addGpuPartitionAdapter(vm, device); },
      [=](RealSeams& s) { (void)p(s).hyperv.removeGpuPartitionAdapter(vm, "adapter"); },
      [=](RealSeams& s) { (void)p(s).hyperv.startVm(vm); },
      [=](RealSeams& s) {
        (void)p(s).guest.run({"lspci", "-n"});
      },
      [=](RealSeams& s) {
        (void)s.eflow().setGpu(
            {platform::Technique::DirectDeviceAssignment, "NVIDIA Tesla T4", 1, true});
      },
      [=](RealSeams& s) {
        (void)s.eflow().setGpu({std::nullopt, "", 1, true});
      },
  };
}

TEST_F(StandInSeams, EveryCommandNamesOnlyDocumentedOrBuiltInCmdlets) {
  const std::string t4 = "PCI\\VEN_10DE&DEV_1EB8&SUBSYS_1EB810DE&REV_A1\\4&2D8E2B41&0&0008";
  for (const auto& operation : everyOperation("EFLOW", t4, "PCIROOT(0)#PCI(0300)#PCI(0000)")) {
    operation(seams_);
  }
  ASSERT_GE(transcript_.exchanges.size(), 27u);
  // PowerShell's own parser reads each command; every command it names must be a stand-in
  // cmdlet generated from cmdlets.xml, or a cmdlet of PowerShell's own modules.
  std::string list;
  for (const auto& exchange : transcript_.exchanges) {
    list += fmt::format("{},", psQuote(exchange.command));
  }
  list.pop_back();
  const auto reply = direct(fmt::format(
      "$reference = [xml](Get-Content -Raw -LiteralPath {}); "
      "$documented = @($reference.SelectNodes('/cmdlet-reference/cmdlet') | ForEach-Object {{ "
      "$_.GetAttribute('name') }}); "
      "foreach ($command in @({})) {{ $tokens = $null; $errors = $null; "
      "$ast = [Management.Automation.Language.Parser]::ParseInput($command, [ref]$tokens, "
      "[ref]$errors); if ($errors) {{ \"PARSE $command\" }}; "
      "foreach ($c in $ast.FindAll({{ $args[0] -is [Management.Automation.Language.CommandAst] "
      "}}, $true)) {{ $name = $c.GetCommandName(); $found = Get-Command -Name $name "
      "-ErrorAction SilentlyContinue; if ($null -eq $found) {{ \"UNKNOWN $name\" }} elseif "
      "($found.Source -eq 'HilStandIn' -and $name -notin $documented -and $name -notin "
      "'Test-Path','Get-ItemProperty') {{ \"UNDOCUMENTED $name\" }} elseif ($found.Source -ne "
      "'HilStandIn' -and $found.Source -notlike 'Microsoft.PowerShell.*') {{ \"FOREIGN $name "
      "$($found.Source)\" }} else {{ \"OK $name\" }} }} }}",
      psQuote(HIL_CMDLETS_XML), list));
  EXPECT_THAT(reply.out, Not(HasSubstr("UNKNOWN"))) << reply.out;
  EXPECT_THAT(reply.out, Not(HasSubstr("UNDOCUMENTED"))) << reply.out;
  EXPECT_THAT(reply.out, Not(HasSubstr("FOREIGN"))) << reply.out;
  EXPECT_THAT(reply.out, Not(HasSubstr("PARSE"))) << reply.out;
  for (const auto* cmdlet : {"Get-VM",
                             "Set-VM",
                             "Stop-VM",
                             "Start-VM",
                             "Get-PnpDevice",
                             "Get-PnpDeviceProperty",
                             "Disable-PnpDevice",
                             "Enable-PnpDevice",
                             "Dismount-VMHostAssignableDevice",
                             "Mount-VMHostAssignableDevice",
                             "Get-VMHostAssignableDevice",
                             "Add-VMAssignableDevice",
                             "Remove-VMAssignableDevice",
                             "Get-VMAssignableDevice",
                             "Get-VMHostPartitionableGpu",
                             "Get-VMGpuPartitionAdapter",
                             "Add-VMGpuPartitionAdapter",
                             "Remove-VMGpuPartitionAdapter",
                             "Get-ComputerInfo",
                             "Get-WindowsOptionalFeature",
                             "Invoke-EflowVmCommand",
                             "Set-EflowVM"}) {
    EXPECT_THAT(reply.out, HasSubstr(fmt::format("OK {}\n", cmdlet))) << "never sent: " << cmdlet;
  }
}

TEST_F(StandInSeams, HostileNamesReachTheHostByteForByteAndRunNothing) {
  const auto sentinel = (dir_ / "executed").string();
  const auto precious = (dir_ / "precious").string();
  std::ofstream{precious} << "keep";
  // The session's own hostile values (tests/powershell/session), less those a VM name cannot
  // be: empty or with a wildcard (the seams refuse both before sending), or with a NUL, which a
  // program's argv (how the stand-in hands a value to its host) cannot carry; the session
  // tests carry NUL through PowerShell itself.
  std::vector<std::string> values;
  for (auto& value : testing::hostileValues(sentinel, precious)) {
    if (!value.empty() && value.find_first_of("*?[]") == std::string::npos &&
        value.find('\0') == std::string::npos) {
      values.push_back(std::move(value));
    }
  }
  ASSERT_GE(values.size(), 25u);
  for (const auto& value : values) {
    // The VM does not exist: Hyper-V's error names it, as the simulated host received it.
    auto config = seams_.platform().hyperv.vmConfig(value);
    ASSERT_FALSE(config) << value.substr(0, 80);
    EXPECT_EQ(config.error().code, ErrorCode::OperationFailed);
    const auto& recorded = transcript_.exchanges.back();
    ASSERT_TRUE(recorded.reply);
    EXPECT_THAT(recorded.reply->err,
                HasSubstr("Hyper-V was unable to find a virtual machine with name"))
        << recorded.reply->err.substr(0, 400);
    // The engine's own record of the name: the stand-in's state has no such VM, and its error
    // message (from the simulator) carries the name exactly.
    const auto echoed =
        direct(fmt::format("try {{ Get-VM -Name {} -ErrorAction Stop }} catch {{ "
                           "[Console]::Out.Write([Convert]::ToBase64String([Text.Encoding]::UTF8."
                           "GetBytes($_.Exception.Message))) }}",
                           psQuote(value)));
    std::string expected = fmt::format("Hyper-V was unable to find a virtual machine with name "
                                       "\"{}\".",
                                       value);
    const auto decoded = fromBase64(echoed.out).value_or("(not base64)");
    EXPECT_EQ(decoded, expected) << value.substr(0, 80);
    std::error_code ec;
    EXPECT_FALSE(std::filesystem::exists(sentinel, ec)) << "executed: " << value;
  }
  // A hostile device id is refused by the host for what it is: no such device.
  for (const auto& value : values) {
    auto path = seams_.platform().pnp.locationPath(value);
    ASSERT_FALSE(path) << value.substr(0, 80);
  }
  std::error_code ec;
  EXPECT_FALSE(std::filesystem::exists(sentinel, ec));
  EXPECT_TRUE(std::filesystem::exists(precious, ec));
}

TEST_F(StandInSeams, AValueThatIsTheStopParsingTokenStaysOneArgument) {
  // Real pwsh reads an argument that is exactly --%, quoted or not, as the stop-parsing token:
  // the rest of the line would be one verbatim argument. quoteFor keeps it a value.
  const auto reply = direct(
      fmt::format("function Test-HilArguments {{ param($First, $Second) \"[$First][$Second]\" }}; "
                  "Test-HilArguments -First {} -Second 1; 'next'",
                  psQuote("--%")));
  EXPECT_THAT(reply.out, HasSubstr("[--%][1]"));
  EXPECT_THAT(reply.out, HasSubstr("next"));
}

TEST_F(StandInSeams, TheBinderRefusesWhatWindowsRefuses) {
  // What a typo or a wrong type in a seam's command would meet on Windows: PowerShell's binder,
  // with its own words, before any cmdlet runs.
  const std::vector<std::pair<std::string, std::string>> refused = {
      {"Get-VM -Nmae 'EFLOW'", "A parameter cannot be found that matches parameter name 'Nmae'"},
      {"Set-VM -Name 'EFLOW' -AutomaticStopAction Hibernate",
       "Specify one of the following enumerator names and try again:"},
      {"Set-VM -Name 'EFLOW' -LowMemoryMappedIoSpace 4294967296", "to type \"System.UInt32\""},
      {"Set-VM -Name 'EFLOW' -GuestControlledCacheTypes 'yes'",
       "parameter 'GuestControlledCacheTypes'"},
      {"Dismount-VMHostAssignableDevice -LocationPath 'x' -Forse", "parameter name 'Forse'"},
      {"Add-VMGpuPartitionAdapter -VMName 'EFLOW' -AdapterId 'x'",
       "A parameter cannot be found that matches parameter name 'AdapterId'"},
      {"Stop-VM -Name 'EFLOW' -VM (Get-VM -Name 'EFLOW')", "Parameter set cannot be resolved"},
      {"Set-EflowVM -gpuPassthroughType 'Both'",
       "Cannot validate argument on parameter 'gpuPassthroughType'"},
  };
  for (const auto& [command, words] : refused) {
    const auto reply = direct(command);
    EXPECT_FALSE(reply.succeeded) << command;
    EXPECT_THAT(reply.err, HasSubstr(words)) << command;
  }
  // And what it takes: Hyper-V's documented enum names and numeric literals with suffixes.
  for (const auto* command :
       {"Stop-VM -Name 'EFLOW' -Force", "Set-VM -Name 'EFLOW' -AutomaticStopAction TurnOff",
        "Set-VM -Name 'EFLOW' -LowMemoryMappedIoSpace 3Gb -HighMemoryMappedIoSpace 33280Mb",
        "Set-VM -VMName 'EFLOW' -GuestControlledCacheTypes $true"}) {
    const auto reply = direct(command);
    EXPECT_TRUE(reply.succeeded) << command << ": " << reply.err;
  }
  auto config = seams_.platform().hyperv.vmConfig("EFLOW");
  ASSERT_TRUE(config) << config.error().describe();
  EXPECT_EQ(config->mmio.low, 3ull << 30);
  EXPECT_EQ(config->mmio.high, 33280ull << 20);
  EXPECT_EQ(config->automaticStopAction, platform::StopAction::TurnOff);
  EXPECT_TRUE(config->guestControlledCacheTypes);
}

TEST_F(StandInSeams, AFailedCmdletIsANonTerminatingErrorRecordAsOnWindows) {
  // The pipeline goes on after Get-VM's error (ConvertTo-Xml still prints an empty document),
  // $? is false, and the record is Hyper-V's kind.
  const auto reply = direct(
      "Get-VM -Name 'none' | ConvertTo-Xml -As String -Depth 3; $e = $Error[0]; "
      "'category=' + $e.CategoryInfo.Category; 'exception=' + $e.Exception.GetType().FullName; "
      "Get-VM -Name 'none'");
  EXPECT_FALSE(reply.succeeded);
  EXPECT_THAT(reply.out, HasSubstr("<Objects />"));
  EXPECT_THAT(reply.out, HasSubstr("category=InvalidOperation"));
  EXPECT_THAT(reply.out,
              HasSubstr("exception=Microsoft.HyperV.PowerShell.VirtualizationException"));
  EXPECT_THAT(reply.err, HasSubstr("Get-VM : Hyper-V was unable to find a virtual machine"));
}

} // namespace
} // namespace hil::real_hw
