#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "framework/core/diagnostic.h"
#include "framework/data/catalog.h"
#include "framework/data/rules.h"
#include "framework/platform/types.h"

namespace hil::data {
namespace {

using platform::Edition;
using platform::kMiB;
using platform::Technique;
using platform::WindowsBuild;
using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAre;

std::vector<int> linesOf(const Diagnostics& diagnostics) {
  std::vector<int> lines;
  for (const auto& d : diagnostics) {
    lines.push_back(d.line);
  }
  return lines;
}

// ---- The built-in catalog -------------------------------------------------------------------

TEST(BuiltinCatalogTest, HasEveryDesignDocModelWithItsFriendlyName) {
  const std::map<std::string, std::string> expected = {
      {"tesla-t4", "NVIDIA Tesla T4"},
      {"geforce-rtx-3060", "NVIDIA GeForce RTX 3060"},
      {"geforce-rtx-3080", "NVIDIA GeForce RTX 3080"},
      {"geforce-rtx-4090", "NVIDIA GeForce RTX 4090"},
      {"quadro-rtx-4000", "NVIDIA Quadro RTX 4000"},
      {"rtx-a2000", "NVIDIA RTX A2000"},
      {"radeon-pro-w6600", "AMD Radeon PRO W6600"},
      {"intel-uhd-770", "Intel(R) UHD Graphics 770"},
      {"nvidia-a2", "NVIDIA A2"},
      {"intel-iris-xe", "Intel(R) Iris(R) Xe Graphics"},
  };
  const auto& catalog = GpuCatalog::builtin();
  for (const auto& [id, name] : expected) {
    const auto* model = catalog.find(id);
    ASSERT_NE(model, nullptr) << id;
    EXPECT_EQ(model->id, id);
    EXPECT_EQ(model->name, name) << id;
  }
}

TEST(BuiltinCatalogTest, TeslaT4Facts) {
  const auto* t4 = GpuCatalog::builtin().find("tesla-t4");
  ASSERT_NE(t4, nullptr);
  EXPECT_EQ(t4->pci, (platform::PciId{0x10de, 0x1eb8}));
  EXPECT_EQ(t4->pci.toString(), "10de:1eb8");
  EXPECT_TRUE(t4->isNvidia());
  EXPECT_EQ(t4->vendor, "NVIDIA");
  EXPECT_EQ(t4->family, "datacenter");
  EXPECT_EQ(t4->smCount, 40);
  EXPECT_EQ(t4->memory, 16ull * 1024 * kMiB);
  EXPECT_EQ(t4->computeCapability, "7.5");
  EXPECT_EQ(t4->pcieGeneration, 3);
  EXPECT_EQ(t4->pcieWidth, 16);
  EXPECT_EQ(t4->lowMmioNeed(), 16 * kMiB);
  EXPECT_EQ(t4->highMmioNeed(), 288 * kMiB);
  EXPECT_TRUE(t4->ddaCapable);
  EXPECT_FALSE(t4->partitionable);
}

TEST(BuiltinCatalogTest, TechniquesFollowTheVendorDocumentation) {
  const auto& catalog = GpuCatalog::builtin();
  for (const auto* id : {"geforce-rtx-3060", "geforce-rtx-3080", "geforce-rtx-4090",
                         "quadro-rtx-4000", "rtx-a2000", "intel-uhd-770", "intel-iris-xe"}) {
    ASSERT_NE(catalog.find(id), nullptr) << id;
    EXPECT_TRUE(catalog.find(id)->partitionable) << id;
  }
  for (const auto* id : {"tesla-t4", "nvidia-a2"}) {
    ASSERT_NE(catalog.find(id), nullptr) << id;
    EXPECT_TRUE(catalog.find(id)->ddaCapable) << id;
    EXPECT_FALSE(catalog.find(id)->partitionable) << id;
  }
  EXPECT_FALSE(catalog.find("radeon-pro-w6600")->isNvidia());
  EXPECT_FALSE(catalog.find("intel-uhd-770")->isNvidia());
  EXPECT_EQ(catalog.find("intel-uhd-770")->memory, 0u); // shares system memory
}

TEST(BuiltinCatalogTest, IdsAndNamesAreUnique) {
  std::set<std::string> ids;
  std::set<std::string> names;
  for (const auto& model : GpuCatalog::builtin().models()) {
    EXPECT_TRUE(ids.insert(model.id).second) << model.id;
    EXPECT_TRUE(names.insert(model.name).second) << model.name;
  }
  EXPECT_GE(ids.size(), 10u);
}

TEST(BuiltinCatalogTest, EveryModelHasBarsAndAFamily) {
  const std::set<std::string> families = {"datacenter", "geforce", "quadro", "amd",
                                          "intel-integrated"};
  for (const auto& model : GpuCatalog::builtin().models()) {
    EXPECT_FALSE(model.bars.empty()) << model.id;
    EXPECT_GT(model.lowMmioNeed() + model.highMmioNeed(), 0u) << model.id;
    for (const auto& bar : model.bars) {
      EXPECT_GT(bar.size, 0u) << model.id << " BAR" << bar.index;
    }
    EXPECT_TRUE(families.contains(model.family)) << model.id;
    EXPECT_TRUE(model.ddaCapable || model.partitionable) << model.id;
    EXPECT_GT(model.smCount, 0) << model.id;
  }
}

TEST(BuiltinCatalogTest, UnknownIdIsNotFound) {
  EXPECT_EQ(GpuCatalog::builtin().find("tesla-t5"), nullptr);
  EXPECT_EQ(GpuCatalog::builtin().find(""), nullptr);
  EXPECT_EQ(GpuCatalog::builtin().find("NVIDIA Tesla T4"), nullptr); // ids, not names
}

// ---- Parsing catalog text -------------------------------------------------------------------

/// One <gpu> with every required attribute; `extra` is spliced into its start tag.
std::string gpuElement(const std::string& id, const std::string& extra = "",
                       const std::string& vendorId = "10DE") {
  return fmt::format(
      "  <gpu id=\"{}\" name=\"Test {}\" vendor=\"NVIDIA\" vendor-id=\"{}\" device-id=\"1EB8\" "
      "family=\"datacenter\" memory-mib=\"1024\" sm-count=\"4\" pcie-gen=\"3\" pcie-width=\"16\" "
      "h2d-gbps=\"12\" d2h-gbps=\"12\" d2d-gbps=\"100\" fp32-tflops=\"1\" capabilities=\"dda\"{}>\n"
      "    <bar index=\"0\" size-mib=\"16\" width=\"32\"/>\n"
      "  </gpu>\n",
      id, id, vendorId, extra);
}

TEST(CatalogParseTest, ParsesAMinimalCatalog) {
  const auto catalog = GpuCatalog::parse(
      "<gpu-catalog>\n" + gpuElement("a") + gpuElement("b") + "</gpu-catalog>\n", "c.xml");
  ASSERT_TRUE(catalog.has_value()) << toString(catalog.error());
  ASSERT_EQ(catalog->models().size(), 2u);
  const auto* a = catalog->find("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->name, "Test a");
  EXPECT_EQ(a->memory, 1024 * kMiB);
  EXPECT_EQ(a->lowMmioNeed(), 16 * kMiB);
  EXPECT_EQ(a->highMmioNeed(), 0u);
}

TEST(CatalogParseTest, UnknownAttributeIsReportedAtItsLine) {
  // Lines: 1 <gpu-catalog>, 2-4 gpu a, 5-7 gpu b.
  const auto catalog =
      GpuCatalog::parse("<gpu-catalog>\n" + gpuElement("a") + gpuElement("b", " colour=\"green\"") +
                            "</gpu-catalog>\n",
                        "c.xml");
  ASSERT_FALSE(catalog.has_value());
  ASSERT_EQ(catalog.error().size(), 1u) << toString(catalog.error());
  EXPECT_EQ(catalog.error()[0].file, "c.xml");
  EXPECT_EQ(catalog.error()[0].line, 5);
  EXPECT_THAT(catalog.error()[0].message,
              StartsWith("unknown attribute 'colour' on <gpu>; expected one of id, name, vendor, "
                         "family, vendor-id, device-id, memory-mib"));
}

TEST(CatalogParseTest, AMisspelledAttributeSuggestsTheRightOne) {
  const auto catalog = GpuCatalog::parse(
      "<gpu-catalog>\n" + gpuElement("a", " compute-capabilty=\"7.5\"") + "</gpu-catalog>\n",
      "c.xml");
  ASSERT_FALSE(catalog.has_value());
  ASSERT_EQ(catalog.error().size(), 1u) << toString(catalog.error());
  EXPECT_THAT(catalog.error()[0].message, EndsWith("(did you mean 'compute-capability'?)"));
}

TEST(CatalogParseTest, BadHexIdIsReportedAtItsLine) {
  for (const auto* bad : {"10DG", "10D", "10DE0", "", "0x10"}) {
    const auto catalog = GpuCatalog::parse(
        "<gpu-catalog>\n" + gpuElement("a", "", bad) + "</gpu-catalog>\n", "c.xml");
    ASSERT_FALSE(catalog.has_value()) << bad;
    ASSERT_EQ(catalog.error().size(), 1u) << toString(catalog.error());
    EXPECT_EQ(catalog.error()[0].line, 2) << bad;
  }
}

TEST(CatalogParseTest, MissingRequiredAttributeIsReportedAtItsLine) {
  auto text = "<gpu-catalog>\n" + gpuElement("a") + gpuElement("b") + "</gpu-catalog>\n";
  // Drop name= from the second GPU (line 5).
  const auto at = text.find("name=\"Test b\" ");
  ASSERT_NE(at, std::string::npos);
  text.erase(at, std::string{"name=\"Test b\" "}.size());
  const auto catalog = GpuCatalog::parse(text, "c.xml");
  ASSERT_FALSE(catalog.has_value());
  ASSERT_EQ(catalog.error().size(), 1u) << toString(catalog.error());
  EXPECT_EQ(catalog.error()[0].line, 5);
}

TEST(CatalogParseTest, DuplicateIdIsReportedAtTheSecondOne) {
  const auto catalog = GpuCatalog::parse("<gpu-catalog>\n" + gpuElement("a") + gpuElement("b") +
                                             gpuElement("a") + "</gpu-catalog>\n",
                                         "c.xml");
  ASSERT_FALSE(catalog.has_value());
  ASSERT_EQ(catalog.error().size(), 1u) << toString(catalog.error());
  EXPECT_EQ(catalog.error()[0].line, 8);
}

TEST(CatalogParseTest, GpuWithoutBarsIsReported) {
  const auto catalog = GpuCatalog::parse(
      "<gpu-catalog>\n"
      "  <gpu id=\"x\" name=\"X\" vendor=\"NVIDIA\" vendor-id=\"10DE\" device-id=\"1EB8\" "
      "family=\"datacenter\" memory-mib=\"1024\" sm-count=\"4\" pcie-gen=\"3\" pcie-width=\"16\" "
      "h2d-gbps=\"12\" d2h-gbps=\"12\" d2d-gbps=\"100\" fp32-tflops=\"1\" capabilities=\"dda\"/>\n"
      "</gpu-catalog>\n",
      "c.xml");
  ASSERT_FALSE(catalog.has_value());
  EXPECT_THAT(linesOf(catalog.error()), ElementsAre(2));
}

TEST(CatalogParseTest, EveryProblemIsReportedSortedByLine) {
  auto text = "<gpu-catalog>\n" + gpuElement("a", " colour=\"green\"") +
              gpuElement("b", "", "XYZW") + gpuElement("a") + "  <card/>\n" + "</gpu-catalog>\n";
  const auto catalog = GpuCatalog::parse(text, "c.xml");
  ASSERT_FALSE(catalog.has_value());
  // unknown attribute (2), bad hex (5), duplicate id (8), unknown element (11).
  EXPECT_THAT(linesOf(catalog.error()), ElementsAre(2, 5, 8, 11)) << toString(catalog.error());
  for (const auto& d : catalog.error()) {
    EXPECT_EQ(d.file, "c.xml");
  }
}

TEST(CatalogParseTest, WrongRootAndSyntaxErrorsAreReported) {
  const auto wrongRoot = GpuCatalog::parse("<catalog/>\n", "c.xml");
  ASSERT_FALSE(wrongRoot.has_value());
  EXPECT_THAT(linesOf(wrongRoot.error()), ElementsAre(1));

  const auto broken =
      GpuCatalog::parse("<gpu-catalog>\n\n  <gpu id=\"a\">\n</gpu-catalog>\n", "c.xml");
  ASSERT_FALSE(broken.has_value());
  ASSERT_EQ(broken.error().size(), 1u);
  EXPECT_EQ(broken.error()[0].line, 4);
}

// ---- Rules profiles ---------------------------------------------------------------------------

const GpuModel& model(const char* id) {
  const auto* m = GpuCatalog::builtin().find(id);
  EXPECT_NE(m, nullptr) << id;
  return *m;
}

TEST(BuiltinRulesTest, BothProfilesParse) {
  EXPECT_THAT(RulesProfile::builtinNames(), ElementsAre("eflow-2021-preview", "eflow-current"));
  EXPECT_EQ(RulesProfile::kDefault, "eflow-2021-preview");
  for (const auto name : RulesProfile::builtinNames()) {
    const auto profile = RulesProfile::builtin(name);
    ASSERT_TRUE(profile.has_value()) << name;
    EXPECT_EQ(profile->name(), name);
    EXPECT_FALSE(profile->description().empty()) << name;
    EXPECT_FALSE(profile->rules().empty()) << name;
    // Every rule names catalog ids or families that exist.
    for (const auto& rule : profile->rules()) {
      EXPECT_GT(rule.line, 0);
      for (const auto& gpu : rule.gpus) {
        EXPECT_NE(GpuCatalog::builtin().find(gpu), nullptr) << name << ": " << gpu;
      }
    }
  }
  EXPECT_EQ(RulesProfile::builtin("eflow-2030"), std::nullopt);
}

TEST(BuiltinRulesTest, PreviewT4DdaServerFrom17763) {
  const auto profile = RulesProfile::builtin("eflow-2021-preview");
  ASSERT_TRUE(profile.has_value());
  const auto rules = profile->rulesFor(model("tesla-t4"));
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0]->technique, Technique::DirectDeviceAssignment);
  EXPECT_THAT(rules[0]->editions, ElementsAre(Edition::Server));
  EXPECT_EQ(rules[0]->minBuild, (WindowsBuild{17763, 0}));
  EXPECT_TRUE(rules[0]->recommendsMitigationDriver);
  EXPECT_FALSE(rules[0]->requiresWslDriver);
}

TEST(BuiltinRulesTest, PreviewT4DdaEnterpriseAndProfessionalFrom21318) {
  const auto profile = RulesProfile::builtin("eflow-2021-preview");
  ASSERT_TRUE(profile.has_value());
  const auto rules = profile->rulesFor(model("tesla-t4"));
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[1]->technique, Technique::DirectDeviceAssignment);
  EXPECT_THAT(rules[1]->editions, UnorderedElementsAre(Edition::Enterprise, Edition::Professional));
  EXPECT_EQ(rules[1]->minBuild, (WindowsBuild{21318, 0}));
  EXPECT_FALSE(rules[1]->allows(Edition::Server));
  EXPECT_FALSE(rules[1]->allows(Edition::IotEnterprise));
  EXPECT_FALSE(rules[1]->allows(Edition::Home));
}

