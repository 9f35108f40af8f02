// The cost of one command round trip: through one persistent /bin/sh session, against a new
// /bin/sh process per command. pwsh starts in hundreds of milliseconds, so on a rig the gap is
// far larger than here. Timed by the wall clock: most of a round trip is spent in the shell.
#include <string>

#include <benchmark/benchmark.h>

#include "real_hw/shell_session.h"

namespace {

using namespace hil::real_hw;
using namespace std::chrono_literals;

void roundTrips(benchmark::State& state, ShellSession& session) {
  static std::string failure; // outlives the run, for the report
  for (auto _ : state) {
    auto reply = session.run("printf ok", 10s);
    if (!reply || reply->out != "ok") {
      failure = reply ? "unexpected output: " + reply->out : reply.error().describe();
      state.SkipWithError(failure.c_str());
      break;
    }
    benchmark::DoNotOptimize(reply);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Persistent_RoundTrip(benchmark::State& state) {
  const auto session = openPersistentShell({"/bin/sh"}, ShellDialect::Posix, "HILBENCHMARK");
  roundTrips(state, *session);
}
BENCHMARK(BM_Persistent_RoundTrip)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_Spawn_RoundTrip(benchmark::State& state) {
  const auto session = openSpawningShell({"/bin/sh", "-c"}, ShellDialect::Posix);
  roundTrips(state, *session);
}
BENCHMARK(BM_Spawn_RoundTrip)->Unit(benchmark::kMicrosecond)->UseRealTime();

} // namespace

BENCHMARK_MAIN();
