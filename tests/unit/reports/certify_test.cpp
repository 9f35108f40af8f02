#include "reports/certify.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pugixml.hpp>

#include "reports/junit_writer.h"

namespace hil::reports {
namespace {

using runner::CaseResult;
using runner::CaseStatus;
using ::testing::AllOf;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

const auto kNow = *parseTimestamp("2026-11-27T12:00:00");
const Certifier kCertifier{"0.2.0", "2f1c0d4"};
constexpr const char* kToday = "2026-11-27T08:00:00";

CaseResult result(std::string name, std::string rig = "sim",
                  CaseStatus status = CaseStatus::Passed) {
  CaseResult c;
  c.suite = "dda/" + name;
  c.name = std::move(name);
  c.status = status;
  c.properties = {
      {"backend", rig == "sim" ? "sim" : "real"}, {"rig-class", rig},    {"gpu", "tesla-t4"},
      {"windows-build", "server 17763"},          {"technique", "auto"}, {"warnings", "none"}};
  c.log = {"[   0.000s] deploy"};
  return c;
}

CaseResult failed(std::string name, std::string type, std::string message) {
  auto c = result(std::move(name), "sim", CaseStatus::Failed);
  c.failureType = std::move(type);
  c.failureMessage = std::move(message);
  c.failureDetail = "dda.xml:12: expected result ok, got error " + c.failureType;
  return c;
}

CertifyInput input(std::vector<CaseResult> cases, std::string timestamp = kToday,
                   std::string path = "run.xml") {
  CertifyInput in;
  in.path = std::move(path);
  in.sha256 = sha256Hex(in.path);
  for (auto& c : cases) {
    runner::SuiteResult suite;
    suite.name = c.suite;
    suite.timestamp = timestamp;
    suite.cases.push_back(std::move(c));
    in.report.suites.push_back(std::move(suite));
  }
  return in;
}

std::vector<ScenarioInfo> library() {
  return {{"t4-dda", {"dda", "t4"}, "T4 gets DDA.", "scenarios/dda/t4-dda.xml", 2},
          {"t4-dda-warned", {"dda", "t4", "warning"}, "", "scenarios/dda/t4-dda-warned.xml", 2},
          {"geforce-gpupv", {"gpu-pv"}, "", "scenarios/gpu-pv/geforce-gpupv.xml", 2}};
}

Policy policy(std::vector<Requirement> requirements, std::vector<SmokeMinimum> smoke = {}) {
  Policy p;
  p.name = "release";
  p.file = "release.xml";
  p.sha256 = sha256Hex("release");
  p.requirements = std::move(requirements);
  p.smoke = std::move(smoke);
  return p;
}

Requirement require(std::string id, std::vector<std::string> tags,
                    std::vector<std::string> rigs = {"sim"}) {
  Requirement r;
  r.id = std::move(id);
  r.tags = std::move(tags);
  r.rigClasses = std::move(rigs);
  return r;
}

std::vector<CaseResult> allPassing() {
  return {result("t4-dda"), result("t4-dda-warned"), result("geforce-gpupv")};
}

TEST(CertifySha256Test, Fips180Vectors) {
  EXPECT_EQ(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256Hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(CertifySha256Test, PaddingBoundaries) {
  // 55, 56 and 64 bytes put the length in the first block, a second one, and after a full block.
  EXPECT_EQ(sha256Hex(std::string(55, 'a')),
            "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  EXPECT_EQ(sha256Hex(std::string(56, 'a')),
            "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
  EXPECT_EQ(sha256Hex(std::string(64, 'a')),
            "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

TEST(CertifyTimestampTest, ParsesJunitTimestampsAndFormatsUtc) {
  const auto t = parseTimestamp("2026-02-28T23:59:59");
  ASSERT_TRUE(t);
  EXPECT_EQ(formatTimestamp(*t), "2026-02-28T23:59:59Z");
  EXPECT_EQ(parseTimestamp("2026-02-28T23:59:59.250Z"), t);
  EXPECT_FALSE(parseTimestamp(""));
  EXPECT_FALSE(parseTimestamp("2026-02-30T00:00:00"));
  EXPECT_FALSE(parseTimestamp("2026-02-28T24:00:00"));
  EXPECT_FALSE(parseTimestamp("yesterday"));
  EXPECT_FALSE(parseTimestamp("2026-02-28T23:59:59+02:00"));
}

TEST(CertifyTest, AllRequiredScenariosPassedIsCertified) {
  const auto p = policy({require("dda", {"dda"}), require("gpu-pv", {"gpu-pv"})});
  auto cases = allPassing();
  const auto cert = certify(p, {input(cases)}, library(), kNow, kCertifier);
  EXPECT_TRUE(cert.certified) << summaryText(cert);
  EXPECT_TRUE(cert.reasons.empty());
  ASSERT_EQ(cert.requirements.size(), 2u);
  EXPECT_EQ(cert.requirements[0].scenarios, 2u);
  ASSERT_EQ(cert.requirements[0].rigs.size(), 1u);
  EXPECT_TRUE(cert.requirements[0].rigs[0].passed);
  EXPECT_EQ(cert.requirements[0].rigs[0].results, 2);
  EXPECT_EQ(cert.now, "2026-11-27T12:00:00Z");
  EXPECT_THAT(summaryText(cert), HasSubstr("CERTIFIED: every requirement of policy release"));
}

TEST(CertifyTest, AFailedScenarioIsNamedWithItsTypeAndMessage) {
  const auto p = policy({require("dda", {"dda"})});
  const auto cert = certify(
      p, {input({result("t4-dda-warned"), failed("t4-dda", "gpu-count", "2 requested, 1 found")})},
      library(), kNow, kCertifier);
  EXPECT_FALSE(cert.certified);
  ASSERT_EQ(cert.reasons.size(), 1u);
  const auto& reason = cert.reasons[0];
  EXPECT_EQ(reason.requirements, std::vector<std::string>{"dda"});
  EXPECT_EQ(reason.rigClass, "sim");
  EXPECT_EQ(reason.scenario, "t4-dda");
  EXPECT_EQ(reason.finding, Finding::Failed);
  EXPECT_EQ(reason.text, "dda on sim: t4-dda failed: gpu-count: 2 requested, 1 found");
  ASSERT_TRUE(reason.entry);
  EXPECT_EQ(cert.entries[*reason.entry].scenario, "t4-dda");
  EXPECT_THAT(summaryText(cert), AllOf(HasSubstr("NOT CERTIFIED: 1 reason(s)"),
                                       HasSubstr("t4-dda failed: gpu-count")));
}

TEST(CertifyTest, ASkippedScenarioDidNotPass) {
  auto skipped = result("t4-dda", "sim", CaseStatus::Skipped);
  skipped.skipReason = "no rig with a T4 today";
  const auto cert =
      certify(policy({require("dda", {"dda"})}), {input({skipped, result("t4-dda-warned")})},
              library(), kNow, kCertifier);
  ASSERT_EQ(cert.reasons.size(), 1u);
  EXPECT_EQ(cert.reasons[0].finding, Finding::Skipped);
  EXPECT_THAT(cert.reasons[0].text, HasSubstr("t4-dda was skipped: no rig with a T4 today"));
}

TEST(CertifyTest, NoResultOnARigClassIsNotRunThere) {
  const auto p = policy({require("dda", {"dda"}, {"sim", "t4-server"})});
  const auto cert = certify(p, {input(allPassing())}, library(), kNow, kCertifier);
  EXPECT_FALSE(cert.certified);
  ASSERT_EQ(cert.reasons.size(), 1u);
  EXPECT_EQ(cert.reasons[0].rigClass, "t4-server");
  EXPECT_EQ(cert.reasons[0].finding, Finding::NotRun);
  EXPECT_TRUE(cert.reasons[0].scenario.empty());
  EXPECT_THAT(cert.reasons[0].text, HasSubstr("dda on t4-server: not run on t4-server"));
  EXPECT_TRUE(cert.requirements[0].rigs[0].passed);
  EXPECT_FALSE(cert.requirements[0].rigs[1].passed);
  EXPECT_EQ(cert.rigClasses, (std::vector<std::string>{"sim", "t4-server"}));
}

TEST(CertifyTest, AMissingScenarioOnARigClassThatRanIsNotRun) {
  const auto cert = certify(policy({require("dda", {"dda"})}), {input({result("t4-dda")})},
                            library(), kNow, kCertifier);
  ASSERT_EQ(cert.reasons.size(), 1u);
  EXPECT_EQ(cert.reasons[0].scenario, "t4-dda-warned");
  EXPECT_EQ(cert.reasons[0].finding, Finding::NotRun);
  EXPECT_EQ(cert.reasons[0].text,
            "dda on sim: t4-dda-warned not run: no result from rig class sim");
}

TEST(CertifyTest, ResultsFromRealRigsCountOnTheirRigClass) {
  const auto p = policy({require("dda", {"dda"}, {"sim", "t4-server"})});
  const auto cert =
      certify(p,
              {input(allPassing()),
               input({result("t4-dda", "t4-server"), result("t4-dda-warned", "t4-server")}, kToday,
                     "rig.xml")},
              library(), kNow, kCertifier);
  EXPECT_TRUE(cert.certified) << summaryText(cert);
  ASSERT_EQ(cert.inputs.size(), 2u);
  EXPECT_EQ(cert.inputs[1].path, "rig.xml");
  EXPECT_EQ(cert.inputs[1].results, 2);
}

TEST(CertifyTest, WarningsFailUnlessThePolicyOrARequirementAcceptsThem) {
  auto warned = result("t4-dda-warned");
  warned.properties["warnings"] = "mitigation-driver-missing";
  const std::vector<CaseResult> cases = {result("t4-dda"), warned};

  const auto strict =
      certify(policy({require("dda", {"dda"})}), {input(cases)}, library(), kNow, kCertifier);
  ASSERT_EQ(strict.reasons.size(), 1u);
  EXPECT_EQ(strict.reasons[0].finding, Finding::Warning);
  EXPECT_EQ(strict.reasons[0].scenario, "t4-dda-warned");
  EXPECT_THAT(strict.reasons[0].text, HasSubstr("mitigation-driver-missing"));

  auto accepting = require("expected-warnings", {"warning"});
  accepting.warnings = WarningPolicy::Pass;
  const auto overridden = certify(policy({require("dda", {"dda"}), accepting}), {input(cases)},
                                  library(), kNow, kCertifier);
  EXPECT_TRUE(overridden.certified) << summaryText(overridden);

  auto lax = policy({require("dda", {"dda"})});
  lax.warnings = WarningPolicy::Pass;
  EXPECT_TRUE(certify(lax, {input(cases)}, library(), kNow, kCertifier).certified);

  // A requirement may be stricter than its policy.
  auto strictRequirement = require("dda", {"dda"});
  strictRequirement.warnings = WarningPolicy::Fail;
  auto strictInLax = policy({strictRequirement});
  strictInLax.warnings = WarningPolicy::Pass;
  EXPECT_FALSE(certify(strictInLax, {input(cases)}, library(), kNow, kCertifier).certified);
}

TEST(CertifyTest, ResultsOlderThanMaxAgeAreStale) {
  auto p = policy({require("dda", {"dda"})});
  p.maxAgeDays = 7;
  const auto fresh =
      certify(p, {input(allPassing(), "2026-11-21T12:00:00")}, library(), kNow, kCertifier);
  EXPECT_TRUE(fresh.certified) << summaryText(fresh);

  const auto one = certify(p,
                           {input({result("t4-dda")}, "2026-11-17T11:00:00", "old.xml"),
                            input({result("t4-dda-warned")}, kToday)},
                           library(), kNow, kCertifier);
  ASSERT_EQ(one.reasons.size(), 1u);
  EXPECT_EQ(one.reasons[0].finding, Finding::Stale);
  EXPECT_EQ(one.reasons[0].scenario, "t4-dda");
  EXPECT_EQ(one.reasons[0].text,
            "dda on sim: t4-dda is stale: it ran 2026-11-17T11:00:00Z, 10 day(s) before "
            "2026-11-27T12:00:00Z; the policy allows 7 day(s)");

  const auto undated = certify(p, {input(allPassing(), "")}, library(), kNow, kCertifier);
  ASSERT_EQ(undated.reasons.size(), 1u); // one per rig class, not one per scenario
  EXPECT_EQ(undated.reasons[0].finding, Finding::Undated);
  EXPECT_THAT(undated.reasons[0].text, HasSubstr("dda on sim: 2 results are undated; the first, "
                                                 "t4-dda: its suite has no timestamp"));

  p.maxAgeDays.reset();
  EXPECT_TRUE(certify(p, {input(allPassing(), "")}, library(), kNow, kCertifier).certified);
}

TEST(CertifyTest, StaleResultsAreOneReasonPerRigClass) {
  // Two requirements, two rig classes, every result old: one reason on each rig class, with
  // the oldest result and the policy's max age, naming both requirements.
  auto p = policy({require("dda", {"dda"}, {"sim", "t4-server"}),
                   require("gpu-pv", {"gpu-pv"}, {"sim", "t4-server"})});
  p.maxAgeDays = 7;
  auto rig = allPassing();
  for (auto& c : rig) {
    c.properties["rig-class"] = "t4-server";
  }
  const auto cert = certify(
      p,
      {input({result("t4-dda"), result("t4-dda-warned")}, "2026-11-10T09:00:00", "sim-monday.xml"),
       input({result("geforce-gpupv")}, "2026-11-03T09:00:00", "sim-older.xml"),
       input(rig, "2026-11-17T09:00:00", "rig.xml")},
      library(), kNow, kCertifier);
  ASSERT_EQ(cert.reasons.size(), 2u) << summaryText(cert);
  EXPECT_EQ(cert.reasons[0].finding, Finding::Stale);
  EXPECT_EQ(cert.reasons[0].rigClass, "sim");
  EXPECT_EQ(cert.reasons[0].requirements, (std::vector<std::string>{"dda", "gpu-pv"}));
  EXPECT_TRUE(cert.reasons[0].scenario.empty());
  EXPECT_EQ(
      cert.reasons[0].text,
      "dda, gpu-pv on sim: 3 results are stale; the oldest, geforce-gpupv: it ran "
      "2026-11-03T09:00:00Z, 24 day(s) before 2026-11-27T12:00:00Z; the policy allows 7 day(s)");
  ASSERT_TRUE(cert.reasons[0].entry);
  EXPECT_EQ(cert.entries[*cert.reasons[0].entry].scenario, "geforce-gpupv");
  EXPECT_EQ(cert.reasons[1].rigClass, "t4-server");
  EXPECT_THAT(cert.reasons[1].text,
              HasSubstr("dda, gpu-pv on t4-server: 3 results are stale; the oldest, "));
  EXPECT_THAT(cert.reasons[1].text, HasSubstr("it ran 2026-11-17T09:00:00Z, 10 day(s) before"));
  // Each scenario still says it is stale where it is listed.
  EXPECT_FALSE(cert.requirements[0].passed);
  const auto text = certificateXml(cert);
  EXPECT_THAT(text, HasSubstr("<scenario name=\"t4-dda\" outcome=\"stale\""));
}

TEST(CertifyTest, AScenarioThatSeveralRequirementsSelectIsOneReason) {
  // t4-dda-warned carries both the dda and the warning tags.
  const auto p = policy(
      {require("dda", {"dda"}), require("warned", {"warning"}), require("dda-again", {"t4"})});
  const auto cert = certify(
      p, {input({result("t4-dda"), failed("t4-dda-warned", "gpu-count", "2 requested, 1 found")})},
      library(), kNow, kCertifier);
  ASSERT_EQ(cert.reasons.size(), 1u) << summaryText(cert);
  EXPECT_EQ(cert.reasons[0].requirements, (std::vector<std::string>{"dda", "warned", "dda-again"}));
  EXPECT_EQ(cert.reasons[0].text, "dda, warned, dda-again on sim: t4-dda-warned failed: "
                                  "gpu-count: 2 requested, 1 found");
  EXPECT_THAT(summaryText(cert), HasSubstr("NOT CERTIFIED: 1 reason(s)"));
  // Every requirement is still judged on its own.
  for (const auto& r : cert.requirements) {
    EXPECT_FALSE(r.passed) << r.id;
  }
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(certificateXml(cert).c_str()));
  EXPECT_STREQ(
      doc.child("certificate").child("reasons").child("reason").attribute("requirements").value(),
      "dda warned dda-again");
}

TEST(CertifyTest, TheNewestResultCountsAndATieTakesTheWorse) {
  const auto p = policy({require("dda", {"dda"})});
  const auto fixed = certify(
      p,
      {input({failed("t4-dda", "smoke-failed", "no device")}, "2026-11-26T08:00:00", "monday.xml"),
       input(allPassing(), kToday, "tuesday.xml")},
      library(), kNow, kCertifier);
  EXPECT_TRUE(fixed.certified) << summaryText(fixed);
  const auto broken =
      certify(p,
              {input(allPassing(), "2026-11-26T08:00:00", "monday.xml"),
               input({failed("t4-dda", "smoke-failed", "no device")}, kToday, "tuesday.xml")},
              library(), kNow, kCertifier);
  ASSERT_EQ(broken.reasons.size(), 1u);
  EXPECT_EQ(broken.entries[*broken.reasons[0].entry].input, "tuesday.xml");
  const auto tie =
      certify(p, {input({failed("t4-dda", "smoke-failed", "no device")}), input(allPassing())},
              library(), kNow, kCertifier);
  EXPECT_FALSE(tie.certified);
}

TEST(CertifyTest, GlobsSelectByNameAndTagsNeedTheLibrary) {
  Requirement byName;
  byName.id = "t4";
  byName.scenarios = {"t4-*"};
  byName.rigClasses = {"sim"};
  const auto cert = certify(policy({byName}), {input({result("t4-dda"), result("t4-dda-warned")})},
                            {}, kNow, kCertifier);
  EXPECT_TRUE(cert.certified);
  EXPECT_EQ(cert.requirements[0].scenarios, 2u);

  const auto nothing = certify(policy({require("typo", {"ddaa"})}), {input(allPassing())},
                               library(), kNow, kCertifier);
  ASSERT_EQ(nothing.reasons.size(), 1u);
  EXPECT_THAT(nothing.reasons[0].text, HasSubstr("typo: selects no scenario"));
  EXPECT_THAT(nothing.reasons[0].text, HasSubstr("tags=\"ddaa\""));
}

TEST(CertifyTest, SmokeFiguresBelowTheMinimumFail) {
  auto fast = result("t4-dda");
  fast.properties["smoke.h2d-bandwidth"] = "11.4 GB/s";
  auto slow = result("t4-dda-warned");
  slow.properties["smoke.h2d-bandwidth"] = "9.5 GB/s";
  const SmokeMinimum minimum{"sim", "h2d-bandwidth", 10, "GB/s", 5};
  const auto cert = certify(policy({require("dda", {"dda"})}, {minimum}), {input({fast, slow})},
                            library(), kNow, kCertifier);
  EXPECT_FALSE(cert.certified);
  ASSERT_EQ(cert.reasons.size(), 1u);
  EXPECT_EQ(cert.reasons[0].smokeCheck, "h2d-bandwidth");
  EXPECT_EQ(cert.reasons[0].scenario, "t4-dda-warned");
  EXPECT_EQ(cert.reasons[0].finding, Finding::BelowMinimum);
  EXPECT_EQ(cert.reasons[0].text, "smoke h2d-bandwidth on sim: t4-dda-warned measured 9.5 GB/s, "
                                  "below the minimum 10 GB/s");
  ASSERT_EQ(cert.smoke.size(), 1u);
  EXPECT_EQ(cert.smoke[0].figures, 2);
  EXPECT_EQ(cert.smoke[0].lowest, 9.5);
  EXPECT_TRUE(cert.requirements[0].passed); // the scenarios passed; their figure did not

  slow.properties["smoke.h2d-bandwidth"] = "10.0 GB/s";
  EXPECT_TRUE(certify(policy({require("dda", {"dda"})}, {minimum}), {input({fast, slow})},
                      library(), kNow, kCertifier)
                  .certified);

  slow.properties["smoke.h2d-bandwidth"] = "10500 MB/s";
  const auto units = certify(policy({require("dda", {"dda"})}, {minimum}), {input({fast, slow})},
                             library(), kNow, kCertifier);
  ASSERT_EQ(units.reasons.size(), 1u);
  EXPECT_THAT(units.reasons[0].text, HasSubstr("in MB/s, the policy's minimum is in GB/s"));
}

TEST(CertifyTest, TheSameReasonIsGivenOnce) {
  // A policy that states one smoke minimum twice (two files joined, say) fails once for it.
  const SmokeMinimum minimum{"t4-server", "h2d-bandwidth", 10, "GB/s", 5};
  const auto cert = certify(policy({require("dda", {"dda"})}, {minimum, minimum}),
                            {input(allPassing())}, library(), kNow, kCertifier);
  ASSERT_EQ(cert.smoke.size(), 2u);
  ASSERT_EQ(cert.reasons.size(), 1u) << summaryText(cert);
  EXPECT_THAT(summaryText(cert), HasSubstr("NOT CERTIFIED: 1 reason(s)"));
}

TEST(CertifyTest, ASmokeMinimumWithNoFigureIsNotRun) {
  const SmokeMinimum minimum{"t4-server", "h2d-bandwidth", 10, "GB/s", 5};
  const auto cert = certify(policy({require("dda", {"dda"})}, {minimum}), {input(allPassing())},
                            library(), kNow, kCertifier);
  ASSERT_EQ(cert.reasons.size(), 1u);
  EXPECT_EQ(cert.reasons[0].finding, Finding::NotRun);
  EXPECT_THAT(cert.reasons[0].text,
              HasSubstr("not run: no result from rig class t4-server reports the smoke check"));
}

DeployOutcome outcomeOf(std::map<std::string, std::string> properties) {
  CaseResult c;
  c.properties = std::move(properties);
  return deployOutcomeOf(c);
}

TEST(DeployOutcomeTest, ReadsTheTechniqueConfiguredOrTheRefusal) {
  const auto dda = outcomeOf({{"passthrough", "auto"}, {"technique", "DirectDeviceAssignment"}});
  EXPECT_EQ(dda.kind, DeployKind::Configured);
  EXPECT_EQ(dda.technique, "DirectDeviceAssignment");
  EXPECT_EQ(dda.label, "DDA");
  EXPECT_EQ(
      outcomeOf({{"passthrough", "ParaVirtualization"}, {"technique", "ParaVirtualization"}}).label,
      "GPU-PV");

  const auto home = outcomeOf(
      {{"passthrough", "auto"}, {"technique", "None"}, {"deploy-error", "unsupported-edition"}});
  EXPECT_EQ(home.kind, DeployKind::Refused);
  EXPECT_EQ(home.error, "unsupported-edition");
  EXPECT_EQ(home.label, "refused: unsupported-edition");
  EXPECT_EQ(
      outcomeOf(
          {{"passthrough", "auto"}, {"technique", "None"}, {"deploy-error", "invalid-request"}})
          .kind,
      DeployKind::Refused);
  EXPECT_EQ(
      outcomeOf(
          {{"passthrough", "auto"}, {"technique", "None"}, {"deploy-error", "driver-missing"}})
          .kind,
      DeployKind::Refused);

  // After the host had started to change, the flow rolled back.
  const auto fault = outcomeOf({{"passthrough", "DirectDeviceAssignment"},
                                {"technique", "None"},
                                {"deploy-error", "operation-failed"}});
  EXPECT_EQ(fault.kind, DeployKind::RolledBack);
  EXPECT_EQ(fault.label, "rolled back: operation-failed");
  EXPECT_EQ(outcomeOf({{"technique", "None"}, {"deploy-error", "device-busy"}}).kind,
            DeployKind::RolledBack);
  const auto unknown = outcomeOf({{"technique", "None"}, {"deploy-error", "cosmic-ray"}});
  EXPECT_EQ(unknown.kind, DeployKind::DeployError);
  EXPECT_EQ(unknown.label, "deploy error: cosmic-ray");

  // Nothing asked: a None request, or no deploy at all.
  const auto none = outcomeOf({{"passthrough", "None"}, {"technique", "None"}});
  EXPECT_EQ(none.kind, DeployKind::Nothing);
  EXPECT_EQ(none.label, "None");
  EXPECT_EQ(outcomeOf({{"technique", "None"}}).kind, DeployKind::Nothing);
  // Asked, nothing configured and no error: the deploy never finished (a crash).
  const auto cut = outcomeOf({{"passthrough", "DirectDeviceAssignment"}, {"technique", "None"}});
  EXPECT_EQ(cut.kind, DeployKind::NotConfigured);
  EXPECT_EQ(cut.label, "not configured");
  // Another tool's JUnit says nothing about a deploy.
  EXPECT_EQ(outcomeOf({{"backend", "pester"}}).kind, DeployKind::Unrecorded);
  EXPECT_EQ(outcomeOf({{"backend", "pester"}}).label, "");
}

TEST(DeployOutcomeTest, OlderFilesMixedRequestAndOutcome) {
  // technique was the configured one on success, else the request; none without a deploy.
  EXPECT_EQ(outcomeOf({{"technique", "auto"}}).kind, DeployKind::NotConfigured);
  EXPECT_EQ(outcomeOf({{"technique", "none"}}).label, "None");
  EXPECT_EQ(outcomeOf({{"technique", "None"}}).label, "None");
  EXPECT_EQ(outcomeOf({{"technique", "DDA"}}).label, "DDA");
  EXPECT_EQ(outcomeOf({{"technique", "DDA"}}).kind, DeployKind::Configured);
}

TEST(DeployOutcomeTest, JoinedValuesOfASuiteAreMerged) {
  const auto merged = outcomeOf(
      {{"technique", "DirectDeviceAssignment | None"}, {"deploy-error", "unsupported-edition"}});
  EXPECT_EQ(merged.kind, DeployKind::Merged);
  EXPECT_EQ(merged.label, "DDA | None (deploy-error unsupported-edition)");
}

TEST(CertifyTest, EachEntryKnowsWhatItsDeployDidOnItsRigClass) {
  auto onRig = result("t4-dda", "t4-server");
  onRig.properties["deploy-error"] = "device-busy";
  auto onSim = result("t4-dda");
  onSim.properties["technique"] = "DirectDeviceAssignment";
  const auto cert = certify(policy({require("dda", {"dda"}, {"sim", "t4-server"})}),
                            {input({onSim, onRig})}, library(), kNow, kCertifier);
  std::map<std::pair<std::string, std::string>, std::string> labels;
  for (const auto& e : cert.entries) {
    labels[{e.scenario, e.rigClass}] = e.deploy.label;
  }
  EXPECT_EQ(labels.at({"t4-dda", "sim"}), "DDA");
  EXPECT_EQ(labels.at({"t4-dda", "t4-server"}), "rolled back: device-busy");
  EXPECT_EQ(labels.at({"t4-dda-warned", "t4-server"}), ""); // not run there: nothing to say
}

TEST(CertifyTest, ReadsJunitAndHashesItsBytes) {
  const std::string text = R"(<?xml version="1.0"?>
<testsuites>
  <testsuite name="dda/t4-dda" tests="1" timestamp="2026-11-27T08:00:00">
    <properties><property name="rig-class" value="sim"/></properties>
    <testcase classname="dda/t4-dda" name="t4-dda" time="0.001"/>
  </testsuite>
</testsuites>
)";
  auto in = readCertifyInput(text, "run.xml");
  ASSERT_TRUE(in) << toString(in.error());
  EXPECT_EQ(in->sha256, sha256Hex(text));
  EXPECT_EQ(in->report.total(), 1);

  auto bad = readCertifyInput("<testsuites>\n  <testsuite>\n</testsuites>\n", "bad.xml");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error()[0].file, "bad.xml");
  EXPECT_EQ(bad.error()[0].line, 3);
}

TEST(CertifyTest, RigClassFallsBackToTheBackend) {
  CaseResult c;
  c.properties = {{"backend", "local"}};
  EXPECT_EQ(rigClassOf(c), "local");
  c.properties = {{"backend", "sim"}, {"rig-class", "t4-server"}};
  EXPECT_EQ(rigClassOf(c), "t4-server");
  EXPECT_EQ(rigClassOf(CaseResult{}), "unknown");
}

TEST(CertifyTest, PesterTestcasesCountOnTheRigClassPester) {
  // Real Pester 6.2 output (tests/powershell/pester/make_sample.sh); tests run from the root.
  std::ifstream file("tests/data/pester-junit.xml");
  ASSERT_TRUE(file) << "tests/data/pester-junit.xml (tests run from the project root)";
  std::stringstream text;
  text << file.rdbuf();
  auto pester = readCertifyInput(text.str(), "pester.xml");
  ASSERT_TRUE(pester) << toString(pester.error());
  const auto ran = *parseTimestamp(pester->report.suites[0].timestamp);
  EXPECT_EQ(rigClassOf(pester->report.suites[0].cases[0]), "pester");

  Requirement mirrors;
  mirrors.id = "pester-mirrors";
  mirrors.scenarios = {"GpuPassthrough.*"};
  mirrors.rigClasses = {"pester"};
  Requirement teardown = mirrors;
  teardown.id = "pester-teardown";
  teardown.scenarios = {"Teardown.restores the VM settings"};
  auto p = policy({require("dda", {"dda"}), mirrors, teardown});
  p.maxAgeDays = 7;
  const auto cert = certify(p, {input(allPassing()), *pester}, library(), ran + 1h, kCertifier);

  EXPECT_FALSE(cert.certified);
  EXPECT_THAT(cert.rigClasses, ::testing::ElementsAre("sim", "pester"));
  ASSERT_EQ(cert.requirements.size(), 3u);
  EXPECT_TRUE(cert.requirements[0].passed); // gpu-hil's own results are judged as before
  EXPECT_FALSE(cert.requirements[1].passed);
  EXPECT_EQ(cert.requirements[1].scenarios, 5u);
  EXPECT_TRUE(cert.requirements[2].passed);

  // A Pester failure names Should's first line; every skip and inconclusive is a reason.
  std::vector<std::string> reasons;
  for (const auto& reason : cert.reasons) {
    EXPECT_EQ(reason.rigClass, "pester");
    reasons.push_back(reason.text);
  }
  EXPECT_THAT(
      reasons,
      ::testing::ElementsAre(
          "pester-mirrors on pester: GpuPassthrough.rollback.faults/"
          "dda-fault-add-assignable-device-error was skipped: Exception: is skipped, because no "
          "rig with a T4",
          "pester-mirrors on pester: GpuPassthrough.rollback.faults/"
          "gpupv-fault-add-partition-adapter-error was skipped: Exception: is inconclusive, "
          "because the VM did not answer",
          "pester-mirrors on pester: GpuPassthrough.rules/gpu-name-not-found failed: failure: "
          "Expected strings to be the same, but they were different.",
          "pester-mirrors on pester: GpuPassthrough.rules/home-t4-unsupported-edition was "
          "skipped: no reason given"));

  // Pester's local, zone-less timestamps age like ours.
  const auto later = certify(p, {*pester}, library(), ran + std::chrono::days{8}, kCertifier);
  EXPECT_FALSE(later.requirements[2].passed);
  const auto entry = std::find_if(later.entries.begin(), later.entries.end(), [](const Entry& e) {
    return e.scenario == "Teardown.restores the VM settings";
  });
  ASSERT_NE(entry, later.entries.end());
  EXPECT_EQ(entry->finding, Finding::Stale);
}

TEST(CertificateTest, RecordsPolicyInputsVerdictAndOutcomes) {
  auto p = policy({require("dda", {"dda"}, {"sim", "t4-server"}), require("gpu-pv", {"gpu-pv"})});
  p.maxAgeDays = 7;
  const auto cert = certify(p,
                            {input({failed("t4-dda", "gpu-count", "2 requested, 1 found"),
                                    result("t4-dda-warned"), result("geforce-gpupv")})},
                            library(), kNow, kCertifier);
  const auto text = certificateXml(cert);
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(text.c_str())) << text;
  const auto root = doc.child("certificate");
  EXPECT_STREQ(root.attribute("verdict").value(), "not-certified");
  EXPECT_STREQ(root.attribute("time").value(), "2026-11-27T12:00:00Z");
  EXPECT_STREQ(root.child("policy").attribute("name").value(), "release");
  EXPECT_STREQ(root.child("policy").attribute("path").value(), "release.xml");
  EXPECT_EQ(root.child("policy").attribute("sha256").value(), sha256Hex("release"));
  EXPECT_STREQ(root.child("policy").attribute("max-age-days").value(), "7");
  const auto in = root.child("inputs").child("input");
  EXPECT_STREQ(in.attribute("path").value(), "run.xml");
  EXPECT_EQ(in.attribute("sha256").value(), sha256Hex("run.xml"));
  EXPECT_STREQ(in.attribute("results").value(), "3");

  const auto dda = root.find_child_by_attribute("requirement", "id", "dda");
  EXPECT_STREQ(dda.attribute("outcome").value(), "failed");
  const auto sim = dda.find_child_by_attribute("rig-class", "name", "sim");
  EXPECT_STREQ(sim.attribute("outcome").value(), "failed");
  EXPECT_STREQ(sim.attribute("passed").value(), "1");
  const auto scenario = sim.child("scenario");
  EXPECT_STREQ(scenario.attribute("name").value(), "t4-dda");
  EXPECT_STREQ(scenario.attribute("outcome").value(), "failed");
  EXPECT_STREQ(scenario.attribute("type").value(), "gpu-count");
  EXPECT_STREQ(scenario.attribute("detail").value(), "gpu-count: 2 requested, 1 found");
  EXPECT_FALSE(scenario.next_sibling("scenario")); // passed scenarios are counted, not listed
  const auto rig = dda.find_child_by_attribute("rig-class", "name", "t4-server");
  EXPECT_STREQ(rig.attribute("outcome").value(), "not-run");
  EXPECT_STREQ(
      root.find_child_by_attribute("requirement", "id", "gpu-pv").attribute("outcome").value(),
      "passed");
  int reasons = 0;
  for (auto reason : root.child("reasons").children("reason")) {
    ++reasons;
    EXPECT_STRNE(reason.attribute("finding").value(), "");
  }
  EXPECT_EQ(reasons, 2);
}

/// A result of a run that names its build (docs/junit.md).
CaseResult built(std::string name, std::string rules = "eflow-2021-preview") {
  auto c = result(std::move(name));
  c.properties["hil-version"] = "0.1.0";
  c.properties["hil-commit"] = "b8ccf1a";
  c.properties["catalog-sha256"] = std::string(64, 'c');
  c.properties["seed"] = "42";
  c.properties["scenario-seed"] = "1234567";
  c.properties["rules"] = std::move(rules);
  return c;
}

TEST(CertificateTest, NamesTheBuildsItCertifiesAndTheHilThatCertified) {
  auto merged = built("geforce-gpupv");
  merged.properties["seed"] = "42 | 7"; // two runs merged into one suite
  auto old = result("t4-dda");
  old.properties["seed"] = "9876543"; // an older file: the scenario's seed, not the run's
  const auto cert = certify(
      policy({require("all", {"dda", "gpu-pv"})}),
      {input({built("t4-dda-warned"), built("t4-dda", "eflow-current"), merged}, kToday, "new.xml"),
       input({old}, kToday, "old.xml")},
      library(), kNow, kCertifier);
  const auto values = [](const std::vector<BuildFact>& facts) {
    std::vector<std::string> out;
    for (const auto& fact : facts) {
      std::string joined;
      for (const auto& v : fact.values) {
        joined += (joined.empty() ? "" : ",") + v;
      }
      out.push_back(fact.property + "=" + joined);
    }
    return out;
  };
  const auto sha = std::string(64, 'c');
  EXPECT_THAT(values(cert.inputs.at(0).builds),
              ::testing::ElementsAre("hil-version=0.1.0", "hil-commit=b8ccf1a",
                                     "catalog-sha256=" + sha, "seed=42,7",
                                     "rules=eflow-2021-preview,eflow-current"));
  EXPECT_THAT(values(cert.inputs.at(1).builds),
              ::testing::ElementsAre("hil-version=unknown", "hil-commit=unknown",
                                     "catalog-sha256=unknown", "seed=unknown", "rules=unknown"));
  EXPECT_THAT(values(cert.builds),
              ::testing::ElementsAre("hil-version=0.1.0,unknown", "hil-commit=b8ccf1a,unknown",
                                     "catalog-sha256=" + sha + ",unknown", "seed=42,7,unknown",
                                     "rules=eflow-2021-preview,eflow-current,unknown"));

  const auto text = certificateXml(cert);
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(text.c_str())) << text;
  const auto root = doc.child("certificate");
  EXPECT_STREQ(root.child("certified-by").attribute("hil-version").value(), "0.2.0");
  EXPECT_STREQ(root.child("certified-by").attribute("hil-commit").value(), "2f1c0d4");
  std::vector<std::string> seeds;
  for (auto seed : root.child("builds").children("seed")) {
    seeds.emplace_back(seed.text().get());
  }
  EXPECT_THAT(seeds, ::testing::ElementsAre("42", "7", "unknown"));
  EXPECT_STREQ(root.child("builds").child("catalog-sha256").text().get(), sha.c_str());
  const auto first = root.child("inputs").child("input");
  EXPECT_STREQ(first.child("hil-version").text().get(), "0.1.0");
  EXPECT_STREQ(first.child("hil-commit").text().get(), "b8ccf1a");
  EXPECT_STREQ(first.child("rules").next_sibling("rules").text().get(), "eflow-current");
  EXPECT_STREQ(first.next_sibling("input").child("hil-version").text().get(), "unknown");

  EXPECT_THAT(summaryText(cert),
              HasSubstr("  results of hil-version 0.1.0, unknown; hil-commit b8ccf1a, unknown; "
                        "catalog-sha256 " +
                        sha +
                        ", unknown; seed 42, 7, unknown; rules eflow-2021-preview, "
                        "eflow-current, unknown\n  certified by hil 0.2.0 (git 2f1c0d4)\n"));

  // A hil built outside a git checkout has no commit.
  const auto outside = certify(policy({require("all", {"dda"})}), {input({built("t4-dda")})},
                               library(), kNow, Certifier{"0.2.0", ""});
  pugi::xml_document again;
  ASSERT_TRUE(again.load_string(certificateXml(outside).c_str()));
  EXPECT_STREQ(again.child("certificate").child("certified-by").attribute("hil-commit").value(),
               "unknown");
  EXPECT_THAT(summaryText(outside), HasSubstr("certified by hil 0.2.0\n"));
}

TEST(CertificateTest, HostileTextStaysWellFormed) {
  auto hostile = failed("t4-dda", "gpu-count", "<b>\"&'\x1b[31m");
  const auto cert =
      certify(policy({require("dda", {"dda"})}), {input({hostile})}, library(), kNow, kCertifier);
  pugi::xml_document doc;
  const auto text = certificateXml(cert);
  ASSERT_TRUE(doc.load_string(text.c_str())) << text;
  EXPECT_THAT(text, HasSubstr("\\x1b[31m"));
}

} // namespace
} // namespace hil::reports
