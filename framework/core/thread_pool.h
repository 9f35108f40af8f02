#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace hil {

/// What parallelMap calls after each item when the caller wants no progress.
struct NoProgress {
  template <class R> void operator()(const R& /*result*/, int /*finished*/) const {}
};

/// Calls `work(i)` for every i in [0, count) on up to `threads` threads (at least one; with one,
/// or one item, everything runs in the caller's thread) and returns the results by index, so the
/// result does not depend on the number of threads or on which finished first. After each item,
/// `done(result, finished)` runs under a lock, one call at a time, with how many items have
/// finished so far (1, 2, ... count). `work` must be safe to call from several threads at once.
template <class Work, class Done = NoProgress>
[[nodiscard]] auto parallelMap(std::size_t count, int threads, Work&& work, Done&& done = {})
    -> std::vector<std::invoke_result_t<Work&, std::size_t>> {
  std::vector<std::invoke_result_t<Work&, std::size_t>> results(count);
  std::atomic<std::size_t> next{0};
  std::mutex mutex;
  int finished = 0;
  auto worker = [&] {
    for (std::size_t i = next++; i < count; i = next++) {
      results[i] = work(i);
      std::lock_guard lock{mutex};
      done(results[i], ++finished);
    }
  };
  const int used = std::clamp(threads, 1, std::max(1, static_cast<int>(count)));
  if (used == 1) {
    worker();
  } else {
    std::vector<std::jthread> pool;
    for (int t = 0; t < used; ++t) {
      pool.emplace_back(worker);
    }
  }
  return results;
}

} // namespace hil
