#include "reports/certify.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include <fnmatch.h>

#include <fmt/format.h>
#include <openssl/evp.h>
#include <pugixml.hpp>

#include "framework/core/error.h"
#include "framework/core/xml.h"
#include "reports/junit_reader.h"
#include "reports/junit_writer.h"

namespace hil::reports {
namespace {

using runner::CaseResult;
using runner::CaseStatus;

// ---- reading results ----

int severity(CaseStatus status) {
  switch (status) {
  case CaseStatus::Failed:
    return 2;
  case CaseStatus::Skipped:
    return 1;
  case CaseStatus::Passed:
    break;
  }
  return 0;
}

std::string property(const CaseResult& c, const std::string& key) {
  const auto it = c.properties.find(key);
  return it == c.properties.end() ? std::string{} : it->second;
}

/// Values a merged suite joined with " | " (one per distinct case value).
std::vector<std::string> splitMerged(const std::string& value) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const auto bar = value.find(" | ", start);
    parts.push_back(value.substr(start, bar == std::string::npos ? bar : bar - start));
    if (bar == std::string::npos) {
      break;
    }
    start = bar + 3;
  }
  return parts;
}

std::vector<std::string> warningsOf(const CaseResult& c) {
  std::vector<std::string> codes;
  for (const auto& word : xml::words(property(c, "warnings"))) {
    if (word != "none" && word != "|" &&
        std::find(codes.begin(), codes.end(), word) == codes.end()) {
      codes.push_back(word);
    }
  }
  return codes;
}

bool matchesGlob(const std::vector<std::string>& globs, const std::string& name) {
  return std::any_of(globs.begin(), globs.end(), [&](const std::string& glob) {
    return fnmatch(glob.c_str(), name.c_str(), 0) == 0;
  });
}

bool hasTag(const std::vector<std::string>& wanted, const std::vector<std::string>& tags) {
  return std::any_of(wanted.begin(), wanted.end(), [&](const std::string& tag) {
    return std::find(tags.begin(), tags.end(), tag) != tags.end();
  });
}

/// A smoke figure such as "11.4 GB/s": its number and unit.
std::optional<std::pair<double, std::string>> parseFigure(const std::string& text) {
  const auto begin = text.find_first_not_of(' ');
  if (begin == std::string::npos) {
    return std::nullopt;
  }
  double value = 0;
  const char* first = text.data() + begin;
  const char* last = text.data() + text.size();
  auto [end, ec] = std::from_chars(first, last, value);
  if (ec != std::errc{} || !std::isfinite(value)) {
    return std::nullopt;
  }
  std::string unit{end, last};
  const auto a = unit.find_first_not_of(' ');
  unit =
      a == std::string::npos ? std::string{} : unit.substr(a, unit.find_last_not_of(' ') - a + 1);
  return std::pair{value, unit};
}

std::string number(double value) { return fmt::format("{:g}", value); }

std::string join(const std::vector<std::string>& words, std::string_view separator) {
  std::string text;
  for (const auto& word : words) {
    text += text.empty() ? word : std::string{separator} + word;
  }
  return text;
}

std::string where(const std::string& requirement, const std::string& rig) {
  return fmt::format("{} on {}", requirement, rig);
}

std::string findingSentence(const Entry& entry) {
  switch (entry.finding) {
  case Finding::Failed:
    return fmt::format("{} failed: {}", entry.scenario, entry.detail);
  case Finding::Skipped:
    return fmt::format("{} was skipped: {}", entry.scenario, entry.detail);
  case Finding::NotRun:
    return fmt::format("{} not run: {}", entry.scenario, entry.detail);
  case Finding::Warning:
    return fmt::format("{} passed with a warning that counts as a failure: {}", entry.scenario,
                       entry.detail);
  case Finding::Stale:
    return fmt::format("{} is stale: {}", entry.scenario, entry.detail);
  case Finding::Undated:
    return fmt::format("{} is undated: {}", entry.scenario, entry.detail);
  case Finding::BelowMinimum:
  case Finding::Passed:
    break;
  }
  return fmt::format("{} passed", entry.scenario);
}

std::string describeSelection(const Requirement& r) {
  std::string text;
  if (!r.scenarios.empty()) {
    text += "scenarios=\"";
    for (std::size_t i = 0; i < r.scenarios.size(); ++i) {
      text += (i ? " " : "") + r.scenarios[i];
    }
    text += "\"";
  }
  if (!r.tags.empty()) {
    text += text.empty() ? "tags=\"" : " tags=\"";
    for (std::size_t i = 0; i < r.tags.size(); ++i) {
      text += (i ? " " : "") + r.tags[i];
    }
    text += "\"";
  }
  return text;
}

std::string shortTechnique(const std::string& technique) {
  if (technique == "DirectDeviceAssignment" || technique == "DDA") {
    return "DDA";
  }
  if (technique == "ParaVirtualization" || technique == "GPU-PV") {
    return "GPU-PV";
  }
  return technique;
}

