#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "framework/data/catalog.h"
#include "framework/scenario/scenario.h"
#include "real_hw/rig.h"
#include "real_hw/transcript.h"

namespace hil::real_hw {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

constexpr const char* kRig = R"(<rig name="t4-lab-01" class="t4-server" mode="eflow">
  <shell><arg>ssh</arg><arg>-T</arg><arg>admin@t4-lab-01</arg><arg>pwsh</arg></shell>
  <vm name="EFLOW"/>
  <windows edition="server" build="17763"/>
  <gpu model="tesla-t4" count="2"/>
  <deadline seconds="120"/>
</rig>)";

/// Each diagnostic as file:line: message.
std::vector<std::string> messagesOf(const Diagnostics& diagnostics) {
  std::vector<std::string> messages;
  for (const auto& d : diagnostics) {
    messages.push_back(d.toString());
  }
  return messages;
}

TEST(RigTest, ParsesEveryField) {
  const auto rig = parseRig(kRig, "t4.xml", data::GpuCatalog::builtin());
  ASSERT_TRUE(rig.has_value()) << toString(rig.error());
  EXPECT_EQ(rig->name, "t4-lab-01");
  EXPECT_EQ(rig->rigClass, "t4-server");
  EXPECT_EQ(rig->mode, RigMode::Eflow);
  EXPECT_THAT(rig->shell, ElementsAre("ssh", "-T", "admin@t4-lab-01", "pwsh"));
  EXPECT_EQ(rig->edition, platform::Edition::Server);
  ASSERT_EQ(rig->gpus.size(), 1u);
  EXPECT_EQ(rig->gpus[0], (std::pair<std::string, int>{"tesla-t4", 2}));
  EXPECT_EQ(rig->deadlineSeconds, 120);
}

TEST(RigTest, DefaultsToWindowsPowerShell) {
  const auto rig = parseRig(R"(<rig name="r" class="c"><gpu model="tesla-t4"/></rig>)", "r.xml",
                            data::GpuCatalog::builtin());
  ASSERT_TRUE(rig.has_value());
  EXPECT_EQ(rig->shell, defaultPowerShell());
  EXPECT_EQ(rig->mode, RigMode::HyperV);
}

TEST(RigTest, ErrorsNameTheirLine) {
  const auto rig = parseRig("<rig name=\"r\" class=\"c\" mode=\"magic\">\n"
                            "  <gpu model=\"tesla-t5\"/>\n"
                            "  <vm nam=\"EFLOW\"/>\n"
                            "</rig>",
                            "bad.xml", data::GpuCatalog::builtin());
  ASSERT_FALSE(rig.has_value());
  std::vector<int> lines;
  for (const auto& d : rig.error()) {
    EXPECT_EQ(d.file, "bad.xml");
    lines.push_back(d.line);
  }
  EXPECT_THAT(lines, ::testing::IsSupersetOf({1, 2, 3}));
}

TEST(RigTest, AnUnknownAttributeNamesTheAllowedOnes) {
  const auto rig = parseRig("<rig name=\"r\" class=\"c\" mdoe=\"eflow\">\n"
                            "  <deadline seconds=\"5\" second=\"1\"/>\n"
                            "</rig>",
                            "bad.xml", data::GpuCatalog::builtin());
  ASSERT_FALSE(rig.has_value());
  const auto messages = messagesOf(rig.error());
  EXPECT_THAT(messages, ElementsAre("bad.xml:1: unknown attribute 'mdoe' on <rig>; expected one of "
                                    "name, class, mode (did you mean 'mode'?)",
                                    "bad.xml:2: unknown attribute 'second' on <deadline>; expected "
                                    "seconds (did you mean 'seconds'?)"));
}

TEST(RigTest, ARepeatedElementOrABadBuildIsAnError) {
  // Two <shell> elements used to add up into one argv; a build was not read at all.
  const auto rig = parseRig("<rig name=\"r\" class=\"c\">\n"
                            "  <shell><arg>pwsh</arg></shell>\n"
                            "  <shell><arg>-NoLogo</arg></shell>\n"
                            "  <windows edition=\"server\" build=\"ltsc2022\"/>\n"
                            "  <gpu model=\"tesla-t4\"/>\n"
                            "  <gpu model=\"tesla-t4\"/>\n"
                            "</rig>",
                            "bad.xml", data::GpuCatalog::builtin());
  ASSERT_FALSE(rig.has_value());
  const auto messages = messagesOf(rig.error());
  EXPECT_THAT(
      messages,
      ElementsAre("bad.xml:3: <shell> may appear only once in <rig>; expected one, or "
                  "none for its default",
                  "bad.xml:4: build=\"ltsc2022\" on <windows>: expected a build number such "
                  "as 20348 or 19044.1620"));
}

TEST(RigTest, ScenariosAreMatchedByTheirRigElement) {
  const auto rig = *parseRig(kRig, "t4.xml", data::GpuCatalog::builtin());
  scenario::Scenario s;
  s.name = "x";
  EXPECT_THAT(rigMismatch(rig, s).value_or(""), HasSubstr("simulated host"));
  s.rig = scenario::RigSpec{"tesla-t4", platform::Edition::Server, 1};
  EXPECT_EQ(rigMismatch(rig, s), std::nullopt);
  s.rig = scenario::RigSpec{"geforce-rtx-3060", platform::Edition::Professional, 1};
  const auto why = rigMismatch(rig, s);
  ASSERT_TRUE(why.has_value());
  EXPECT_THAT(*why, HasSubstr("needs geforce-rtx-3060 on professional"));
  EXPECT_THAT(*why, HasSubstr("2 x tesla-t4 on server"));
}

