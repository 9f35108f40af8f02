#include <cstddef>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "framework/core/thread_pool.h"

namespace hil {
namespace {

std::vector<std::string> squares(std::size_t count, int threads) {
  return parallelMap(count, threads, [](std::size_t i) { return std::to_string(i * i); });
}

TEST(ParallelMap, ResultsAreInIndexOrderWhateverTheThreadCount) {
  const auto one = squares(200, 1);
  ASSERT_EQ(one.size(), 200u);
  EXPECT_EQ(one[0], "0");
  EXPECT_EQ(one[7], "49");
  EXPECT_EQ(one[199], "39601");
  EXPECT_EQ(squares(200, 4), one);
  EXPECT_EQ(squares(200, 500), one); // more threads than items
  EXPECT_EQ(squares(200, 0), one);   // fewer than one thread: one
}

TEST(ParallelMap, DoneCountsEachFinishedItemOnce) {
  std::vector<int> finished;
  std::multiset<std::size_t> seen;
  const auto results = parallelMap(
      50, 3, [](std::size_t i) { return i; },
      [&](std::size_t result, int n) {
        finished.push_back(n);
        seen.insert(result);
      });
  ASSERT_EQ(finished.size(), 50u);
  for (std::size_t k = 0; k < finished.size(); ++k) {
    EXPECT_EQ(finished[k], static_cast<int>(k) + 1);
  }
  EXPECT_EQ(seen.size(), 50u);
  EXPECT_EQ(*seen.begin(), 0u);
  EXPECT_EQ(*seen.rbegin(), 49u);
  EXPECT_EQ(std::set<std::size_t>(seen.begin(), seen.end()).size(), 50u);
}

TEST(ParallelMap, OneThreadRunsInTheCallersThread) {
  const auto caller = std::this_thread::get_id();
  const auto ids = parallelMap(5, 1, [](std::size_t) { return std::this_thread::get_id(); });
  for (const auto& id : ids) {
    EXPECT_EQ(id, caller);
  }
}

TEST(ParallelMap, NothingToDoCallsNothing) {
  int calls = 0;
  const auto results = parallelMap(
      0, 4,
      [&](std::size_t) {
        ++calls;
        return 1;
      },
      [&](int, int) { ++calls; });
  EXPECT_TRUE(results.empty());
  EXPECT_EQ(calls, 0);
}

} // namespace
} // namespace hil
