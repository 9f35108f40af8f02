#include "framework/flows/flow_store.h"

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "framework/core/diagnostic.h"
#include "framework/flows/undo_action.h"
#include "framework/platform/hyperv.h"

namespace hil::flows {
namespace {

using Kind = UndoAction::Kind;
using platform::kMiB;
using platform::MmioSpace;
using platform::StopAction;
using platform::VmConfig;
using platform::VmState;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr const char* kFile = "state/flow-state.xml";

// Strings a device, a VM name or a user may bring: XML metacharacters, backslashes, non-ASCII,
// white space that attribute normalisation would eat.
const std::string kInstanceId = "PCI\\VEN_10DE&DEV_1EB8&SUBSYS_12A210DE&REV_A1\\4&2D8E2B41&0&0018";
const std::string kLocation = "PCIROOT(0)#PCI(0300)#PCI(0000)";
const std::string kInterface =
    "\\\\?\\PCI#VEN_10DE&DEV_2504&SUBSYS_00001458&REV_A1#4&2D8E2B42&0&0020#{064092b3-625e-43bf-"
    "9eb5-dc845897dd59}";
const std::string kHostileVm = "EFLOW \"prod\" <1> & 'two' \xc3\xa9\xe4\xb8\xad ]]> \\ end";
const std::string kWhiteSpace = "  tab\there\nnew line\r\ncarriage  ";

UndoAction action(Kind kind, std::string vm, std::string target = {}) {
  return UndoAction{kind, std::move(vm), std::move(target)};
}

/// A journal that uses every kind of undo action, with hostile strings.
FlowState everyKind() {
  FlowRecord r;
  r.flow = "deploy";
  r.vm = kHostileVm;
  r.undo.push_back(action(Kind::StartVm, kHostileVm));
  auto stop = action(Kind::SetStopAction, kHostileVm);
  stop.stopAction = StopAction::ShutDown;
  r.undo.push_back(stop);
  auto mmio = action(Kind::SetMmio, kHostileVm);
  mmio.mmio = {3072 * kMiB, std::numeric_limits<std::uint64_t>::max()};
  r.undo.push_back(mmio);
  auto cache = action(Kind::SetCacheTypes, kHostileVm);
  cache.flag = true;
  r.undo.push_back(cache);
  r.undo.push_back(action(Kind::EnableDevice, kHostileVm, kInstanceId));
  r.undo.push_back(action(Kind::MountDevice, kHostileVm, kLocation));
  r.undo.push_back(action(Kind::RemoveAssignment, kHostileVm, kLocation));
  r.undo.push_back(action(Kind::RemovePartitionAdapter, kHostileVm, kInterface));
  r.undo.push_back(action(Kind::StopVm, kWhiteSpace));
  r.undo.push_back(action(Kind::DisableDevice, "", kWhiteSpace));
  r.undo.push_back(action(Kind::DismountDevice, kHostileVm, kLocation));
  r.undo.push_back(action(Kind::AddAssignment, kHostileVm, kLocation));
  r.undo.push_back(action(Kind::AddPartitionAdapter, kHostileVm, kInterface));
  auto save = action(Kind::SetStopAction, kHostileVm);
  save.stopAction = StopAction::Save;
  r.undo.push_back(save);
  auto off = action(Kind::SetCacheTypes, kHostileVm);
  off.flag = false;
  r.undo.push_back(off);

  FlowState s;
  s.journal = std::move(r);
  s.originals[kHostileVm] =
      VmConfig{kHostileVm, VmState::Running, StopAction::Save, platform::kDefaultMmio, false};
  s.originals["Other VM"] = VmConfig{"Other VM", VmState::Off, StopAction::TurnOff,
                                     MmioSpace{0, std::numeric_limits<std::uint64_t>::max()}, true};
  return s;
}

std::string joined(const Diagnostics& diagnostics) { return toString(diagnostics); }

/// Parses text that must fail; returns its diagnostics.
Diagnostics errorsOf(const std::string& text) {
  auto parsed = parseFlowState(text, kFile);
  EXPECT_FALSE(parsed.has_value()) << text;
  return parsed.has_value() ? Diagnostics{} : parsed.error();
}

std::string withJournal(const std::string& undo) {
  return "<?xml version=\"1.0\"?>\n"
         "<gpu-hil-flow-state version=\"1\">\n"
         "  <journal flow=\"deploy\" vm=\"EFLOW\">\n"
         "    <undo kind=\"start-vm\" vm=\"EFLOW\"/>\n" +
         undo +
         "\n"
         "  </journal>\n"
         "</gpu-hil-flow-state>\n";
}

// ---- equality --------------------------------------------------------------------------------

TEST(FlowRecordTest, EqualityComparesEveryFieldOfEveryAction) {
  const FlowRecord base = *everyKind().journal;
  EXPECT_EQ(base, base);
  std::vector<std::pair<const char*, void (*)(FlowRecord&)>> changes = {
      {"flow", [](FlowRecord& r) { r.flow = "teardown"; }},
      {"vm", [](FlowRecord& r) { r.vm = "x"; }},
      {"count", [](FlowRecord& r) { r.undo.pop_back(); }},
      {"kind", [](FlowRecord& r) { r.undo[0].kind = Kind::StopVm; }},
      {"action vm", [](FlowRecord& r) { r.undo[0].vm = "x"; }},
      {"target", [](FlowRecord& r) { r.undo[0].target = "x"; }},
      {"stopAction", [](FlowRecord& r) { r.undo[0].stopAction = StopAction::Save; }},
      {"mmio.low", [](FlowRecord& r) { r.undo[0].mmio.low = 1; }},
      {"mmio.high", [](FlowRecord& r) { r.undo[0].mmio.high = 1; }},
      {"flag", [](FlowRecord& r) { r.undo[0].flag = true; }},
      {"order", [](FlowRecord& r) { std::swap(r.undo[0], r.undo[1]); }},
  };
  for (const auto& [what, change] : changes) {
    FlowRecord other = base;
    change(other);
    EXPECT_NE(base, other) << what;
    EXPECT_NE(other, base) << what;
  }
}

// ---- round trip ------------------------------------------------------------------------------

TEST(FlowStateFormatTest, RoundTripsEveryUndoKindAndHostileStrings) {
  const FlowState state = everyKind();
  const std::string text = formatFlowState(state);
  auto parsed = parseFlowState(text, kFile);
  ASSERT_TRUE(parsed.has_value()) << joined(parsed.error());
  EXPECT_EQ(*parsed, state);
  EXPECT_EQ(parsed->journal->undo.size(), state.journal->undo.size());
  EXPECT_EQ(formatFlowState(*parsed), text);
}

TEST(FlowStateFormatTest, EmptyStateRoundTrips) {
  const std::string text = formatFlowState(FlowState{});
  EXPECT_THAT(text, HasSubstr("<gpu-hil-flow-state version=\"1\""));
  EXPECT_THAT(text, Not(HasSubstr("<journal")));
  auto parsed = parseFlowState(text, kFile);
  ASSERT_TRUE(parsed.has_value()) << joined(parsed.error());
  EXPECT_EQ(*parsed, FlowState{});
}

TEST(FlowStateFormatTest, AJournalWithNoActionsRoundTrips) {
  FlowState state;
  state.journal = FlowRecord{"teardown", "EFLOW", {}};
  auto parsed = parseFlowState(formatFlowState(state), kFile);
  ASSERT_TRUE(parsed.has_value()) << joined(parsed.error());
  EXPECT_EQ(*parsed, state);
  EXPECT_TRUE(parsed->journal.has_value());
}

TEST(FlowStateFormatTest, WritesTheDocumentedLayout) {
  const std::string text = formatFlowState(everyKind());
  EXPECT_THAT(text, StartsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                               "<gpu-hil-flow-state version=\"1\">\n"
                               "  <journal flow=\"deploy\" vm="));
  for (const char* word :
       {"start-vm", "stop-vm", "set-stop-action", "set-mmio", "set-cache-types", "enable-device",
        "disable-device", "mount-device", "dismount-device", "remove-assignment", "add-assignment",
        "remove-partition-adapter", "add-partition-adapter"}) {
    EXPECT_THAT(text, HasSubstr(std::string{"<undo kind=\""} + word + "\"")) << word;
  }
  // Only the attributes a kind uses.
  EXPECT_THAT(text, HasSubstr("<undo kind=\"start-vm\" vm=\"EFLOW &quot;prod&quot; &lt;1> &amp; "
                              "'two' \xc3\xa9\xe4\xb8\xad ]]> \\ end\" />"));
  EXPECT_THAT(text, HasSubstr("stop-action=\"ShutDown\" />"));
  EXPECT_THAT(text, HasSubstr("mmio-low=\"3221225472\" mmio-high=\"18446744073709551615\" />"));
  EXPECT_THAT(text, HasSubstr("flag=\"true\" />"));
  EXPECT_THAT(text, HasSubstr("<original vm=\"Other VM\" state=\"Off\" stop-action=\"TurnOff\" "
                              "mmio-low=\"0\" mmio-high=\"18446744073709551615\" "
                              "cache-types=\"true\" />"));
  // Originals in map order, after the journal.
  EXPECT_LT(text.find("</journal>"), text.find("<original vm=\"EFLOW"));
  EXPECT_LT(text.find("<original vm=\"EFLOW"), text.find("<original vm=\"Other VM\""));
}

// ---- torn and truncated files ----------------------------------------------------------------

TEST(FlowStateFormatTest, ATornFileIsAnErrorOrTheSameStateNeverADifferentOne) {
  const FlowState state = everyKind();
  const std::string text = formatFlowState(state);
  int errors = 0;
  for (std::size_t cut = 0; cut < text.size(); cut += 37) {
    auto parsed = parseFlowState(text.substr(0, cut), kFile);
    if (parsed.has_value()) {
      EXPECT_EQ(*parsed, state) << "cut at " << cut;
      continue;
    }
    ++errors;
    ASSERT_FALSE(parsed.error().empty());
    EXPECT_GT(parsed.error().front().line, 0) << "cut at " << cut;
    EXPECT_EQ(parsed.error().front().file, kFile);
  }
  EXPECT_GT(errors, 10);
}

TEST(FlowStateFormatTest, EveryPrefixOfAFileIsAnErrorOrTheSameState) {
  FlowState state;
  state.journal = FlowRecord{"teardown", "EFLOW", {action(Kind::MountDevice, "EFLOW", kLocation)}};
  const std::string text = formatFlowState(state);
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    auto parsed = parseFlowState(text.substr(0, cut), kFile);
    if (parsed.has_value()) {
      // Only the trailing new line may go.
      EXPECT_GE(cut, text.size() - 1);
      EXPECT_EQ(*parsed, state) << "cut at " << cut;
    }
  }
}

