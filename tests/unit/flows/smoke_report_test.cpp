#include "framework/flows/smoke_report.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "framework/core/log.h"
#include "tests/mocks/platform_mocks.h"

namespace hil::flows {
namespace {

using platform::formatSmokeLine;
using platform::GuestOutput;
using platform::kSmokeChecks;
using platform::kSmokeProgram;
using platform::missingSmokeChecks;
using platform::parseSmokeOutput;
using platform::SmokeCheck;
using test_mocks::MockGuest;
using test_mocks::returnError;
using testing::ElementsAre;
using testing::StrictMock;

/// What `cuda_smoke --quick` prints for a T4 assigned by DDA, written by hand in the program's
/// format (figures typical of a T4): one SMOKE line per check, fields separated by tabs.
const std::string kRecordedT4Output =
    "SMOKE\tdevice-count\tpass\t1\t\t>= 1\t\n"
    "SMOKE\tdevice-name\tpass\tTesla T4\t\tTesla T4\t\n"
    "SMOKE\tcompute-capability\tpass\t7.5\t\t7.5\t\n"
    "SMOKE\tmemory\tpass\t15109\tMiB\t>= 14745\t\n"
    "SMOKE\tsm-count\tpass\t40\t\t40\t\n"
    "SMOKE\tpcie-link\tpass\tGen3 x16\t\tGen3 x16\t\n"
    "SMOKE\tdriver\tpass\t580.95.05 / CUDA 13.0\t\t>= CUDA 13.0\t\n"
    "SMOKE\tvector-add\tpass\t268435456\telements\tbit-exact\t\n"
    "SMOKE\treduction\tpass\t268435456\telements\tbit-exact\t\n"
    "SMOKE\tmemory-pattern\tpass\t0\tbad addresses\t0\t\n"
    "SMOKE\th2d-bandwidth\tpass\t11.2\tGB/s\t>= 9.6\tpinned, 256 MiB\n"
    "SMOKE\td2h-bandwidth\tpass\t11.6\tGB/s\t>= 10.0\tpinned, 256 MiB\n"
    "SMOKE\td2d-bandwidth\tpass\t239.8\tGB/s\t>= 192.0\t\n"
    "SMOKE\tfp32-throughput\tpass\t6.93\tTFLOPS\t>= 4.86\tFMA chain\n"
    "SMOKE\tmode\tpass\tdda\t\t\t\n";

std::vector<std::string> namesOf(const std::vector<SmokeCheck>& checks) {
  std::vector<std::string> names;
  for (const auto& c : checks) {
    names.push_back(c.name);
  }
  return names;
}

SmokeCheck passing(std::string name) { return {std::move(name), true, "1", "", ">= 1", ""}; }

// ---------------------------------------------------------------------------------------------
// The wire format.

TEST(SmokeReportTest, FormatWritesOneTabSeparatedLine) {
  const SmokeCheck check{"h2d-bandwidth", true, "11.2", "GB/s", ">= 9.6", "pinned"};

  EXPECT_EQ(formatSmokeLine(check), "SMOKE\th2d-bandwidth\tpass\t11.2\tGB/s\t>= 9.6\tpinned");
  EXPECT_EQ(formatSmokeLine({"memory-pattern", false, "3", "bad addresses", "0", ""}),
            "SMOKE\tmemory-pattern\tfail\t3\tbad addresses\t0\t");
}

TEST(SmokeReportTest, FormatThenParseRoundTrips) {
  const std::vector<SmokeCheck> checks{
      {"device-count", true, "1", "", ">= 1", ""},
      {"device-name", true, "Tesla T4", "", "Tesla T4", ""},
      {"d2d-bandwidth", false, "98.4", "GB/s", ">= 192.0", "well below the T4's 320 GB/s"},
      {"mode", true, "dda", "", "", ""},
  };
  std::string output;
  for (const auto& c : checks) {
    output += formatSmokeLine(c) + "\n";
  }

  const auto parsed = parseSmokeOutput(output);

  ASSERT_TRUE(parsed.has_value()) << parsed.error().describe();
  EXPECT_EQ(*parsed, checks);
}

TEST(SmokeReportTest, TabsAndLineBreaksInFieldsBecomeSpaces) {
  const SmokeCheck check{"odd\tname", false, "1\t2", "GB\n/s", "\r>= 3", "line one\nline two\r\n"};

  const auto line = formatSmokeLine(check);
  const auto parsed = parseSmokeOutput(line + "\n");

  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(line.find('\r'), std::string::npos);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().describe();
  EXPECT_THAT(*parsed, ElementsAre(SmokeCheck{"odd name", false, "1 2", "GB /s", " >= 3",
                                              "line one line two  "}));
}

TEST(SmokeReportTest, WindowsLineEndingsAreAccepted) {
  const auto parsed = parseSmokeOutput(
      "SMOKE\tdevice-count\tpass\t1\t\t>= 1\tok\r\nSMOKE\tmode\tpass\tdda\t\t\t\r\n");

  ASSERT_TRUE(parsed.has_value()) << parsed.error().describe();
  EXPECT_THAT(*parsed, ElementsAre(SmokeCheck{"device-count", true, "1", "", ">= 1", "ok"},
                                   SmokeCheck{"mode", true, "dda", "", "", ""}));
}

TEST(SmokeReportTest, LinesThatAreNotSmokeLinesAreIgnored) {
  const std::string output = "cuda_smoke 1.0: CUDA runtime 12.2, driver 535.104\n"
                             "\n"
                             "SMOKE\tdevice-count\tpass\t1\t\t>= 1\t\n"
                             "smoke\tlower-case\tpass\t1\t\t\t\n"
                             " SMOKE\tindented\tpass\t1\t\t\t\n"
                             "SMOKEY\tnot-a-check\tpass\t1\t\t\t\n"
                             "SMOKE not tab separated pass 1\n"
                             "SMOKE\n"
                             "# SMOKE\tcomment\tpass\t1\t\t\t\n"
                             "done";

  const auto parsed = parseSmokeOutput(output);

  ASSERT_TRUE(parsed.has_value()) << parsed.error().describe();
  EXPECT_THAT(namesOf(*parsed), ElementsAre("device-count"));
}

TEST(SmokeReportTest, EmptyOutputHasNoChecks) {
  const auto parsed = parseSmokeOutput("");

  ASSERT_TRUE(parsed.has_value()) << parsed.error().describe();
  EXPECT_TRUE(parsed->empty());
}

TEST(SmokeReportTest, RecordedOutputParsesEveryCheck) {
  const auto parsed = parseSmokeOutput(kRecordedT4Output);

  ASSERT_TRUE(parsed.has_value()) << parsed.error().describe();
  EXPECT_THAT(namesOf(*parsed),
              ElementsAre("device-count", "device-name", "compute-capability", "memory", "sm-count",
                          "pcie-link", "driver", "vector-add", "reduction", "memory-pattern",
                          "h2d-bandwidth", "d2h-bandwidth", "d2d-bandwidth", "fp32-throughput",
                          "mode"));
  EXPECT_TRUE(missingSmokeChecks(*parsed).empty());
  EXPECT_EQ((*parsed)[10],
            (SmokeCheck{"h2d-bandwidth", true, "11.2", "GB/s", ">= 9.6", "pinned, 256 MiB"}));
  EXPECT_EQ((*parsed)[9].unit, "bad addresses"); // spaces inside a field stay
  for (const auto& check : *parsed) {
    EXPECT_TRUE(check.passed) << check.name;
  }
}

struct MalformedCase {
  const char* name;
  const char* line;
};

class SmokeMalformedTest : public testing::TestWithParam<MalformedCase> {};

TEST_P(SmokeMalformedTest, IsSmokeFailed) {
  const std::string output = std::string{"SMOKE\tdevice-count\tpass\t1\t\t>= 1\t\n"} +
                             GetParam().line + "\nSMOKE\tmode\tpass\tdda\t\t\t\n";

  const auto parsed = parseSmokeOutput(output);

  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().code, ErrorCode::SmokeFailed);
}

const MalformedCase kMalformed[] = {
    {"SixFields", "SMOKE\tvector-add\tpass\t1\telements\tbit-exact"},
    {"EightFields", "SMOKE\tvector-add\tpass\t1\telements\tbit-exact\tmessage\textra"},
    {"OnlyTheTag", "SMOKE\t"},
    {"UpperCaseStatus", "SMOKE\tvector-add\tPASS\t1\telements\tbit-exact\t"},
    {"OkStatus", "SMOKE\tvector-add\tok\t1\telements\tbit-exact\t"},
    {"EmptyStatus", "SMOKE\tvector-add\t\t1\telements\tbit-exact\t"},
    {"EmptyName", "SMOKE\t\tpass\t1\telements\tbit-exact\t"},
};

INSTANTIATE_TEST_SUITE_P(Lines, SmokeMalformedTest, testing::ValuesIn(kMalformed),
                         [](const testing::TestParamInfo<MalformedCase>& info) {
                           return std::string{info.param.name};
                         });

// ---------------------------------------------------------------------------------------------
// runSmoke over the guest.

class RunSmokeTest : public testing::Test {
protected:
  /// The guest runs the smoke program once, with these arguments, and answers `output`.
  void guestAnswers(GuestOutput output) {
    EXPECT_CALL(guest_, run(ElementsAre(std::string{kSmokeProgram}, "--quick")))
        .WillOnce(
            [output](const std::vector<std::string>&) -> Result<GuestOutput> { return output; });
  }

