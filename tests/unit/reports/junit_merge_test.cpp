#include "reports/junit_merge.h"

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pugixml.hpp>

#include "framework/runner/results.h"
#include "reports/junit_reader.h"
#include "reports/junit_writer.h"

using hil::reports::JunitInput;
using hil::reports::mergeJunit;
using hil::reports::toJunitXml;
using hil::runner::CaseResult;
using hil::runner::CaseStatus;
using hil::runner::RunReport;
using hil::runner::SuiteResult;
using testing::ElementsAre;
using testing::EndsWith;
using testing::HasSubstr;

namespace {

CaseResult caseOf(std::string name, CaseStatus status, double seconds) {
  CaseResult c;
  c.name = std::move(name);
  c.status = status;
  c.seconds = seconds;
  if (status == CaseStatus::Failed) {
    c.failureType = "gpu-count";
    c.failureMessage = "expected result=ok";
  } else if (status == CaseStatus::Skipped) {
    c.skipReason = "no rig";
  }
  return c;
}

SuiteResult suiteOf(std::string name, std::string backend, std::string rig,
                    std::vector<CaseResult> cases) {
  SuiteResult suite;
  suite.name = std::move(name);
  suite.properties = {{"backend", std::move(backend)}, {"rig", std::move(rig)}};
  for (auto& c : cases) {
    c.suite = suite.name;
  }
  suite.cases = std::move(cases);
  return suite;
}

JunitInput fileOf(std::string path, std::vector<SuiteResult> suites, double seconds,
                  std::string timestamp = "2024-05-01T10:00:00") {
  RunReport report;
  report.suites = std::move(suites);
  report.seconds = seconds;
  report.timestamp = std::move(timestamp);
  return {std::move(path), toJunitXml(report)};
}

RunReport merged(const std::vector<JunitInput>& inputs) {
  auto result = mergeJunit(inputs);
  EXPECT_TRUE(result.has_value()) << (result ? "" : hil::toString(result.error()));
  return result ? std::move(*result) : RunReport{};
}

std::vector<std::string> suiteNames(const RunReport& report) {
  std::vector<std::string> names;
  for (const auto& suite : report.suites) {
    names.push_back(suite.name);
  }
  return names;
}

std::vector<std::string> caseNames(const SuiteResult& suite) {
  std::vector<std::string> names;
  for (const auto& c : suite.cases) {
    names.push_back(c.name);
  }
  return names;
}

pugi::xml_document parse(const std::string& xml) {
  pugi::xml_document doc;
  EXPECT_TRUE(doc.load_string(xml.c_str()));
  return doc;
}

TEST(JunitMerge, ShardsOfOneSuiteBecomeOneSuite) {
  auto shard0 = suiteOf("dda/t4", "sim", "simulator",
                        {caseOf("a", CaseStatus::Passed, 1.0), caseOf("c", CaseStatus::Failed, 2)});
  shard0.properties["seed"] = "11";
  shard0.properties["gpu"] = "tesla-t4";
  auto shard1 = suiteOf("dda/t4", "sim", "simulator", {caseOf("b", CaseStatus::Skipped, 0.5)});
  shard1.properties["seed"] = "12";
  shard1.properties["gpu"] = "tesla-t4";
  const auto report = merged({fileOf("shard-0.xml", {shard0}, 3.0, "2024-05-01T10:00:05"),
                              fileOf("shard-1.xml", {shard1}, 0.5, "2024-05-01T09:59:59")});

  ASSERT_EQ(report.suites.size(), 1U);
  const SuiteResult& suite = report.suites[0];
  EXPECT_EQ(suite.name, "dda/t4");
  EXPECT_THAT(caseNames(suite), ElementsAre("a", "c", "b")); // input order
  EXPECT_EQ(suite.timestamp, "2024-05-01T09:59:59");         // the earliest
  EXPECT_EQ(
      suite.properties,
      (std::map<std::string, std::string>{
          {"backend", "sim"}, {"gpu", "tesla-t4"}, {"rig", "simulator"}, {"seed", "11 | 12"}}));
  EXPECT_EQ(report.count(CaseStatus::Passed), 1);
  EXPECT_EQ(report.count(CaseStatus::Failed), 1);
  EXPECT_EQ(report.count(CaseStatus::Skipped), 1);
  EXPECT_DOUBLE_EQ(report.seconds, 3.5);
}

TEST(JunitMerge, CountsAndTimesAreSummedInTheWrittenFile) {
  const auto report = merged(
      {fileOf("a.xml",
              {suiteOf("dda/t4", "sim", "simulator",
                       {caseOf("a", CaseStatus::Passed, 1.25), caseOf("b", CaseStatus::Failed, 2)}),
               suiteOf("gpu-pv/rtx", "sim", "simulator", {caseOf("p", CaseStatus::Passed, 0.5)})},
              4.0),
       fileOf("b.xml",
              {suiteOf("dda/t4", "sim", "simulator", {caseOf("c", CaseStatus::Skipped, 0.125)})},
              1.5)});
  const auto doc = parse(toJunitXml(report));
  const auto root = doc.child("testsuites");
  EXPECT_STREQ(root.attribute("tests").value(), "4");
  EXPECT_STREQ(root.attribute("failures").value(), "1");
  EXPECT_STREQ(root.attribute("time").value(), "5.500");
  const auto dda = root.find_child_by_attribute("testsuite", "name", "dda/t4");
  ASSERT_TRUE(dda);
  EXPECT_STREQ(dda.attribute("tests").value(), "3");
  EXPECT_STREQ(dda.attribute("failures").value(), "1");
  EXPECT_STREQ(dda.attribute("skipped").value(), "1");
  EXPECT_STREQ(dda.attribute("time").value(), "3.375");
  const auto pv = root.find_child_by_attribute("testsuite", "name", "gpu-pv/rtx");
  ASSERT_TRUE(pv);
  EXPECT_STREQ(pv.attribute("tests").value(), "1");
  EXPECT_THAT(suiteNames(report), ElementsAre("dda/t4", "gpu-pv/rtx")); // first appearance
}

TEST(JunitMerge, OtherBackendsAndRigsStayApartUnderASuffix) {
  const auto report = merged(
      {fileOf("sim.xml",
              {suiteOf("dda/t4", "sim", "simulator", {caseOf("a", CaseStatus::Passed, 1)}),
               suiteOf("only-sim", "sim", "simulator", {caseOf("s", CaseStatus::Passed, 1)})},
              2),
       fileOf("rig.xml",
              {suiteOf("dda/t4", "real", "t4-server", {caseOf("a", CaseStatus::Failed, 1)})}, 1),
       fileOf("replay.xml",
              {suiteOf("dda/t4", "replay", "t4-server", {caseOf("a", CaseStatus::Passed, 1)}),
               suiteOf("dda/t4", "sim", "simulator", {caseOf("b", CaseStatus::Passed, 1)})},
              1)});
  EXPECT_THAT(suiteNames(report),
              ElementsAre("dda/t4 [sim/simulator]", "only-sim", "dda/t4 [real/t4-server]",
                          "dda/t4 [replay/t4-server]"));
  EXPECT_THAT(caseNames(report.suites[0]), ElementsAre("a", "b"));
  EXPECT_EQ(report.suites[2].properties.at("rig"), "t4-server");
  EXPECT_EQ(report.suites[2].cases[0].status, CaseStatus::Failed);

  // Consumers that merge by name keep them apart: the classname carries the suffix.
  const auto doc = parse(toJunitXml(report));
  const auto real = doc.child("testsuites")
                        .find_child_by_attribute("testsuite", "name", "dda/t4 [real/t4-server]");
  ASSERT_TRUE(real);
  EXPECT_STREQ(real.child("testcase").attribute("classname").value(), "dda.t4 [real/t4-server]");
}

TEST(JunitMerge, MergingAMergedFileAgainIsStable) {
  const auto first = merged(
      {fileOf("sim.xml",
              {suiteOf("dda/t4", "sim", "simulator", {caseOf("a", CaseStatus::Passed, 1)})}, 1),
       fileOf("rig.xml",
              {suiteOf("dda/t4", "real", "t4-server", {caseOf("a", CaseStatus::Passed, 1)})}, 1)});
  auto day2 = suiteOf("dda/t4", "real", "t4-server", {caseOf("a", CaseStatus::Failed, 1)});
  day2.properties["seed"] = "2";
  auto merged1 = first;
  merged1.suites[1].properties["seed"] = "1 | 3";
  const auto again = merged(
      {{"merged.xml", toJunitXml(merged1)}, fileOf("day2.xml", {day2}, 1, "2024-05-02T10:00:00")});
  EXPECT_THAT(suiteNames(again), ElementsAre("dda/t4 [sim/simulator]", "dda/t4 [real/t4-server]"));
  EXPECT_THAT(caseNames(again.suites[1]), ElementsAre("a", "a"));
  EXPECT_EQ(again.suites[1].properties.at("seed"), "1 | 3 | 2"); // joined values not repeated
  EXPECT_EQ(again.suites[1].timestamp, "2024-05-01T10:00:00");
}

TEST(JunitMerge, TheSameFileTwiceIsMergedOnceAndSaidSo) {
  const auto run =
      fileOf("run.xml",
             {suiteOf("dda/t4", "sim", "simulator",
                      {caseOf("a", CaseStatus::Passed, 1), caseOf("b", CaseStatus::Failed, 1)})},
             2);
  const JunitInput copy{"copy/run.xml", run.text};
  std::vector<std::string> notes;
  const auto result = mergeJunit({run, copy}, &notes);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->total(), 2); // not 4
  EXPECT_EQ(result->count(CaseStatus::Failed), 1);
  EXPECT_THAT(notes, ElementsAre("copy/run.xml: the same content as run.xml; merged once"));
}

