#include "reports/html_report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace hil::reports {
namespace {

using runner::CaseResult;
using runner::CaseStatus;
using ::testing::HasSubstr;
using ::testing::Not;

const auto kNow = *parseTimestamp("2026-11-27T12:00:00");

CaseResult result(std::string name, std::string gpu, std::string windows, std::string technique,
                  CaseStatus status = CaseStatus::Passed) {
  CaseResult c;
  c.suite = name;
  c.name = std::move(name);
  c.status = status;
  c.properties = {{"backend", "sim"},
                  {"rig-class", "sim"},
                  {"gpu", std::move(gpu)},
                  {"windows-build", std::move(windows)},
                  {"technique", std::move(technique)},
                  {"warnings", "none"},
                  {"smoke.h2d-bandwidth", "11.4 GB/s"}};
  c.log = {"[   0.000s] deploy", "[   0.350s] hyperv.stop-vm EFLOW"};
  return c;
}

CertifyInput input(std::vector<CaseResult> cases) {
  CertifyInput in;
  in.path = "build/reports/demo-junit.xml";
  in.sha256 = sha256Hex("demo");
  for (auto& c : cases) {
    runner::SuiteResult suite;
    suite.name = c.suite;
    suite.timestamp = "2026-11-27T08:00:00";
    suite.cases.push_back(std::move(c));
    in.report.suites.push_back(std::move(suite));
  }
  return in;
}

Policy policy(std::vector<std::string> rigs = {"sim"}) {
  Policy p;
  p.name = "release";
  p.file = "scenarios/policies/release.xml";
  p.sha256 = sha256Hex("release");
  Requirement r;
  r.id = "all";
  r.scenarios = {"*"};
  r.rigClasses = std::move(rigs);
  p.requirements = {r};
  return p;
}

std::string report(std::vector<CaseResult> cases, std::vector<std::string> rigs = {"sim"}) {
  return htmlReport(certify(policy(std::move(rigs)), {input(std::move(cases))}, {}, kNow));
}

std::vector<CaseResult> twoRows() {
  auto broken = result("gpupv-3060", "geforce-rtx-3060", "professional 22621", "ParaVirtualization",
                       CaseStatus::Failed);
  broken.failureType = "driver-missing";
  broken.failureMessage = "the WSL CUDA driver is not installed";
  broken.failureDetail = "gpupv.xml:14: expected result ok, got error driver-missing";
  return {result("t4-dda-2019", "tesla-t4", "server 17763", "DirectDeviceAssignment"),
          result("t4-dda-2019-again", "tesla-t4", "server 17763", "DirectDeviceAssignment"),
          broken};
}

TEST(HtmlReportTest, TheVerdictComesFirst) {
  const auto certified = report({result("t4", "tesla-t4", "server 17763", "auto")});
  EXPECT_THAT(certified, HasSubstr("<header id=\"verdict\" class=\"verdict certified\""));
  EXPECT_THAT(certified, HasSubstr(">CERTIFIED</h1>"));
  EXPECT_LT(certified.find("id=\"verdict\""), certified.find("id=\"matrix\""));
  EXPECT_LT(certified.find("id=\"matrix\""), certified.find("id=\"details\""));

  const auto refused = report(twoRows());
  EXPECT_THAT(refused, HasSubstr("<header id=\"verdict\" class=\"verdict not-certified\""));
  EXPECT_THAT(refused, HasSubstr(">NOT CERTIFIED</h1>"));
  EXPECT_THAT(refused, HasSubstr("all on sim: gpupv-3060 failed: driver-missing: the WSL CUDA "
                                 "driver is not installed"));
}

TEST(HtmlReportTest, MatrixCellsPerCombinationAndRigClass) {
  const auto html = report(twoRows(), {"sim", "t4-server"});
  // Rows sort by GPU: the GeForce row is 0, the T4 row is 1; columns are sim, t4-server.
  EXPECT_THAT(html, HasSubstr("<td id=\"cell-0-0\" class=\"cell fail\" data-rig-class=\"sim\">"));
  EXPECT_THAT(html, HasSubstr("<td id=\"cell-1-0\" class=\"cell pass\" data-rig-class=\"sim\">"
                              "<a href=\"#group-1-0\">PASS<small>2</small></a></td>"));
  EXPECT_THAT(html, HasSubstr("<td id=\"cell-1-1\" class=\"cell notrun\" "
                              "data-rig-class=\"t4-server\">"));
  EXPECT_THAT(html, HasSubstr("<tr id=\"row-1\"><th class=\"gpu\" scope=\"rowgroup\" "
                              "rowspan=\"1\">tesla-t4</th><td>server</td><td>17763</td>"
                              "<td title=\"DirectDeviceAssignment\">DDA</td>"));
  // Cells link to details and details link back.
  EXPECT_THAT(html, HasSubstr("<section class=\"group\" id=\"group-1-0\">"));
  EXPECT_THAT(html, HasSubstr("href=\"#cell-1-0\""));
  // A single scenario's cell links straight to it.
  EXPECT_THAT(html, HasSubstr("id=\"cell-0-0\" class=\"cell fail\" data-rig-class=\"sim\"><a "
                              "href=\"#case-"));
}

TEST(HtmlReportTest, DetailsShowExpectedVersusActualLogAndSmoke) {
  const auto html = report(twoRows());
  EXPECT_THAT(html, HasSubstr("<details id=\"case-0\" class=\"case fail\">"));
  EXPECT_THAT(html, HasSubstr("<h4>Expected vs actual</h4>"));
  EXPECT_THAT(html, HasSubstr("gpupv.xml:14: expected result ok, got error driver-missing"));
  EXPECT_THAT(html, HasSubstr("hyperv.stop-vm EFLOW"));
  EXPECT_THAT(html, HasSubstr("<td>h2d-bandwidth</td><td>11.4 GB/s</td>"));
}

TEST(HtmlReportTest, EscapesEverythingItShows) {
  auto hostile = result("<script>alert(\"x\")</script>", "tesla-t4 & <b>", "server \"17763\"",
                        "auto'", CaseStatus::Failed);
  hostile.failureType = "<img src=x onerror=alert(1)>";
  hostile.failureMessage = "a & b < c \"quoted\" 'single'";
  hostile.failureDetail = "</pre><script>alert(2)</script>";
  hostile.log = {"<script>alert(3)</script>", "\x1b[31mred\x1b[0m & done"};
  hostile.skipReason = "<i>";
  auto p = policy();
  p.name = "<policy & \"name\">";
  const auto html = htmlReport(certify(p, {input({hostile})}, {}, kNow));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("<img")));
  EXPECT_THAT(html, Not(HasSubstr("<b>")));
  EXPECT_THAT(html, Not(HasSubstr("\x1b")));
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
  EXPECT_THAT(html, HasSubstr("a &amp; b &lt; c &quot;quoted&quot; &#39;single&#39;"));
  EXPECT_THAT(html, HasSubstr("&lt;policy &amp; &quot;name&quot;&gt;"));
  EXPECT_THAT(html, HasSubstr("\\x1b[31mred\\x1b[0m &amp; done"));
  EXPECT_THAT(html, HasSubstr("title=\"auto&#39;\""));
}