  StrictMock<MockGuest> guest_;
  Log log_;
};

TEST_F(RunSmokeTest, AllChecksPassingIsOk) {
  std::string output;
  for (const auto name : kSmokeChecks) {
    output += formatSmokeLine(passing(std::string{name})) + "\n";
  }
  guestAnswers({0, output, ""});

  const auto outcome = runSmoke(guest_, log_);

  ASSERT_TRUE(outcome.status.has_value()) << outcome.status.error().describe();
  EXPECT_EQ(outcome.checks.size(), kSmokeChecks.size());
  EXPECT_FALSE(log_.lines().empty());
}

TEST_F(RunSmokeTest, AReportMissingChecksIsSmokeFailed) {
  guestAnswers({0,
                formatSmokeLine(passing("device-count")) + "\n" +
                    formatSmokeLine(passing("vector-add")) + "\n",
                ""});

  const auto outcome = runSmoke(guest_, log_);

  ASSERT_FALSE(outcome.status.has_value());
  EXPECT_EQ(outcome.status.error().code, ErrorCode::SmokeFailed);
  EXPECT_THAT(namesOf(outcome.checks), ElementsAre("device-count", "vector-add"));
  EXPECT_EQ(missingSmokeChecks(outcome.checks).size(), kSmokeChecks.size() - 2);
}

TEST_F(RunSmokeTest, RecordedT4RunIsOk) {
  guestAnswers({0, kRecordedT4Output, "cuda_smoke: 15 of 15 checks passed on Tesla T4\n"});

  const auto outcome = runSmoke(guest_, log_);

  ASSERT_TRUE(outcome.status.has_value()) << outcome.status.error().describe();
  EXPECT_EQ(outcome.checks.size(), 15u);
}

TEST_F(RunSmokeTest, AFailingCheckIsSmokeFailed) {
  auto slow = passing("d2d-bandwidth");
  slow.passed = false;
  guestAnswers(
      {1, formatSmokeLine(passing("device-count")) + "\n" + formatSmokeLine(slow) + "\n", ""});

  const auto outcome = runSmoke(guest_, log_);

  ASSERT_FALSE(outcome.status.has_value());
  EXPECT_EQ(outcome.status.error().code, ErrorCode::SmokeFailed);
  EXPECT_EQ(outcome.checks.size(), 2u); // the checks are still reported
}

TEST_F(RunSmokeTest, AFailingCheckIsSmokeFailedEvenWhenTheProgramExitsZero) {
  std::string output = kRecordedT4Output;
  const std::string passed = "SMOKE\td2d-bandwidth\tpass\t239.8";
  output.replace(output.find(passed), passed.size(), "SMOKE\td2d-bandwidth\tfail\t98.4");
  guestAnswers({0, output, ""});

  const auto outcome = runSmoke(guest_, log_);

  ASSERT_FALSE(outcome.status.has_value());
  EXPECT_EQ(outcome.status.error().code, ErrorCode::SmokeFailed);
  ASSERT_EQ(outcome.checks.size(), 15u);
  EXPECT_FALSE(outcome.checks[12].passed);
}

TEST_F(RunSmokeTest, NoCudaDeviceIsSmokeFailed) {
  guestAnswers({3, "",
                "no CUDA device: cudaGetDeviceCount returned 100 (no CUDA-capable device is "
                "detected); the VM has no GPU\n"});

  const auto outcome = runSmoke(guest_, log_);

  ASSERT_FALSE(outcome.status.has_value());
  EXPECT_EQ(outcome.status.error().code, ErrorCode::SmokeFailed);
  EXPECT_TRUE(outcome.checks.empty());
}

TEST_F(RunSmokeTest, NoCudaDeviceWithoutAReasonIsSmokeFailed) {
  guestAnswers({3, "", ""});

  const auto outcome = runSmoke(guest_, log_);

  ASSERT_FALSE(outcome.status.has_value());
  EXPECT_EQ(outcome.status.error().code, ErrorCode::SmokeFailed);
}

TEST_F(RunSmokeTest, ExitThreeIsSmokeFailedEvenWithPassingChecks) {
  guestAnswers({3, formatSmokeLine(passing("device-count")) + "\n", "no CUDA device: lost\n"});

  const auto outcome = runSmoke(guest_, log_);

  ASSERT_FALSE(outcome.status.has_value());
  EXPECT_EQ(outcome.status.error().code, ErrorCode::SmokeFailed);
}

TEST_F(RunSmokeTest, ANonZeroExitWithPassingChecksIsSmokeFailed) {
  guestAnswers({139, formatSmokeLine(passing("device-count")) + "\n", "Segmentation fault\n"});

  const auto outcome = runSmoke(guest_, log_);

  ASSERT_FALSE(outcome.status.has_value());
  EXPECT_EQ(outcome.status.error().code, ErrorCode::SmokeFailed);
}

TEST_F(RunSmokeTest, ExitZeroWithNoChecksIsSmokeFailed) {
  guestAnswers({0, "cuda_smoke 1.0\n", ""});

  const auto outcome = runSmoke(guest_, log_);

  ASSERT_FALSE(outcome.status.has_value());
  EXPECT_EQ(outcome.status.error().code, ErrorCode::SmokeFailed);
  EXPECT_TRUE(outcome.checks.empty());
}

TEST_F(RunSmokeTest, MalformedOutputIsSmokeFailed) {
  guestAnswers({0, "SMOKE\tdevice-count\tmaybe\t1\t\t>= 1\t\n", ""});

  const auto outcome = runSmoke(guest_, log_);

  ASSERT_FALSE(outcome.status.has_value());
  EXPECT_EQ(outcome.status.error().code, ErrorCode::SmokeFailed);
}

TEST_F(RunSmokeTest, AGuestErrorKeepsItsCode) {
  EXPECT_CALL(guest_, run)
      .WillOnce(returnError<GuestOutput>(ErrorCode::OperationFailed))
      .WillOnce(returnError<GuestOutput>(ErrorCode::Timeout));

  const auto failed = runSmoke(guest_, log_);
  const auto hung = runSmoke(guest_, log_);

  ASSERT_FALSE(failed.status.has_value());
  EXPECT_EQ(failed.status.error().code, ErrorCode::OperationFailed);
  ASSERT_FALSE(hung.status.has_value());
  EXPECT_EQ(hung.status.error().code, ErrorCode::Timeout);
  EXPECT_TRUE(hung.checks.empty());
}

} // namespace
} // namespace hil::flows