/// One deploy's outcome from single (not joined) values of technique, deploy-error and
/// passthrough.
DeployOutcome singleOutcome(const std::string& technique, const std::string& error,
                            const std::optional<std::string>& passthrough) {
  DeployOutcome outcome;
  if (!error.empty()) {
    outcome.error = error;
    const auto code = parseErrorCode(error);
    if (!code) {
      outcome.kind = DeployKind::DeployError;
      outcome.label = "deploy error: " + error;
    } else if (*code <= ErrorCode::DriverMissing) { // the prerequisite codes (error.h)
      outcome.kind = DeployKind::Refused;
      outcome.label = "refused: " + error;
    } else {
      outcome.kind = DeployKind::RolledBack;
      outcome.label = "rolled back: " + error;
    }
    return outcome;
  }
  if (technique == "auto" ||
      ((technique == "None" || technique == "none") && passthrough && *passthrough != "None")) {
    outcome.kind = DeployKind::NotConfigured;
    outcome.label = "not configured";
  } else if (technique == "None" || technique == "none") {
    outcome.kind = DeployKind::Nothing;
    outcome.label = "None";
  } else {
    outcome.kind = DeployKind::Configured;
    outcome.technique = technique;
    outcome.label = shortTechnique(technique);
  }
  return outcome;
}

/// The values of a build property a result names: a merged suite's joined ones, else its own,
/// else "unknown". Files from before the run's seed was recorded called the scenario's seed
/// `seed` and had no `scenario-seed`: their run seed is unknown.
std::vector<std::string> buildValues(const CaseResult& c, const std::string& name) {
  const auto value = property(c, name);
  if (value.empty() || (name == "seed" && !c.properties.contains("scenario-seed"))) {
    return {"unknown"};
  }
  return splitMerged(value);
}

void addDistinct(std::vector<std::string>& values, const std::vector<std::string>& more) {
  for (const auto& value : more) {
    if (std::find(values.begin(), values.end(), value) == values.end()) {
      values.push_back(value);
    }
  }
}

std::vector<BuildFact> noBuilds() {
  std::vector<BuildFact> facts;
  for (const auto& name : buildProperties()) {
    facts.push_back({name, {}});
  }
  return facts;
}

std::string describeCertifier(const Certifier& certifier) {
  return fmt::format("hil {}{}", certifier.version.empty() ? "unknown" : certifier.version,
                     certifier.commit.empty() ? "" : " (git " + certifier.commit + ")");
}

bool counts(Finding finding) {
  return finding == Finding::Passed || finding == Finding::BelowMinimum;
}

} // namespace

std::string sha256Hex(std::string_view bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("OpenSSL could not compute a SHA-256 (EVP_Digest failed)");
  }
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) {
    hex += fmt::format("{:02x}", digest[i]);
  }
  return hex;
}

std::optional<std::chrono::sys_seconds> parseTimestamp(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS, then optionally .fraction and Z.
  if (text.size() < 19 || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != ' ') || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  auto field = [&](std::size_t at, std::size_t length) -> std::optional<int> {
    int value = 0;
    const char* first = text.data() + at;
    auto [end, ec] = std::from_chars(first, first + length, value);
    if (ec != std::errc{} || end != first + length) {
      return std::nullopt;
    }
    return value;
  };
  auto rest = text.substr(19);
  if (rest.starts_with('.')) {
    std::size_t digits = 1;
    while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') {
      ++digits;
    }
    rest = rest.substr(digits);
  }
  if (rest == "Z" || rest == "+00:00") {
    rest = {};
  }
  const auto y = field(0, 4);
  const auto mo = field(5, 2);
  const auto d = field(8, 2);
  const auto hh = field(11, 2);
  const auto mm = field(14, 2);
  const auto ss = field(17, 2);
  if (!rest.empty() || !y || !mo || !d || !hh || !mm || !ss || *hh > 23 || *mm > 59 || *ss > 60) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year{*y},
                                         std::chrono::month{static_cast<unsigned>(*mo)},
                                         std::chrono::day{static_cast<unsigned>(*d)}};
  if (!date.ok()) {
    return std::nullopt;
  }
  return std::chrono::sys_days{date} + std::chrono::hours{*hh} + std::chrono::minutes{*mm} +
         std::chrono::seconds{*ss};
}

std::string formatTimestamp(std::chrono::sys_seconds time) {
  const auto days = std::chrono::floor<std::chrono::days>(time);
  const std::chrono::year_month_day date{days};
  const std::chrono::hh_mm_ss clock{time - days};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     clock.hours().count(), clock.minutes().count(), clock.seconds().count());
}

Parsed<CertifyInput> readCertifyInput(std::string text, std::string path) {
  CertifyInput input;
  input.sha256 = sha256Hex(text);
  input.path = path;
  auto report = readJunit(std::move(text), std::move(path));
  if (!report) {
    return std::unexpected(report.error());
  }
  input.report = std::move(*report);
  return input;
}

std::string_view toString(Finding finding) {
  switch (finding) {
  case Finding::Passed:
    return "passed";
  case Finding::Failed:
    return "failed";
  case Finding::Skipped:
    return "skipped";
  case Finding::NotRun:
    return "not-run";
  case Finding::Warning:
    return "warning";
  case Finding::Stale:
    return "stale";
  case Finding::Undated:
    return "undated";
  case Finding::BelowMinimum:
    return "below-minimum";
  }
  return "unknown";
}

