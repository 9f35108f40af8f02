#include <chrono>
#include <cstdint>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "framework/core/clock.h"
#include "framework/core/diagnostic.h"
#include "framework/core/error.h"
#include "framework/core/log.h"
#include "framework/core/random.h"
#include "framework/core/xml.h"
#include "framework/platform/operations.h"
#include "framework/platform/types.h"

namespace hil {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::Not;

// ---- Error codes ----------------------------------------------------------------------------

TEST(ErrorCodeTest, EveryCodeRoundTripsThroughItsName) {
  ASSERT_FALSE(allErrorCodes().empty());
  for (const auto code : allErrorCodes()) {
    const auto name = toString(code);
    EXPECT_NE(name, "unknown");
    const auto parsed = parseErrorCode(name);
    ASSERT_TRUE(parsed.has_value()) << name;
    EXPECT_EQ(*parsed, code) << name;
  }
}

TEST(ErrorCodeTest, NamesAreTheDesignDocsKebabNamesInPrerequisiteOrder) {
  std::vector<std::string> names;
  for (const auto code : allErrorCodes()) {
    names.emplace_back(toString(code));
  }
  // The first nine are the prerequisite codes in the order that picks a step's code.
  EXPECT_THAT(names, ElementsAre("invalid-request", "unsupported-edition", "hyperv-unavailable",
                                 "gpu-not-found", "gpu-count", "unsupported-gpu",
                                 "method-not-supported", "unsupported-build", "driver-missing",
                                 "device-busy", "operation-failed", "timeout", "vm-start-failed",
                                 "smoke-failed", "failed-precondition", "unavailable"));
}

TEST(ErrorCodeTest, OnlyUnavailableAndTimeoutAreTransient) {
  std::vector<std::string> transient;
  for (const auto code : allErrorCodes()) {
    if (isTransient(code)) {
      transient.emplace_back(toString(code));
    }
  }
  // A failed precondition, a VM that does not start or an unknown failure is not retried as is.
  EXPECT_THAT(transient, ElementsAre("timeout", "unavailable"));
  EXPECT_FALSE(isTransient(ErrorCode::FailedPrecondition));
  EXPECT_FALSE(isTransient(ErrorCode::OperationFailed));
}

TEST(ErrorCodeTest, SpecificCodesMapToTheirNames) {
  EXPECT_EQ(toString(ErrorCode::HypervUnavailable), "hyperv-unavailable");
  EXPECT_EQ(toString(ErrorCode::DeviceBusy), "device-busy");
  EXPECT_EQ(toString(ErrorCode::OperationFailed), "operation-failed");
  EXPECT_EQ(toString(ErrorCode::VmStartFailed), "vm-start-failed");
  EXPECT_EQ(parseErrorCode("timeout"), ErrorCode::Timeout);
  EXPECT_EQ(parseErrorCode("smoke-failed"), ErrorCode::SmokeFailed);
  EXPECT_EQ(parseErrorCode("failed-precondition"), ErrorCode::FailedPrecondition);
  EXPECT_EQ(parseErrorCode("unavailable"), ErrorCode::Unavailable);
}

TEST(ErrorCodeTest, UnknownNamesDoNotParse) {
  EXPECT_EQ(parseErrorCode(""), std::nullopt);
  EXPECT_EQ(parseErrorCode("no-such-code"), std::nullopt);
  EXPECT_EQ(parseErrorCode("Timeout"), std::nullopt);
  EXPECT_EQ(parseErrorCode("device_busy"), std::nullopt);
  EXPECT_EQ(parseErrorCode("mitigation-driver-missing"), std::nullopt); // a warning, not an error
}

TEST(WarningCodeTest, MitigationDriverMissingRoundTrips) {
  ASSERT_EQ(allWarningCodes().size(), 1u);
  EXPECT_EQ(toString(WarningCode::MitigationDriverMissing), "mitigation-driver-missing");
  for (const auto code : allWarningCodes()) {
    EXPECT_EQ(parseWarningCode(toString(code)), code);
  }
  EXPECT_EQ(parseWarningCode("device-busy"), std::nullopt);
}

TEST(ErrorTest, DescribeWithoutContextIsCodeAndMessage) {
  const Error error{ErrorCode::DeviceBusy, "the GPU is in use", {}};
  EXPECT_EQ(error.describe(), "device-busy: the GPU is in use");
}

TEST(ErrorTest, DescribeListsContextInnermostFirst) {
  const Error error{ErrorCode::OperationFailed,
                    "pcip.sys failed to load",
                    {"hyperv.dismount-host-device", "deploy"}};
  EXPECT_EQ(error.describe(),
            "operation-failed: pcip.sys failed to load [hyperv.dismount-host-device < deploy]");
}

TEST(ErrorTest, FailMakesAnUnexpectedWithNoContext) {
  const Result<int> result = fail(ErrorCode::GpuCount, "2 requested, 1 found");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::GpuCount);
  EXPECT_EQ(result.error().message, "2 requested, 1 found");
  EXPECT_TRUE(result.error().context.empty());
}

