#include "reports/html_report.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace hil::reports {
namespace {

using runner::CaseResult;
using runner::CaseStatus;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

const auto kNow = *parseTimestamp("2026-11-27T12:00:00");
const Certifier kCertifier{"0.2.0", "2f1c0d4"};

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

/// A deploy that asked for auto and was refused with `code` (docs/junit.md).
CaseResult refused(std::string name, std::string gpu, std::string windows, std::string code,
                   CaseStatus status = CaseStatus::Passed) {
  auto c = result(std::move(name), std::move(gpu), std::move(windows), "None", status);
  c.properties["passthrough"] = "auto";
  c.properties["deploy-error"] = std::move(code);
  return c;
}

/// The matrix row of `gpu` on `windows`, as one line of the page.
std::string row(const std::string& html, const std::string& gpu, const std::string& windows) {
  const auto at = html.find(fmt::format("data-gpu=\"{}\" data-windows=\"{}\"", gpu, windows));
  if (at == std::string::npos) {
    return {};
  }
  return html.substr(at, html.find("</tr>", at) - at);
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
  return htmlReport(
      certify(policy(std::move(rigs)), {input(std::move(cases))}, {}, kNow, kCertifier));
}

std::vector<CaseResult> twoRows() {
  auto broken = result("gpupv-3060", "geforce-rtx-3060", "professional 22621", "ParaVirtualization",
                       CaseStatus::Failed);
  broken.failureType = "driver-missing";
  broken.failureMessage = "the WSL CUDA driver is not installed";
  broken.failureDetail = "gpupv.xml:14: expected result ok, got error driver-missing";
  broken.seconds = 1.25;
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
  EXPECT_THAT(html,
              HasSubstr("<td id=\"cell-1-0\" class=\"cell pass\" data-rig-class=\"sim\">"
                        "<a href=\"#group-1-0\"><span class=\"outcome configured pass\" "
                        "data-outcome=\"DDA\">DDA \xe2\x9c\x93<small>2</small></span></a></td>"));
  EXPECT_THAT(html, HasSubstr("<td id=\"cell-1-1\" class=\"cell notrun\" "
                              "data-rig-class=\"t4-server\"><a href=\"#group-1-1\"><span "
                              "class=\"outcome not-run notrun\" data-outcome=\"\">NOT RUN<small>2"
                              "</small></span></a></td>"));
  EXPECT_THAT(html, HasSubstr("<tr id=\"row-1\" data-gpu=\"tesla-t4\" data-windows=\"server "
                              "17763\"><th class=\"gpu\" scope=\"rowgroup\" rowspan=\"1\">tesla-t4"
                              "</th><td>server</td><td>17763</td><td id=\"cell-1-0\""));
  EXPECT_THAT(html, HasSubstr("<th>GPU</th><th>Windows</th><th>Build</th><th>sim</th>"));
  // Cells link to details and details link back.
  EXPECT_THAT(html, HasSubstr("<section class=\"group\" id=\"group-1-0\">"));
  EXPECT_THAT(html, HasSubstr("href=\"#cell-1-0\""));
  // A single scenario's cell links straight to it.
  EXPECT_THAT(html, HasSubstr("id=\"cell-0-0\" class=\"cell fail\" data-rig-class=\"sim\"><a "
                              "href=\"#case-"));
  EXPECT_THAT(row(html, "geforce-rtx-3060", "professional 22621"),
              HasSubstr(">GPU-PV \xe2\x9c\x97<small>1</small>"));
}

TEST(HtmlReportTest, ACellSaysARefusalNotAPass) {
  // A rejection test that passed: GeForce on Home is refused, as the scenario expects.
  const auto html =
      report({refused("home-geforce", "geforce-rtx-3060", "home 22621", "unsupported-edition"),
              result("t4-dda", "tesla-t4", "server 17763", "DirectDeviceAssignment")});
  const auto home = row(html, "geforce-rtx-3060", "home 22621");
  EXPECT_THAT(home, HasSubstr("class=\"cell pass refused\""));
  EXPECT_THAT(home, HasSubstr("<span class=\"outcome refused pass\" data-outcome=\"refused: "
                              "unsupported-edition\">refused: unsupported-edition \xe2\x9c\x93"));
  EXPECT_THAT(home, Not(HasSubstr("PASS")));
  const auto server = row(html, "tesla-t4", "server 17763");
  EXPECT_THAT(server, HasSubstr("class=\"cell pass\""));
  EXPECT_THAT(server, HasSubstr(">DDA \xe2\x9c\x93<small>1</small>"));
  EXPECT_THAT(html, HasSubstr("class=\"refused\">refused: CODE</span>")); // the legend
  // A refusal that did not happen as expected fails like anything else.
  const auto failed = report({refused("home-geforce", "geforce-rtx-3060", "home 22621",
                                      "unsupported-edition", CaseStatus::Failed)});
  EXPECT_THAT(row(failed, "geforce-rtx-3060", "home 22621"),
              AllOf(HasSubstr("class=\"cell fail refused\""),
                    HasSubstr(">refused: unsupported-edition \xe2\x9c\x97<")));
}

TEST(HtmlReportTest, OneRowPerGpuAndWindowsWithEachOutcomeInItsCell) {
  auto none = result("t4-none", "tesla-t4", "server 17763", "None");
  none.properties["passthrough"] = "None";
  auto noDeploy = result("t4-teardown-only", "tesla-t4", "server 17763", "None");
  auto rolledBack = refused("t4-fault", "tesla-t4", "server 17763", "operation-failed");
  rolledBack.properties["passthrough"] = "DirectDeviceAssignment";
  const auto html = report(
      {result("t4-dda", "tesla-t4", "server 17763", "DirectDeviceAssignment"),
       result("t4-dda-again", "tesla-t4", "server 17763", "DirectDeviceAssignment"), none, noDeploy,
       rolledBack, refused("t4-gpupv", "tesla-t4", "server 17763", "method-not-supported"),
       refused("t4-wrong-name", "tesla-t4", "server 17763", "gpu-not-found", CaseStatus::Failed)});
  EXPECT_THAT(html, HasSubstr("<tr id=\"row-0\""));
  EXPECT_THAT(html, Not(HasSubstr("<tr id=\"row-1\""))); // one combination, one row
  const auto t4 = row(html, "tesla-t4", "server 17763");
  EXPECT_THAT(t4, HasSubstr("class=\"cell fail\"")); // the worst of them
  // Techniques first, then nothing asked, then refusals and roll-backs, each with its tally.
  const std::vector<std::string> lines = {
      ">DDA \xe2\x9c\x93<small>2</small>", ">None \xe2\x9c\x93<small>2</small>",
      ">refused: gpu-not-found \xe2\x9c\x97<small>1</small>",
      ">refused: method-not-supported \xe2\x9c\x93<small>1</small>",
      ">rolled back: operation-failed \xe2\x9c\x93<small>1</small>"};
  std::size_t at = 0;
  for (const auto& line : lines) {
    const auto found = t4.find(line, at);
    ASSERT_NE(found, std::string::npos) << line << " in " << t4;
    at = found;
  }
  EXPECT_THAT(t4, Not(HasSubstr("refused\"")));                   // something works here
  EXPECT_THAT(html, Not(HasSubstr("<td title=")));                // no technique column
  EXPECT_THAT(html, HasSubstr("tesla-t4 \xc2\xb7 server 17763")); // the group's title
}

TEST(HtmlReportTest, ScenariosOfOneOutcomeThatDisagreeAreTallied) {
  const auto html =
      report({result("gpupv-a", "geforce-rtx-3060", "professional 22621", "ParaVirtualization"),
              result("gpupv-b", "geforce-rtx-3060", "professional 22621", "ParaVirtualization",
                     CaseStatus::Failed)});
  EXPECT_THAT(
      row(html, "geforce-rtx-3060", "professional 22621"),
      HasSubstr(">GPU-PV \xe2\x9c\x97<small>1 \xe2\x9c\x97 \xc2\xb7 1 \xe2\x9c\x93</small>"));
}

TEST(HtmlReportTest, OlderFilesTechniqueFallsBackToWhatItCanTell) {
  // Before passthrough and deploy-error, technique held the outcome on success and the request
  // otherwise ("auto"), "none" when nothing was deployed.
  const auto html = report({result("t4-old-auto", "tesla-t4", "home 22621", "auto"),
                            result("t4-old-none", "tesla-t4", "server 17763", "none"),
                            result("t4-old-dda", "tesla-t4", "server 20348", "DDA")});
  EXPECT_THAT(row(html, "tesla-t4", "home 22621"), HasSubstr(">not configured \xe2\x9c\x93<"));
  EXPECT_THAT(row(html, "tesla-t4", "server 17763"), HasSubstr(">None \xe2\x9c\x93<"));
  EXPECT_THAT(row(html, "tesla-t4", "server 20348"), HasSubstr(">DDA \xe2\x9c\x93<"));
}

TEST(HtmlReportTest, ResultsThatNameNoTechniqueShowTheirVerdict) {
  auto other = result("pester-test", "", "", "");
  other.properties.erase("technique");
  const auto html = report({other});
  EXPECT_THAT(html, HasSubstr("<span class=\"outcome unrecorded pass\" data-outcome=\"\">PASS"
                              "<small>1</small></span>"));
  EXPECT_THAT(html, HasSubstr("no GPU or Windows recorded"));
}

TEST(HtmlReportTest, DetailsShowExpectedVersusActualLogAndSmoke) {
  const auto html = report(twoRows());
  EXPECT_THAT(html, HasSubstr("<details id=\"case-0\" class=\"case fail\">"));
  EXPECT_THAT(html, HasSubstr("<h4>Expected vs actual</h4>"));
  EXPECT_THAT(html, HasSubstr("gpupv.xml:14: expected result ok, got error driver-missing"));
  EXPECT_THAT(html, HasSubstr("hyperv.stop-vm EFLOW"));
  EXPECT_THAT(html, HasSubstr("<td>h2d-bandwidth</td><td>11.4 GB/s</td>"));
}

TEST(HtmlReportTest, DetailsShowWhatTheDeployDidAndHowLongItTook) {
  auto untimed = result("t4-untimed", "tesla-t4", "server 17763", "DirectDeviceAssignment");
  untimed.timed = false; // a JUnit testcase without a time
  auto cases = twoRows();
  cases.push_back(untimed);
  const auto html = report(cases);
  EXPECT_THAT(html, HasSubstr("<span class=\"name\">gpupv-3060</span> <span class=\"why\">"
                              "\xe2\x80\x94 GPU-PV \xc2\xb7 driver-missing: the WSL CUDA driver is "
                              "not installed \xc2\xb7 1.250 s</span>"));
  EXPECT_THAT(html, HasSubstr("<dt>Deploy</dt><dd>GPU-PV</dd>\n<dt>Duration</dt><dd>1.250 s</dd>"));
  // Under a millisecond is a time too; no time is none.
  EXPECT_THAT(html, HasSubstr("<span class=\"name\">t4-dda-2019</span> <span class=\"why\">"
                              "\xe2\x80\x94 DDA \xc2\xb7 0.000 s</span>"));
  EXPECT_THAT(html, HasSubstr("<span class=\"name\">t4-untimed</span> <span class=\"why\">"
                              "\xe2\x80\x94 DDA</span>"));
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
  const auto html = htmlReport(certify(p, {input({hostile})}, {}, kNow, kCertifier));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("<img")));
  EXPECT_THAT(html, Not(HasSubstr("<b>")));
  EXPECT_THAT(html, Not(HasSubstr("\x1b")));
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
  EXPECT_THAT(html, HasSubstr("a &amp; b &lt; c &quot;quoted&quot; &#39;single&#39;"));
  EXPECT_THAT(html, HasSubstr("&lt;policy &amp; &quot;name&quot;&gt;"));
  EXPECT_THAT(html, HasSubstr("\\x1b[31mred\\x1b[0m &amp; done"));
  EXPECT_THAT(html, HasSubstr("data-outcome=\"auto&#39;\">auto&#39; "));
}

