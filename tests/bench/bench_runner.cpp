// Throughput of the simulated core: scenario runs per second over the whole library, with one and
// two jobs side by side, one DDA cycle alone, and loading (parsing) the library.
#include <map>
#include <string>

#include <benchmark/benchmark.h>

#include "framework/data/catalog.h"
#include "framework/data/rules.h"
#include "framework/runner/runner.h"
#include "simulators/sim_backend.h"
#include "storage/discovery.h"

namespace {

using namespace hil;

struct Fixture {
  Fixture() {
    for (auto name : data::RulesProfile::builtinNames()) {
      builtins.emplace(std::string{name}, *data::RulesProfile::builtin(name));
    }
    auto loaded = storage::loadScenarios({HIL_SCENARIOS_DIR}, catalog);
    if (!loaded) {
      throw std::runtime_error(toString(loaded.error()));
    }
    suites = std::move(*loaded);
    for (const auto& s : suites) {
      scenarios += static_cast<std::int64_t>(s.file.scenarios.size());
    }
  }

  const data::GpuCatalog& catalog = data::GpuCatalog::builtin();
  std::map<std::string, data::RulesProfile> builtins;
  std::vector<runner::SuiteInput> suites;
  std::int64_t scenarios = 0;
  simulators::SimBackendFactory backends{catalog};
  ManualClock clock;
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

void BM_RunLibrary(benchmark::State& state) {
  auto& f = fixture();
  runner::Runner runner{f.backends, f.catalog, f.builtins.at("eflow-2021-preview"), f.builtins,
                        f.clock};
  runner::RunOptions options;
  options.jobs = static_cast<int>(state.range(0));
  for (auto _ : state) {
    auto report = runner.run(f.suites, options);
    benchmark::DoNotOptimize(report);
    if (!report || report->count(runner::CaseStatus::Failed) != 0) {
      state.SkipWithError("a scenario failed");
    }
  }
  state.SetItemsProcessed(state.iterations() * f.scenarios);
}
BENCHMARK(BM_RunLibrary)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_RunScenario_T4DdaCycle(benchmark::State& state) {
  auto& f = fixture();
  runner::Runner runner{f.backends, f.catalog, f.builtins.at("eflow-2021-preview"), f.builtins,
                        f.clock};
  const scenario::Scenario* cycle = nullptr;
  for (const auto& s : f.suites) {
    for (const auto& sc : s.file.scenarios) {
      if (sc.name == "t4-dda-full-cycle-no-mitigation-headless") {
        cycle = &sc;
      }
    }
  }
  if (cycle == nullptr) {
    state.SkipWithError("scenario t4-dda-full-cycle-no-mitigation-headless not found");
    return;
  }
  for (auto _ : state) {
    auto result = runner.runScenario(*cycle, "dda", 1);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RunScenario_T4DdaCycle)->Unit(benchmark::kMicrosecond);

void BM_LoadLibrary(benchmark::State& state) {
  auto& f = fixture();
  for (auto _ : state) {
    auto loaded = storage::loadScenarios({HIL_SCENARIOS_DIR}, f.catalog);
    benchmark::DoNotOptimize(loaded);
  }
  state.SetItemsProcessed(state.iterations() * f.scenarios);
}
BENCHMARK(BM_LoadLibrary)->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