TEST(ErrorTest, WithContextAddsOneLevelOnTheWayUp) {
  const Result<int> inner = fail(ErrorCode::Timeout, "hung");
  ASSERT_FALSE(inner.has_value());
  // g++ 12 has no transform_error; the functor is what it would call.
  const Error outer = withContext("deploy")(withContext("hyperv.stop-vm")(inner.error()));
  EXPECT_EQ(outer.code, ErrorCode::Timeout);
  EXPECT_EQ(outer.message, "hung");
  EXPECT_THAT(outer.context, ElementsAre("hyperv.stop-vm", "deploy"));
}

Result<void> succeedVoid() { return {}; }
Result<void> failVoid() { return fail(ErrorCode::DeviceBusy, "busy"); }
Result<int> failInt() { return fail(ErrorCode::Timeout, "too slow"); }

/// Counts how far it got, so the test sees whether HIL_TRY returned early.
Result<int> chain(Result<void> (*first)(), int& reached) {
  HIL_TRY(first());
  reached = 1;
  HIL_TRY(succeedVoid());
  reached = 2;
  return 42;
}

Result<void> tryOnInt(int& reached) {
  HIL_TRY(failInt());
  reached = 1;
  return {};
}

TEST(HilTryTest, SuccessContinues) {
  int reached = 0;
  const auto result = chain(succeedVoid, reached);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(*result, 42);
  EXPECT_EQ(reached, 2);
}

TEST(HilTryTest, FailureReturnsTheErrorUnchanged) {
  int reached = 0;
  const auto result = chain(failVoid, reached);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::DeviceBusy);
  EXPECT_EQ(result.error().message, "busy");
  EXPECT_EQ(reached, 0);
}

TEST(HilTryTest, PropagatesAcrossValueTypes) {
  int reached = 0;
  const auto result = tryOnInt(reached);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::Timeout);
  EXPECT_EQ(reached, 0);
}

// ---- Diagnostics ----------------------------------------------------------------------------

TEST(DiagnosticTest, FormatsFileLineMessage) {
  EXPECT_EQ((Diagnostic{"a.xml", 12, "bad"}).toString(), "a.xml:12: bad");
  EXPECT_EQ((Diagnostic{"a.xml", 0, "no such file"}).toString(), "a.xml: no such file");
  EXPECT_EQ(toString(Diagnostics{{"a.xml", 1, "x"}, {"b.xml", 2, "y"}}),
            "a.xml:1: x\nb.xml:2: y\n");
}

// ---- Windows builds and editions --------------------------------------------------------------

TEST(WindowsBuildTest, ParsesABuildWithoutRevision) {
  const auto build = platform::parseWindowsBuild("17763");
  ASSERT_TRUE(build.has_value());
  EXPECT_EQ(build->number, 17763u);
  EXPECT_EQ(build->revision, 0u);
  EXPECT_EQ(build->toString(), "17763");
}

TEST(WindowsBuildTest, ParsesABuildWithRevision) {
  const auto build = platform::parseWindowsBuild("19044.1620");
  ASSERT_TRUE(build.has_value());
  EXPECT_EQ(build->number, 19044u);
  EXPECT_EQ(build->revision, 1620u);
  EXPECT_EQ(build->toString(), "19044.1620");
}

TEST(WindowsBuildTest, RejectsMalformedBuilds) {
  for (const std::string_view bad :
       {"", "abc", "1.", "1.2.3", "-1", ".5", "17763a", " 17763", "19044.-1", "19044.x"}) {
    EXPECT_EQ(platform::parseWindowsBuild(bad), std::nullopt) << '"' << bad << '"';
  }
}

TEST(WindowsBuildTest, ComparesNumericallyRevisionIncluded) {
  const auto a = *platform::parseWindowsBuild("19044.1619");
  const auto b = *platform::parseWindowsBuild("19044.1620");
  const auto c = *platform::parseWindowsBuild("19045");
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_LT(a, c);
  // Numerically, not as text: 9 < 10 and 999 < 1000.
  EXPECT_LT(*platform::parseWindowsBuild("9999"), *platform::parseWindowsBuild("17763"));
  EXPECT_LT(*platform::parseWindowsBuild("19044.999"), *platform::parseWindowsBuild("19044.1000"));
  // A bare build is its revision 0.
  EXPECT_EQ(*platform::parseWindowsBuild("19044"), *platform::parseWindowsBuild("19044.0"));
  EXPECT_LT(*platform::parseWindowsBuild("19044"), *platform::parseWindowsBuild("19044.1"));
}

