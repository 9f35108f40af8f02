// Every scenario file in scenarios/ is a test of its own, named after the file: it must load,
// run green on the simulator, and leave the host with no broken invariant.
#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <pugixml.hpp>

#include "framework/data/catalog.h"
#include "framework/data/rules.h"
#include "framework/runner/runner.h"
#include "simulators/sim_backend.h"
#include "storage/discovery.h"

namespace hil {
namespace {

namespace fs = std::filesystem;

/// Certification policies live in scenarios/policies/ and are no scenario files (as `hil run`
/// skips them in a folder walk).
bool isPolicy(const fs::path& path) {
  pugi::xml_document doc;
  return doc.load_file(path.c_str()) && std::string_view{doc.document_element().name()} == "policy";
}

std::vector<std::string> scenarioFiles() {
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(HIL_SCENARIOS_DIR)) {
    if (entry.is_regular_file() && entry.path().extension() == ".xml" && !isPolicy(entry.path())) {
      files.push_back(entry.path().lexically_relative(HIL_SCENARIOS_DIR).generic_string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

class ScenarioLibrary : public testing::TestWithParam<std::string> {
protected:
  static void SetUpTestSuite() {
    for (auto name : data::RulesProfile::builtinNames()) {
      builtins_.emplace(std::string{name}, *data::RulesProfile::builtin(name));
    }
  }

  static inline std::map<std::string, data::RulesProfile> builtins_;
};

TEST_P(ScenarioLibrary, PassesOnTheSimulator) {
  const auto path = (fs::path{HIL_SCENARIOS_DIR} / GetParam()).string();
  const auto& catalog = data::GpuCatalog::builtin();
  auto loaded = storage::loadScenarios({path}, catalog);
  ASSERT_TRUE(loaded.has_value()) << toString(loaded.error());
  ASSERT_EQ(loaded->size(), 1u);
  ASSERT_FALSE(loaded->front().file.scenarios.empty());

  simulators::SimBackendFactory backends{catalog};
  ManualClock clock;
  runner::Runner runner{backends, catalog, builtins_.at("eflow-2021-preview"), builtins_, clock};
  for (const auto& scenario : loaded->front().file.scenarios) {
    EXPECT_FALSE(scenario.description.empty()) << scenario.name << " has no <description>";
    const auto result = runner.runScenario(scenario, GetParam(), 1);
    std::string log;
    for (const auto& line : result.log) {
      log += "  " + line + "\n";
    }
    EXPECT_EQ(result.status, runner::CaseStatus::Passed) << result.failureDetail << "log:\n" << log;
  }
}

std::string testName(const testing::TestParamInfo<std::string>& info) {
  std::string name = fs::path{info.param}.replace_extension().generic_string();
  for (auto& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) {
      c = '_';
    }
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Files, ScenarioLibrary, testing::ValuesIn(scenarioFiles()), testName);

} // namespace
} // namespace hil
