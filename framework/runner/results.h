#pragma once

#include <map>
#include <string>
#include <vector>

namespace hil::runner {

enum class CaseStatus { Passed, Failed, Skipped };

/// The outcome of one scenario: what a report needs, nothing about how it ran.
struct CaseResult {
  std::string suite; // the scenario file's name without extension, relative to the run's root
  std::string name;  // the scenario's name
  std::string file;  // path of the scenario file
  int line = 0;      // line of <scenario>
  CaseStatus status = CaseStatus::Passed;
  std::string failureType;    // error code ("gpu-count"), "expectation" or "invariant"
  std::string failureMessage; // one line
  std::string failureDetail;  // every failed expectation, one per line, with file:line
  std::string skipReason;
  std::vector<std::string> log; // the scenario's log, one line per entry (may hold any bytes)
  /// backend, rig, gpu, windows-build, rules, scenario-seed, passthrough, technique, ...
  /// (docs/junit.md)
  std::map<std::string, std::string> properties;
  double seconds = 0;
  bool timed = true; // false: read back from a JUnit testcase without a time it could read
};

/// The scenarios of one file (one JUnit <testsuite>).
struct SuiteResult {
  std::string name;
  std::string file;
  std::vector<CaseResult> cases;
  std::map<std::string, std::string> properties; // merged from the cases: distinct values joined
  std::string timestamp{}; // when it ran, "YYYY-MM-DDTHH:MM:SS" (UTC); empty: not recorded
};

struct RunReport {
  std::vector<SuiteResult> suites;
  double seconds = 0;
  std::string timestamp; // when the run started; given to every suite that has none
  /// The run's own: hil-version, hil-commit, seed, catalog-sha256. JUnit has no place for them
  /// above <testsuite>, so every suite carries them.
  std::map<std::string, std::string> properties;

  [[nodiscard]] int count(CaseStatus status) const;
  [[nodiscard]] int total() const;
};

} // namespace hil::runner