TEST(EditionTest, ParsesAllFiveScenarioWords) {
  using platform::Edition;
  EXPECT_EQ(platform::parseEdition("server"), Edition::Server);
  EXPECT_EQ(platform::parseEdition("enterprise"), Edition::Enterprise);
  EXPECT_EQ(platform::parseEdition("iot-enterprise"), Edition::IotEnterprise);
  EXPECT_EQ(platform::parseEdition("professional"), Edition::Professional);
  EXPECT_EQ(platform::parseEdition("home"), Edition::Home);
  for (const auto edition : {Edition::Server, Edition::Enterprise, Edition::IotEnterprise,
                             Edition::Professional, Edition::Home}) {
    EXPECT_EQ(platform::parseEdition(platform::toString(edition)), edition);
  }
}

TEST(EditionTest, RejectsOtherWords) {
  EXPECT_EQ(platform::parseEdition(""), std::nullopt);
  EXPECT_EQ(platform::parseEdition("xp"), std::nullopt);
  EXPECT_EQ(platform::parseEdition("pro"), std::nullopt);
  EXPECT_EQ(platform::parseEdition("iot"), std::nullopt);
}

TEST(TechniqueTest, ParsesEflowsOwnWords) {
  EXPECT_EQ(platform::parseTechnique("DirectDeviceAssignment"),
            platform::Technique::DirectDeviceAssignment);
  EXPECT_EQ(platform::parseTechnique("ParaVirtualization"),
            platform::Technique::ParaVirtualization);
  EXPECT_EQ(platform::parseTechnique("dda"), std::nullopt);
  EXPECT_EQ(platform::toString(platform::Technique::ParaVirtualization), "ParaVirtualization");
}

// ---- PCI ids and instance ids -----------------------------------------------------------------

TEST(PciIdTest, ReadsIdsFromAPciInstanceId) {
  const auto id = platform::pciIdFromInstanceId(
      R"(PCI\VEN_10DE&DEV_1EB8&SUBSYS_12A210DE&REV_A1\4&2D8E2B41&0&0008)");
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->vendor, 0x10de);
  EXPECT_EQ(id->device, 0x1eb8);
  EXPECT_EQ(id->toString(), "10de:1eb8");
}

TEST(PciIdTest, ReadsIdsFromAPcipInstanceId) {
  const auto id =
      platform::pciIdFromInstanceId(R"(PCIP\VEN_10DE&DEV_2503&SUBSYS_25030DE&REV_A1\4&1&0&0010)");
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(*id, (platform::PciId{0x10de, 0x2503}));
}

TEST(PciIdTest, ReadsLowercaseHex) {
  EXPECT_EQ(platform::pciIdFromInstanceId(R"(PCI\VEN_8086&DEV_9a49&SUBSYS_0)"),
            (platform::PciId{0x8086, 0x9a49}));
}

TEST(PciIdTest, RejectsGarbage) {
  for (const std::string_view bad :
       {"", "garbage", R"(PCI\VEN_10DE)", R"(PCI\DEV_1EB8)", R"(PCI\VEN_10&DEV_1EB8)",
        R"(PCI\VEN_XYZW&DEV_1EB8)", R"(PCI\VEN_10DE&DEV_1E)", R"(USB\VID_046D&PID_C52B)"}) {
    EXPECT_EQ(platform::pciIdFromInstanceId(bad), std::nullopt) << bad;
  }
}

TEST(PciIdTest, FormatsAsLspciDoes) {
  EXPECT_EQ((platform::PciId{0x1002, 0x73e3}).toString(), "1002:73e3");
  EXPECT_EQ((platform::PciId{0x0001, 0x0002}).toString(), "0001:0002");
}

TEST(HostInstanceIdTest, MapsPcipBackToPci) {
  EXPECT_EQ(platform::hostInstanceId(R"(PCIP\VEN_10DE&DEV_1EB8&SUBSYS_12A210DE&REV_A1\4&X)"),
            R"(PCI\VEN_10DE&DEV_1EB8&SUBSYS_12A210DE&REV_A1\4&X)");
}

