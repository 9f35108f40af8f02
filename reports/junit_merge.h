#pragma once

#include <string>
#include <vector>

#include "framework/core/diagnostic.h"
#include "framework/runner/results.h"

namespace hil::reports {

/// One JUnit file to merge: its path (for diagnostics) and its text.
struct JunitInput {
  std::string path;
  std::string text;
};

/// Merges JUnit files (shards, rigs, days) into one report. Every input is read with readJunit;
/// any malformed input fails the whole merge with every problem of every file (file:line).
/// Suites are kept apart by name, backend and rig (their `backend` and `rig` properties): suites
/// that agree on all three become one, their cases appended in input order, their properties'
/// distinct values joined with " | ", the earliest timestamp kept. Suites that share a name but
/// not a backend or rig stay apart, each renamed "<name> [<backend>/<rig>]" ("unknown" for a
/// missing property); such a suffix is recognised when a merged file is merged again. Suites
/// keep the order of their first appearance; the run's time is the sum of the inputs'. Pester's
/// suites (readJunit gives them backend=pester and rig=<machine-name>) keep Pester's names and
/// stay apart from gpu-hil's in the same way.
///
/// Nothing is counted twice: an input with the same bytes as an earlier one is left out, and a
/// testcase seen again from the same source (its suite's name, backend, rig and timestamp, so the
/// same run) is kept once. Each is said in `notes`, when given.
[[nodiscard]] Parsed<runner::RunReport> mergeJunit(const std::vector<JunitInput>& inputs,
                                                   std::vector<std::string>* notes = nullptr);

} // namespace hil::reports