TEST(FlowStateFormatTest, TruncatedFileNamesFileAndLine) {
  const std::string text = formatFlowState(everyKind());
  const auto cut = text.find("set-mmio");
  auto errors = errorsOf(text.substr(0, cut));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0].toString(), StartsWith(std::string{kFile} + ":"));
  EXPECT_THAT(errors[0].message, HasSubstr("XML syntax error"));
  EXPECT_GE(errors[0].line, 5);
}

TEST(FlowStateFormatTest, AnEmptyFileIsAnError) {
  auto errors = errorsOf("");
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors[0].file, kFile);
}

// ---- strictness ------------------------------------------------------------------------------

TEST(FlowStateParseTest, UnknownVersionSaysWhichVersionsAreKnown) {
  auto errors = errorsOf("<?xml version=\"1.0\"?>\n"
                         "<gpu-hil-flow-state version=\"2\" compressed=\"yes\">\n"
                         "  <journal flow=\"rebalance\"/>\n"
                         "</gpu-hil-flow-state>\n");
  ASSERT_EQ(errors.size(), 1u) << joined(errors);
  EXPECT_EQ(errors[0].line, 2);
  EXPECT_THAT(errors[0].message, AllOf(HasSubstr("version=\"2\""), HasSubstr("version 1")));
}