const std::vector<std::string>& buildProperties() {
  static const std::vector<std::string> names = {"hil-version", "hil-commit", "catalog-sha256",
                                                 "seed", "rules"};
  return names;
}

std::string_view toString(DeployKind kind) {
  switch (kind) {
  case DeployKind::Unrecorded:
    return "unrecorded";
  case DeployKind::Configured:
    return "configured";
  case DeployKind::Nothing:
    return "nothing";
  case DeployKind::Refused:
    return "refused";
  case DeployKind::RolledBack:
    return "rolled-back";
  case DeployKind::DeployError:
    return "deploy-error";
  case DeployKind::NotConfigured:
    return "not-configured";
  case DeployKind::Merged:
    break;
  }
  return "merged";
}

DeployOutcome deployOutcomeOf(const CaseResult& result) {
  const auto technique = result.properties.find("technique");
  if (technique == result.properties.end() || technique->second.empty()) {
    return {};
  }
  const auto error = property(result, "deploy-error");
  std::optional<std::string> passthrough;
  if (const auto it = result.properties.find("passthrough"); it != result.properties.end()) {
    passthrough = it->second;
  }
  const auto techniques = splitMerged(technique->second);
  const auto errors = splitMerged(error);
  if (techniques.size() == 1 && errors.size() == 1) {
    return singleOutcome(technique->second, error, passthrough);
  }
  // A suite of several scenarios without their own properties: which did what is lost.
  DeployOutcome outcome;
  outcome.kind = DeployKind::Merged;
  for (const auto& t : techniques) {
    outcome.label += (outcome.label.empty() ? "" : " | ") + shortTechnique(t);
  }
  if (!error.empty()) {
    outcome.error = error;
    outcome.label += " (deploy-error " + error + ")";
  }
  return outcome;
}

std::string rigClassOf(const CaseResult& result) {
  if (auto rig = property(result, "rig-class"); !rig.empty()) {
    return rig;
  }
  const auto backend = property(result, "backend");
  if (backend.empty()) {
    return "unknown";
  }
  return backend;
}