TEST(BuiltinRulesTest, PreviewGeForceAndQuadroGpuPvFrom20145WithWslDriver) {
  const auto profile = RulesProfile::builtin("eflow-2021-preview");
  ASSERT_TRUE(profile.has_value());
  for (const auto* id : {"geforce-rtx-3060", "geforce-rtx-3080", "geforce-rtx-4090",
                         "quadro-rtx-4000", "rtx-a2000"}) {
    const auto rules = profile->rulesFor(model(id));
    ASSERT_EQ(rules.size(), 1u) << id;
    EXPECT_EQ(rules[0]->technique, Technique::ParaVirtualization) << id;
    EXPECT_THAT(rules[0]->editions,
                UnorderedElementsAre(Edition::Enterprise, Edition::Professional))
        << id;
    EXPECT_EQ(rules[0]->minBuild, (WindowsBuild{20145, 0})) << id;
    EXPECT_TRUE(rules[0]->requiresWslDriver) << id;
  }
}

TEST(BuiltinRulesTest, PreviewLeavesOtherGpusUncovered) {
  const auto profile = RulesProfile::builtin("eflow-2021-preview");
  ASSERT_TRUE(profile.has_value());
  for (const auto* id : {"radeon-pro-w6600", "intel-uhd-770", "intel-iris-xe", "nvidia-a2"}) {
    EXPECT_TRUE(profile->rulesFor(model(id)).empty()) << id;
  }
}

