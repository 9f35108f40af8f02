#include "reports/policy.h"

#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace hil::reports {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr const char* kValid = R"(<?xml version="1.0"?>
<policy name="release" max-age-days="7" warnings="fail">
  <description>
    Everything passes on the simulator.
  </description>
  <require id="dda" tags="dda t4" rig-classes="sim t4-server"/>
  <require id="warned" scenarios="t4-*-no-mitigation*" rig-classes="sim" warnings="pass"/>
  <smoke rig-class="t4-server" check="h2d-bandwidth" min="10.5" unit="GB/s"/>
</policy>
)";

/// The one diagnostic of an invalid policy, as "line: message".
std::string onlyError(const std::string& text) {
  auto parsed = parsePolicy(text, "p.xml");
  if (parsed) {
    return "parsed";
  }
  std::string all;
  for (const auto& d : parsed.error()) {
    EXPECT_EQ(d.file, "p.xml");
    all += (all.empty() ? "" : "\n") + std::to_string(d.line) + ": " + d.message;
  }
  EXPECT_EQ(parsed.error().size(), 1u) << all;
  return all;
}

std::string policyWith(const std::string& body, const std::string& attributes = "name=\"p\"") {
  return "<?xml version=\"1.0\"?>\n<policy " + attributes + ">\n" + body + "\n</policy>\n";
}

constexpr const char* kRequire = R"(  <require id="all" scenarios="*" rig-classes="sim"/>)";

TEST(PolicyTest, ParsesEveryElementAndAttribute) {
  auto parsed = parsePolicy(kValid, "release.xml");
  ASSERT_TRUE(parsed) << toString(parsed.error());
  const auto& p = *parsed;
  EXPECT_EQ(p.name, "release");
  EXPECT_EQ(p.description, "Everything passes on the simulator.");
  EXPECT_EQ(p.maxAgeDays, 7);
  EXPECT_EQ(p.warnings, WarningPolicy::Fail);
  EXPECT_EQ(p.file, "release.xml");
  EXPECT_EQ(p.sha256.size(), 64u);
  ASSERT_EQ(p.requirements.size(), 2u);
  EXPECT_EQ(p.requirements[0].id, "dda");
  EXPECT_THAT(p.requirements[0].tags, ElementsAre("dda", "t4"));
  EXPECT_THAT(p.requirements[0].rigClasses, ElementsAre("sim", "t4-server"));
  EXPECT_TRUE(p.requirements[0].scenarios.empty());
  EXPECT_FALSE(p.requirements[0].warnings);
  EXPECT_EQ(p.requirements[0].line, 6);
  EXPECT_THAT(p.requirements[1].scenarios, ElementsAre("t4-*-no-mitigation*"));
  EXPECT_EQ(p.requirements[1].warnings, WarningPolicy::Pass);
  ASSERT_EQ(p.smoke.size(), 1u);
  EXPECT_EQ(p.smoke[0].rigClass, "t4-server");
  EXPECT_EQ(p.smoke[0].check, "h2d-bandwidth");
  EXPECT_DOUBLE_EQ(p.smoke[0].min, 10.5);
  EXPECT_EQ(p.smoke[0].unit, "GB/s");
  EXPECT_EQ(p.smoke[0].line, 8);
  EXPECT_TRUE(p.usesTags());
}

TEST(PolicyTest, DefaultsAreStrictAndAgeless) {
  auto parsed = parsePolicy(policyWith(kRequire), "p.xml");
  ASSERT_TRUE(parsed) << toString(parsed.error());
  EXPECT_EQ(parsed->warnings, WarningPolicy::Fail);
  EXPECT_FALSE(parsed->maxAgeDays);
  EXPECT_FALSE(parsed->usesTags());
}

TEST(PolicyTest, TheShippedPoliciesAreValid) {
  for (const auto* path : {"scenarios/policies/release.xml", "scenarios/policies/nightly-rigs.xml",
                           "scenarios/policies/pester.xml"}) {
    std::ifstream in(path);
    ASSERT_TRUE(in) << path << " (tests run from the project root)";
    std::stringstream text;
    text << in.rdbuf();
    auto parsed = parsePolicy(text.str(), path);
    ASSERT_TRUE(parsed) << toString(parsed.error());
    EXPECT_FALSE(parsed->requirements.empty());
  }
}

TEST(PolicyTest, SyntaxErrorNamesItsLine) {
  EXPECT_THAT(onlyError("<policy name=\"p\">\n  <require id=\"a\"\n</policy>\n"),
              HasSubstr("XML syntax error"));
}

TEST(PolicyTest, WrongRootElement) {
  EXPECT_EQ(onlyError("<?xml version=\"1.0\"?>\n<scenario name=\"x\"/>\n"),
            "2: root element is <scenario>; expected <policy name=\"...\">");
}

TEST(PolicyTest, UnknownAttributeOnPolicy) {
  EXPECT_EQ(onlyError(policyWith(kRequire, "name=\"p\" colour=\"red\"")),
            "2: unknown attribute 'colour' on <policy>; expected one of name, max-age-days, "
            "warnings");
}

TEST(PolicyTest, UnknownAttributeOnRequire) {
  EXPECT_EQ(onlyError(policyWith(R"(  <require id="a" tags="dda" rig-classes="sim" rig="x"/>)")),
            "3: unknown attribute 'rig' on <require>; expected one of id, scenarios, tags, "
            "rig-classes, warnings");
  EXPECT_EQ(
      onlyError(policyWith(R"(  <require id="a" tags="dda" rig-classes="sim" warning="pass"/>)")),
      "3: unknown attribute 'warning' on <require>; expected one of id, scenarios, tags, "
      "rig-classes, warnings (did you mean 'warnings'?)");
}