namespace {

/// (scenario, rig class) -> the cell's entry: the newest result there, or a placeholder.
using Cells = std::map<std::pair<std::string, std::string>, Entry>;

Certification emptyCertificate(const Policy& policy, std::chrono::sys_seconds now,
                               const Certifier& certifier) {
  Certification cert;
  cert.certifier = certifier;
  cert.builds = noBuilds();
  cert.policyName = policy.name;
  cert.policyDescription = policy.description;
  cert.policyFile = policy.file;
  cert.policySha256 = policy.sha256;
  cert.maxAgeDays = policy.maxAgeDays;
  cert.now = formatTimestamp(now);
  return cert;
}

void addRig(std::vector<std::string>& rigClasses, const std::string& rig) {
  if (std::find(rigClasses.begin(), rigClasses.end(), rig) == rigClasses.end()) {
    rigClasses.push_back(rig);
  }
}

/// The policy's rig classes, in its order.
void addPolicyRigs(const Policy& policy, std::vector<std::string>& rigClasses) {
  for (const auto& r : policy.requirements) {
    for (const auto& rig : r.rigClasses) {
      addRig(rigClasses, rig);
    }
  }
  for (const auto& s : policy.smoke) {
    addRig(rigClasses, s.rigClass);
  }
}

/// Keeps `c` in its cell if it is newer than what is there (or as new and worse).
void keepNewest(Cells& newest, const std::string& rig, const runner::SuiteResult& suite,
                const CaseResult& c, const std::string& inputPath) {
  auto [it, fresh] = newest.try_emplace({c.name, rig});
  Entry& e = it->second;
  if (!fresh) {
    ++e.superseded;
    const bool newer = suite.timestamp > e.timestamp;
    const bool worseTie =
        suite.timestamp == e.timestamp && severity(c.status) > severity(e.result->status);
    if (!newer && !worseTie) {
      return;
    }
  }
  e.scenario = c.name;
  e.rigClass = rig;
  e.result = c;
  e.timestamp = suite.timestamp;
  e.input = inputPath;
  e.warnings = warningsOf(c);
  e.gpu = property(c, "gpu");
  e.windows = property(c, "windows-build");
  e.deploy = deployOutcomeOf(c);
}

/// Reads every input's results into their cells, summarising each input on the certificate;
/// returns the rig classes the results came from.
std::set<std::string> readResults(const std::vector<CertifyInput>& inputs, Certification& cert,
                                  Cells& newest) {
  std::set<std::string> seenRigs;
  for (const auto& input : inputs) {
    InputSummary summary{input.path, input.sha256, 0, noBuilds()};
    for (const auto& suite : input.report.suites) {
      for (const auto& c : suite.cases) {
        ++summary.results;
        for (auto& fact : summary.builds) {
          addDistinct(fact.values, buildValues(c, fact.property));
        }
        const auto rig = rigClassOf(c);
        seenRigs.insert(rig);
        keepNewest(newest, rig, suite, c, input.path);
      }
    }
    for (std::size_t i = 0; i < summary.builds.size(); ++i) {
      if (summary.builds[i].values.empty()) { // no result at all
        summary.builds[i].values.push_back("unknown");
      }
      addDistinct(cert.builds[i].values, summary.builds[i].values);
    }
    cert.inputs.push_back(std::move(summary));
  }
  return seenRigs;
}

/// What each requirement selects: library scenarios by glob or tag, results by glob.
struct Selection {
  std::vector<std::set<std::string>> selected; // one per requirement
  std::map<std::string, bool> acceptsWarnings; // scenario -> a requirement accepts its warnings
};

Selection selectScenarios(const Policy& policy, const std::vector<ScenarioInfo>& library,
                          const Cells& newest) {
  Selection selection;
  selection.selected.resize(policy.requirements.size());
  for (std::size_t i = 0; i < policy.requirements.size(); ++i) {
    const auto& r = policy.requirements[i];
    auto& selected = selection.selected[i];
    for (const auto& info : library) {
      if (matchesGlob(r.scenarios, info.name) || hasTag(r.tags, info.tags)) {
        selected.insert(info.name);
      }
    }
    for (const auto& [key, entry] : newest) {
      if (matchesGlob(r.scenarios, key.first)) {
        selected.insert(key.first);
      }
    }
    const bool pass = r.warnings.value_or(policy.warnings) == WarningPolicy::Pass;
    for (const auto& name : selected) {
      selection.acceptsWarnings[name] = selection.acceptsWarnings[name] || pass;
    }
  }
  return selection;
}

/// A required scenario with no result on a required rig class gets a placeholder.
void addPlaceholders(const Policy& policy, const Selection& selection, Cells& newest) {
  for (std::size_t i = 0; i < policy.requirements.size(); ++i) {
    for (const auto& rig : policy.requirements[i].rigClasses) {
      for (const auto& name : selection.selected[i]) {
        auto [it, fresh] = newest.try_emplace({name, rig});
        if (fresh) {
          it->second.scenario = name;
          it->second.rigClass = rig;
          it->second.finding = Finding::NotRun;
          it->second.detail = fmt::format("no result from rig class {}", rig);
        }
        it->second.requiredBy.push_back(policy.requirements[i].id);
      }
    }
  }
}

/// Marks a result stale or undated when the policy limits its age; returns whether it did.
bool judgeAge(Entry& e, const Policy& policy, std::chrono::sys_seconds now,
              const std::string& nowText) {
  if (!policy.maxAgeDays) {
    return false;
  }
  const auto ran = parseTimestamp(e.timestamp);
  if (!ran) {
    e.finding = Finding::Undated;
    e.detail =
        fmt::format("its suite has no timestamp{}, and the policy allows results at "
                    "most {} day(s) old",
                    e.timestamp.empty() ? "" : fmt::format(" it can read (\"{}\")", e.timestamp),
                    *policy.maxAgeDays);
    return true;
  }
  const auto age = std::chrono::duration_cast<std::chrono::hours>(now - *ran);
  if (age > std::chrono::days{*policy.maxAgeDays}) {
    e.finding = Finding::Stale;
    e.detail = fmt::format("it ran {}, {} day(s) before {}; the policy allows {} day(s)",
                           formatTimestamp(*ran), age.count() / 24, nowText, *policy.maxAgeDays);
    return true;
  }
  return false;
}

/// Judges one result: failed, skipped, too old, a warning the policy refuses, or passed.
void judgeResult(Entry& e, const Policy& policy, bool acceptWarnings, std::chrono::sys_seconds now,
                 const std::string& nowText) {
  const auto& c = *e.result;
  std::string warningList;
  for (const auto& w : e.warnings) {
    warningList += (warningList.empty() ? "" : " ") + w;
  }
  if (c.status == CaseStatus::Failed) {
    e.finding = Finding::Failed;
    e.detail = c.failureMessage.empty() ? c.failureType
                                        : fmt::format("{}: {}", c.failureType, c.failureMessage);
    return;
  }
  if (c.status == CaseStatus::Skipped) {
    e.finding = Finding::Skipped;
    e.detail = c.skipReason.empty() ? std::string{"no reason given"} : c.skipReason;
    return;
  }
  if (judgeAge(e, policy, now, nowText)) {
    return;
  }
  if (!e.warnings.empty()) {
    if (!acceptWarnings) {
      e.finding = Finding::Warning;
      e.detail = fmt::format("{} (the policy says warnings=\"fail\")", warningList);
      return;
    }
    e.detail = fmt::format("warning {} accepted by the policy", warningList);
  }
  e.finding = Finding::Passed;
}

void judgeResults(Cells& newest, const Policy& policy, const Selection& selection,
                  std::chrono::sys_seconds now, const std::string& nowText) {
  const bool policyAccepts = policy.warnings == WarningPolicy::Pass;
  for (auto& [key, e] : newest) {
    if (!e.result) {
      continue;
    }
    const auto accepted = selection.acceptsWarnings.find(e.scenario);
    const bool acceptWarnings =
        accepted == selection.acceptsWarnings.end() ? policyAccepts : accepted->second;
    judgeResult(e, policy, acceptWarnings, now, nowText);
  }
}

/// Where a placeholder sits in the matrix: where the scenario ran on another rig class; and what
/// the library says about each scenario.
void describeEntries(Cells& newest, const std::vector<ScenarioInfo>& library) {
  std::map<std::string, const Entry*> placed;
  for (const auto& [key, e] : newest) {
    if (e.result && !placed.contains(e.scenario)) {
      placed[e.scenario] = &e;
    }
  }
  for (auto& [key, e] : newest) {
    if (!e.result) {
      if (auto it = placed.find(e.scenario); it != placed.end()) {
        e.gpu = it->second->gpu;
        e.windows = it->second->windows;
      }
    }
  }
  std::map<std::string, const ScenarioInfo*> known;
  for (const auto& info : library) {
    known.try_emplace(info.name, &info);
  }
  for (auto& [key, e] : newest) {
    if (auto it = known.find(e.scenario); it != known.end()) {
      e.description = it->second->description;
      e.scenarioFile = fmt::format("{}:{}", it->second->file, it->second->line);
    }
  }
}

/// (scenario, rig class) -> index into Certification::entries.
using EntryIndex = std::map<std::pair<std::string, std::string>, std::size_t>;

/// Moves the cells into the certificate by scenario, then rig class in column order.
EntryIndex placeEntries(Cells& newest, Certification& cert) {
  auto rigIndex = [&](const std::string& rig) {
    return std::find(cert.rigClasses.begin(), cert.rigClasses.end(), rig) - cert.rigClasses.begin();
  };
  for (auto& [key, e] : newest) {
    cert.entries.push_back(std::move(e));
  }
  std::stable_sort(cert.entries.begin(), cert.entries.end(), [&](const Entry& a, const Entry& b) {
    if (a.scenario != b.scenario) {
      return a.scenario < b.scenario;
    }
    return rigIndex(a.rigClass) < rigIndex(b.rigClass);
  });
  EntryIndex index;
  for (std::size_t i = 0; i < cert.entries.size(); ++i) {
    index[{cert.entries[i].scenario, cert.entries[i].rigClass}] = i;
  }
  return index;
}

/// What is wrong with one smoke figure an entry reported, if anything; notes the lowest figure.
std::string smokeProblem(const SmokeMinimum& minimum, const std::string& wanted, const Entry& e,
                         const std::string& text, SmokeOutcome& outcome) {
  const auto figure = parseFigure(text);
  if (!figure) {
    return fmt::format("{} reported \"{}\", not a number; the policy wants at least {}", e.scenario,
                       text, wanted);
  }
  if (!minimum.unit.empty() && figure->second != minimum.unit) {
    return fmt::format("{} reported {} in {}, the policy's minimum is in {}", e.scenario, text,
                       figure->second.empty() ? "no unit" : figure->second, minimum.unit);
  }
  if (!outcome.lowest || figure->first < *outcome.lowest) {
    outcome.lowest = figure->first;
    outcome.lowestScenario = e.scenario;
  }
  if (figure->first < minimum.min) {
    return fmt::format("{} measured {}, below the minimum {}", e.scenario, text, wanted);
  }
  return {};
}

/// One smoke minimum over every entry from its rig class; its reasons go to `reasons`.
SmokeOutcome checkSmokeMinimum(const SmokeMinimum& minimum, Certification& cert,
                               std::vector<Reason>& reasons) {
  SmokeOutcome outcome{minimum, true, 0, std::nullopt, {}};
  const auto label = fmt::format("smoke {} on {}", minimum.check, minimum.rigClass);
  const auto wanted =
      fmt::format("{}{}", number(minimum.min), minimum.unit.empty() ? "" : " " + minimum.unit);
  for (std::size_t i = 0; i < cert.entries.size(); ++i) {
    auto& e = cert.entries[i];
    if (!e.result || e.rigClass != minimum.rigClass) {
      continue;
    }
    const auto it = e.result->properties.find("smoke." + minimum.check);
    if (it == e.result->properties.end()) {
      continue;
    }
    for (const auto& text : splitMerged(it->second)) {
      ++outcome.figures;
      const auto problem = smokeProblem(minimum, wanted, e, text, outcome);
      if (problem.empty()) {
        continue;
      }
      outcome.passed = false;
      e.smokeBelow.push_back(minimum.check);
      if (e.finding == Finding::Passed) {
        e.finding = Finding::BelowMinimum;
        e.detail = problem;
      }
      reasons.push_back({{},
                         minimum.check,
                         minimum.rigClass,
                         e.scenario,
                         Finding::BelowMinimum,
                         fmt::format("{}: {}", label, problem),
                         i});
    }
  }
  if (outcome.figures == 0) {
    outcome.passed = false;
    reasons.push_back(
        {{},
         minimum.check,
         minimum.rigClass,
         "",
         Finding::NotRun,
         fmt::format("{}: not run: no result from rig class {} reports the smoke check {} "
                     "(the policy wants at least {})",
                     label, minimum.rigClass, minimum.check, wanted),
         std::nullopt});
  }
  return outcome;
}

/// Smoke minimums (before the requirements, so a low figure shows on its entry); returns their
/// reasons, which follow the requirements' on the certificate.
std::vector<Reason> checkSmoke(const Policy& policy, Certification& cert) {
  std::vector<Reason> smokeReasons;
  for (const auto& minimum : policy.smoke) {
    cert.smoke.push_back(checkSmokeMinimum(minimum, cert, smokeReasons));
  }
  return smokeReasons;
}

void addRequirement(Reason& reason, const std::string& id) {
  if (std::find(reason.requirements.begin(), reason.requirements.end(), id) ==
      reason.requirements.end()) {
    reason.requirements.push_back(id);
  }
}

/// The reasons the requirements give. A scenario that did not pass on a rig class is one reason,
/// naming every requirement that selects it; stale results are one reason per rig class, and so
/// are undated ones. Their sentences are written once all are known (writeSentences).
class RequirementReasons {
public:
  explicit RequirementReasons(Certification& cert) : cert_{cert} {}