TEST(BuiltinRulesTest, CurrentT4AndA2Dda) {
  const auto profile = RulesProfile::builtin("eflow-current");
  ASSERT_TRUE(profile.has_value());
  for (const auto* id : {"tesla-t4", "nvidia-a2"}) {
    const auto rules = profile->rulesFor(model(id));
    ASSERT_EQ(rules.size(), 2u) << id;
    EXPECT_EQ(rules[0]->technique, Technique::DirectDeviceAssignment);
    EXPECT_THAT(rules[0]->editions, ElementsAre(Edition::Server));
    EXPECT_EQ(rules[0]->minBuild, (WindowsBuild{17763, 0}));
    EXPECT_EQ(rules[1]->technique, Technique::DirectDeviceAssignment);
    EXPECT_THAT(
        rules[1]->editions,
        UnorderedElementsAre(Edition::Enterprise, Edition::IotEnterprise, Edition::Professional));
    EXPECT_EQ(rules[1]->minBuild, (WindowsBuild{19044, 1620}));
  }
}

TEST(BuiltinRulesTest, CurrentGpuPvCoversIntelIntegratedFrom19044Revision1620) {
  const auto profile = RulesProfile::builtin("eflow-current");
  ASSERT_TRUE(profile.has_value());
  for (const auto* id : {"geforce-rtx-3060", "geforce-rtx-4090", "quadro-rtx-4000", "rtx-a2000",
                         "intel-uhd-770", "intel-iris-xe"}) {
    const auto rules = profile->rulesFor(model(id));
    ASSERT_EQ(rules.size(), 1u) << id;
    EXPECT_EQ(rules[0]->technique, Technique::ParaVirtualization) << id;
    EXPECT_TRUE(rules[0]->allows(Edition::IotEnterprise)) << id;
    EXPECT_TRUE(rules[0]->allows(Edition::Professional)) << id;
    EXPECT_TRUE(rules[0]->allows(Edition::Enterprise)) << id;
    EXPECT_FALSE(rules[0]->allows(Edition::Server)) << id;
    EXPECT_FALSE(rules[0]->allows(Edition::Home)) << id;
    EXPECT_EQ(rules[0]->minBuild, (WindowsBuild{19044, 1620})) << id;
    EXPECT_TRUE(rules[0]->requiresWslDriver) << id;
  }
  EXPECT_TRUE(profile->rulesFor(model("radeon-pro-w6600")).empty());
}