TEST(FlowStateParseTest, MissingVersionIsAnError) {
  auto errors = errorsOf("<gpu-hil-flow-state/>");
  ASSERT_EQ(errors.size(), 1u) << joined(errors);
  EXPECT_THAT(errors[0].message, HasSubstr("'version'"));
  EXPECT_EQ(errors[0].line, 1);
}

TEST(FlowStateParseTest, WrongRootIsAnError) {
  auto errors = errorsOf("<?xml version=\"1.0\"?>\n<gpu-hil-sim-host version=\"1\"/>\n");
  ASSERT_EQ(errors.size(), 1u) << joined(errors);
  EXPECT_EQ(errors[0].line, 2);
  EXPECT_THAT(errors[0].message, HasSubstr("<gpu-hil-flow-state>"));
}

TEST(FlowStateParseTest, UnknownKindIsAnErrorAtItsLine) {
  auto errors = errorsOf(withJournal("    <undo kind=\"reboot-host\" vm=\"EFLOW\" when=\"now\"/>"));
  ASSERT_EQ(errors.size(), 1u) << joined(errors);
  EXPECT_EQ(errors[0].line, 5);
  EXPECT_THAT(errors[0].message, AllOf(HasSubstr("reboot-host"), HasSubstr("start-vm")));
}