  void add(Reason reason) { cert_.reasons.push_back(std::move(reason)); }

  /// An entry on a rig class that does not count for requirement `id`.
  void notCounted(std::size_t at, const std::string& rig, const std::string& id) {
    const auto& e = cert_.entries[at];
    if (e.finding != Finding::Stale && e.finding != Finding::Undated) {
      addRequirement(reasonFor(scenarioReason_, at, {{}, "", rig, e.scenario, e.finding, "", at}),
                     id);
      return;
    }
    auto& reason =
        reasonFor(ageReason_, std::pair{e.finding, rig}, {{}, "", rig, "", e.finding, "", at});
    addRequirement(reason, id);
    auto& entries = aged_[static_cast<std::size_t>(&reason - cert_.reasons.data())];
    if (std::find(entries.begin(), entries.end(), at) == entries.end()) {
      entries.push_back(at);
    }
  }

  /// Writes the sentence of each reason that has none yet.
  void writeSentences() {
    for (std::size_t i = 0; i < cert_.reasons.size(); ++i) {
      if (cert_.reasons[i].text.empty()) {
        writeSentence(i);
      }
    }
  }

private:
  template <class Slots, class Key> Reason& reasonFor(Slots& slots, const Key& key, Reason reason) {
    const auto [it, fresh] = slots.try_emplace(key, cert_.reasons.size());
    if (fresh) {
      cert_.reasons.push_back(std::move(reason));
    }
    return cert_.reasons[it->second];
  }