TEST(HtmlReportTest, TheHeaderNamesTheBuildsCertifiedAndTheCertifier) {
  auto c = result("t4", "tesla-t4", "server 17763", "DirectDeviceAssignment");
  c.properties["hil-version"] = "0.1.0";
  c.properties["hil-commit"] = "b8ccf1a";
  c.properties["catalog-sha256"] = "c0ffee";
  c.properties["seed"] = "42";
  c.properties["scenario-seed"] = "1234567";
  c.properties["rules"] = "eflow-current";
  const auto html = report({c});
  const auto header = html.substr(0, html.find("</header>"));
  EXPECT_THAT(header,
              HasSubstr("<dt>Builds certified</dt><dd class=\"builds\">hil-version <span "
                        "class=\"mono\">0.1.0</span> \xc2\xb7 hil-commit <span class=\"mono\">"
                        "b8ccf1a</span> \xc2\xb7 catalog-sha256 <span class=\"mono\">c0ffee</span>"
                        " \xc2\xb7 seed <span class=\"mono\">42</span> \xc2\xb7 rules <span "
                        "class=\"mono\">eflow-current</span></dd>"));
  EXPECT_THAT(header, HasSubstr("<dt>Certified by</dt><dd>hil 0.2.0 (git <span class=\"mono\">"
                                "2f1c0d4</span>)</dd>"));
  // Results that do not name their build say so.
  EXPECT_THAT(report(twoRows()), HasSubstr("hil-version <span class=\"mono\">unknown</span>"));
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
  EXPECT_THAT(html, HasSubstr("<tr id=\"row-1\" data-gpu=\"tesla-t4\" data-windows=\"server "
                              "20348\"><td>server</td><td>20348</td>"));
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
