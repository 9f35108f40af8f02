#include "real_hw/real_seams.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "framework/platform/operations.h"
#include "real_hw/real_guest.h"
#include "real_hw/real_host_os.h"
#include "real_hw/real_hyperv.h"
#include "real_hw/real_runner.h"
#include "tests/mocks/real_hw_mocks.h"

namespace hil::real_hw {
namespace {

using namespace std::chrono_literals;
using platform::DeviceStatus;
using platform::Edition;
using platform::StopAction;
using platform::Technique;
using platform::VmState;
using test_mocks::MockShellSession;
using ::testing::_;
using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;
using ::testing::StrictMock;

constexpr auto kDeadline = 42s;
constexpr std::string_view kToXmlTail = " | ConvertTo-Xml -As String -Depth 3";

const std::string kT4 = "PCI\\VEN_10DE&DEV_1EB8&SUBSYS_12A210DE&REV_A1\\4&2B5B1D1B&0&0008";
const std::string kT4Location = "PCIROOT(0)#PCI(0300)#PCI(0000)";

// ---- helpers ---------------------------------------------------------------------------------

/// One ConvertTo-Xml -As String document, as PowerShell prints it (CRLF, indented), around the
/// given <Object> elements.
std::string objects(const std::vector<std::string>& elements) {
  std::string xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<Objects>\r\n";
  for (const auto& e : elements) {
    xml += e;
  }
  return xml + "</Objects>\r\n";
}

/// One PSCustomObject (what Select-Object makes) with string properties.
std::string object(const std::vector<std::pair<std::string, std::string>>& properties) {
  std::string xml = "  <Object Type=\"System.Management.Automation.PSCustomObject\">\r\n";
  for (const auto& [name, value] : properties) {
    xml += value.empty() ? "    <Property Name=\"" + name + "\" Type=\"System.String\" />\r\n"
                         : "    <Property Name=\"" + name + "\" Type=\"System.String\">" + value +
                               "</Property>\r\n";
  }
  return xml + "  </Object>\r\n";
}

ShellReply ok(std::string out) { return ShellReply{std::move(out), "", true}; }

ShellReply failed(std::string err) { return ShellReply{"", std::move(err), false}; }

/// The text of a command outside its PowerShell single-quoted literals (a literal is replaced
/// by ''), so a test can see that a value reached PowerShell only inside one. PowerShell reads
/// ' and the typographic U+2018..U+201B all as single quotes; two in a row are one literal quote.
std::string outsideLiterals(std::string_view command) {
  auto quoteAt = [&](std::size_t i) -> std::size_t {
    if (command[i] == '\'') {
      return 1;
    }
    if (command.substr(i, 2) == "\xE2\x80" && i + 2 < command.size() &&
        static_cast<unsigned char>(command[i + 2]) >= 0x98 &&
        static_cast<unsigned char>(command[i + 2]) <= 0x9B) {
      return 3;
    }
    return 0;
  };
  std::string outside;
  std::size_t i = 0;
  while (i < command.size()) {
    const auto open = quoteAt(i);
    if (open == 0) {
      outside += command[i++];
      continue;
    }
    i += open;
    while (true) {
      EXPECT_LT(i, command.size()) << "unterminated literal in: " << command;
      if (i >= command.size()) {
        return outside;
      }
      if (const auto q = quoteAt(i); q != 0) {
        if (i + q < command.size() && quoteAt(i + q) != 0) {
          i += q + quoteAt(i + q); // a doubled quote stays inside
          continue;
        }
        i += q;
        break;
      }
      ++i;
    }
    outside += "''";
  }
  return outside;
}

/// The content of the first PowerShell single-quoted literal after `after` in `command`.
std::string literalAfter(std::string_view command, std::string_view after) {
  auto at = command.find(after);
  EXPECT_NE(at, std::string_view::npos) << after << " not in " << command;
  at += after.size();
  EXPECT_EQ(command[at], '\'');
  std::string content;
  for (++at; at < command.size(); ++at) {
    if (command[at] == '\'') {
      if (at + 1 < command.size() && command[at + 1] == '\'') {
        content += '\'';
        ++at;
        continue;
      }
      return content;
    }
    content += command[at];
  }
  ADD_FAILURE() << "unterminated literal in " << command;
  return content;
}

/// A scripted answer: the command text goes to `*sent` (when given), the reply comes back.
/// (A lambda rather than Return(): g++ 12 warns, wrongly, that copying a std::expected through
/// gmock's Return may read an uninitialised Error.)
auto answer(ShellReply reply, std::string* sent = nullptr) {
  return [reply = std::move(reply), sent](const std::string& command,
                                          std::chrono::milliseconds) -> Result<ShellReply> {
    if (sent != nullptr) {
      *sent = command;
    }
    return reply;
  };
}

/// The session's own failure (a timeout, a dead shell) as a scripted answer.
auto sessionError(ErrorCode code, std::string message) {
  return [code, message = std::move(message)](const std::string&,
                                              std::chrono::milliseconds) -> Result<ShellReply> {
    return fail(code, message);
  };
}

class RealSeamsTest : public ::testing::Test {
protected:
  /// The next command gets `reply`; the command text lands in `sent`.
  void replies(ShellReply reply) {
    EXPECT_CALL(shell, run(_, std::chrono::milliseconds{kDeadline}))
        .WillOnce(answer(std::move(reply), &sent));
  }