  void writeSentence(std::size_t i) {
    auto& reason = cert_.reasons[i];
    const auto prefix = where(join(reason.requirements, ", "), reason.rigClass);
    const auto it = aged_.find(i);
    if (it == aged_.end() || it->second.size() == 1) {
      reason.scenario = cert_.entries[*reason.entry].scenario;
      reason.text = fmt::format("{}: {}", prefix, findingSentence(cert_.entries[*reason.entry]));
      return;
    }
    // Many results too old, or without a date: the oldest (or the first) speaks for them.
    const auto& entries = it->second;
    auto oldest = entries.front();
    for (const auto at : entries) {
      const auto ran = parseTimestamp(cert_.entries[at].timestamp);
      const auto best = parseTimestamp(cert_.entries[oldest].timestamp);
      if (ran && best && *ran < *best) {
        oldest = at;
      }
    }
    reason.entry = oldest;
    const auto& e = cert_.entries[oldest];
    reason.text = reason.finding == Finding::Stale
                      ? fmt::format("{}: {} results are stale; the oldest, {}: {}", prefix,
                                    entries.size(), e.scenario, e.detail)
                      : fmt::format("{}: {} results are undated; the first, {}: {}", prefix,
                                    entries.size(), e.scenario, e.detail);
  }

  Certification& cert_;
  std::map<std::size_t, std::size_t> scenarioReason_;                // entry -> reason
  std::map<std::pair<Finding, std::string>, std::size_t> ageReason_; // (finding, rig) -> reason
  std::map<std::size_t, std::vector<std::size_t>> aged_;             // reason -> its entries
};

/// One requirement on one of its rig classes.
RigOutcome judgeRigClass(const Requirement& r, const std::string& rig,
                         const std::set<std::string>& selected, const EntryIndex& index,
                         const Certification& cert, RequirementReasons& reasons) {
  RigOutcome rigOutcome{rig, !selected.empty(), 0, {}};
  for (const auto& name : selected) {
    const auto at = index.at({name, rig});
    rigOutcome.entries.push_back(at);
    if (cert.entries[at].result) {
      ++rigOutcome.results;
    }
  }
  if (!selected.empty() && rigOutcome.results == 0) {
    rigOutcome.passed = false;
    reasons.add({{r.id},
                 "",
                 rig,
                 "",
                 Finding::NotRun,
                 fmt::format("{}: not run on {}: none of its {} scenario(s) has a result from rig "
                             "class {}",
                             where(r.id, rig), rig, selected.size(), rig),
                 std::nullopt});
    return rigOutcome;
  }
  for (const auto at : rigOutcome.entries) {
    if (!counts(cert.entries[at].finding)) {
      rigOutcome.passed = false;
      reasons.notCounted(at, rig, r.id);
    }
  }
  return rigOutcome;
}

/// Each requirement on each of its rig classes.
void judgeRequirements(const Policy& policy, const Selection& selection, const EntryIndex& index,
                       Certification& cert) {
  RequirementReasons reasons{cert};
  for (std::size_t i = 0; i < policy.requirements.size(); ++i) {
    const auto& r = policy.requirements[i];
    const auto& selected = selection.selected[i];
    RequirementOutcome outcome{r.id, r.line, true, selected.size(), {}};
    if (selected.empty()) {
      outcome.passed = false;
      reasons.add({{r.id},
                   "",
                   "",
                   "",
                   Finding::NotRun,
                   fmt::format("{}: selects no scenario: nothing in the scenario "
                               "library or the results matches {}",
                               r.id, describeSelection(r)),
                   std::nullopt});
    }
    for (const auto& rig : r.rigClasses) {
      auto rigOutcome = judgeRigClass(r, rig, selected, index, cert, reasons);
      outcome.passed = outcome.passed && rigOutcome.passed;
      outcome.rigs.push_back(std::move(rigOutcome));
    }
    cert.requirements.push_back(std::move(outcome));
  }
  reasons.writeSentences();
}

} // namespace

