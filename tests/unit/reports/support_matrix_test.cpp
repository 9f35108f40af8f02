#include "reports/support_matrix.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "simulators/sim_backend.h"

namespace hil::reports {
namespace {

using platform::Edition;
using ::testing::HasSubstr;

/// The matrix on simulated hosts, as `hil matrix` computes it.
SupportMatrix matrixFor(const data::RulesProfile& rules) {
  const auto& catalog = data::GpuCatalog::builtin();
  return computeSupportMatrix(simulators::SimBackendFactory{catalog}, catalog, rules);
}

const std::vector<Decision>& cell(const SupportMatrix& m, const char* model, Edition edition) {
  return m.cells.at({model, edition});
}

TEST(SupportMatrixTest, ThePreviewProfileGivesT4DdaOnServerFrom17763) {
  const auto matrix = matrixFor(*data::RulesProfile::builtin("eflow-2021-preview"));
  const auto& t4 = cell(matrix, "tesla-t4", Edition::Server);
  ASSERT_EQ(t4.size(), 2u);
  EXPECT_EQ(t4[0].outcome, "unsupported-build");
  EXPECT_EQ(t4[1].outcome, "DirectDeviceAssignment");
  EXPECT_EQ(t4[1].from, (platform::WindowsBuild{17763, 0}));
  EXPECT_EQ(cellText(t4), "DDA from 17763 (unsupported-build below)");
  EXPECT_EQ(cellText(cell(matrix, "geforce-rtx-3060", Edition::Server)), "unsupported-edition");
  EXPECT_EQ(cellText(cell(matrix, "radeon-pro-w6600", Edition::Professional)), "unsupported-gpu");
  EXPECT_EQ(cellText(cell(matrix, "tesla-t4", Edition::Home)), "unsupported-edition");
  // Both sides of every boundary are tried.
  EXPECT_THAT(matrix.builds, ::testing::Contains(platform::WindowsBuild{21317, 0}));
  EXPECT_THAT(matrix.builds, ::testing::Contains(platform::WindowsBuild{21318, 0}));
}

TEST(SupportMatrixTest, RevisionsAreBoundariesToo) {
  const auto matrix = matrixFor(*data::RulesProfile::builtin("eflow-current"));
  const auto& iris = cell(matrix, "intel-iris-xe", Edition::Professional);
  ASSERT_EQ(iris.size(), 2u);
  EXPECT_EQ(iris[1].from, (platform::WindowsBuild{19044, 1620}));
  EXPECT_EQ(iris[1].outcome, "ParaVirtualization");
}

TEST(SupportMatrixTest, ANewRuleIsADataChange) {
  // A profile that gives the Radeon DDA on Server from 20348: the matrix follows the data.
  const auto rules = data::RulesProfile::parse(R"(<rules profile="lab">
  <rule gpus="radeon-pro-w6600" technique="DirectDeviceAssignment" editions="server"
        min-build="20348"/>
</rules>)",
                                               "lab.xml");
  ASSERT_TRUE(rules.has_value());
  const auto matrix = matrixFor(*rules);
  EXPECT_EQ(cellText(cell(matrix, "radeon-pro-w6600", Edition::Server)),
            "DDA from 20348 (unsupported-build below)");
  EXPECT_EQ(cellText(cell(matrix, "tesla-t4", Edition::Server)), "unsupported-gpu");
}

TEST(SupportMatrixTest, MarkdownAndHtmlHoldEveryModel) {
  const auto matrix = matrixFor(*data::RulesProfile::builtin("eflow-2021-preview"));
  const auto markdown = toMarkdown(matrix);
  const auto html = toHtml(matrix);
  for (const auto& model : data::GpuCatalog::builtin().models()) {
    EXPECT_THAT(markdown, HasSubstr(model.id));
  }
  EXPECT_THAT(markdown, HasSubstr("| GPU | server | enterprise | iot-enterprise | professional | "
                                  "home |"));
  EXPECT_THAT(html, HasSubstr("Intel(R) Iris(R) Xe Graphics"));
  EXPECT_THAT(html, ::testing::Not(HasSubstr("<script")));
}

} // namespace
} // namespace hil::reports
