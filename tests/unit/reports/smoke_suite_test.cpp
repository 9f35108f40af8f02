#include "reports/smoke_suite.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "framework/platform/smoke_output.h"
#include "reports/junit_writer.h"

namespace hil::reports {
namespace {

using runner::CaseStatus;
using ::testing::HasSubstr;

std::string allPassing() {
  std::string out;
  for (const auto name : platform::kSmokeChecks) {
    out += platform::formatSmokeLine({std::string{name}, true, "1", "", ">= 1", ""}) + "\n";
  }
  return out;
}

TEST(SmokeSuiteTest, OneTestcasePerCheck) {
  SmokeRun run{"build/cuda_smoke",         "tesla-t4", 0,  allPassing(),
               "cuda_smoke: all passed\n", "",         2.5};
  const auto report = smokeSuite(run);
  ASSERT_EQ(report.suites.size(), 1u);
  EXPECT_EQ(report.suites[0].name, "cuda-smoke");
  EXPECT_EQ(report.total(), static_cast<int>(platform::kSmokeChecks.size()));
  EXPECT_EQ(report.count(CaseStatus::Failed), 0);
  EXPECT_EQ(report.suites[0].properties.at("expect"), "tesla-t4");
  EXPECT_EQ(report.suites[0].properties.at("smoke.device-name"), "1");
}

TEST(SmokeSuiteTest, NoCudaDeviceIsOneFailedCaseWithTheReason) {
  SmokeRun run{"build/cuda_smoke",
               "",
               3,
               "",
               "no CUDA device: cudaErrorNoDevice: no CUDA-capable device is detected\n",
               "",
               0.1};
  const auto report = smokeSuite(run);
  ASSERT_EQ(report.total(), 1);
  const auto& c = report.suites[0].cases[0];
  EXPECT_EQ(c.name, "cuda-device");
  EXPECT_EQ(c.status, CaseStatus::Failed);
  EXPECT_EQ(c.failureType, "smoke-failed");
  EXPECT_THAT(c.failureMessage, HasSubstr("no CUDA device"));
  EXPECT_THAT(toJunitXml(report), HasSubstr("no CUDA device: cudaErrorNoDevice"));
}

TEST(SmokeSuiteTest, AFailedCheckCarriesItsValueAndThreshold) {
  auto out = allPassing();
  out += platform::formatSmokeLine({"d2d-bandwidth", false, "98.4", "GB/s", ">= 192.0", "slow"});
  SmokeRun run{"cuda_smoke", "", 1, out, "", "", 1};
  const auto report = smokeSuite(run);
  ASSERT_EQ(report.count(CaseStatus::Failed), 1);
  for (const auto& c : report.suites[0].cases) {
    if (c.status == CaseStatus::Failed) {
      EXPECT_THAT(c.failureMessage, HasSubstr("98.4 GB/s"));
      EXPECT_THAT(c.failureMessage, HasSubstr(">= 192.0"));
    }
  }
}

TEST(SmokeSuiteTest, MissingChecksAndMalformedOutputFail) {
  SmokeRun partial{"cuda_smoke",
                   "",
                   0,
                   platform::formatSmokeLine({"device-count", true, "1", "", ">= 1", ""}) + "\n",
                   "",
                   "",
                   1};
  const auto missing = smokeSuite(partial);
  EXPECT_EQ(missing.count(CaseStatus::Failed), static_cast<int>(platform::kSmokeChecks.size()) - 1);

  SmokeRun malformed{"cuda_smoke", "", 0, "SMOKE\tdevice-count\tmaybe\n", "", "", 1};
  const auto bad = smokeSuite(malformed);
  ASSERT_EQ(bad.total(), 1);
  EXPECT_EQ(bad.suites[0].cases[0].name, "output");
}

TEST(SmokeSuiteTest, AProgramThatCouldNotRunFails) {
  SmokeRun run{"cuda_smoke", "", 0, "", "", "cuda_smoke: not found on PATH", 0};
  const auto report = smokeSuite(run);
  ASSERT_EQ(report.total(), 1);
  EXPECT_EQ(report.suites[0].cases[0].failureMessage, "cuda_smoke: not found on PATH");
}

} // namespace
} // namespace hil::reports