Certification certify(const Policy& policy, const std::vector<CertifyInput>& inputs,
                      const std::vector<ScenarioInfo>& library, std::chrono::sys_seconds now,
                      const Certifier& certifier) {
  auto cert = emptyCertificate(policy, now, certifier);

  // Rig classes: the policy's, in its order, then those the results came from, sorted.
  addPolicyRigs(policy, cert.rigClasses);
  const std::size_t policyRigs = cert.rigClasses.size();
  Cells newest;
  for (const auto& rig : readResults(inputs, cert, newest)) {
    addRig(cert.rigClasses, rig);
  }
  std::sort(cert.rigClasses.begin() + static_cast<std::ptrdiff_t>(policyRigs),
            cert.rigClasses.end());

  const auto selection = selectScenarios(policy, library, newest);
  addPlaceholders(policy, selection, newest);
  judgeResults(newest, policy, selection, now, cert.now);
  describeEntries(newest, library);
  const auto index = placeEntries(newest, cert);

  auto smokeReasons = checkSmoke(policy, cert);
  judgeRequirements(policy, selection, index, cert);
  cert.reasons.insert(cert.reasons.end(), smokeReasons.begin(), smokeReasons.end());
  // The same sentence twice says nothing more.
  std::set<std::string> said;
  std::erase_if(cert.reasons,
                [&](const Reason& reason) { return !said.insert(reason.text).second; });
  cert.certified = cert.reasons.empty();
  return cert;
}

std::string summaryText(const Certification& cert) {
  std::string text;
  int results = 0;
  for (const auto& input : cert.inputs) {
    results += input.results;
  }
  text += fmt::format("certify: policy {} ({}), {} result(s) from {} file(s), now {}\n",
                      cert.policyName, cert.policyFile, results, cert.inputs.size(), cert.now);
  std::string builds;
  for (const auto& fact : cert.builds) {
    builds +=
        fmt::format("{}{} {}", builds.empty() ? "" : "; ", fact.property, join(fact.values, ", "));
  }
  text += fmt::format("  results of {}\n  certified by {}\n", builds,
                      describeCertifier(cert.certifier));
  for (const auto& r : cert.requirements) {
    for (const auto& rig : r.rigs) {
      int passed = 0;
      for (const auto at : rig.entries) {
        passed += counts(cert.entries[at].finding) ? 1 : 0;
      }
      const auto* word = rig.passed ? "passed" : (rig.results == 0 ? "NOT RUN" : "FAILED");
      text += fmt::format("  {:<24} {:<22} {:<8} {} of {} scenario(s) passed\n", r.id, rig.rigClass,
                          word, passed, rig.entries.size());
    }
    if (r.rigs.empty() || r.scenarios == 0) {
      text += fmt::format("  {:<24} {:<22} {}\n", r.id, "-", "FAILED  selects no scenario");
    }
  }
  for (const auto& s : cert.smoke) {
    const auto unit = s.minimum.unit.empty() ? std::string{} : " " + s.minimum.unit;
    text += fmt::format("  smoke {:<18} {:<22} {:<8} {} figure(s), lowest {}, minimum {}{}\n",
                        s.minimum.check, s.minimum.rigClass,
                        s.passed ? "passed" : (s.figures == 0 ? "NOT RUN" : "FAILED"), s.figures,
                        s.lowest ? number(*s.lowest) + unit : std::string{"-"},
                        number(s.minimum.min), unit);
  }
  if (cert.certified) {
    text += fmt::format("CERTIFIED: every requirement of policy {} is met\n", cert.policyName);
  } else {
    text += fmt::format("NOT CERTIFIED: {} reason(s)\n", cert.reasons.size());
    for (const auto& reason : cert.reasons) {
      text += fmt::format("  - {}\n", reason.text);
    }
  }
  return text;
}