TEST(HostInstanceIdTest, LeavesOtherIdsAlone) {
  EXPECT_EQ(platform::hostInstanceId(R"(PCI\VEN_10DE&DEV_1EB8\4&X)"),
            R"(PCI\VEN_10DE&DEV_1EB8\4&X)");
  EXPECT_EQ(platform::hostInstanceId(""), "");
  EXPECT_EQ(platform::hostInstanceId("PCIPX"), "PCIPX");
}

TEST(EqualsIgnoringCaseTest, ComparesAsciiCaseInsensitively) {
  EXPECT_TRUE(platform::equalsIgnoringCase("NVIDIA Tesla T4", "nvidia tesla t4"));
  EXPECT_TRUE(platform::equalsIgnoringCase("NVIDIA Tesla T4", "NVIDIA TESLA T4"));
  EXPECT_TRUE(platform::equalsIgnoringCase("", ""));
  EXPECT_FALSE(platform::equalsIgnoringCase("NVIDIA Tesla T4", "NVIDIA Tesla T4 "));
  EXPECT_FALSE(platform::equalsIgnoringCase("NVIDIA Tesla", "NVIDIA Tesla T4"));
  EXPECT_FALSE(platform::equalsIgnoringCase("NVIDIA Tesla T4", "NVIDIA Tesla T5"));
}

TEST(FormatBytesTest, UsesGbForWholeGibibytesAndMbOtherwise) {
  using platform::kMiB;
  EXPECT_EQ(platform::formatBytes(3 * 1024 * kMiB), "3 GB");
  EXPECT_EQ(platform::formatBytes(1024 * kMiB), "1 GB");
  EXPECT_EQ(platform::formatBytes(512 * kMiB), "512 MB");
  EXPECT_EQ(platform::formatBytes(96 * kMiB), "96 MB");
  EXPECT_EQ(platform::formatBytes(33280 * kMiB), "33280 MB");
  EXPECT_EQ(platform::formatBytes(1), "1 MB"); // rounds up
  EXPECT_EQ(platform::formatBytes(kMiB + 1), "2 MB");
  EXPECT_EQ(platform::formatBytes(0), "0 MB");
}

// ---- Randomness -----------------------------------------------------------------------------

std::vector<std::uint64_t> draw(std::uint64_t seed, int n) {
  SeededRandom random{seed};
  std::vector<std::uint64_t> values;
  for (int i = 0; i < n; ++i) {
    values.push_back(random.next());
  }
  return values;
}

TEST(SeededRandomTest, SameSeedGivesTheSameSequence) {
  EXPECT_EQ(draw(7, 100), draw(7, 100));
  EXPECT_EQ(draw(0, 10), draw(0, 10));
}

TEST(SeededRandomTest, DifferentSeedsGiveDifferentSequences) {
  EXPECT_NE(draw(1, 10), draw(2, 10));
  EXPECT_NE(draw(0, 10), draw(1, 10));
}

TEST(SeededRandomTest, SequenceDoesNotRepeatItself) {
  const auto values = draw(1, 1000);
  const std::set<std::uint64_t> distinct(values.begin(), values.end());
  EXPECT_EQ(distinct.size(), values.size());
}

TEST(SeededRandomTest, SplitMix64KnownValue) {
  // splitmix64 from state 0: the first output is the reference implementation's.
  SeededRandom random{0};
  EXPECT_EQ(random.next(), 0xe220a8397b1dcdafull);
}

TEST(SeededRandomTest, UniformStaysInRange) {
  SeededRandom random{99};
  for (int i = 0; i < 1000; ++i) {
    const double u = random.uniform();
    EXPECT_GE(u, 0.0);
    EXPECT_LT(u, 1.0);
    const double v = random.uniform(0.9, 0.96);
    EXPECT_GE(v, 0.9);
    EXPECT_LT(v, 0.96);
  }
}