TEST(BuiltinRulesTest, NoProfileAllowsHome) {
  for (const auto name : RulesProfile::builtinNames()) {
    const auto profile = RulesProfile::builtin(name);
    ASSERT_TRUE(profile.has_value());
    for (const auto& rule : profile->rules()) {
      EXPECT_FALSE(rule.allows(Edition::Home)) << name << " line " << rule.line;
    }
  }
}

TEST(RulesParseTest, ParsesAProfileWithLinesAndFamilies) {
  const auto profile = RulesProfile::parse(
      "<rules profile=\"p\">\n"
      "  <description> test </description>\n"
      "  <rule gpus=\"tesla-t4\" technique=\"DirectDeviceAssignment\" editions=\"server\"\n"
      "        min-build=\"17763.5\" recommends=\"mitigation-driver\"/>\n"
      "  <rule families=\"amd\" technique=\"ParaVirtualization\" editions=\"home\"\n"
      "        min-build=\"1\" requires=\"wsl-driver\"/>\n"
      "</rules>\n",
      "p.xml");
  ASSERT_TRUE(profile.has_value()) << toString(profile.error());
  EXPECT_EQ(profile->name(), "p");
  EXPECT_EQ(profile->description(), "test");
  ASSERT_EQ(profile->rules().size(), 2u);
  EXPECT_EQ(profile->rules()[0].line, 3);
  EXPECT_EQ(profile->rules()[0].minBuild, (WindowsBuild{17763, 5}));
  EXPECT_EQ(profile->rules()[1].line, 5);
  EXPECT_TRUE(profile->rules()[1].covers(model("radeon-pro-w6600")));
  EXPECT_FALSE(profile->rules()[1].covers(model("tesla-t4")));
  EXPECT_TRUE(profile->rules()[0].covers(model("tesla-t4")));
}