  StrictMock<MockShellSession> shell;
  RealSeams seams{shell, RealOptions{kDeadline, "EFLOW"}};
  platform::Platform p = seams.platform();
  std::string sent;
};

template <class T>
void expectError(const Result<T>& result, ErrorCode code, std::string_view operation) {
  ASSERT_FALSE(result) << "expected " << toString(code);
  EXPECT_EQ(result.error().code, code) << result.error().describe();
  ASSERT_FALSE(result.error().context.empty()) << result.error().describe();
  EXPECT_EQ(result.error().context.front(), operation);
}

// ---- HostOs ----------------------------------------------------------------------------------

TEST_F(RealSeamsTest, WindowsInfoReadsEditionBuildAndRevision) {
  replies(ok(objects({object(
      {{"WindowsEditionId", "ServerDatacenter"}, {"OsBuildNumber", "17763"}, {"UBR", "5329"}})})));
  auto info = p.host.windowsInfo();
  ASSERT_TRUE(info) << info.error().describe();
  EXPECT_EQ(info->edition, Edition::Server);
  EXPECT_EQ(info->build, (platform::WindowsBuild{17763, 5329}));
  EXPECT_THAT(sent, StartsWith("Get-ComputerInfo -Property WindowsEditionId, OsBuildNumber | "
                               "Select-Object "));
  EXPECT_THAT(sent,
              HasSubstr("Get-ItemProperty -LiteralPath "
                        "'HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion' -Name UBR"));
  EXPECT_THAT(sent, EndsWith(kToXmlTail));
}

TEST_F(RealSeamsTest, WindowsInfoWithoutARevisionHasRevisionZero) {
  replies(ok(objects(
      {object({{"WindowsEditionId", "Professional"}, {"OsBuildNumber", "22631"}, {"UBR", ""}})})));
  auto info = p.host.windowsInfo();
  ASSERT_TRUE(info) << info.error().describe();
  EXPECT_EQ(info->edition, Edition::Professional);
  EXPECT_EQ(info->build, (platform::WindowsBuild{22631, 0}));
}

TEST(EditionFromEditionId, MapsWindowsEditionIds) {
  EXPECT_EQ(editionFromEditionId("ServerStandard"), Edition::Server);
  EXPECT_EQ(editionFromEditionId("ServerDatacenter"), Edition::Server);
  EXPECT_EQ(editionFromEditionId("ServerDatacenterEval"), Edition::Server);
  EXPECT_EQ(editionFromEditionId("Enterprise"), Edition::Enterprise);
  EXPECT_EQ(editionFromEditionId("EnterpriseS"), Edition::Enterprise);
  EXPECT_EQ(editionFromEditionId("ServerRdsh"), Edition::Enterprise);
  EXPECT_EQ(editionFromEditionId("IoTEnterprise"), Edition::IotEnterprise);
  EXPECT_EQ(editionFromEditionId("IoTEnterpriseS"), Edition::IotEnterprise);
  EXPECT_EQ(editionFromEditionId("Professional"), Edition::Professional);
  EXPECT_EQ(editionFromEditionId("ProfessionalWorkstation"), Edition::Professional);
  EXPECT_EQ(editionFromEditionId("Core"), Edition::Home);
  EXPECT_EQ(editionFromEditionId("CoreSingleLanguage"), Edition::Home);
  EXPECT_EQ(editionFromEditionId("Education"), std::nullopt);
  EXPECT_EQ(editionFromEditionId(""), std::nullopt);
}

TEST_F(RealSeamsTest, AnUnknownEditionIsAClearError) {
  replies(ok(objects(
      {object({{"WindowsEditionId", "Education"}, {"OsBuildNumber", "19045"}, {"UBR", "1"}})})));
  auto info = p.host.windowsInfo();
  expectError(info, ErrorCode::UnsupportedEdition, "hostos.get-windows-info");
  EXPECT_THAT(info.error().message, HasSubstr("Education"));
}

TEST_F(RealSeamsTest, HyperVFeatureEnabled) {
  replies(ok(objects({object({{"FeatureName", "Microsoft-Hyper-V"}, {"State", "Enabled"}})})));
  auto feature = p.host.hypervFeature();
  ASSERT_TRUE(feature) << feature.error().describe();
  EXPECT_TRUE(feature->present);
  EXPECT_TRUE(feature->enabled);
  EXPECT_THAT(sent, StartsWith("Get-WindowsOptionalFeature -Online | Where-Object FeatureName "
                               "-eq 'Microsoft-Hyper-V' | Select-Object FeatureName, "));
  EXPECT_THAT(sent, EndsWith(kToXmlTail));
}

TEST_F(RealSeamsTest, HyperVFeatureDisabledOrPendingIsPresentButNotEnabled) {
  for (const char* state : {"Disabled", "EnablePending", "DisabledWithPayloadRemoved"}) {
    replies(ok(objects({object({{"FeatureName", "Microsoft-Hyper-V"}, {"State", state}})})));
    auto feature = p.host.hypervFeature();
    ASSERT_TRUE(feature) << feature.error().describe();
    EXPECT_TRUE(feature->present) << state;
    EXPECT_FALSE(feature->enabled) << state;
  }
}

TEST_F(RealSeamsTest, HyperVFeatureAbsentIsNotPresent) {
  replies(ok("<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<Objects />\r\n"));
  auto feature = p.host.hypervFeature();
  ASSERT_TRUE(feature) << feature.error().describe();
  EXPECT_FALSE(feature->present);
  EXPECT_FALSE(feature->enabled);
}

// ---- Pnp -------------------------------------------------------------------------------------

TEST_F(RealSeamsTest, DisplayDevicesMapsStatusAndSkipsSoftwareAdapters) {
  replies(ok(objects({
      object({{"InstanceId", "PCI\\VEN_10DE&amp;DEV_1EB8&amp;SUBSYS_12A210DE&amp;REV_A1\\4&amp;"
                             "2B5B1D1B&amp;0&amp;0008"},
              {"FriendlyName", "NVIDIA Tesla T4"},
              {"Status", "OK"},
              {"ConfigManagerErrorCode", "0"},
              {"Problem", "CM_PROB_NONE"}}),
      object({{"InstanceId", "PCI\\VEN_10DE&amp;DEV_2504&amp;SUBSYS_397D1462&amp;REV_A1\\4&amp;"
                             "1C3D25BB&amp;0&amp;0019"},
              {"FriendlyName", "NVIDIA GeForce RTX 3060"},
              {"Status", "Error"},
              {"ConfigManagerErrorCode", "22"},
              {"Problem", "CM_PROB_DISABLED"}}),
      object({{"InstanceId", "PCI\\VEN_10DE&amp;DEV_2204&amp;SUBSYS_38801462&amp;REV_A1\\4&amp;"
                             "3A0C2D11&amp;0&amp;0008"},
              {"FriendlyName", "NVIDIA GeForce RTX 3080"},
              {"Status", "Error"},
              {"ConfigManagerErrorCode", "43"},
              {"Problem", "CM_PROB_FAILED_POST_START"}}),
      object({{"InstanceId", "ROOT\\BasicDisplay\\0000"},
              {"FriendlyName", "Microsoft Basic Display Adapter"},
              {"Status", "OK"},
              {"ConfigManagerErrorCode", "0"},
              {"Problem", ""}}),
  })));
  auto devices = p.pnp.displayDevices();
  ASSERT_TRUE(devices) << devices.error().describe();
  ASSERT_EQ(devices->size(), 3u);
  EXPECT_EQ((*devices)[0],
            (platform::PnpDevice{kT4, "NVIDIA Tesla T4", {0x10de, 0x1eb8}, DeviceStatus::Ok}));
  EXPECT_EQ((*devices)[1].status, DeviceStatus::Disabled);
  EXPECT_EQ((*devices)[1].pci, (platform::PciId{0x10de, 0x2504}));
  EXPECT_EQ((*devices)[2].status, DeviceStatus::Error);
  EXPECT_THAT(sent, StartsWith("Get-PnpDevice -Class Display -PresentOnly | Select-Object "
                               "InstanceId, FriendlyName, "));
  EXPECT_THAT(sent, HasSubstr("ConfigManagerErrorCode"));
  EXPECT_THAT(sent, EndsWith(kToXmlTail));
}

TEST_F(RealSeamsTest, ADisabledDeviceIsKnownByItsProblemCodeAlone) {
  replies(ok(objects({object({{"InstanceId", kT4},
                              {"FriendlyName", "NVIDIA Tesla T4"},
                              {"Status", "Error"},
                              {"ConfigManagerErrorCode", "22"},
                              {"Problem", ""}})})));
  auto devices = p.pnp.displayDevices();
  ASSERT_TRUE(devices) << devices.error().describe();
  ASSERT_EQ(devices->size(), 1u);
  EXPECT_EQ(devices->front().status, DeviceStatus::Disabled);
}

TEST_F(RealSeamsTest, LocationPathIsThePcirootEntry) {
  replies(ok(objects({"  <Object Type=\"System.Management.Automation.PSCustomObject\">\r\n"
                      "    <Property Name=\"KeyName\" Type=\"System.String\">"
                      "DEVPKEY_Device_LocationPaths</Property>\r\n"
                      "    <Property Name=\"Data\" Type=\"System.String[]\">\r\n"
                      "      <Property Type=\"System.String\">ACPI(_SB_)#ACPI(PCI0)#ACPI(PEG0)"
                      "</Property>\r\n"
                      "      <Property Type=\"System.String\">PCIROOT(0)#PCI(0300)#PCI(0000)"
                      "</Property>\r\n"
                      "    </Property>\r\n"
                      "  </Object>\r\n"})));
  auto location = p.pnp.locationPath(kT4);
  ASSERT_TRUE(location) << location.error().describe();
  EXPECT_EQ(*location, kT4Location);
  EXPECT_EQ(sent, "Get-PnpDeviceProperty -InstanceId "
                  "'PCI\\VEN_10DE&DEV_1EB8&SUBSYS_12A210DE&REV_A1\\4&2B5B1D1B&0&0008' -KeyName "
                  "'DEVPKEY_Device_LocationPaths' | Select-Object KeyName, Data | ConvertTo-Xml "
                  "-As String -Depth 3");
}

TEST_F(RealSeamsTest, LocationPathWithoutPcirootIsAnError) {
  replies(ok(objects(
      {object({{"KeyName", "DEVPKEY_Device_LocationPaths"}, {"Data", "ACPI(_SB_)#ACPI(PCI0)"}})})));
  auto location = p.pnp.locationPath(kT4);
  expectError(location, ErrorCode::OperationFailed, "pnp.get-location-path");
  EXPECT_THAT(location.error().message, HasSubstr("PCIROOT"));
}

TEST_F(RealSeamsTest, DisableAndEnableDevice) {
  replies(ok(""));
  ASSERT_TRUE(p.pnp.disableDevice(kT4));
  EXPECT_EQ(sent, "Disable-PnpDevice -InstanceId "
                  "'PCI\\VEN_10DE&DEV_1EB8&SUBSYS_12A210DE&REV_A1\\4&2B5B1D1B&0&0008' "
                  "-Confirm:$false");
  replies(ok(""));
  ASSERT_TRUE(p.pnp.enableDevice(kT4));
  EXPECT_EQ(sent, "Enable-PnpDevice -InstanceId "
                  "'PCI\\VEN_10DE&DEV_1EB8&SUBSYS_12A210DE&REV_A1\\4&2B5B1D1B&0&0008' "
                  "-Confirm:$false");
}

TEST_F(RealSeamsTest, AFailedCommandIsOperationFailedWithItsFirstErrorLine) {
  replies(failed("\r\nDisable-PnpDevice : Generic failure\r\nAt line:1 char:1\r\n+ "
                 "Disable-PnpDevice -InstanceId 'PCI\\VEN_10DE...'\r\n"));
  auto result = p.pnp.disableDevice(kT4);
  expectError(result, ErrorCode::OperationFailed, "pnp.disable-device");
  EXPECT_EQ(result.error().message, "Disable-PnpDevice : Generic failure");
}

// ---- HyperV ----------------------------------------------------------------------------------

TEST_F(RealSeamsTest, HyperVJobErrorCodesDecideWhetherARetryCanHelp) {
  const auto job = [](int code, std::string_view text) {
    return failed(fmt::format("Set-VM : 'EFLOW' failed to modify settings. Job failed with error "
                              "code {}: {}\r\nAt line:1 char:1\r\n",
                              code, text));
  };
  replies(job(32775, "Invalid state for this operation."));
  expectError(p.hyperv.setMemoryMappedIo("EFLOW", platform::kDefaultMmio),
              ErrorCode::FailedPrecondition, "hyperv.set-vm-memory-mapped-io");
  replies(job(32774, "System is in use."));
  expectError(p.hyperv.setGuestControlledCacheTypes("EFLOW", false), ErrorCode::Unavailable,
              "hyperv.set-vm-guest-controlled-cache-types");
  replies(job(32777, "System is not available."));
  expectError(p.hyperv.stopVm("EFLOW"), ErrorCode::Unavailable, "hyperv.stop-vm");
  replies(job(32772, "Timeout."));
  expectError(p.hyperv.stopVm("EFLOW"), ErrorCode::Timeout, "hyperv.stop-vm");
  replies(job(32768, "Failed."));
  expectError(p.hyperv.stopVm("EFLOW"), ErrorCode::OperationFailed, "hyperv.stop-vm");
  // Start-VM's failure is the VM not starting, whatever the job says.
  replies(job(32774, "System is in use."));
  expectError(p.hyperv.startVm("EFLOW"), ErrorCode::VmStartFailed, "hyperv.start-vm");
}

TEST(ClassifyFailure, ReadsRecordCategoriesAndTheJobErrorCode) {
  const auto reply = [](std::string err, std::string category = "InvalidOperation") {
    return ShellReply{"", std::move(err), false, {ShellReply::Error{std::move(category), "id"}}};
  };
  EXPECT_EQ(classifyFailure(reply("busy", "ResourceBusy"), ErrorCode::OperationFailed),
            ErrorCode::DeviceBusy);
  EXPECT_EQ(classifyFailure(reply("later", "ResourceUnavailable"), ErrorCode::OperationFailed),
            ErrorCode::Unavailable);
  EXPECT_EQ(classifyFailure(reply("Job failed with error code 32775: Invalid state"),
                            ErrorCode::OperationFailed),
            ErrorCode::FailedPrecondition);
  EXPECT_EQ(classifyFailure(reply("Generic failure"), ErrorCode::OperationFailed),
            ErrorCode::OperationFailed);
  EXPECT_EQ(wmiJobErrorCode("x. Job failed with error code 32774: System is in use."), 32774);
  EXPECT_EQ(wmiJobErrorCode("Job failed with error code : none"), std::nullopt);
  EXPECT_EQ(wmiJobErrorCode("no job here"), std::nullopt);
}

TEST_F(RealSeamsTest, VmConfigReadsStateStopActionMmioAndCacheTypes) {
  replies(ok(objects({object({{"Name", "EFLOW"},
                              {"State", "Running"},
                              {"AutomaticStopAction", "Save"},
                              {"LowMemoryMappedIoSpace", "134217728"},
                              {"HighMemoryMappedIoSpace", "536870912"},
                              {"GuestControlledCacheTypes", "False"}})})));
  auto config = p.hyperv.vmConfig("EFLOW");
  ASSERT_TRUE(config) << config.error().describe();
  EXPECT_EQ(*config, (platform::VmConfig{"EFLOW", VmState::Running, StopAction::Save,
                                         platform::kDefaultMmio, false}));
  EXPECT_EQ(sent, "Get-VM -Name 'EFLOW' | Select-Object Name, @{Name='State'; "
                  "Expression={[string]$_.State}}, @{Name='AutomaticStopAction'; "
                  "Expression={[string]$_.AutomaticStopAction}}, LowMemoryMappedIoSpace, "
                  "HighMemoryMappedIoSpace, GuestControlledCacheTypes | ConvertTo-Xml -As String "
                  "-Depth 3");
}

TEST_F(RealSeamsTest, VmConfigOfAnOffVmConfiguredForDda) {
  replies(ok(objects({object({{"Name", "EFLOW"},
                              {"State", "Off"},
                              {"AutomaticStopAction", "TurnOff"},
                              {"LowMemoryMappedIoSpace", "3221225472"},
                              {"HighMemoryMappedIoSpace", "34896609280"},
                              {"GuestControlledCacheTypes", "True"}})})));
  auto config = p.hyperv.vmConfig("EFLOW");
  ASSERT_TRUE(config) << config.error().describe();
  EXPECT_EQ(config->state, VmState::Off);
  EXPECT_EQ(config->automaticStopAction, StopAction::TurnOff);
  EXPECT_EQ(config->mmio, (platform::MmioSpace{3072 * platform::kMiB, 33280 * platform::kMiB}));
  EXPECT_TRUE(config->guestControlledCacheTypes);
}

TEST_F(RealSeamsTest, VmConfigOfASavedVmIsAnError) {
  replies(ok(objects({object({{"Name", "EFLOW"},
                              {"State", "Saved"},
                              {"AutomaticStopAction", "Save"},
                              {"LowMemoryMappedIoSpace", "134217728"},
                              {"HighMemoryMappedIoSpace", "536870912"},
                              {"GuestControlledCacheTypes", "False"}})})));
  auto config = p.hyperv.vmConfig("EFLOW");
  expectError(config, ErrorCode::OperationFailed, "hyperv.get-vm");
  EXPECT_THAT(config.error().message, HasSubstr("Saved"));
}

TEST_F(RealSeamsTest, VmConfigWithAMissingPropertyIsAnError) {
  replies(ok(objects({object({{"Name", "EFLOW"}, {"State", "Off"}})})));
  auto config = p.hyperv.vmConfig("EFLOW");
  expectError(config, ErrorCode::OperationFailed, "hyperv.get-vm");
}

TEST_F(RealSeamsTest, VmConfigOfNoVmIsAnError) {
  replies(failed("Get-VM : Hyper-V was unable to find a virtual machine with name \"EFLOW\".\r\n"));
  auto config = p.hyperv.vmConfig("EFLOW");
  expectError(config, ErrorCode::OperationFailed, "hyperv.get-vm");
  EXPECT_THAT(config.error().message, HasSubstr("unable to find a virtual machine"));
}

TEST_F(RealSeamsTest, StartAndStopVm) {
  replies(ok(""));
  ASSERT_TRUE(p.hyperv.startVm("EFLOW"));
  EXPECT_EQ(sent, "Start-VM -Name 'EFLOW'");
  replies(ok(""));
  ASSERT_TRUE(p.hyperv.stopVm("EFLOW"));
  EXPECT_EQ(sent, "Stop-VM -Name 'EFLOW' -Force");
}

TEST_F(RealSeamsTest, AVmThatWillNotStartIsVmStartFailed) {
  replies(failed("Start-VM : 'EFLOW' failed to start.\r\nVirtual Pci Express Port "
                 "(Instance ID ...): Failed to Power on with Error 'Insufficient system "
                 "resources exist to complete the requested service.'\r\n"));
  auto started = p.hyperv.startVm("EFLOW");
  expectError(started, ErrorCode::VmStartFailed, "hyperv.start-vm");
  EXPECT_EQ(started.error().message, "Start-VM : 'EFLOW' failed to start.");
}

TEST_F(RealSeamsTest, SetVmSettings) {
  replies(ok(""));
  ASSERT_TRUE(p.hyperv.setAutomaticStopAction("EFLOW", StopAction::TurnOff));
  EXPECT_EQ(sent, "Set-VM -Name 'EFLOW' -AutomaticStopAction TurnOff");
  replies(ok(""));
  ASSERT_TRUE(p.hyperv.setMemoryMappedIo(
      "EFLOW", platform::MmioSpace{3072 * platform::kMiB, 33280 * platform::kMiB}));
  EXPECT_EQ(sent, "Set-VM -Name 'EFLOW' -LowMemoryMappedIoSpace 3221225472 "
                  "-HighMemoryMappedIoSpace 34896609280");
  replies(ok(""));
  ASSERT_TRUE(p.hyperv.setGuestControlledCacheTypes("EFLOW", true));
  EXPECT_EQ(sent, "Set-VM -Name 'EFLOW' -GuestControlledCacheTypes $true");
  replies(ok(""));
  ASSERT_TRUE(p.hyperv.setGuestControlledCacheTypes("EFLOW", false));
  EXPECT_EQ(sent, "Set-VM -Name 'EFLOW' -GuestControlledCacheTypes $false");
}

TEST_F(RealSeamsTest, LowMmioBeyond32BitsIsRefusedBeforeAnythingIsSent) {
  // StrictMock: no command at all.
  auto set = p.hyperv.setMemoryMappedIo("EFLOW", platform::MmioSpace{5ull << 30, 1ull << 35});
  expectError(set, ErrorCode::InvalidRequest, "hyperv.set-vm-memory-mapped-io");
}

TEST_F(RealSeamsTest, DismountWithAndWithoutForce) {
  replies(ok(""));
  ASSERT_TRUE(p.hyperv.dismountHostDevice(kT4Location, true));
  EXPECT_EQ(sent, "Dismount-VMHostAssignableDevice -Force -LocationPath "
                  "'PCIROOT(0)#PCI(0300)#PCI(0000)'");
  replies(ok(""));
  ASSERT_TRUE(p.hyperv.dismountHostDevice(kT4Location, false));
  EXPECT_EQ(sent, "Dismount-VMHostAssignableDevice -LocationPath 'PCIROOT(0)#PCI(0300)#PCI(0000)'");
}

TEST_F(RealSeamsTest, DismountFailureKeepsHyperVsWords) {
  replies(failed("Dismount-VMHostAssignableDevice : The operation failed.\r\nThe current "
                 "configuration does not allow for OS control of the PCI Express bus.\r\n"));
  auto dismounted = p.hyperv.dismountHostDevice(kT4Location, true);
  expectError(dismounted, ErrorCode::OperationFailed, "hyperv.dismount-host-device");
  EXPECT_EQ(dismounted.error().message, "Dismount-VMHostAssignableDevice : The operation failed.");
}

TEST_F(RealSeamsTest, MountAssignAndRemove) {
  replies(ok(""));
  ASSERT_TRUE(p.hyperv.mountHostDevice(kT4Location));
  EXPECT_EQ(sent, "Mount-VMHostAssignableDevice -LocationPath 'PCIROOT(0)#PCI(0300)#PCI(0000)'");
  replies(ok(""));
  ASSERT_TRUE(p.hyperv.addAssignableDevice("EFLOW", kT4Location));
  EXPECT_EQ(sent, "Add-VMAssignableDevice -VMName 'EFLOW' -LocationPath "
                  "'PCIROOT(0)#PCI(0300)#PCI(0000)'");
  replies(ok(""));
  ASSERT_TRUE(p.hyperv.removeAssignableDevice("EFLOW", kT4Location));
  EXPECT_EQ(sent, "Remove-VMAssignableDevice -VMName 'EFLOW' -LocationPath "
                  "'PCIROOT(0)#PCI(0300)#PCI(0000)'");
}

TEST_F(RealSeamsTest, HostAssignableDevicesAreTheirLocationPaths) {
  replies(ok(objects(
      {object({{"InstanceID", "PCIP\\VEN_10DE&amp;DEV_1EB8&amp;SUBSYS_12A210DE&amp;REV_A1\\4&amp;"
                              "2B5B1D1B&amp;0&amp;0008"},
               {"LocationPath", "PCIROOT(0)#PCI(0300)#PCI(0000)"}}),
       object({{"InstanceID", "PCIP\\VEN_10DE&amp;DEV_1EB8&amp;SUBSYS_12A210DE&amp;REV_A1\\4&amp;"
                              "11F0A5C3&amp;0&amp;0010"},
               {"LocationPath", "PCIROOT(40)#PCI(0200)#PCI(0000)"}})})));
  auto parked = p.hyperv.hostAssignableDevices();
  ASSERT_TRUE(parked) << parked.error().describe();
  EXPECT_THAT(*parked,
              ElementsAre("PCIROOT(0)#PCI(0300)#PCI(0000)", "PCIROOT(40)#PCI(0200)#PCI(0000)"));
  EXPECT_EQ(sent, "Get-VMHostAssignableDevice | Select-Object InstanceID, LocationPath | "
                  "ConvertTo-Xml -As String -Depth 3");
}

TEST_F(RealSeamsTest, AssignableDevicesOfAVm) {
  replies(ok(objects(
      {object({{"InstanceID", "PCIP\\VEN_10DE&amp;DEV_1EB8&amp;SUBSYS_12A210DE&amp;REV_A1\\4&amp;"
                              "2B5B1D1B&amp;0&amp;0008"},
               {"LocationPath", "PCIROOT(0)#PCI(0300)#PCI(0000)"}})})));
  auto assigned = p.hyperv.assignableDevices("EFLOW");
  ASSERT_TRUE(assigned) << assigned.error().describe();
  ASSERT_EQ(assigned->size(), 1u);
  EXPECT_EQ(assigned->front().location, kT4Location);
  EXPECT_EQ(assigned->front().instanceId,
            "PCIP\\VEN_10DE&DEV_1EB8&SUBSYS_12A210DE&REV_A1\\4&2B5B1D1B&0&0008");
  EXPECT_EQ(sent, "Get-VMAssignableDevice -VMName 'EFLOW' | Select-Object InstanceID, "
                  "LocationPath | ConvertTo-Xml -As String -Depth 3");
}

TEST_F(RealSeamsTest, NoAssignableDevicesIsAnEmptyList) {
  replies(ok("<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<Objects />\r\n"));
  auto assigned = p.hyperv.assignableDevices("EFLOW");
  ASSERT_TRUE(assigned) << assigned.error().describe();
  EXPECT_THAT(*assigned, IsEmpty());
}

TEST(InstanceIdFromInterfacePath, StripsPrefixAndClassGuidAndUpperCases) {
  EXPECT_EQ(instanceIdFromInterfacePath(
                "\\\\?\\PCI#VEN_10DE&DEV_2504&SUBSYS_397D1462&REV_A1#4&1c3d25bb&0&0019#"
                "{064092b3-625e-43bf-9eb5-dc845897dd59}"),
            "PCI\\VEN_10DE&DEV_2504&SUBSYS_397D1462&REV_A1\\4&1C3D25BB&0&0019");
  EXPECT_EQ(
      instanceIdFromInterfacePath("PCI#VEN_8086&DEV_4680&SUBSYS_00000000&REV_0C#3&11583659&0&10"),
      "PCI\\VEN_8086&DEV_4680&SUBSYS_00000000&REV_0C\\3&11583659&0&10");
}

TEST_F(RealSeamsTest, PartitionableGpusCarryTheirPnpInstanceIds) {
  replies(ok(objects({object({{"Name", "\\\\?\\PCI#VEN_10DE&amp;DEV_2504&amp;SUBSYS_397D1462&amp;"
                                       "REV_A1#4&amp;1c3d25bb&amp;0&amp;0019#{064092b3-625e-43bf-"
                                       "9eb5-dc845897dd59}"},
                              {"PartitionCount", "32"}})})));
  auto gpus = p.hyperv.partitionableGpus();
  ASSERT_TRUE(gpus) << gpus.error().describe();
  ASSERT_EQ(gpus->size(), 1u);
  EXPECT_EQ(gpus->front().name, "\\\\?\\PCI#VEN_10DE&DEV_2504&SUBSYS_397D1462&REV_A1#4&1c3d25bb&"
                                "0&0019#{064092b3-625e-43bf-9eb5-dc845897dd59}");
  EXPECT_EQ(gpus->front().instanceId,
            "PCI\\VEN_10DE&DEV_2504&SUBSYS_397D1462&REV_A1\\4&1C3D25BB&0&0019");
  EXPECT_EQ(gpus->front().partitionCount, 32u);
  EXPECT_EQ(sent, "Get-VMHostPartitionableGpu | Select-Object Name, PartitionCount | "
                  "ConvertTo-Xml -As String -Depth 3");
}

TEST_F(RealSeamsTest, GpuPartitionAdapters) {
  const std::string gpu = "\\\\?\\PCI#VEN_10DE&DEV_2504&SUBSYS_397D1462&REV_A1#4&1c3d25bb&0&0019#"
                          "{064092b3-625e-43bf-9eb5-dc845897dd59}";
  const std::string gpuXml =
      "\\\\?\\PCI#VEN_10DE&amp;DEV_2504&amp;SUBSYS_397D1462&amp;REV_A1#4&amp;1c3d25bb&amp;0&amp;"
      "0019#{064092b3-625e-43bf-9eb5-dc845897dd59}";
  const std::string id = "Microsoft:5D3C1A00-GPUP-4E02-9A51-1B2B2F1C1D00\\0";

  replies(ok(objects({object({{"Id", id}, {"InstancePath", gpuXml}})})));
  auto added = p.hyperv.addGpuPartitionAdapter("EFLOW", gpu);
  ASSERT_TRUE(added) << added.error().describe();
  EXPECT_EQ(*added, (platform::GpuPartitionAdapter{id, gpu}));
  EXPECT_EQ(sent, "Add-VMGpuPartitionAdapter -VMName 'EFLOW' -InstancePath '" + gpu +
                      "' -Passthru | Select-Object Id, InstancePath | ConvertTo-Xml -As String "
                      "-Depth 3");

  replies(ok(objects({object({{"Id", id}, {"InstancePath", gpuXml}})})));
  auto adapters = p.hyperv.gpuPartitionAdapters("EFLOW");
  ASSERT_TRUE(adapters) << adapters.error().describe();
  EXPECT_THAT(*adapters, ElementsAre(platform::GpuPartitionAdapter{id, gpu}));
  EXPECT_EQ(sent, "Get-VMGpuPartitionAdapter -VMName 'EFLOW' | Select-Object Id, InstancePath | "
                  "ConvertTo-Xml -As String -Depth 3");

  replies(ok(""));
  ASSERT_TRUE(p.hyperv.removeGpuPartitionAdapter("EFLOW", id));
  EXPECT_EQ(sent, "Remove-VMGpuPartitionAdapter -VMName 'EFLOW' -AdapterId '" + id + "'");
}

TEST_F(RealSeamsTest, AddingAnAdapterThatPrintsNothingIsAnError) {
  replies(ok(""));
  auto added = p.hyperv.addGpuPartitionAdapter("EFLOW", "\\\\?\\PCI#VEN_10DE#x#{guid}");
  expectError(added, ErrorCode::OperationFailed, "hyperv.add-gpu-partition-adapter");
}

TEST_F(RealSeamsTest, VmNamesWithWildcardsAreRefusedBeforeAnythingIsSent) {
  for (const char* vm : {"EFLOW*", "EF?OW", "EFLOW[1]", ""}) {
    expectError(p.hyperv.stopVm(vm), ErrorCode::InvalidRequest, "hyperv.stop-vm");
    expectError(p.hyperv.vmConfig(vm), ErrorCode::InvalidRequest, "hyperv.get-vm");
  }
}

// ---- Drivers ---------------------------------------------------------------------------------

std::string driverReply(const std::string& service, const std::string& inf,
                        const std::string& description, const std::string& override) {
  std::vector<std::string> elements;
  if (!service.empty()) {
    elements.push_back(object({{"KeyName", "DEVPKEY_Device_Service"}, {"Data", service}}));
    elements.push_back(object({{"KeyName", "DEVPKEY_Device_DriverInfPath"}, {"Data", inf}}));
    elements.push_back(object({{"KeyName", "DEVPKEY_Device_DriverDesc"}, {"Data", description}}));
  }
  elements.push_back(object({{"KeyName", "HIL_MITIGATION_DRIVER"}, {"Data", override}}));
  return objects(elements);
}

TEST_F(RealSeamsTest, TheDisplayDriverIsNoMitigationDriver) {
  replies(ok(driverReply("nvlddmkm", "oem42.inf", "NVIDIA Tesla T4", "")));
  auto installed = p.drivers.mitigationDriverInstalled(kT4);
  ASSERT_TRUE(installed) << installed.error().describe();
  EXPECT_FALSE(*installed);
  EXPECT_THAT(sent, StartsWith("@(Get-PnpDeviceProperty -InstanceId "
                               "'PCI\\VEN_10DE&DEV_1EB8&SUBSYS_12A210DE&REV_A1\\4&2B5B1D1B&0&0008'"
                               " -KeyName 'DEVPKEY_Device_Service', 'DEVPKEY_Device_DriverInfPath',"
                               " 'DEVPKEY_Device_DriverDesc' -ErrorAction SilentlyContinue"));
  EXPECT_THAT(sent, HasSubstr("$env:HIL_MITIGATION_DRIVER"));
  EXPECT_THAT(sent, EndsWith(kToXmlTail));
}

TEST_F(RealSeamsTest, ADriverThatCallsItselfAMitigationDriverIsOne) {
  replies(ok(driverReply("nvmitig", "oem51.inf", "NVIDIA Device Mitigation Driver", "")));
  auto installed = p.drivers.mitigationDriverInstalled(kT4);
  ASSERT_TRUE(installed) << installed.error().describe();
  EXPECT_TRUE(*installed);
}

TEST_F(RealSeamsTest, ARigNamesItsMitigationDriverOnTheHost) {
  replies(ok(driverReply("vendorsec", "oem51.inf", "Vendor T4 Security Filter", "VendorSec")));
  auto installed = p.drivers.mitigationDriverInstalled(kT4);
  ASSERT_TRUE(installed) << installed.error().describe();
  EXPECT_TRUE(*installed);
}

TEST_F(RealSeamsTest, ADeviceThatCannotBeReadHasNoMitigationDriver) {
  replies(ok(driverReply("", "", "", "")));
  auto installed = p.drivers.mitigationDriverInstalled(kT4);
  ASSERT_TRUE(installed) << installed.error().describe();
  EXPECT_FALSE(*installed);
}

TEST_F(RealSeamsTest, WslDriverIsTheCudaLibraryForWsl) {
  replies(ok(objects({"  <Object Type=\"System.Boolean\">True</Object>\r\n"})));
  auto installed = p.drivers.wslDriverInstalled(kT4);
  ASSERT_TRUE(installed) << installed.error().describe();
  EXPECT_TRUE(*installed);
  EXPECT_EQ(sent, "Test-Path -LiteralPath (Join-Path $env:SystemRoot "
                  "'System32\\lxss\\lib\\libcuda.so') | ConvertTo-Xml -As String -Depth 3");
  replies(ok(objects({"  <Object Type=\"System.Boolean\">False</Object>\r\n"})));
  installed = p.drivers.wslDriverInstalled(kT4);
  ASSERT_TRUE(installed) << installed.error().describe();
  EXPECT_FALSE(*installed);
}

TEST_F(RealSeamsTest, WslDriverWithAnUnreadableAnswerIsAnError) {
  replies(ok(objects({"  <Object Type=\"System.String\">maybe</Object>\r\n"})));
  expectError(p.drivers.wslDriverInstalled(kT4), ErrorCode::OperationFailed,
              "drivers.get-wsl-driver");
}

// ---- Guest -----------------------------------------------------------------------------------

TEST_F(RealSeamsTest, GuestRunQuotesArgvForBashAndReadsTheExitStatus) {
  replies(ok("GPU 0: Tesla T4 (UUID: GPU-8c3f2a51-7d0e-4b8e-9c4a-2f1e0d9c8b7a)\r\n"
             "__hil_exit=0\r\n"));
  auto output = p.guest.run({"nvidia-smi", "-L"});
  ASSERT_TRUE(output) << output.error().describe();
  EXPECT_EQ(output->exitCode, 0);
  EXPECT_EQ(output->out, "GPU 0: Tesla T4 (UUID: GPU-8c3f2a51-7d0e-4b8e-9c4a-2f1e0d9c8b7a)\n");
  EXPECT_EQ(sent, "Invoke-EflowVmCommand -command '''nvidia-smi'' ''-L''; echo __hil_exit=$?' "
                  "-ignoreError");
}

TEST_F(RealSeamsTest, GuestRunReportsAFailingProgramsStatusAndOutput) {
  ShellReply reply{"__hil_exit=1 printed by the program is not the status\r\n"
                   "no CUDA-capable device is detected\r\n__hil_exit=100\r\n",
                   "", true};
  replies(reply);
  auto output = p.guest.run({"/opt/hil/cuda_smoke", "--junit", "-"});
  ASSERT_TRUE(output) << output.error().describe();
  EXPECT_EQ(output->exitCode, 100);
  EXPECT_EQ(output->out, "__hil_exit=1 printed by the program is not the status\n"
                         "no CUDA-capable device is detected\n");
}

TEST_F(RealSeamsTest, GuestRunOutputWithoutAFinalNewline) {
  replies(ok("no newline__hil_exit=3\r\n"));
  auto output = p.guest.run({"printf", "no newline"});
  ASSERT_TRUE(output) << output.error().describe();
  EXPECT_EQ(output->exitCode, 3);
  EXPECT_EQ(output->out, "no newline");
}

TEST_F(RealSeamsTest, GuestRunWithTextAfterTheStatusIsAnError) {
  replies(ok("__hil_exit=0\r\nsomething else\r\n"));
  expectError(p.guest.run({"lspci"}), ErrorCode::OperationFailed, "guest.run");
}

TEST_F(RealSeamsTest, GuestRunWithoutTheVmIsOperationFailed) {
  replies(failed("Invoke-EflowVmCommand : The virtual machine is not running.\r\n"));
  auto output = p.guest.run({"lspci"});
  expectError(output, ErrorCode::OperationFailed, "guest.run");
  EXPECT_EQ(output.error().message, "Invoke-EflowVmCommand : The virtual machine is not running.");
}

TEST_F(RealSeamsTest, GuestRunWithoutAnExitStatusIsAnError) {
  replies(ok("some output\r\n"));
  auto output = p.guest.run({"lspci"});
  expectError(output, ErrorCode::OperationFailed, "guest.run");
  EXPECT_THAT(output.error().message, HasSubstr("__hil_exit"));
}

TEST_F(RealSeamsTest, GuestRunWithNoProgramIsRefused) {
  expectError(p.guest.run({}), ErrorCode::InvalidRequest, "guest.run");
}

TEST(GuestCommandLine, QuotesEveryArgumentForBash) {
  EXPECT_EQ(guestCommandLine({"ls", "-l", "/usr/lib/wsl/lib"}),
            "'ls' '-l' '/usr/lib/wsl/lib'; echo __hil_exit=$?");
  EXPECT_EQ(guestCommandLine({"echo", "it's $(reboot)"}),
            "'echo' 'it'\\''s $(reboot)'; echo __hil_exit=$?");
}

// ---- Eflow -----------------------------------------------------------------------------------

TEST_F(RealSeamsTest, EflowSetsADdaGpuKeepingCpuAndMemory) {
  replies(ok(""));
  ASSERT_TRUE(
      seams.eflow().setGpu({Technique::DirectDeviceAssignment, "NVIDIA Tesla T4", 1, true}));
  EXPECT_EQ(sent, "Set-EflowVM -cpuCount (Get-VM -Name 'EFLOW').ProcessorCount -memoryInMB "
                  "([int]((Get-VM -Name 'EFLOW').MemoryStartup / 1MB)) -gpuPassthroughType "
                  "DirectDeviceAssignment -gpuName 'NVIDIA Tesla T4' -gpuCount 1 -headless");
}

TEST_F(RealSeamsTest, EflowSetsAGpuPvGpu) {
  replies(ok(""));
  ASSERT_TRUE(
      seams.eflow().setGpu({Technique::ParaVirtualization, "NVIDIA GeForce RTX 3060", 1, false}));
  EXPECT_THAT(sent, EndsWith("-gpuPassthroughType ParaVirtualization -gpuName 'NVIDIA GeForce "
                             "RTX 3060' -gpuCount 1"));
}

TEST_F(RealSeamsTest, EflowRemovesTheGpuByLeavingTheGpuArgumentsOut) {
  replies(ok(""));
  ASSERT_TRUE(seams.eflow().setGpu({std::nullopt, "", 1, true}));
  EXPECT_EQ(sent, "Set-EflowVM -cpuCount (Get-VM -Name 'EFLOW').ProcessorCount -memoryInMB "
                  "([int]((Get-VM -Name 'EFLOW').MemoryStartup / 1MB)) -headless");
  EXPECT_THAT(sent, Not(HasSubstr("-gpu")));
}

TEST_F(RealSeamsTest, EflowFailureIsOperationFailed) {
  replies(failed("Set-EflowVM : GPU 'NVIDIA Tesla T4' not found\r\n"));
  auto set = seams.eflow().setGpu({Technique::DirectDeviceAssignment, "NVIDIA Tesla T4", 1, true});
  expectError(set, ErrorCode::OperationFailed, "eflow.set-vm");
  EXPECT_EQ(set.error().message, "Set-EflowVM : GPU 'NVIDIA Tesla T4' not found");
}

TEST_F(RealSeamsTest, EflowReportingAVmThatDidNotStartIsVmStartFailed) {
  // The words EFLOW's functions print for a VM that will not start (Azure/iotedge-eflow#273).
  replies(failed("Set-EflowVM : 'COL01-EFLOW' failed to start. (Virtual machine ID 1240F70C)\r\n"));
  auto set = seams.eflow().setGpu({Technique::DirectDeviceAssignment, "NVIDIA Tesla T4", 1, true});
  expectError(set, ErrorCode::VmStartFailed, "eflow.set-vm");
}

TEST_F(RealSeamsTest, EflowReportingAVmThatDidNotStartIsVmStartFailedWhateverTheJobCode) {
  // Hyper-V's job code comes along with EFLOW's words; "System is in use" alone would read as
  // transient, but the VM did not start.
  replies(failed("Set-EflowVM : 'EFLOW' failed to start. Job failed with error code 32774: System "
                 "is in use.\r\n"));
  auto set = seams.eflow().setGpu({Technique::DirectDeviceAssignment, "NVIDIA Tesla T4", 1, true});
  expectError(set, ErrorCode::VmStartFailed, "eflow.set-vm");
}

// ---- Errors common to every operation --------------------------------------------------------

/// What a seam operation returned, as its error or nullopt on success.
template <class T> std::optional<Error> errorOf(const Result<T>& result) {
  return result ? std::nullopt : std::optional<Error>{result.error()};
}

/// Every seam operation once, with the given values.
struct Call {
  std::string operation;
  std::function<std::optional<Error>(RealSeams&)> run;
};

std::vector<Call> everyOperation(const std::string& vm, const std::string& value) {
  return {
      {"hostos.get-windows-info",
       [](RealSeams& s) { return errorOf(s.platform().host.windowsInfo()); }},
      {"hostos.get-hyperv-feature",
       [](RealSeams& s) { return errorOf(s.platform().host.hypervFeature()); }},
      {"pnp.get-devices", [](RealSeams& s) { return errorOf(s.platform().pnp.displayDevices()); }},
      {"pnp.get-location-path",
       [value](RealSeams& s) { return errorOf(s.platform().pnp.locationPath(value)); }},
      {"pnp.disable-device",
       [value](RealSeams& s) { return errorOf(s.platform().pnp.disableDevice(value)); }},
      {"pnp.enable-device",
       [value](RealSeams& s) { return errorOf(s.platform().pnp.enableDevice(value)); }},
      {"hyperv.get-vm", [vm](RealSeams& s) { return errorOf(s.platform().hyperv.vmConfig(vm)); }},
      {"hyperv.start-vm", [vm](RealSeams& s) { return errorOf(s.platform().hyperv.startVm(vm)); }},
      {"hyperv.stop-vm", [vm](RealSeams& s) { return errorOf(s.platform().hyperv.stopVm(vm)); }},
      {"hyperv.set-vm-automatic-stop-action",
       [vm](RealSeams& s) {
         return errorOf(s.platform().hyperv.setAutomaticStopAction(vm, StopAction::TurnOff));
       }},
      {"hyperv.set-vm-memory-mapped-io",
       [vm](RealSeams& s) {
         return errorOf(s.platform().hyperv.setMemoryMappedIo(vm, platform::kDefaultMmio));
       }},
      {"hyperv.set-vm-guest-controlled-cache-types",
       [vm](RealSeams& s) {
         return errorOf(s.platform().hyperv.setGuestControlledCacheTypes(vm, true));
       }},
      {"hyperv.get-host-assignable-devices",
       [](RealSeams& s) { return errorOf(s.platform().hyperv.hostAssignableDevices()); }},
      {"hyperv.dismount-host-device",
       [value](RealSeams& s) {
         return errorOf(s.platform().hyperv.dismountHostDevice(value, true));
       }},
      {"hyperv.mount-host-device",
       [value](RealSeams& s) { return errorOf(s.platform().hyperv.mountHostDevice(value)); }},
      {"hyperv.get-assignable-devices",
       [vm](RealSeams& s) { return errorOf(s.platform().hyperv.assignableDevices(vm)); }},
      {"hyperv.add-assignable-device",
       [vm, value](RealSeams& s) {
         return errorOf(s.platform().hyperv.addAssignableDevice(vm, value));
       }},
      {"hyperv.remove-assignable-device",
       [vm, value](RealSeams& s) {
         return errorOf(s.platform().hyperv.removeAssignableDevice(vm, value));
       }},
      {"hyperv.get-partitionable-gpus",
       [](RealSeams& s) { return errorOf(s.platform().hyperv.partitionableGpus()); }},
      {"hyperv.get-gpu-partition-adapters",
       [vm](RealSeams& s) { return errorOf(s.platform().hyperv.gpuPartitionAdapters(vm)); }},
      {"hyperv.add-gpu-partition-adapter",
       [vm, value](RealSeams& s) {
         return errorOf(s.platform().hyperv.addGpuPartitionAdapter(vm, value));
       }},
      {"hyperv.remove-gpu-partition-adapter",
       [vm, value](RealSeams& s) {
         return errorOf(s.platform().hyperv.removeGpuPartitionAdapter(vm, value));
       }},
      {"drivers.get-mitigation-driver",
       [value](RealSeams& s) {
         return errorOf(s.platform().drivers.mitigationDriverInstalled(value));
       }},
      {"drivers.get-wsl-driver",
       [value](RealSeams& s) { return errorOf(s.platform().drivers.wslDriverInstalled(value)); }},
      {"guest.run",
       [value](RealSeams& s) {
         return errorOf(s.platform().guest.run({"echo", value}));
       }},
      {"eflow.set-vm",
       [value](RealSeams& s) {
         return errorOf(s.eflow().setGpu({Technique::DirectDeviceAssignment, value, 1, true}));
       }},
  };
}

TEST(RealSeamsErrors, EveryOperationIsCovered) {
  std::vector<std::string> covered;
  for (const auto& call : everyOperation("EFLOW", "x")) {
    covered.push_back(call.operation);
  }
  for (const auto& op : platform::allOperations()) {
    EXPECT_NE(std::find(covered.begin(), covered.end(), op.name), covered.end()) << op.name;
  }
}

TEST(RealSeamsErrors, ATimeoutPassesThroughWithTheOperationInContext) {
  for (const auto& call : everyOperation("EFLOW", "x")) {
    StrictMock<MockShellSession> shell;
    RealSeams seams{shell, RealOptions{kDeadline, "EFLOW"}};
    EXPECT_CALL(shell, run(_, std::chrono::milliseconds{kDeadline}))
        .WillOnce(sessionError(ErrorCode::Timeout, "the command ran past its deadline; the "
                                                   "shell was killed and restarted"));
    const auto error = call.run(seams);
    ASSERT_TRUE(error) << call.operation;
    EXPECT_EQ(error->code, ErrorCode::Timeout) << call.operation;
    EXPECT_EQ(error->message,
              "the command ran past its deadline; the shell was killed and restarted");
    EXPECT_THAT(error->context, ElementsAre(call.operation));
  }
}

TEST(RealSeamsErrors, EveryOperationFailsCleanlyOnAFailedEmptyOrMalformedReply) {
  const std::vector<ShellReply> bad = {
      ShellReply{"", "Some-Cmdlet : Access is denied.\r\nAt line:1 char:1\r\n", false},
      ShellReply{"", "", true},
      ShellReply{"<?xml version=\"1.0\"?><Objects><Object Type=\"x\"><Property Name=\"A\">", "",
                 true},
  };
  for (const auto& reply : bad) {
    for (const auto& call : everyOperation("EFLOW", "x")) {
      StrictMock<MockShellSession> shell;
      RealSeams seams{shell, RealOptions{kDeadline, "EFLOW"}};
      EXPECT_CALL(shell, run(_, _)).WillOnce(answer(reply));
      const auto error = call.run(seams);
      // Commands without structured output succeed whatever they print; every other one
      // fails on an empty or broken reply, and a failed command fails every operation.
      const bool needsOutput = call.operation.find(".get-") != std::string::npos ||
                               call.operation == "guest.run" ||
                               call.operation == "hyperv.add-gpu-partition-adapter";
      if (reply.succeeded && !needsOutput) {
        EXPECT_FALSE(error) << call.operation << ": " << error->describe();
        continue;
      }
      ASSERT_TRUE(error) << call.operation << " on \"" << reply.out << "\"";
      EXPECT_EQ(error->code, call.operation == "hyperv.start-vm" ? ErrorCode::VmStartFailed
                                                                 : ErrorCode::OperationFailed)
          << call.operation;
      EXPECT_THAT(error->context, ElementsAre(call.operation));
      if (!reply.succeeded) {
        EXPECT_EQ(error->message, "Some-Cmdlet : Access is denied.") << call.operation;
      }
    }
  }
}

TEST(RealSeamsErrors, ErrorsOfUnparsableRepliesNameTheOperationAndQuoteTheReply) {
  StrictMock<MockShellSession> shell;
  RealSeams seams{shell, RealOptions{kDeadline, "EFLOW"}};
  EXPECT_CALL(shell, run(_, _))
      .WillOnce(answer(ShellReply{"Get-VMHostAssignableDevice was here", "", true}));
  auto parked = seams.platform().hyperv.hostAssignableDevices();
  expectError(parked, ErrorCode::OperationFailed, "hyperv.get-host-assignable-devices");
  EXPECT_THAT(parked.error().message, HasSubstr("Get-VMHostAssignableDevice was here"));
}

// ---- Hostile values --------------------------------------------------------------------------

const std::vector<std::string> kHostile = {
    "EFLOW'; Remove-VM -Name x; '",
    "$(Stop-Computer -Force)",
    "a`b`$c `n",
    "line one\nline two\r\n; Remove-VM -Name y",
    "Ünïcödé GPU ✓ 日本語",
    "\xE2\x80\x98typographic\xE2\x80\x99 \xE2\x80\x9Aquotes\xE2\x80\x9B'",
    "\"double\" & <xml/> | Out-Null; # comment",
    std::string(5000, 'A') + "'",
};

TEST(RealSeamsQuoting, HostileValuesReachPowerShellOnlyInsideSingleQuotedLiterals) {
  for (const auto& hostile : kHostile) {
    // The same operations with a harmless value: outside the literals, the command text must
    // not change at all, so nothing of the hostile value was spliced into the command.
    const auto hostileCalls = everyOperation(hostile, hostile);
    const auto plainCalls = everyOperation("EFLOW", "x");
    for (std::size_t i = 0; i < hostileCalls.size(); ++i) {
      auto sentWith = [](const Call& call, const std::string& vm) {
        StrictMock<MockShellSession> shell;
        RealSeams seams{shell, RealOptions{kDeadline, vm}};
        std::string sent;
        EXPECT_CALL(shell, run(_, _)).WillOnce(answer(ShellReply{}, &sent));
        (void)call.run(seams);
        return sent;
      };
      const auto withHostile = sentWith(hostileCalls[i], hostile);
      const auto withPlain = sentWith(plainCalls[i], "EFLOW");
      const auto& operation = hostileCalls[i].operation;
      if (operation == "hostos.get-windows-info" || operation == "hostos.get-hyperv-feature" ||
          operation == "pnp.get-devices" || operation == "hyperv.get-host-assignable-devices" ||
          operation == "hyperv.get-partitionable-gpus" || operation == "drivers.get-wsl-driver") {
        continue; // no value in them
      }
      EXPECT_EQ(outsideLiterals(withHostile), outsideLiterals(withPlain))
          << operation << " with " << hostile;
      if (operation != "guest.run") {
        EXPECT_THAT(withHostile, HasSubstr(quoteFor(ShellDialect::PowerShell, hostile)))
            << operation;
      }
    }
  }
}

TEST(RealSeamsQuoting, TheExactQuotingOfAHostileVmName) {
  StrictMock<MockShellSession> shell;
  RealSeams seams{shell, RealOptions{kDeadline, "EFLOW'; Remove-VM -Name x; '"}};
  std::string sent;
  EXPECT_CALL(shell, run(_, _)).WillOnce(answer(ShellReply{}, &sent));
  ASSERT_TRUE(seams.platform().hyperv.stopVm("EFLOW'; Remove-VM -Name x; '"));
  EXPECT_EQ(sent, "Stop-VM -Name 'EFLOW''; Remove-VM -Name x; ''' -Force");
  EXPECT_EQ(outsideLiterals(sent), "Stop-VM -Name '' -Force");
}

TEST(RealSeamsQuoting, GuestArgvIsQuotedForBashThenForPowerShell) {
  const std::vector<std::string> argv = {"sh", "-c", "echo 'hi' $(reboot) `id`; rm -rf /",
                                         "line\nbreak", "Ünïcödé"};
  StrictMock<MockShellSession> shell;
  RealSeams seams{shell, RealOptions{kDeadline, "EFLOW"}};
  std::string sent;
  EXPECT_CALL(shell, run(_, _)).WillOnce(answer(ShellReply{"__hil_exit=0\r\n", "", true}, &sent));
  ASSERT_TRUE(seams.platform().guest.run(argv));
  EXPECT_EQ(outsideLiterals(sent), "Invoke-EflowVmCommand -command '' -ignoreError");
  // What PowerShell hands Invoke-EflowVmCommand is the bash line, each argument a POSIX
  // single-quoted literal.
  std::string line;
  for (const auto& arg : argv) {
    line += (line.empty() ? "" : " ") + quoteFor(ShellDialect::Posix, arg);
  }
  EXPECT_EQ(literalAfter(sent, "-command "), line + "; echo __hil_exit=$?");
}

} // namespace
} // namespace hil::real_hw