TEST(StableHashTest, IsFnv1aAndPinned) {
  // Pinned values: scenario seeds derive from them, so a change would change every report.
  EXPECT_EQ(stableHash(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(stableHash("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(stableHash("tesla-t4"), 0x3f851e528d997f9bull);
  EXPECT_EQ(stableHash("dda/t4\nt4-dda-server-2019"), 0x4d1d8b9f0df4be64ull);
  static_assert(stableHash("a") == 0xaf63dc4c8601ec8cull, "usable at compile time");
}

TEST(StableHashTest, DiffersForDifferentText) {
  EXPECT_NE(stableHash("a\nbc"), stableHash("ab\nc"));
  EXPECT_NE(stableHash("tesla-t4"), stableHash("tesla-t5"));
}

// ---- Clock and log --------------------------------------------------------------------------

TEST(ManualClockTest, MovesOnlyWhenAdvanced) {
  ManualClock clock;
  EXPECT_EQ(clock.now(), std::chrono::nanoseconds{0});
  clock.advance(std::chrono::milliseconds{1500});
  EXPECT_EQ(clock.now(), std::chrono::milliseconds{1500});
  EXPECT_EQ(clock.now(), std::chrono::milliseconds{1500});
}

TEST(LogTest, StampsLinesWithTheClock) {
  ManualClock clock;
  Log log{&clock};
  log.add("first");
  clock.advance(std::chrono::milliseconds{1500});
  log.add("second");
  EXPECT_THAT(log.lines(), ElementsAre("[   0.000s] first", "[   1.500s] second"));
  const auto taken = log.take();
  EXPECT_EQ(taken.size(), 2u);
}

/// A fixed moment on the wall clock, for the UTC stamps of real-rig logs.
class FixedUtcClock : public Clock {
public:
  explicit FixedUtcClock(std::chrono::nanoseconds sinceEpoch) : at_(sinceEpoch) {}
  [[nodiscard]] std::chrono::nanoseconds now() const override { return at_; }
  [[nodiscard]] bool isUtc() const override { return true; }

private:
  std::chrono::nanoseconds at_;
};

TEST(LogTest, AUtcClockStampsIso8601DateAndTime) {
  // 2026-12-07T17:29:12.345678Z: 1796664552 s after the epoch.
  const FixedUtcClock clock{std::chrono::seconds{1796664552} + std::chrono::microseconds{345678}};
  Log log{&clock};
  log.add("hyperv.stop-vm EFLOW");
  EXPECT_THAT(log.lines(), ElementsAre("[2026-12-07T17:29:12.345Z] hyperv.stop-vm EFLOW"));
  // The real one reads the system clock.
  EXPECT_TRUE(UtcClock{}.isUtc());
  EXPECT_FALSE(ManualClock{}.isUtc());
}

TEST(LogTest, WithoutAClockKeepsLinesAsTheyAre) {
  Log log;
  log.add("plain");
  EXPECT_THAT(log.lines(), ElementsAre("plain"));
}

// ---- Operations -----------------------------------------------------------------------------

TEST(OperationsTest, DesignDocsRequiredOperationsExistAndMutate) {
  for (const std::string_view name :
       {"hyperv.stop-vm", "hyperv.start-vm", "hyperv.set-vm-memory-mapped-io", "pnp.disable-device",
        "pnp.enable-device", "hyperv.dismount-host-device", "hyperv.mount-host-device",
        "hyperv.add-assignable-device", "hyperv.remove-assignable-device",
        "hyperv.add-gpu-partition-adapter", "hyperv.remove-gpu-partition-adapter"}) {
    const auto op = platform::findOperation(name);
    ASSERT_TRUE(op.has_value()) << name;
    EXPECT_EQ(op->name, name);
    EXPECT_TRUE(op->mutating) << name;
    EXPECT_FALSE(op->real.empty()) << name;
  }
}

TEST(OperationsTest, GuestRunExistsAndDoesNotMutateTheHost) {
  const auto op = platform::findOperation("guest.run");
  ASSERT_TRUE(op.has_value());
  EXPECT_FALSE(op->mutating);
}

TEST(OperationsTest, QueriesDoNotMutate) {
  for (const std::string_view name : {"hostos.get-windows-info", "pnp.get-devices", "hyperv.get-vm",
                                      "hyperv.get-host-assignable-devices"}) {
    const auto op = platform::findOperation(name);
    ASSERT_TRUE(op.has_value()) << name;
    EXPECT_FALSE(op->mutating) << name;
  }
}

TEST(OperationsTest, UnknownNamesAreNotFound) {
  EXPECT_EQ(platform::findOperation("hyperv.explode"), std::nullopt);
  EXPECT_EQ(platform::findOperation(""), std::nullopt);
  EXPECT_EQ(platform::findOperation("HYPERV.STOP-VM"), std::nullopt);
}

TEST(OperationsTest, NamesAreUniqueAndUseTheSeamPrefixes) {
  std::set<std::string_view> names;
  for (const auto& op : platform::allOperations()) {
    EXPECT_TRUE(names.insert(op.name).second) << op.name;
    EXPECT_TRUE(op.name.starts_with("hostos.") || op.name.starts_with("pnp.") ||
                op.name.starts_with("hyperv.") || op.name.starts_with("drivers.") ||
                op.name.starts_with("guest.") || op.name.starts_with("eflow."))
        << op.name;
    EXPECT_EQ(platform::findOperation(op.name)->name, op.name);
  }
  EXPECT_GE(names.size(), 12u);
}

// ---- Strict XML reading -----------------------------------------------------------------------

constexpr std::string_view kElementXml = R"(<?xml version="1.0"?>
<root a="1" extra="x">
  <known/>
  <stray/>
  <known
      other="y"/>
</root>
)";

TEST(XmlEscapeTest, WritesTheFiveSpecialCharactersAsEntities) {
  EXPECT_EQ(xml::escape(R"(<a href="x">Tom & Jerry's</a>)"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;");
  EXPECT_EQ(xml::escape("&amp;"), "&amp;amp;"); // escapes what is already an entity again
  EXPECT_EQ(xml::escape("NVIDIA RTX A2000 \xc2\xb7 GPU-PV"), "NVIDIA RTX A2000 \xc2\xb7 GPU-PV");
  EXPECT_EQ(xml::escape(""), "");
}

TEST(XmlDocumentTest, SyntaxErrorIsOneDiagnosticAtItsLine) {
  const auto doc = xml::Document::parse("<a>\n  <b>\n</a>\n", "broken.xml");
  ASSERT_FALSE(doc.has_value());
  ASSERT_EQ(doc.error().size(), 1u);
  EXPECT_EQ(doc.error()[0].file, "broken.xml");
  EXPECT_EQ(doc.error()[0].line, 3);
}

TEST(XmlDocumentTest, EmptyTextHasNoRootElement) {
  const auto doc = xml::Document::parse("<?xml version=\"1.0\"?>\n", "empty.xml");
  ASSERT_FALSE(doc.has_value());
  ASSERT_EQ(doc.error().size(), 1u);
  EXPECT_EQ(doc.error()[0].file, "empty.xml");
}

TEST(XmlDocumentTest, ASecondRootElementIsRejectedAtItsLine) {
  const auto doc =
      xml::Document::parse("<scenario name=\"a\"/>\n\n<scenario name=\"b\"/>\n", "two.xml");
  ASSERT_FALSE(doc.has_value());
  ASSERT_EQ(doc.error().size(), 1u);
  EXPECT_EQ(doc.error()[0].toString(), "two.xml:3: another root element <scenario> after "
                                       "<scenario> at line 1; expected one root element");
}

TEST(XmlDocumentTest, TextAfterTheRootElementIsRejectedAtItsLine) {
  const auto doc = xml::Document::parse("<a>\n</a>\n\n  trailing words\n", "after.xml");
  ASSERT_FALSE(doc.has_value());
  ASSERT_EQ(doc.error().size(), 1u);
  EXPECT_EQ(doc.error()[0].toString(),
            "after.xml:4: text \"trailing words\" after the root element <a>; expected one root "
            "element, with only comments and white space around it");
}

TEST(XmlDocumentTest, TextBeforeTheRootElementIsRejected) {
  const auto doc = xml::Document::parse("<?xml version=\"1.0\"?>\nstray<a/>\n", "before.xml");
  ASSERT_FALSE(doc.has_value());
  ASSERT_EQ(doc.error().size(), 1u);
  EXPECT_EQ(doc.error()[0].line, 2);
  EXPECT_THAT(doc.error()[0].message, HasSubstr("text \"stray\" before the root element <a>"));
}

TEST(XmlDocumentTest, EveryStrayPieceIsReported) {
  const auto doc =
      xml::Document::parse("<a/>\r\nx\r\n<b/>\r\n<![CDATA[y]]>\r\n<c/>\r\n", "crlf.xml");
  ASSERT_FALSE(doc.has_value());
  std::vector<int> lines;
  for (const auto& d : doc.error()) {
    lines.push_back(d.line);
  }
  EXPECT_THAT(lines, ElementsAre(2, 3, 4, 5));
}

TEST(XmlDocumentTest, CommentsDeclarationInstructionsAndWhiteSpaceMaySurroundTheRoot) {
  const auto doc = xml::Document::parse("\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<!-- before -->\n"
                                        "<?hil x?>\n<!DOCTYPE a>\n  <a>\n</a>\n<!-- after -->\n"
                                        "<?after?>\n\t\n",
                                        "fine.xml");
  ASSERT_TRUE(doc.has_value()) << toString(doc.error());
  EXPECT_EQ(doc->lineOf(doc->root()), 5);
}

TEST(XmlDocumentTest, KnowsTheLineOfEveryElement) {
  const auto doc = xml::Document::parse(std::string{kElementXml}, "e.xml");
  ASSERT_TRUE(doc.has_value());
  EXPECT_EQ(doc->file(), "e.xml");
  EXPECT_EQ(doc->lineOf(doc->root()), 2);
  std::vector<int> lines;
  for (auto child : doc->root().children()) {
    lines.push_back(doc->lineOf(child));
  }
  EXPECT_THAT(lines, ElementsAre(3, 4, 5));
}

TEST(XmlElementTest, ReportsUnknownAttributesAndChildrenAtTheirLines) {
  const auto doc = xml::Document::parse(std::string{kElementXml}, "e.xml");
  ASSERT_TRUE(doc.has_value());
  Diagnostics out;
  {
    xml::Element root{*doc, doc->root(), out};
    EXPECT_EQ(root.line(), 2);
    EXPECT_EQ(root.name(), "root");
    EXPECT_EQ(root.optional("a"), "1");
    const auto children = root.children({"known"});
    ASSERT_EQ(children.size(), 2u);
    for (auto child : children) {
      xml::Element known{*doc, child, out};
    }
  }
  // Lines: <stray> (4), other= on the <known> that starts at 5, extra= on <root> (2).
  ASSERT_EQ(out.size(), 3u);
  std::multiset<int> lines;
  for (const auto& d : out) {
    EXPECT_EQ(d.file, "e.xml");
    lines.insert(d.line);
  }
  EXPECT_EQ(lines, (std::multiset<int>{2, 4, 5}));
}

TEST(XmlElementTest, ConsumedAttributesAreNotReported) {
  const auto doc = xml::Document::parse(R"(<e a="1" b="true" c="7" d="x" f="2.5"/>)", "f.xml");
  ASSERT_TRUE(doc.has_value());
  Diagnostics out;
  {
    xml::Element el{*doc, doc->root(), out};
    EXPECT_EQ(el.required("a"), "1");
    EXPECT_TRUE(el.boolean("b", false));
    EXPECT_EQ(el.integer("c", 0, 10), 7);
    EXPECT_EQ(el.choice("d", {"x", "y"}), "x");
    EXPECT_EQ(el.number("f", 0, 10), 2.5);
    EXPECT_EQ(el.optional("absent"), std::nullopt);
    EXPECT_FALSE(el.boolean("absent-bool", false));
    EXPECT_EQ(el.integer("absent-int", 0, 10), std::nullopt);
  }
  EXPECT_TRUE(out.empty()) << toString(out);
}

TEST(XmlElementTest, ReportsBadValuesAndMissingRequiredOnesAtTheElementsLine) {
  const auto doc =
      xml::Document::parse("<r>\n\n  <e b=\"yes\" c=\"11\" d=\"z\" f=\"nan\"/>\n</r>", "g.xml");
  ASSERT_TRUE(doc.has_value());
  Diagnostics out;
  {
    xml::Element el{*doc, doc->root().first_child(), out};
    EXPECT_EQ(el.required("missing"), std::nullopt);
    EXPECT_TRUE(el.boolean("b", true)); // bad value: the fallback
    EXPECT_EQ(el.integer("c", 0, 10), std::nullopt);
    EXPECT_EQ(el.choice("d", {"x", "y"}), std::nullopt);
    EXPECT_EQ(el.number("f", 0, 10), std::nullopt);
    EXPECT_EQ(el.integer("req", 0, 10, true), std::nullopt);
  }
  ASSERT_EQ(out.size(), 6u) << toString(out);
  for (const auto& d : out) {
    EXPECT_EQ(d.file, "g.xml");
    EXPECT_EQ(d.line, 3);
  }
}

TEST(XmlElementTest, TextIsTrimmedAndChildElementsInsideTextAreReported) {
  const auto doc = xml::Document::parse("<d>\n  hello world\n  <b/>\n</d>", "t.xml");
  ASSERT_TRUE(doc.has_value());
  Diagnostics out;
  std::string text;
  {
    xml::Element el{*doc, doc->root(), out};
    text = el.text();
  }
  EXPECT_EQ(text, "hello world");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].line, 3);
}

TEST(XmlElementTest, StrayTextAmongChildrenIsReported) {
  const auto doc = xml::Document::parse("<r>\n  <a/>\n  words\n</r>", "s.xml");
  ASSERT_TRUE(doc.has_value());
  Diagnostics out;
  {
    xml::Element el{*doc, doc->root(), out};
    EXPECT_EQ(el.children({"a"}).size(), 1u);
  }
  ASSERT_EQ(out.size(), 1u);
  EXPECT_THAT(out, ElementsAre(Field(&Diagnostic::file, "s.xml")));
}

TEST(XmlElementTest, AnUnknownAttributeListsTheFormatsAttributesAndTheNearest) {
  const auto doc = xml::Document::parse("<r>\n  <gpu modle=\"tesla-t4\"/>\n</r>", "x.xml");
  ASSERT_TRUE(doc.has_value());
  Diagnostics out;
  {
    xml::Element el{*doc, doc->root().first_child(), out, {"model", "count", "in-use"}};
    EXPECT_EQ(el.optional("model"), std::nullopt);
  }
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].toString(), "x.xml:2: unknown attribute 'modle' on <gpu>; expected one of "
                               "model, count, in-use (did you mean 'model'?)");
}

TEST(XmlElementTest, WithoutAFormatTheAttributesAskedForAreTheOnesExpected) {
  const auto doc = xml::Document::parse(R"(<vm nmae="EFLOW" colour="red"/>)", "v.xml");
  ASSERT_TRUE(doc.has_value());
  Diagnostics out;
  {
    xml::Element el{*doc, doc->root(), out};
    EXPECT_EQ(el.optional("name"), std::nullopt);
    EXPECT_EQ(el.optional("state"), std::nullopt);
    EXPECT_EQ(el.optional("name"), std::nullopt);
  }
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].message, "unknown attribute 'nmae' on <vm>; expected one of name, state (did "
                            "you mean 'name'?)");
  EXPECT_EQ(out[1].message, "unknown attribute 'colour' on <vm>; expected one of name, state");
}