TEST(PolicyTest, UnknownElement) {
  EXPECT_THAT(onlyError(policyWith(std::string{kRequire} + "\n  <waiver id=\"x\"/>")),
              AllOf(HasSubstr("4: unknown element <waiver> inside <policy>"),
                    HasSubstr("description, require, smoke")));
}

TEST(PolicyTest, MissingName) {
  EXPECT_EQ(onlyError(policyWith(kRequire, "max-age-days=\"3\"")),
            "2: <policy> needs the attribute 'name'");
}

TEST(PolicyTest, BadMaxAge) {
  EXPECT_THAT(onlyError(policyWith(kRequire, "name=\"p\" max-age-days=\"a week\"")),
              HasSubstr("2: max-age-days=\"a week\" on <policy>: expected a whole number"));
  EXPECT_THAT(onlyError(policyWith(kRequire, "name=\"p\" max-age-days=\"0\"")),
              HasSubstr("2: max-age-days=\"0\""));
}

TEST(PolicyTest, BadWarnings) {
  EXPECT_EQ(onlyError(policyWith(kRequire, "name=\"p\" warnings=\"ignore\"")),
            "2: warnings=\"ignore\" on <policy>: expected one of fail, pass");
  EXPECT_EQ(
      onlyError(policyWith(R"(  <require id="a" tags="x" rig-classes="sim" warnings="yes"/>)")),
      "3: warnings=\"yes\" on <require>: expected one of fail, pass");
}

TEST(PolicyTest, NoRequirement) {
  EXPECT_THAT(onlyError(policyWith("  <description>nothing</description>")),
              HasSubstr("2: <policy> needs at least one <require"));
}

TEST(PolicyTest, RequireNeedsAnId) {
  EXPECT_EQ(onlyError(policyWith(R"(  <require tags="dda" rig-classes="sim"/>)")),
            "3: <require> needs the attribute 'id'");
}

TEST(PolicyTest, DuplicateIdIsReportedAtTheSecond) {
  EXPECT_EQ(onlyError(policyWith(std::string{kRequire} + "\n" + kRequire)),
            "4: id=\"all\" on <require>: another requirement has this id");
}

TEST(PolicyTest, RequireNeedsScenariosOrTags) {
  EXPECT_THAT(onlyError(policyWith(R"(  <require id="a" rig-classes="sim"/>)")),
              HasSubstr("3: <require> needs scenarios=\"GLOB ...\" or tags=\"TAG ...\""));
}

TEST(PolicyTest, RequireNeedsRigClasses) {
  EXPECT_EQ(onlyError(policyWith(R"(  <require id="a" tags="dda"/>)")),
            "3: <require> needs the attribute 'rig-classes'");
  EXPECT_THAT(onlyError(policyWith(R"(  <require id="a" tags="dda" rig-classes=" "/>)")),
              HasSubstr("3: rig-classes=\"\" on <require>"));
}

TEST(PolicyTest, BadRigClassName) {
  EXPECT_THAT(
      onlyError(policyWith(R"(  <require id="a" tags="dda" rig-classes="sim T4_Server"/>)")),
      HasSubstr("3: rig-classes=\"sim T4_Server\" on <require>: 'T4_Server' is not a rig "
                "class name"));
  EXPECT_THAT(onlyError(policyWith(R"(  <require id="a" tags="dda" rig-classes="sim sim"/>)")),
              HasSubstr("'sim' is listed twice"));
}

TEST(PolicyTest, RequireTakesNoChildren) {
  EXPECT_THAT(onlyError(policyWith("  <require id=\"a\" tags=\"dda\" rig-classes=\"sim\">\n"
                                   "    <scenario name=\"x\"/>\n  </require>")),
              HasSubstr("4: unknown element <scenario> inside <require>"));
}

TEST(PolicyTest, SmokeNeedsAKnownNumericCheck) {
  EXPECT_THAT(
      onlyError(policyWith(std::string{kRequire} +
                           "\n  <smoke rig-class=\"sim\" check=\"device-name\" min=\"1\"/>")),
      AllOf(HasSubstr("4: check=\"device-name\" on <smoke>: not a smoke check with a "
                      "minimum"),
            HasSubstr("h2d-bandwidth")));
}

TEST(PolicyTest, SmokeNeedsANumericMinimum) {
  EXPECT_THAT(onlyError(policyWith(std::string{kRequire} +
                                   "\n  <smoke rig-class=\"sim\" check=\"h2d-bandwidth\" "
                                   "min=\"fast\"/>")),
              HasSubstr("4: min=\"fast\" on <smoke>: expected a number"));
  EXPECT_EQ(onlyError(policyWith(std::string{kRequire} +
                                 "\n  <smoke rig-class=\"sim\" check=\"h2d-bandwidth\"/>")),
            "4: <smoke> needs the attribute 'min'");
}

TEST(PolicyTest, EveryProblemIsReportedInLineOrder) {
  auto parsed = parsePolicy(policyWith("  <require id=\"a\" rig-classes=\"sim\"/>\n"
                                       "  <smoke check=\"h2d-bandwidth\" min=\"x\"/>",
                                       "max-age-days=\"-1\""),
                            "p.xml");
  ASSERT_FALSE(parsed);
  ASSERT_GE(parsed.error().size(), 4u);
  for (std::size_t i = 1; i < parsed.error().size(); ++i) {
    EXPECT_LE(parsed.error()[i - 1].line, parsed.error()[i].line);
  }
  EXPECT_EQ(parsed.error().front().line, 2);
  EXPECT_EQ(parsed.error().back().line, 4);
}

} // namespace
} // namespace hil::reports