TEST(FlowStateParseTest, MissingAttributesAreErrors) {
  auto errors = errorsOf(withJournal("    <undo kind=\"set-mmio\" vm=\"EFLOW\" mmio-low=\"1\"/>"));
  ASSERT_EQ(errors.size(), 1u) << joined(errors);
  EXPECT_EQ(errors[0].line, 5);
  EXPECT_THAT(errors[0].message, HasSubstr("'mmio-high'"));

  errors = errorsOf(withJournal("    <undo kind=\"mount-device\" vm=\"EFLOW\"/>"));
  ASSERT_EQ(errors.size(), 1u) << joined(errors);
  EXPECT_THAT(errors[0].message, HasSubstr("'target'"));

  errors = errorsOf(withJournal("    <undo kind=\"set-cache-types\" vm=\"EFLOW\"/>"));
  ASSERT_EQ(errors.size(), 1u) << joined(errors);
  EXPECT_THAT(errors[0].message, HasSubstr("'flag'"));

  errors = errorsOf(withJournal("    <undo vm=\"EFLOW\"/>"));
  ASSERT_EQ(errors.size(), 1u) << joined(errors);
  EXPECT_THAT(errors[0].message, HasSubstr("'kind'"));

  errors = errorsOf("<gpu-hil-flow-state version=\"1\">\n"
                    "  <original vm=\"EFLOW\" state=\"Off\"/>\n"
                    "</gpu-hil-flow-state>\n");
  EXPECT_EQ(errors.size(), 4u) << joined(errors); // stop-action, mmio-low, mmio-high, cache-types
  for (const auto& e : errors) {
    EXPECT_EQ(e.line, 2);
  }
}

TEST(FlowStateParseTest, BadEnumsAndNumbersAreErrors) {
  for (const char* undo : {
           "    <undo kind=\"set-stop-action\" vm=\"EFLOW\" stop-action=\"Hibernate\"/>",
           "    <undo kind=\"set-cache-types\" vm=\"EFLOW\" flag=\"yes\"/>",
           "    <undo kind=\"set-mmio\" vm=\"EFLOW\" mmio-low=\"12abc\" mmio-high=\"1\"/>",
           "    <undo kind=\"set-mmio\" vm=\"EFLOW\" mmio-low=\"-1\" mmio-high=\"1\"/>",
           "    <undo kind=\"set-mmio\" vm=\"EFLOW\" mmio-low=\"\" mmio-high=\"1\"/>",
           "    <undo kind=\"set-mmio\" vm=\"EFLOW\" mmio-low=\"1\" "
           "mmio-high=\"18446744073709551616\"/>",
           "    <undo kind=\"Start-VM\" vm=\"EFLOW\"/>",
       }) {
    auto errors = errorsOf(withJournal(undo));
    ASSERT_EQ(errors.size(), 1u) << undo << "\n" << joined(errors);
    EXPECT_EQ(errors[0].line, 5) << undo;
  }
  auto errors = errorsOf("<gpu-hil-flow-state version=\"1\">\n"
                         "  <journal flow=\"rebalance\" vm=\"EFLOW\"/>\n"
                         "  <original vm=\"EFLOW\" state=\"Paused\" stop-action=\"TurnOff\" "
                         "mmio-low=\"1\" mmio-high=\"2\" cache-types=\"false\"/>\n"
                         "</gpu-hil-flow-state>\n");
  ASSERT_EQ(errors.size(), 2u) << joined(errors);
  EXPECT_EQ(errors[0].line, 2);
  EXPECT_THAT(errors[0].message, HasSubstr("rebalance"));
  EXPECT_EQ(errors[1].line, 3);
  EXPECT_THAT(errors[1].message, HasSubstr("Paused"));
}