namespace {

/// An attribute whose value is made XML-safe first.
void setSanitized(pugi::xml_node node, const char* name, const std::string& value) {
  node.append_attribute(name) = sanitizeXmlText(value).c_str();
}

void appendBuilds(pugi::xml_node node, const std::vector<BuildFact>& facts) {
  for (const auto& fact : facts) {
    for (const auto& value : fact.values) {
      node.append_child(fact.property.c_str()).text().set(sanitizeXmlText(value).c_str());
    }
  }
}

void appendHeader(pugi::xml_node root, const Certification& cert) {
  setSanitized(root, "verdict", cert.certified ? "certified" : "not-certified");
  setSanitized(root, "time", cert.now);
  auto by = root.append_child("certified-by");
  setSanitized(by, "hil-version",
               cert.certifier.version.empty() ? "unknown" : cert.certifier.version);
  setSanitized(by, "hil-commit", cert.certifier.commit.empty() ? "unknown" : cert.certifier.commit);
  auto policy = root.append_child("policy");
  setSanitized(policy, "name", cert.policyName);
  setSanitized(policy, "path", cert.policyFile);
  setSanitized(policy, "sha256", cert.policySha256);
  if (cert.maxAgeDays) {
    setSanitized(policy, "max-age-days", std::to_string(*cert.maxAgeDays));
  }
  appendBuilds(root.append_child("builds"), cert.builds);
  auto inputs = root.append_child("inputs");
  for (const auto& input : cert.inputs) {
    auto node = inputs.append_child("input");
    setSanitized(node, "path", input.path);
    setSanitized(node, "sha256", input.sha256);
    setSanitized(node, "results", std::to_string(input.results));
    appendBuilds(node, input.builds);
  }
}

/// A scenario that does not count on a rig class.
void appendScenario(pugi::xml_node rigNode, const Entry& e) {
  auto scenario = rigNode.append_child("scenario");
  setSanitized(scenario, "name", e.scenario);
  setSanitized(scenario, "outcome", std::string{toString(e.finding)});
  if (e.result && e.result->status == CaseStatus::Failed) {
    setSanitized(scenario, "type", e.result->failureType);
  }
  setSanitized(scenario, "detail", e.detail);
  if (!e.input.empty()) {
    setSanitized(scenario, "input", e.input);
  }
  if (!e.timestamp.empty()) {
    setSanitized(scenario, "timestamp", e.timestamp);
  }
}

void appendRigClass(pugi::xml_node node, const RigOutcome& rig, const Certification& cert) {
  auto rigNode = node.append_child("rig-class");
  setSanitized(rigNode, "name", rig.rigClass);
  const bool notRun = rig.results == 0;
  setSanitized(rigNode, "outcome", rig.passed ? "passed" : (notRun ? "not-run" : "failed"));
  std::map<Finding, int> tally;
  for (const auto at : rig.entries) {
    ++tally[cert.entries[at].finding];
  }
  setSanitized(rigNode, "results", std::to_string(rig.results));
  setSanitized(rigNode, "passed",
               std::to_string(tally[Finding::Passed] + tally[Finding::BelowMinimum]));
  if (notRun) {
    return; // the requirement as a whole was not run there: one reason, not one per scenario
  }
  for (const auto at : rig.entries) {
    if (!counts(cert.entries[at].finding)) {
      appendScenario(rigNode, cert.entries[at]);
    }
  }
}

void appendSmoke(pugi::xml_node root, const SmokeOutcome& s) {
  auto node = root.append_child("smoke");
  setSanitized(node, "rig-class", s.minimum.rigClass);
  setSanitized(node, "check", s.minimum.check);
  setSanitized(node, "min", number(s.minimum.min));
  if (!s.minimum.unit.empty()) {
    setSanitized(node, "unit", s.minimum.unit);
  }
  setSanitized(node, "outcome", s.passed ? "passed" : (s.figures == 0 ? "not-run" : "failed"));
  setSanitized(node, "figures", std::to_string(s.figures));
  if (s.lowest) {
    setSanitized(node, "lowest", number(*s.lowest));
    setSanitized(node, "lowest-scenario", s.lowestScenario);
  }
}

void appendReason(pugi::xml_node reasons, const Reason& reason) {
  auto node = reasons.append_child("reason");
  if (!reason.requirements.empty()) {
    setSanitized(node, "requirements", join(reason.requirements, " "));
  }
  if (!reason.smokeCheck.empty()) {
    setSanitized(node, "smoke-check", reason.smokeCheck);
  }
  if (!reason.rigClass.empty()) {
    setSanitized(node, "rig-class", reason.rigClass);
  }
  if (!reason.scenario.empty()) {
    setSanitized(node, "scenario", reason.scenario);
  }
  setSanitized(node, "finding", std::string{toString(reason.finding)});
  node.text().set(sanitizeXmlText(reason.text).c_str());
}

} // namespace

std::string certificateXml(const Certification& cert) {
  pugi::xml_document doc;
  auto decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  auto root = doc.append_child("certificate");
  appendHeader(root, cert);
  for (const auto& r : cert.requirements) {
    auto node = root.append_child("requirement");
    setSanitized(node, "id", r.id);
    setSanitized(node, "outcome", r.passed ? "passed" : "failed");
    setSanitized(node, "scenarios", std::to_string(r.scenarios));
    for (const auto& rig : r.rigs) {
      appendRigClass(node, rig, cert);
    }
  }
  for (const auto& s : cert.smoke) {
    appendSmoke(root, s);
  }
  auto reasons = root.append_child("reasons");
  for (const auto& reason : cert.reasons) {
    appendReason(reasons, reason);
  }
  std::ostringstream out;
  doc.save(out, "  ", pugi::format_default, pugi::encoding_utf8);
  return out.str();
}

} // namespace hil::reports