TEST(JunitMerge, ATestcaseSeenAgainFromTheSameRunIsKeptOnce) {
  // The merged file already holds run.xml's cases; merging run.xml into it again (as a CI job
  // that re-merges its inputs would) must not count them twice.
  const auto run = fileOf(
      "run.xml", {suiteOf("dda/t4", "sim", "simulator", {caseOf("a", CaseStatus::Passed, 1)})}, 1);
  const auto day2 = fileOf(
      "day2.xml", {suiteOf("dda/t4", "sim", "simulator", {caseOf("a", CaseStatus::Failed, 1)})}, 1,
      "2024-05-02T10:00:00");
  const auto other =
      fileOf("other.xml",
             {suiteOf("gpu-pv/rtx", "sim", "simulator", {caseOf("p", CaseStatus::Passed, 1)})}, 1);
  const JunitInput once{"merged.xml", toJunitXml(merged({run, other}))};
  std::vector<std::string> notes;
  const auto result = mergeJunit({once, run, day2}, &notes);
  ASSERT_TRUE(result.has_value());
  ASSERT_EQ(result->suites.size(), 2U);
  // The same run once; another day's run of the same testcase is another result.
  EXPECT_THAT(caseNames(result->suites[0]), ElementsAre("a", "a"));
  EXPECT_EQ(result->total(), 3);
  ASSERT_EQ(notes.size(), 1U);
  EXPECT_THAT(notes[0], HasSubstr("run.xml:"));
  EXPECT_THAT(notes[0], HasSubstr("testcase 'a' of suite 'dda/t4' (sim/simulator, "
                                  "2024-05-01T10:00:00) was already merged"));
}