TEST(HtmlReportTest, IsSelfContained) {
  const auto html = report(twoRows(), {"sim", "t4-server"});
  for (const auto* forbidden :
       {"http://", "https://", "<script", "<link", "src=", "@import", "url("}) {
    EXPECT_THAT(html, Not(HasSubstr(forbidden))) << forbidden;
  }
  EXPECT_THAT(html, HasSubstr("<style>"));
  EXPECT_THAT(html, HasSubstr("@media print"));
  EXPECT_THAT(html, HasSubstr("details::details-content"));
}

TEST(HtmlReportTest, OneGpuCellSpansItsRowsAndNotRunScenariosAreListed) {
  const auto html = report({result("t4-2019", "tesla-t4", "server 17763", "auto"),
                            result("t4-2022", "tesla-t4", "server 20348", "auto")},
                           {"sim", "t4-server"});
  EXPECT_THAT(html, HasSubstr("<th class=\"gpu\" scope=\"rowgroup\" rowspan=\"2\">tesla-t4</th>"));
  EXPECT_THAT(html, HasSubstr("<tr id=\"row-1\"><td>server</td><td>20348</td>"));
  EXPECT_THAT(html, HasSubstr("class=\"case notrun\"><span class=\"badge notrun\">NOT RUN</span>"
                              "<span class=\"name\">t4-2019</span>"));
  EXPECT_THAT(html, HasSubstr("all on t4-server: not run on t4-server"));
}

TEST(HtmlReportTest, SameCertificationSameBytes) {
  EXPECT_EQ(report(twoRows()), report(twoRows()));
}

TEST(HtmlReportTest, EscapeHtmlKeepsUtf8) {
  EXPECT_EQ(escapeHtml("Intel(R) Iris(R) Xe \xc2\xb7 <x>"),
            "Intel(R) Iris(R) Xe \xc2\xb7 &lt;x&gt;");
  EXPECT_EQ(escapeHtml("\xff"), "\\xff");
}

} // namespace
} // namespace hil::reports