Transcript sample() {
  Transcript t;
  t.scenario = "t4-dda-server-2019";
  t.source = "documentation";
  t.rig = "t4-lab-01";
  t.recorded = "2026-11-27T00:00:00";
  t.note = "written from the documented output";
  t.exchanges.push_back({"Get-VM -Name 'EFLOW'", ShellReply{"<Objects/>\n", "", true}, {}});
  t.exchanges.push_back(
      {"Dismount-VMHostAssignableDevice -LocationPath 'PCIROOT(0)#PCI(0300)#PCI(0000)'",
       ShellReply{"", "The required virtualization driver (pcip.sys) failed to load.\n", false},
       {}});
  t.exchanges.push_back(
      {"Start-VM -Name 'EFLOW'", std::nullopt, Error{ErrorCode::Timeout, "did not finish", {}}});
  t.exchanges.push_back({"printf 'x'", ShellReply{"bytes \x1b[31m\x01 and \xff", "", true}, {}});
  t.exchanges.push_back({"Get-PnpDevice", ShellReply{"line\r\nends\n\n", "  ", true}, {}});
  return t;
}

TEST(TranscriptTest, RoundTripsExactlyIncludingBytesXmlCannotHold) {
  const auto text = formatTranscript(sample());
  const auto parsed = parseTranscript(text, "t.xml");
  ASSERT_TRUE(parsed.has_value()) << toString(parsed.error());
  ASSERT_EQ(parsed->exchanges.size(), 5u);
  EXPECT_EQ(parsed->exchanges[4].reply->out, "line\r\nends\n\n");
  EXPECT_EQ(parsed->exchanges[4].reply->err, "  ");
  EXPECT_EQ(parsed->source, "documentation");
  EXPECT_EQ(parsed->exchanges[1].reply->err,
            "The required virtualization driver (pcip.sys) failed to load.\n");
  EXPECT_FALSE(parsed->exchanges[1].reply->succeeded);
  EXPECT_EQ(parsed->exchanges[2].error->code, ErrorCode::Timeout);
  EXPECT_EQ(parsed->exchanges[3].reply->out, "bytes \x1b[31m\x01 and \xff");
  EXPECT_THAT(text, HasSubstr("encoding=\"base64\""));
}

TEST(TranscriptTest, BadFilesAreErrorsWithLines) {
  EXPECT_FALSE(
      parseTranscript("<transcript version=\"2\" scenario=\"x\" source=\"hardware\"/>", "v.xml")
          .has_value());
  EXPECT_FALSE(
      parseTranscript("<transcript version=\"1\" scenario=\"x\" source=\"guess\"/>", "s.xml")
          .has_value());
  const auto truncated = formatTranscript(sample());
  EXPECT_FALSE(parseTranscript(truncated.substr(0, truncated.size() / 2), "t.xml").has_value());
}

TEST(ReplayTest, ServesTheRecordedAnswersInOrder) {
  ReplayShellSession replay{sample()};
  const auto first = replay.run("Get-VM -Name 'EFLOW'", 1s);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->out, "<Objects/>\n");
  const auto second = replay.run(
      "Dismount-VMHostAssignableDevice -LocationPath 'PCIROOT(0)#PCI(0300)#PCI(0000)'", 1s);
  ASSERT_TRUE(second.has_value());
  EXPECT_FALSE(second->succeeded);
  const auto third = replay.run("Start-VM -Name 'EFLOW'", 1s);
  ASSERT_FALSE(third.has_value());
  EXPECT_EQ(third.error().code, ErrorCode::Timeout);
  EXPECT_EQ(replay.leftover(), 2u);
  EXPECT_FALSE(replay.mismatch().has_value());
}

TEST(ReplayTest, ADifferentCommandFailsLoudlyWithWhereTheyPart) {
  ReplayShellSession replay{sample()};
  const auto reply = replay.run("Get-VM -Name 'EFLOW2'", 1s);
  ASSERT_FALSE(reply.has_value());
  ASSERT_TRUE(replay.mismatch().has_value());
  EXPECT_THAT(*replay.mismatch(), HasSubstr("command 1 differs"));
  EXPECT_THAT(*replay.mismatch(), HasSubstr("column 20"));
  EXPECT_THAT(*replay.mismatch(), HasSubstr("re-record"));
  // Everything after a mismatch fails too.
  EXPECT_FALSE(replay.run("Get-VM -Name 'EFLOW'", 1s).has_value());
}

TEST(ReplayTest, CommandsPastTheEndFail) {
  Transcript t;
  t.scenario = "s";
  ReplayShellSession replay{t};
  EXPECT_FALSE(replay.run("Get-VM", 1s).has_value());
  EXPECT_THAT(replay.mismatch().value_or(""), HasSubstr("holds only 0"));
}

class EchoSession : public ShellSession {
public:
  Result<ShellReply> run(const std::string& command, std::chrono::milliseconds) override {
    return ShellReply{"echo: " + command, "", true};
  }
};

TEST(RecordingTest, WritesDownEveryExchange) {
  EchoSession echo;
  Transcript t;
  RecordingShellSession recording{echo, t};
  ASSERT_TRUE(recording.run("Get-VM", 1s).has_value());
  ASSERT_TRUE(recording.run("Start-VM -Name 'EFLOW'", 1s).has_value());
  ASSERT_EQ(t.exchanges.size(), 2u);
  EXPECT_EQ(t.exchanges[1].command, "Start-VM -Name 'EFLOW'");
  EXPECT_EQ(t.exchanges[1].reply->out, "echo: Start-VM -Name 'EFLOW'");
  // What was recorded replays.
  ReplayShellSession replay{t};
  EXPECT_EQ(replay.run("Get-VM", 1s)->out, "echo: Get-VM");
}

} // namespace
} // namespace hil::real_hw