TEST(JunitMerge, SuitesWithoutBackendOrRigPropertiesMergeByName) {
  const auto report = merged(
      {{"pytest-1.xml", R"(<testsuite name="pytest"><testcase name="t1" time="1"/></testsuite>)"},
       {"pytest-2.xml", R"(<testsuite name="pytest"><testcase name="t2" time="2"/></testsuite>)"},
       fileOf("ours.xml",
              {suiteOf("pytest", "sim", "simulator", {caseOf("t3", CaseStatus::Passed, 1)})}, 1)});
  EXPECT_THAT(suiteNames(report),
              ElementsAre("pytest [unknown/unknown]", "pytest [sim/simulator]"));
  EXPECT_THAT(caseNames(report.suites[0]), ElementsAre("t1", "t2"));
  EXPECT_FALSE(report.suites[0].properties.contains("backend"));
}

/// Real Pester 6.2 output (tests/powershell/pester/make_sample.sh); tests run from the root.
JunitInput pesterSample() {
  std::ifstream in("tests/data/pester-junit.xml");
  EXPECT_TRUE(in) << "tests/data/pester-junit.xml (tests run from the project root)";
  std::stringstream text;
  text << in.rdbuf();
  return {"pester-junit.xml", text.str()};
}

TEST(JunitMerge, PesterSuitesStayApartUnderPestersNames) {
  const auto pester = pesterSample();
  const auto report =
      merged({fileOf("sim.xml",
                     {suiteOf("dda/t4-dda-server-2019.xml", "sim", "simulator",
                              {caseOf("t4-dda-server-2019", CaseStatus::Passed, 1)})},
                     1),
              pester});
  ASSERT_EQ(report.suites.size(), 3U);
  EXPECT_EQ(report.suites[0].name, "dda/t4-dda-server-2019.xml");
  EXPECT_THAT(report.suites[1].name, EndsWith("/sample/Outcomes.Sample.ps1")); // Pester's name
  EXPECT_THAT(report.suites[2].name, EndsWith("/sample/Teardown.Sample.ps1"));
  EXPECT_EQ(report.suites[1].properties.at("backend"), "pester");
  EXPECT_EQ(report.count(CaseStatus::Passed), 3);
  EXPECT_EQ(report.count(CaseStatus::Failed), 1);
  EXPECT_EQ(report.count(CaseStatus::Skipped), 3);

  // The same Pester file twice is one suite counted once; from another machine, another suite.
  auto elsewhere = pester;
  const auto at = elsewhere.text.find("name=\"machine-name\" value=\"");
  ASSERT_NE(at, std::string::npos);
  elsewhere.text.insert(at + std::string_view{"name=\"machine-name\" value=\""}.size(), "ci-");
  const auto twice = merged({pester, pester, elsewhere});
  ASSERT_EQ(twice.suites.size(), 3U);
  EXPECT_EQ(twice.suites[0].cases.size(), 5U);
  EXPECT_THAT(twice.suites[0].name, EndsWith("Outcomes.Sample.ps1 [pester/" +
                                             twice.suites[0].properties.at("machine-name") + "]"));
  EXPECT_THAT(twice.suites[2].name, HasSubstr("Outcomes.Sample.ps1 [pester/ci-"));

  // Merged again, the written file keeps them as they were.
  const auto again = merged({{"merged.xml", toJunitXml(report)}});
  EXPECT_EQ(suiteNames(again), suiteNames(report));
  EXPECT_EQ(again.suites[1].properties.at("backend"), "pester");
  EXPECT_EQ(again.count(CaseStatus::Skipped), 3);
}