TEST(RulesParseTest, EveryErrorIsReportedWithItsLine) {
  // Bad technique (2), unknown edition (3), bad build (5), no gpus or families (7), unknown
  // attribute (8), unknown requirement (10), no editions (12), unknown element (13).
  const auto profile = RulesProfile::parse(R"(<rules profile="bad">
  <rule gpus="tesla-t4" technique="DDA" editions="server" min-build="1"/>
  <rule gpus="tesla-t4" technique="DirectDeviceAssignment" editions="xp"
        min-build="17763"/>
  <rule gpus="tesla-t4" technique="DirectDeviceAssignment" editions="server"
        min-build="17763."/>
  <rule technique="DirectDeviceAssignment" editions="server" min-build="1"/>
  <rule gpus="tesla-t4" technique="DirectDeviceAssignment" editions="server"
        min-build="1" colour="red"/>
  <rule gpus="tesla-t4" technique="DirectDeviceAssignment" editions="server"
        min-build="1" requires="coffee"/>
  <rule gpus="tesla-t4" technique="DirectDeviceAssignment" min-build="1"/>
  <policy/>
</rules>
)",
                                           "bad.xml");
  ASSERT_FALSE(profile.has_value());
  EXPECT_THAT(linesOf(profile.error()), ElementsAre(2, 3, 5, 7, 8, 10, 12, 13))
      << toString(profile.error());
  for (const auto& d : profile.error()) {
    EXPECT_EQ(d.file, "bad.xml");
  }
}