TEST(XmlElementTest, AnAttributeOnAnElementWithoutAttributesExpectsNone) {
  const auto doc = xml::Document::parse(R"(<smoke quick="true"/>)", "s.xml");
  ASSERT_TRUE(doc.has_value());
  Diagnostics out;
  { xml::Element el{*doc, doc->root(), out, {}}; }
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].message, "unknown attribute 'quick' on <smoke>; expected no attributes");
}

TEST(XmlElementTest, ReadingAnAttributeTheFormatLacksIsALogicError) {
  const auto doc = xml::Document::parse(R"(<gpu model="tesla-t4"/>)", "g.xml");
  ASSERT_TRUE(doc.has_value());
  Diagnostics out;
  xml::Element el{*doc, doc->root(), out, {"model"}};
  EXPECT_EQ(el.required("model"), "tesla-t4");
  EXPECT_THROW((void)el.optional("colour"), std::logic_error);
  EXPECT_THROW((void)el.boolean("in-use", false), std::logic_error);
  EXPECT_THROW((void)el.choice("kind", {"a"}), std::logic_error);
}

TEST(XmlElementTest, AnUnknownChildSuggestsTheNearestAllowedOne) {
  const auto doc = xml::Document::parse("<host>\n  <vmm/>\n  <Gpu/>\n  <zz/>\n</host>", "h.xml");
  ASSERT_TRUE(doc.has_value());
  Diagnostics out;
  {
    xml::Element el{*doc, doc->root(), out, {}};
    EXPECT_TRUE(el.children({"windows", "gpu", "vm"}).empty());
  }
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].toString(), "h.xml:2: unknown element <vmm> inside <host>; expected windows, "
                               "gpu, vm (did you mean <vm>?)");
  EXPECT_THAT(out[1].message, HasSubstr("(did you mean <gpu>?)"));
  EXPECT_THAT(out[2].message, Not(HasSubstr("did you mean")));
}

