#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "framework/core/diagnostic.h"
#include "framework/runner/results.h"
#include "reports/policy.h"

namespace hil::reports {

/// SHA-256 (FIPS 180-4, by OpenSSL's libcrypto) of the bytes, as 64 lowercase hex digits.
[[nodiscard]] std::string sha256Hex(std::string_view bytes);

/// "YYYY-MM-DDTHH:MM:SS" (UTC; a trailing "Z" or fraction of a second is accepted).
[[nodiscard]] std::optional<std::chrono::sys_seconds> parseTimestamp(std::string_view text);
/// "YYYY-MM-DDTHH:MM:SSZ"
[[nodiscard]] std::string formatTimestamp(std::chrono::sys_seconds time);

/// What the scenario library says about one scenario: JUnit carries no tags.
struct ScenarioInfo {
  std::string name;
  std::vector<std::string> tags;
  std::string description;
  std::string file;
  int line = 0;
};

/// One JUnit file given to certification.
struct CertifyInput {
  std::string path;
  std::string sha256;
  runner::RunReport report;
};

/// Reads a JUnit file for certification (its SHA-256 is of these bytes); malformed is file:line.
[[nodiscard]] Parsed<CertifyInput> readCertifyInput(std::string text, std::string path);

/// What a scenario's first deploy did, as its result records it.
enum class DeployKind {
  Unrecorded,    // the result names no technique (another tool's JUnit), or there is no result
  Configured,    // it configured a technique (DDA, GPU-PV)
  Nothing,       // nothing was asked: no deploy, or passthrough None
  Refused,       // refused by its prerequisite check (unsupported-edition, ...): nothing changed
  RolledBack,    // failed after it had started to change the host, which it rolled back
  DeployError,   // failed with a code gpu-hil does not know
  NotConfigured, // asked, configured nothing, and the result does not say why
  Merged,        // a suite's joined values ("A | B"): its scenarios did different things
};

/// "configured", "nothing", "refused", "rolled-back", "deploy-error", "not-configured",
/// "merged", "unrecorded"
[[nodiscard]] std::string_view toString(DeployKind kind);

struct DeployOutcome {
  DeployKind kind = DeployKind::Unrecorded;
  std::string technique; // as recorded (DirectDeviceAssignment), for Configured
  std::string error;     // the error code, for Refused, RolledBack, DeployError
  std::string label;     // as a matrix cell shows it: "DDA", "GPU-PV", "None",
                         // "refused: unsupported-edition", "rolled back: operation-failed"; empty
                         // for Unrecorded
};

/// Reads the outcome of a result's first deploy from its properties (docs/junit.md): a
/// deploy-error is a refusal when it is a prerequisite code, else a roll-back; otherwise the
/// technique it configured (DirectDeviceAssignment is DDA, ParaVirtualization GPU-PV), or None.
/// Older files' technique mixed the request and the outcome: auto (asked, configured nothing),
/// None and none read as nothing asked, DDA as DDA.
[[nodiscard]] DeployOutcome deployOutcomeOf(const runner::CaseResult& result);

/// What certification found for one scenario on one rig class.
enum class Finding {
  Passed,
  Failed,       // failed (the JUnit failure's type and message)
  Skipped,      // skipped: it did not pass
  NotRun,       // no result
  Warning,      // passed with a warning the policy counts as a failure
  Stale,        // older than the policy's max-age-days
  Undated,      // no timestamp, and the policy limits the age of results
  BelowMinimum, // passed, but a smoke figure is below the policy's minimum
};

/// "passed", "failed", "skipped", "not-run", "warning", "stale", "undated", "below-minimum"
[[nodiscard]] std::string_view toString(Finding finding);

/// A scenario on a rig class: its newest result, or a placeholder for a required one with none.
struct Entry {
  std::string scenario;
  std::string rigClass;
  Finding finding = Finding::NotRun;
  std::string detail;                       // why it is not passed; notes for a passed one
  std::optional<runner::CaseResult> result; // unset: not run
  std::string timestamp;                    // of its suite
  std::string input;                        // the JUnit file it came from
  std::vector<std::string> warnings;        // warning codes it reported
  std::vector<std::string> requiredBy;      // requirement ids that select the scenario
  std::vector<std::string> smokeBelow;      // smoke checks below the policy's minimum
  std::string gpu, windows;                 // where it sits in the matrix (from any rig class)
  DeployOutcome deploy;                     // what its first deploy did on this rig class
  std::string description;                  // from the scenario library
  std::string scenarioFile;                 // file:line in the scenario library, if known
  int superseded = 0;                       // older results for the same scenario and rig class
};

struct RigOutcome {
  std::string rigClass;
  bool passed = false;
  int results = 0;                  // required scenarios with a result on this rig class
  std::vector<std::size_t> entries; // into Certification::entries, one per required scenario
};

struct RequirementOutcome {
  std::string id;
  int line = 0;
  bool passed = false;
  std::size_t scenarios = 0; // how many scenarios it selects
  std::vector<RigOutcome> rigs;
};

struct SmokeOutcome {
  SmokeMinimum minimum;
  bool passed = false;
  int figures = 0;
  std::optional<double> lowest;
  std::string lowestScenario;
};

/// One reason the release is not certified.
struct Reason {
  std::vector<std::string> requirements; // the ids it concerns; none for a smoke minimum
  std::string smokeCheck;                // the check, for a smoke minimum
  std::string rigClass;
  std::string scenario; // empty when it is about a whole requirement, or many stale results
  Finding finding = Finding::Failed;
  std::string text;                 // the whole sentence, for people
  std::optional<std::size_t> entry; // into Certification::entries (the oldest stale one)
};

/// The distinct values of one property that names the build behind results (hil-version, ...),
/// in the order first found; "unknown" stands for results without it.
struct BuildFact {
  std::string property;
  std::vector<std::string> values;
};

/// The properties that name what produced a result (docs/junit.md), in this order:
/// hil-version, hil-commit, catalog-sha256, seed, rules.
[[nodiscard]] const std::vector<std::string>& buildProperties();

/// The hil that certifies: reports/ does not know its own version, the command passes it.
struct Certifier {
  std::string version;
  std::string commit; // empty: not built from a git checkout
};

struct InputSummary {
  std::string path;
  std::string sha256;
  int results = 0;
  std::vector<BuildFact> builds; // one per buildProperties(), in that order
};

struct Certification {
  std::string policyName;
  std::string policyDescription;
  std::string policyFile;
  std::string policySha256;
  std::optional<int> maxAgeDays;
  std::string now; // formatTimestamp of the clock given
  Certifier certifier;
  std::vector<BuildFact> builds; // every input's, one per buildProperties(), in that order
  bool certified = false;
  std::vector<InputSummary> inputs;
  std::vector<std::string> rigClasses; // the policy's, then any others the results came from
  std::vector<RequirementOutcome> requirements;
  std::vector<SmokeOutcome> smoke;
  std::vector<Reason> reasons;
  std::vector<Entry> entries; // by scenario, then rig class
};

/// The rig class a result came from: its rig-class property, else its backend ("sim" for the
/// simulator, "pester" for Pester's JUnit: see readJunit), else "unknown".
[[nodiscard]] std::string rigClassOf(const runner::CaseResult& result);

/// Judges the results against the policy. For each scenario and rig class the newest result
/// counts (by its suite's timestamp; on a tie, the worse outcome). A warning is accepted when the
/// policy, or a requirement selecting that scenario, says warnings="pass". `now` decides what is
/// stale; `certifier` is recorded as the hil that certified. Pure: the same inputs give the same
/// certification.
[[nodiscard]] Certification certify(const Policy& policy, const std::vector<CertifyInput>& inputs,
                                    const std::vector<ScenarioInfo>& library,
                                    std::chrono::sys_seconds now, const Certifier& certifier);

/// A readable summary: the builds certified, one line per requirement and rig class, then the
/// verdict and reasons.
[[nodiscard]] std::string summaryText(const Certification& certification);

/// The machine-readable certificate (XML): the hil that certified, policy name, path and
/// SHA-256, the builds certified (every hil-version, hil-commit, catalog-sha256, seed and rules
/// profile the results name), each input's path and SHA-256 with its own, the verdict, the time,
/// each requirement's outcome per rig class with its failing scenarios, each smoke minimum, and
/// every reason.
[[nodiscard]] std::string certificateXml(const Certification& certification);

} // namespace hil::reports