TEST(RulesParseTest, MissingProfileNameAndWrongRootAreReported) {
  const auto noName = RulesProfile::parse("<rules>\n</rules>\n", "r.xml");
  ASSERT_FALSE(noName.has_value());
  EXPECT_THAT(linesOf(noName.error()), ElementsAre(1));

  const auto wrongRoot = RulesProfile::parse("\n<policy profile=\"x\"/>\n", "r.xml");
  ASSERT_FALSE(wrongRoot.has_value());
  EXPECT_THAT(linesOf(wrongRoot.error()), ElementsAre(2));
}

TEST(RulesParseTest, AMisspelledAttributeSuggestsTheRightOne) {
  const auto profile = RulesProfile::parse(
      "<rules profile=\"p\">\n"
      "  <rule gpus=\"tesla-t4\" technique=\"DirectDeviceAssignment\" editions=\"server\"\n"
      "        min-build=\"1\" recomends=\"mitigation-driver\"/>\n"
      "</rules>\n",
      "p.xml");
  ASSERT_FALSE(profile.has_value());
  ASSERT_EQ(profile.error().size(), 1u);
  EXPECT_EQ(profile.error()[0].toString(),
            "p.xml:2: unknown attribute 'recomends' on <rule>; expected one of gpus, families, "
            "technique, editions, min-build, requires, recommends (did you mean 'recommends'?)");
}

TEST(RulesParseTest, ChildElementsInsideARuleAreReported) {
  const auto profile = RulesProfile::parse(
      "<rules profile=\"p\">\n"
      "  <rule gpus=\"tesla-t4\" technique=\"DirectDeviceAssignment\" editions=\"server\"\n"
      "        min-build=\"1\">\n"
      "    <note/>\n"
      "  </rule>\n"
      "</rules>\n",
      "p.xml");
  ASSERT_FALSE(profile.has_value());
  EXPECT_THAT(linesOf(profile.error()), ElementsAre(4));
}

} // namespace
} // namespace hil::data