TEST(FlowStateParseTest, UnknownAttributesAndElementsAreErrors) {
  // A target on start-vm would be dropped silently on the next save.
  auto errors =
      errorsOf(withJournal("    <undo kind=\"start-vm\" vm=\"EFLOW\" target=\"PCIROOT(0)\"/>"));
  ASSERT_EQ(errors.size(), 1u) << joined(errors);
  EXPECT_EQ(errors[0].line, 5);
  EXPECT_THAT(errors[0].message, HasSubstr("'target'"));

  errors = errorsOf(withJournal("    <note>hello</note>"));
  ASSERT_EQ(errors.size(), 1u) << joined(errors);
  EXPECT_EQ(errors[0].line, 5);
  EXPECT_THAT(errors[0].message, HasSubstr("<note>"));

  errors = errorsOf(withJournal("    stray text"));
  ASSERT_EQ(errors.size(), 1u) << joined(errors);
}

TEST(FlowStateParseTest, DuplicatesAreErrors) {
  auto errors = errorsOf("<gpu-hil-flow-state version=\"1\">\n"
                         "  <journal flow=\"deploy\" vm=\"EFLOW\"/>\n"
                         "  <journal flow=\"teardown\" vm=\"EFLOW\"/>\n"
                         "  <original vm=\"A\" state=\"Off\" stop-action=\"TurnOff\" "
                         "mmio-low=\"1\" mmio-high=\"2\" cache-types=\"false\"/>\n"
                         "  <original vm=\"A\" state=\"Running\" stop-action=\"Save\" "
                         "mmio-low=\"1\" mmio-high=\"2\" cache-types=\"true\"/>\n"
                         "</gpu-hil-flow-state>\n");
  ASSERT_EQ(errors.size(), 2u) << joined(errors);
  EXPECT_EQ(errors[0].line, 3);
  EXPECT_EQ(errors[1].line, 5);
}

TEST(FlowStateParseTest, ErrorsAreSortedByLineAndCarryFileAndLine) {
  auto errors = errorsOf("<gpu-hil-flow-state version=\"1\" extra=\"1\">\n"
                         "  <journal flow=\"deploy\" vm=\"EFLOW\">\n"
                         "    <undo kind=\"nope\" vm=\"EFLOW\"/>\n"
                         "    <undo kind=\"set-mmio\" vm=\"EFLOW\"/>\n"
                         "  </journal>\n"
                         "</gpu-hil-flow-state>\n");
  ASSERT_EQ(errors.size(), 4u) << joined(errors);
  for (std::size_t i = 1; i < errors.size(); ++i) {
    EXPECT_LE(errors[i - 1].line, errors[i].line);
  }
  EXPECT_EQ(errors[0].line, 1);
  EXPECT_THAT(errors[0].toString(), StartsWith("state/flow-state.xml:1: "));
  EXPECT_EQ(errors[1].line, 3);
  EXPECT_EQ(errors[3].line, 4);
}

TEST(FlowStateParseTest, AcceptsAFileWrittenByHandInAnyIndentation) {
  auto parsed = parseFlowState("<gpu-hil-flow-state version='1'><journal flow='teardown' "
                               "vm='EFLOW'><undo kind='add-assignment' vm='EFLOW' "
                               "target='PCIROOT(0)#PCI(0300)#PCI(0000)'/></journal>"
                               "</gpu-hil-flow-state>",
                               kFile);
  ASSERT_TRUE(parsed.has_value()) << joined(parsed.error());
  FlowState expected;
  expected.journal =
      FlowRecord{"teardown", "EFLOW", {action(Kind::AddAssignment, "EFLOW", kLocation)}};
  EXPECT_EQ(*parsed, expected);
}

// ---- the in-memory store ---------------------------------------------------------------------

TEST(MemoryFlowStoreTest, KeepsWhatWasSaved) {
  MemoryFlowStore store;
  EXPECT_EQ(store.load().value(), FlowState{});
  ASSERT_TRUE(store.save(everyKind()).has_value());
  EXPECT_EQ(store.load().value(), everyKind());
  EXPECT_EQ(store.savesForTest(), 1);
}

} // namespace
} // namespace hil::flows