TEST(JunitMerge, AnyMalformedInputFailsTheMergeNamingItsFileAndLine) {
  const auto good = fileOf(
      "good.xml", {suiteOf("s", "sim", "simulator", {caseOf("a", CaseStatus::Passed, 1)})}, 1);
  const auto truncated = JunitInput{"shard-1.xml", good.text.substr(0, good.text.size() - 40)};
  const auto nameless = JunitInput{"nameless.xml", "<testsuites>\n<testsuite name=\"s\">\n"
                                                   "<testcase time=\"1\"/>\n</testsuite>\n"
                                                   "</testsuites>\n"};
  auto result = mergeJunit({good, truncated, nameless});
  ASSERT_FALSE(result.has_value());
  std::vector<std::string> problems;
  for (const auto& d : result.error()) {
    problems.push_back(d.toString());
  }
  // Every bad file is reported, in input order; the good one is not.
  EXPECT_THAT(problems,
              ElementsAre(HasSubstr("shard-1.xml:"), "nameless.xml:3: <testcase> has no name"));
  EXPECT_GT(result.error()[0].line, 0);
}

TEST(JunitMerge, EmptyShardsAddNothing) {
  const auto report =
      merged({fileOf("empty.xml", {}, 0),
              fileOf("full.xml",
                     {suiteOf("s", "sim", "simulator", {caseOf("a", CaseStatus::Passed, 1)})}, 1)});
  EXPECT_THAT(suiteNames(report), ElementsAre("s"));
  EXPECT_EQ(report.total(), 1);
}

} // namespace