TEST(XmlNearestNameTest, SuggestsOnlyAnObviousSlip) {
  const std::vector<std::string_view> names = {"model", "mitigation-driver", "count", "vm", "id"};
  EXPECT_EQ(xml::nearestName("modle", names), "model");                       // two letters swapped
  EXPECT_EQ(xml::nearestName("MODEL", names), "model");                       // case only
  EXPECT_EQ(xml::nearestName("mitigaton-drivr", names), "mitigation-driver"); // two edits
  EXPECT_EQ(xml::nearestName("counts", names), "count");
  EXPECT_EQ(xml::nearestName("vn", names), "vm");
  EXPECT_EQ(xml::nearestName("colour", names), std::nullopt); // nothing near
  EXPECT_EQ(xml::nearestName("mitigation", names), std::nullopt);
  EXPECT_EQ(xml::nearestName("op", names), std::nullopt); // two edits of two letters
  const std::vector<std::string_view> twins = {"abc", "abe"};
  EXPECT_EQ(xml::nearestName("abd", twins), std::nullopt); // as near to both
  EXPECT_EQ(xml::nearestName("model", {}), std::nullopt);
}

TEST(XmlWordsTest, SplitsOnWhiteSpace) {
  EXPECT_THAT(xml::words("  dda t4\tserver\n certification "),
              ElementsAre("dda", "t4", "server", "certification"));
  EXPECT_TRUE(xml::words("").empty());
  EXPECT_TRUE(xml::words(" \n ").empty());
}

} // namespace
} // namespace hil
