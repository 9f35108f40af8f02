#include "real_hw/process.h"

#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace hil::real_hw {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

TEST(FindProgramTest, ANameIsLookedUpOnPath) {
  const auto sh = findProgram("sh");
  ASSERT_TRUE(sh.has_value()) << sh.error().describe();
  EXPECT_TRUE(std::filesystem::path{*sh}.is_absolute()) << *sh;
  EXPECT_EQ(std::filesystem::path{*sh}.filename(), "sh");
}

TEST(FindProgramTest, APathIsTakenAsItIs) {
  EXPECT_EQ(findProgram("./no-such-program").value_or("(failed)"), "./no-such-program");
  EXPECT_EQ(findProgram("/bin/sh").value_or("(failed)"), "/bin/sh");
}

TEST(FindProgramTest, ANameNotOnPathFailsSayingSo) {
  const auto missing = findProgram("hil-no-such-program-anywhere");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::OperationFailed);
  EXPECT_EQ(missing.error().message, "hil-no-such-program-anywhere: not found on PATH");
}

TEST(LiveProcessRunnerTest, CollectsOutputErrorsAndExitStatus) {
  LiveProcessRunner runner;
  const auto result = runner.run({"/bin/sh", "-c", "echo out; echo err >&2; exit 7"}, 10s);
  ASSERT_TRUE(result.has_value()) << result.error().describe();
  EXPECT_EQ(result->exitCode, 7);
  EXPECT_EQ(result->out, "out\n");
  EXPECT_EQ(result->err, "err\n");
}

TEST(LiveProcessRunnerTest, ArgumentsReachTheProgramAsTheyAre) {
  // No shell in between: nothing in an argument is interpreted.
  const test_support::TempDir dir{"hil-process-test"};
  const auto pwned = dir.file("pwned");
  const std::string hostile =
      "$(touch " + pwned + "); `touch " + pwned + "`; 'quoted' \"double\"\nnext line";
  LiveProcessRunner runner;
  const auto result = runner.run({"printf", "%s", hostile}, 10s);
  ASSERT_TRUE(result.has_value()) << result.error().describe();
  EXPECT_EQ(result->out, hostile);
  EXPECT_FALSE(std::filesystem::exists(pwned));
}

TEST(LiveProcessRunnerTest, AProgramThatHangsIsKilledWithItsChildrenAtTheDeadline) {
  LiveProcessRunner runner;
  // The child shell starts a grandchild that would outlive it.
  const auto result = runner.run({"/bin/sh", "-c", "sleep 30 & sleep 30"}, 200ms);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::Timeout);
}

TEST(LiveProcessRunnerTest, AMissingProgramIsOperationFailed) {
  LiveProcessRunner runner;
  const auto onPath = runner.run({"no-such-program-hil"}, 1s);
  ASSERT_FALSE(onPath.has_value());
  EXPECT_EQ(onPath.error().code, ErrorCode::OperationFailed);
  const auto byPath = runner.run({"/nonexistent/cuda_smoke"}, 1s);
  ASSERT_FALSE(byPath.has_value());
  EXPECT_EQ(byPath.error().code, ErrorCode::OperationFailed);
  EXPECT_THAT(byPath.error().message, HasSubstr("/nonexistent/cuda_smoke"));
}

TEST(LiveProcessRunnerTest, LargeOutputIsReadToTheEnd) {
  LiveProcessRunner runner;
  const auto result = runner.run({"/bin/sh", "-c", "head -c 3000000 /dev/zero"}, 10s);
  ASSERT_TRUE(result.has_value()) << result.error().describe();
  EXPECT_EQ(result->out.size(), 3000000u);
}

} // namespace
} // namespace hil::real_hw
