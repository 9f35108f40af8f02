// The scenario transcripts shipped in real_hw/transcripts/, replayed as `hil run --backend replay
// --transcripts real_hw/transcripts` replays them: each runs its scenario from scenarios/ through
// the runner on the replay backend, and must pass, sending exactly the recorded commands.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "framework/core/clock.h"
#include "framework/data/catalog.h"
#include "framework/data/rules.h"
#include "framework/runner/runner.h"
#include "real_hw/real_backend.h"
#include "real_hw/transcript.h"
#include "storage/discovery.h"

#if !defined(HIL_SCENARIO_TRANSCRIPTS_DIR) || !defined(HIL_SCENARIOS_DIR)
#error                                                                                             \
    "HIL_SCENARIO_TRANSCRIPTS_DIR and HIL_SCENARIOS_DIR must name real_hw/transcripts and scenarios"
#endif

namespace hil::real_hw {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> transcriptFiles() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(HIL_SCENARIO_TRANSCRIPTS_DIR, ec)) {
    if (entry.path().extension() == ".xml") {
      names.push_back(entry.path().stem().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string readAll(const fs::path& path) {
  std::ifstream in{path, std::ios::binary};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(ScenarioTranscripts, TheT4ServerAndTheGeForceWindows11CyclesShip) {
  const auto names = transcriptFiles();
  for (const auto* required : {"t4-dda-server-2019", "geforce-rtx-3080-gpupv-professional"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), required), names.end()) << required;
  }
}

class ScenarioTranscript : public ::testing::TestWithParam<std::string> {};

TEST_P(ScenarioTranscript, SaysWhereItCameFrom) {
  const auto path = fs::path{HIL_SCENARIO_TRANSCRIPTS_DIR} / (GetParam() + ".xml");
  auto transcript = parseTranscript(readAll(path), path.string());
  ASSERT_TRUE(transcript) << toString(transcript.error());
  EXPECT_EQ(transcript->scenario, GetParam());
  EXPECT_TRUE(transcript->source == "hardware" || transcript->source == "documentation");
  if (transcript->source == "documentation") {
    EXPECT_NE(transcript->note.find("documented output"), std::string::npos) << transcript->note;
  }
  EXPECT_FALSE(transcript->exchanges.empty());
}

TEST_P(ScenarioTranscript, ReplaysItsScenarioToAPass) {
  const auto& catalog = data::GpuCatalog::builtin();
  auto suites = storage::loadScenarios({HIL_SCENARIOS_DIR}, catalog);
  ASSERT_TRUE(suites) << toString(suites.error());
  const scenario::Scenario* found = nullptr;
  std::string suite;
  for (const auto& s : *suites) {
    for (const auto& candidate : s.file.scenarios) {
      if (candidate.name == GetParam()) {
        found = &candidate;
        suite = s.suite;
      }
    }
  }
  ASSERT_NE(found, nullptr) << "no scenario " << GetParam() << " in scenarios/";

  ManualClock clock;
  ReplayBackendFactory replay{HIL_SCENARIO_TRANSCRIPTS_DIR, clock};
  EXPECT_EQ(replay.skipReason(*found), std::nullopt);
  const auto rules = *data::RulesProfile::builtin(data::RulesProfile::kDefault);
  std::map<std::string, data::RulesProfile> builtins;
  for (const auto name : data::RulesProfile::builtinNames()) {
    builtins.emplace(std::string{name}, *data::RulesProfile::builtin(name));
  }
  runner::Runner runner{replay, catalog, rules, builtins, clock};
  const auto result = runner.runScenario(*found, suite, 1);
  std::string log;
  for (const auto& line : result.log) {
    log += line + "\n";
  }
  EXPECT_EQ(result.status, runner::CaseStatus::Passed)
      << result.failureType << ": " << result.failureMessage << "\n"
      << result.failureDetail << "\n"
      << log;
  EXPECT_EQ(result.properties.at("backend"), "replay");
}

INSTANTIATE_TEST_SUITE_P(Shipped, ScenarioTranscript, ::testing::ValuesIn(transcriptFiles()),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

} // namespace
} // namespace hil::real_hw
