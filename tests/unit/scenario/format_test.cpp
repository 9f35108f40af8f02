#include "framework/scenario/format.h"

#include <algorithm>
#include <charconv>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "framework/data/catalog.h"
#include "framework/runner/runner.h"
#include "framework/scenario/scenario.h"
#include "storage/discovery.h"

namespace hil::scenario {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string_view> elementNames() {
  std::vector<std::string_view> names;
  for (const auto& element : formatReference()) {
    names.push_back(element.name);
  }
  return names;
}

const AttributeFormat& attributeOf(std::string_view element, std::string_view attribute) {
  const auto* format = elementFormat(element).attribute(attribute);
  if (format == nullptr) {
    throw std::logic_error("no attribute " + std::string{attribute});
  }
  return *format;
}

std::string_view fallbackOf(std::string_view element, std::string_view attribute) {
  return attributeOf(element, attribute).fallback;
}

TEST(FormatTest, HasEveryElementOfTheScenarioFormatOnce) {
  EXPECT_THAT(elementNames(), ElementsAre("scenarios", "scenario", "description", "host", "windows",
                                          "hyperv", "gpu", "vm", "fault", "rig", "steps", "deploy",
                                          "teardown", "smoke", "expect"));
}

TEST(FormatTest, EveryChildHasItsOwnEntryAndEveryElementButTheRootsIsAChild) {
  std::set<std::string_view> children;
  for (const auto& element : formatReference()) {
    for (auto child : element.children) {
      EXPECT_NO_THROW((void)elementFormat(child))
          << "<" << child << "> in <" << element.name << ">";
      children.insert(child);
    }
  }
  for (auto name : elementNames()) {
    EXPECT_TRUE(name == "scenarios" || name == "scenario" || children.contains(name)) << name;
  }
}

TEST(FormatTest, AnElementTheFormatLacksIsALogicError) {
  EXPECT_THROW((void)elementFormat("policy"), std::logic_error);
}

TEST(FormatTest, EveryAttributeIsDescribedAndItsDefaultFitsItsKind) {
  for (const auto& element : formatReference()) {
    EXPECT_FALSE(element.meaning.empty()) << element.name;
    std::set<std::string_view> names;
    for (const auto& a : element.attributes) {
      const auto where = std::string{element.name} + "/" + std::string{a.name};
      EXPECT_TRUE(names.insert(a.name).second) << where << " twice";
      EXPECT_FALSE(a.meaning.empty()) << where;
      EXPECT_TRUE(!a.required || a.fallback.empty()) << where << ": required, with a default";
      switch (a.kind) {
      case ValueKind::Boolean:
        EXPECT_TRUE(a.fallback == "true" || a.fallback == "false") << where;
        break;
      case ValueKind::Integer: {
        std::int64_t value = 0;
        const auto [end, ec] =
            std::from_chars(a.fallback.data(), a.fallback.data() + a.fallback.size(), value);
        EXPECT_TRUE(ec == std::errc{} && end == a.fallback.data() + a.fallback.size()) << where;
        EXPECT_TRUE(a.min <= value && value <= a.max) << where;
        break;
      }
      case ValueKind::Choice:
        EXPECT_FALSE(a.choices.empty()) << where;
        break;
      case ValueKind::Text:
      case ValueKind::Words:
        EXPECT_THAT(a.choices, IsEmpty()) << where;
        break;
      }
    }
  }
}

// Every attribute the loader reads goes through the table: an unlisted one throws
// std::logic_error. The loader reads each element's attributes whether present or not, so a file
// with every element proves the table covers them all.
constexpr const char* kEveryElement = R"(<scenarios>
  <scenario name="every-element" tags="t" rules="eflow-current">
    <description>Every element once.</description>
    <host>
      <windows edition="server" build="17763"/>
      <hyperv enabled="true"/>
      <gpu model="tesla-t4"/>
      <vm name="EFLOW"/>
      <fault op="guest.run" kind="crash" when="after"/>
    </host>
    <rig gpu="tesla-t4"/>
    <steps>
      <deploy/>
      <expect result="ok"/>
      <smoke/>
      <teardown/>
    </steps>
  </scenario>
</scenarios>)";

TEST(FormatTest, TheLoaderReadsNoAttributeTheTableLacks) {
  Parsed<ScenarioFile> parsed;
  ASSERT_NO_THROW(parsed =
                      parseScenarioFile(kEveryElement, "every.xml", data::GpuCatalog::builtin()));
  ASSERT_TRUE(parsed.has_value()) << toString(parsed.error());
}

TEST(FormatTest, TheWholeScenarioLibraryLoadsByTheTable) {
  Parsed<std::vector<runner::SuiteInput>> loaded;
  ASSERT_NO_THROW(loaded =
                      storage::loadScenarios({HIL_SCENARIOS_DIR}, data::GpuCatalog::builtin()));
  ASSERT_TRUE(loaded.has_value()) << toString(loaded.error());
  EXPECT_GT(loaded->size(), 100u);
}

TEST(FormatTest, TheTablesDefaultsAreWhatTheLoaderGives) {
  const auto parsed = parseScenarioFile(R"(<scenario name="defaults">
  <host>
    <windows edition="server" build="17763"/>
    <hyperv/>
    <gpu model="tesla-t4"/>
    <vm/>
    <fault op="guest.run"/>
    <fault op="hyperv.stop-vm" kind="crash"/>
  </host>
  <steps><deploy/></steps>
</scenario>)",
                                        "defaults.xml", data::GpuCatalog::builtin());
  ASSERT_TRUE(parsed.has_value()) << toString(parsed.error());
  const auto& host = parsed->scenarios.at(0).host;
  const auto flag = [](bool value) { return value ? "true" : "false"; };
  EXPECT_EQ(fallbackOf("hyperv", "enabled"), flag(host.hypervEnabled));
  const auto& gpu = host.gpus.at(0);
  EXPECT_EQ(fallbackOf("gpu", "mitigation-driver"), flag(gpu.mitigationDriver));
  EXPECT_EQ(fallbackOf("gpu", "wsl-driver"), flag(gpu.wslDriver));
  EXPECT_EQ(fallbackOf("gpu", "count"), std::to_string(gpu.count));
  EXPECT_EQ(fallbackOf("gpu", "in-use"), flag(gpu.inUse));
  EXPECT_EQ(fallbackOf("gpu", "resizable-bar"), flag(gpu.resizableBar));
  EXPECT_EQ(fallbackOf("gpu", "bad-memory"), flag(gpu.badMemory));
  EXPECT_EQ(fallbackOf("vm", "name"), host.vm.name);
  EXPECT_EQ(fallbackOf("vm", "state"),
            host.vm.state == platform::VmState::Running ? "running" : "off");
  EXPECT_EQ(fallbackOf("vm", "guest-driver"), flag(host.vm.guestDriver));
  const auto& fault = host.faults.at(0);
  EXPECT_EQ(fallbackOf("fault", "kind"), toString(fault.kind));
  EXPECT_EQ(fallbackOf("fault", "occurrence"), std::to_string(fault.occurrence));
  EXPECT_EQ(fallbackOf("fault", "when"), host.faults.at(1).after ? "after" : "before");
  const auto& deploy = parsed->scenarios.at(0).steps.at(0).deploy;
  EXPECT_EQ(fallbackOf("deploy", "passthrough"), toString(deploy.passthrough));
  EXPECT_EQ(fallbackOf("deploy", "gpu-count"), std::to_string(deploy.gpuCount));
}

} // namespace
} // namespace hil::scenario
