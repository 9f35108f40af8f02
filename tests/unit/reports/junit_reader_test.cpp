#include "reports/junit_reader.h"

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "framework/runner/results.h"
#include "reports/junit_writer.h"

using hil::Diagnostic;
using hil::reports::readJunit;
using hil::reports::toJunitXml;
using hil::runner::CaseResult;
using hil::runner::CaseStatus;
using hil::runner::RunReport;
using hil::runner::SuiteResult;
using testing::ElementsAre;
using testing::EndsWith;
using testing::HasSubstr;
using testing::StartsWith;

namespace {

CaseResult caseOf(std::string suite, std::string name, CaseStatus status, double seconds) {
  CaseResult c;
  c.suite = std::move(suite);
  c.name = std::move(name);
  c.status = status;
  c.seconds = seconds;
  return c;
}

/// What a simulator run writes: every status, a multi-line detail, logs, properties, a timestamp.
RunReport ourReport() {
  SuiteResult dda;
  dda.name = "dda/t4";
  dda.timestamp = "2024-05-01T10:11:12";
  dda.properties = {{"backend", "sim"}, {"rig", "simulator"}, {"gpu", "tesla-t4 | nvidia-a2"}};
  auto passed = caseOf(dda.name, "t4-dda-server-2019", CaseStatus::Passed, 1.25);
  passed.log = {"-- line 9: <deploy>", "dismounted PCIROOT(0)#PCI(0100)", "ok"};
  auto failed = caseOf(dda.name, "t4-gpu-count", CaseStatus::Failed, 0.5);
  failed.failureType = "gpu-count";
  failed.failureMessage = "t4.xml:12: expected result=ok";
  failed.failureDetail = "t4.xml:12: expected result=ok\nt4.xml:14: expected vm-gpu=dda";
  failed.log = {"requested 2 GPUs, found 1"};
  auto skipped = caseOf(dda.name, "t4-on-rig", CaseStatus::Skipped, 0);
  skipped.skipReason = "no rig with a T4";
  dda.cases = {passed, failed, skipped};

  SuiteResult pv;
  pv.name = "gpu-pv/rtx";
  pv.properties = {{"backend", "sim"}, {"rig", "simulator"}};
  pv.cases = {caseOf(pv.name, "rtx-3060-pro", CaseStatus::Passed, 0.042)};

  RunReport report;
  report.suites = {dda, pv};
  report.seconds = 2.5;
  report.timestamp = "2024-05-02T00:00:00"; // given to the suites that have none
  return report;
}

RunReport read(const std::string& xml, const std::string& file = "in.xml") {
  auto parsed = readJunit(xml, file);
  EXPECT_TRUE(parsed.has_value()) << (parsed ? "" : hil::toString(parsed.error()));
  return parsed ? std::move(*parsed) : RunReport{};
}

std::vector<std::string> describe(const hil::Diagnostics& diagnostics) {
  std::vector<std::string> out;
  for (const Diagnostic& d : diagnostics) {
    out.push_back(d.toString());
  }
  return out;
}

TEST(JunitReader, RoundTripKeepsWhatTheWriterWrote) {
  const RunReport back = read(toJunitXml(ourReport()), "run.xml");

  ASSERT_EQ(back.suites.size(), 2U);
  EXPECT_DOUBLE_EQ(back.seconds, 2.5);
  const SuiteResult& dda = back.suites[0];
  EXPECT_EQ(dda.name, "dda/t4");
  EXPECT_EQ(dda.file, "run.xml");
  EXPECT_EQ(dda.timestamp, "2024-05-01T10:11:12");
  EXPECT_EQ(dda.properties, (std::map<std::string, std::string>{
                                {"backend", "sim"},
                                {"gpu", "tesla-t4 | nvidia-a2"},
                                {"rig", "simulator"},
                            }));
  ASSERT_EQ(dda.cases.size(), 3U);

  const CaseResult& passed = dda.cases[0];
  EXPECT_EQ(passed.suite, "dda/t4");
  EXPECT_EQ(passed.name, "t4-dda-server-2019");
  EXPECT_EQ(passed.status, CaseStatus::Passed);
  EXPECT_DOUBLE_EQ(passed.seconds, 1.25);
  EXPECT_THAT(passed.log,
              ElementsAre("-- line 9: <deploy>", "dismounted PCIROOT(0)#PCI(0100)", "ok"));
  EXPECT_EQ(passed.properties, dda.properties); // a case carries its suite's properties
  EXPECT_EQ(passed.file, "run.xml");
  EXPECT_GT(passed.line, 0);

  const CaseResult& failed = dda.cases[1];
  EXPECT_EQ(failed.status, CaseStatus::Failed);
  EXPECT_EQ(failed.failureType, "gpu-count");
  EXPECT_EQ(failed.failureMessage, "t4.xml:12: expected result=ok");
  EXPECT_EQ(failed.failureDetail, "t4.xml:12: expected result=ok\nt4.xml:14: expected vm-gpu=dda");
  EXPECT_THAT(failed.log, ElementsAre("requested 2 GPUs, found 1"));

  const CaseResult& skipped = dda.cases[2];
  EXPECT_EQ(skipped.status, CaseStatus::Skipped);
  EXPECT_EQ(skipped.skipReason, "no rig with a T4");
  EXPECT_TRUE(skipped.log.empty());

  const SuiteResult& pv = back.suites[1];
  EXPECT_EQ(pv.name, "gpu-pv/rtx");
  EXPECT_EQ(pv.timestamp, "2024-05-02T00:00:00"); // the run's, as written
  ASSERT_EQ(pv.cases.size(), 1U);
  EXPECT_DOUBLE_EQ(pv.cases[0].seconds, 0.042);

  // Written again, the report gives the same bytes.
  EXPECT_EQ(toJunitXml(back), toJunitXml(ourReport()));
}

TEST(JunitReader, ATestcasesOwnPropertiesWinOverItsSuites) {
  RunReport report = ourReport();
  report.suites[0].cases[0].properties = {{"gpu", "tesla-t4"}, {"technique", "None"}};
  const RunReport back = read(toJunitXml(report, {.extensions = true}), "rich.xml");
  ASSERT_EQ(back.suites.size(), 2U);
  const auto& first = back.suites[0].cases.at(0).properties;
  EXPECT_EQ(first.at("gpu"), "tesla-t4");   // the case's own value
  EXPECT_EQ(first.at("technique"), "None"); // only the case has it
  EXPECT_EQ(first.at("backend"), "sim");    // the suite's, shared
  EXPECT_EQ(back.suites[0].cases.at(1).properties.at("gpu"), "tesla-t4 | nvidia-a2");
}

TEST(JunitReader, ReadsABareTestsuiteRoot) {
  const RunReport report = read(R"(<?xml version="1.0"?>
<testsuite name="pytest" tests="2" time="1,234.5" timestamp="2024-01-01T00:00:00">
  <testcase classname="tests.test_a" name="test_one" time="0.5"/>
  <testcase name="test_two" time="bad"/>
</testsuite>
)");
  ASSERT_EQ(report.suites.size(), 1U);
  EXPECT_DOUBLE_EQ(report.seconds, 1234.5);
  const SuiteResult& suite = report.suites[0];
  EXPECT_EQ(suite.name, "pytest");
  EXPECT_EQ(suite.timestamp, "2024-01-01T00:00:00");
  ASSERT_EQ(suite.cases.size(), 2U);
  EXPECT_EQ(suite.cases[0].suite, "tests.test_a");
  EXPECT_DOUBLE_EQ(suite.cases[0].seconds, 0.5);
  EXPECT_TRUE(suite.cases[0].timed);
  EXPECT_EQ(suite.cases[1].suite, "pytest"); // no classname: the suite's name
  EXPECT_DOUBLE_EQ(suite.cases[1].seconds, 0.0);
  EXPECT_FALSE(suite.cases[1].timed); // a time it cannot read is no time
}

TEST(JunitReader, KnowsWhetherATestcaseHadATime) {
  const RunReport report = read(R"(<testsuite name="s">
  <testcase name="fast" time="0.000"/>
  <testcase name="untimed"/>
</testsuite>
)");
  ASSERT_EQ(report.suites.at(0).cases.size(), 2U);
  EXPECT_TRUE(report.suites[0].cases[0].timed); // under a millisecond, and known
  EXPECT_FALSE(report.suites[0].cases[1].timed);
}

TEST(JunitReader, FlattensNestedSuites) {
  const RunReport report = read(R"(<testsuites>
  <testsuite name="outer">
    <testsuite name="inner-a"><testcase name="a1"/></testsuite>
    <testsuite name="inner-b"><testcase name="b1"/><testcase name="b2"/></testsuite>
  </testsuite>
  <testsuite name="mixed">
    <testcase name="m1"/>
    <testsuite name="mixed-inner"><testcase name="mi1"/></testsuite>
  </testsuite>
</testsuites>)");
  std::vector<std::string> names;
  for (const auto& suite : report.suites) {
    names.push_back(suite.name + ":" + std::to_string(suite.cases.size()));
  }
  // A suite that only holds suites is not a suite of its own; one with cases is.
  EXPECT_THAT(names, ElementsAre("inner-a:1", "inner-b:2", "mixed:1", "mixed-inner:1"));
}

TEST(JunitReader, ReadsErrorsAndSkipsAsOtherProducersWriteThem) {
  const RunReport report = read(R"(<testsuites>
  <testsuite name="s">
    <testcase name="crashed"><error type="SIGSEGV" message="segfault">core dumped</error></testcase>
    <testcase name="untyped"><error message="boom"/></testcase>
    <testcase name="skip-attribute"><skipped message="x"/></testcase>
    <testcase name="skip-text"><skipped>not on this rig</skipped></testcase>
    <testcase name="skip-bare"><skipped/></testcase>
    <testcase name="two-failures">
      <failure type="first" message="one">detail one
</failure>
      <failure type="second" message="two">detail two</failure>
    </testcase>
  </testsuite>
</testsuites>)");
  ASSERT_EQ(report.suites.size(), 1U);
  const auto& cases = report.suites[0].cases;
  ASSERT_EQ(cases.size(), 6U);

  EXPECT_EQ(cases[0].status, CaseStatus::Failed);
  EXPECT_EQ(cases[0].failureType, "SIGSEGV");
  EXPECT_EQ(cases[0].failureMessage, "segfault");
  EXPECT_EQ(cases[0].failureDetail, "core dumped");

  EXPECT_EQ(cases[1].status, CaseStatus::Failed);
  EXPECT_EQ(cases[1].failureType, "error"); // no type: the element's name
  EXPECT_EQ(cases[1].failureMessage, "boom");

  EXPECT_EQ(cases[2].status, CaseStatus::Skipped);
  EXPECT_EQ(cases[2].skipReason, "x");
  EXPECT_EQ(cases[3].status, CaseStatus::Skipped);
  EXPECT_EQ(cases[3].skipReason, "not on this rig");
  EXPECT_EQ(cases[4].status, CaseStatus::Skipped);
  EXPECT_EQ(cases[4].skipReason, "");

  // The first failure names the case; the details of all of them are kept.
  EXPECT_EQ(cases[5].status, CaseStatus::Failed);
  EXPECT_EQ(cases[5].failureType, "first");
  EXPECT_EQ(cases[5].failureMessage, "one");
  EXPECT_EQ(cases[5].failureDetail, "detail one\ndetail two");
}

/// Real Pester 6.2 output (tests/powershell/pester/make_sample.sh); tests run from the root.
std::string pesterSample() {
  std::ifstream in("tests/data/pester-junit.xml");
  EXPECT_TRUE(in) << "tests/data/pester-junit.xml (tests run from the project root)";
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(JunitReader, ReadsPesterJunitAsPesterWroteIt) {
  const RunReport report = read(pesterSample(), "pester-junit.xml");
  // One suite per test file, named as Pester names it; backend and rig say whose it is.
  ASSERT_EQ(report.suites.size(), 2U);
  const SuiteResult& outcomes = report.suites[0];
  EXPECT_THAT(outcomes.name, EndsWith("/tests/powershell/pester/sample/Outcomes.Sample.ps1"));
  EXPECT_THAT(report.suites[1].name, EndsWith("/sample/Teardown.Sample.ps1"));
  EXPECT_EQ(outcomes.properties.at("backend"), "pester");
  EXPECT_EQ(outcomes.properties.at("rig"), outcomes.properties.at("machine-name"));
  EXPECT_EQ(outcomes.properties.at("framework-version"), "6.2.0");
  EXPECT_FALSE(outcomes.timestamp.empty());

  const auto& cases = outcomes.cases;
  ASSERT_EQ(cases.size(), 5U);
  std::vector<std::string> names;
  for (const auto& c : cases) {
    names.push_back(c.name);
    EXPECT_EQ(c.suite, outcomes.name); // Pester's classname is the file too
    EXPECT_EQ(c.properties.at("backend"), "pester");
  }
  EXPECT_THAT(
      names, ElementsAre("GpuPassthrough.dda/t4-dda-server-2019",
                         "GpuPassthrough.rules/gpu-name-not-found",
                         "GpuPassthrough.rules/home-t4-unsupported-edition",
                         "GpuPassthrough.rollback.faults/dda-fault-add-assignable-device-error",
                         "GpuPassthrough.rollback.faults/gpupv-fault-add-partition-adapter-error"));
  EXPECT_EQ(cases[0].status, CaseStatus::Passed);

  // Should's explanation spans lines: its first is the message, all of it heads the detail.
  EXPECT_EQ(cases[1].status, CaseStatus::Failed);
  EXPECT_EQ(cases[1].failureType, "failure");
  EXPECT_EQ(cases[1].failureMessage, "Expected strings to be the same, but they were different.");
  EXPECT_THAT(cases[1].failureDetail, StartsWith(cases[1].failureMessage + "\n"));
  EXPECT_THAT(cases[1].failureDetail, HasSubstr("Expected: 'gpu-not-found'"));
  EXPECT_THAT(cases[1].failureDetail, HasSubstr("Outcomes.Sample.ps1:5"));

  // -Skip gives no reason; Set-ItResult's -Because is the message, not the stack trace.
  EXPECT_EQ(cases[2].status, CaseStatus::Skipped);
  EXPECT_EQ(cases[2].skipReason, "");
  EXPECT_EQ(cases[3].status, CaseStatus::Skipped);
  EXPECT_EQ(cases[3].skipReason, "Exception: is skipped, because no rig with a T4");
  EXPECT_EQ(cases[4].status, CaseStatus::Skipped); // Inconclusive did not pass either
  EXPECT_EQ(cases[4].skipReason, "Exception: is inconclusive, because the VM did not answer");

  EXPECT_EQ(report.count(CaseStatus::Passed), 2);
  EXPECT_EQ(report.count(CaseStatus::Failed), 1);
  EXPECT_EQ(report.count(CaseStatus::Skipped), 3);
}

TEST(JunitReader, APesterSuiteWrittenBackByUsIsReadAsOurs) {
  // Merged, the suite carries backend=pester and our one-line message; read again, it stays.
  const RunReport back = read(toJunitXml(read(pesterSample())));
  ASSERT_EQ(back.suites.size(), 2U);
  EXPECT_EQ(back.suites[0].properties.at("backend"), "pester");
  const auto& failed = back.suites[0].cases[1];
  EXPECT_EQ(failed.failureMessage, "Expected strings to be the same, but they were different.");
  EXPECT_EQ(back.suites[0].cases[3].skipReason, "Exception: is skipped, because no rig with a T4");

  // Pester's properties beside a backend of its own: not Pester's suite.
  const RunReport other = read(R"(<testsuites><testsuite name="s">
  <properties><property name="junit-version" value="4"/>
    <property name="framework-version" value="6.2.0"/><property name="backend" value="sim"/>
  </properties>
  <testcase name="t"><skipped message="why">where</skipped></testcase>
</testsuite></testsuites>)");
  EXPECT_EQ(other.suites[0].properties.at("backend"), "sim");
  EXPECT_EQ(other.suites[0].cases[0].skipReason, "where");
}

TEST(JunitReader, MalformedXmlIsAnErrorAtItsLine) {
  auto parsed = readJunit("<testsuites>\n  <testsuite name=\"s\">\n    <testcase name=\"a\">\n"
                          "  </testsuite>\n</testsuites>\n",
                          "shard-1.xml");
  ASSERT_FALSE(parsed.has_value());
  ASSERT_EQ(parsed.error().size(), 1U);
  EXPECT_EQ(parsed.error()[0].file, "shard-1.xml");
  EXPECT_GE(parsed.error()[0].line, 3);
  EXPECT_THAT(parsed.error()[0].toString(), HasSubstr("shard-1.xml:"));
}

TEST(JunitReader, TruncatedAndEmptyFilesAreErrors) {
  const std::string whole = toJunitXml(ourReport());
  auto truncated = readJunit(whole.substr(0, whole.size() / 2), "cut.xml");
  ASSERT_FALSE(truncated.has_value());
  EXPECT_EQ(truncated.error()[0].file, "cut.xml");
  EXPECT_GT(truncated.error()[0].line, 0);

  auto empty = readJunit("", "empty.xml");
  ASSERT_FALSE(empty.has_value());
  EXPECT_THAT(describe(empty.error()), ElementsAre(HasSubstr("empty.xml:")));
}

TEST(JunitReader, TestcaseAndTestsuiteWithoutNameAreErrorsAtTheirLines) {
  auto parsed = readJunit(R"(<testsuites>
  <testsuite name="s">
    <testcase name="fine"/>
    <testcase classname="s" time="1"/>
  </testsuite>
  <testsuite>
    <testcase name="x"/>
  </testsuite>
</testsuites>
)",
                          "nameless.xml");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_THAT(describe(parsed.error()), ElementsAre("nameless.xml:4: <testcase> has no name",
                                                    "nameless.xml:6: <testsuite> has no name"));
}

TEST(JunitReader, AnotherRootIsAnError) {
  auto parsed = readJunit("<?xml version=\"1.0\"?>\n<scenario name=\"x\"/>\n", "scenario.xml");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_THAT(describe(parsed.error()),
              ElementsAre(HasSubstr("scenario.xml:2: root element is <scenario>")));
}

} // namespace
