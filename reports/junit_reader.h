#pragma once

#include <string>

#include "framework/core/diagnostic.h"
#include "framework/runner/results.h"

namespace hil::reports {

/// Reads a JUnit XML file back into a report: ours, and the common shapes other tools write
/// (<testsuites> or a bare <testsuite> root, nested suites flattened, <error> read as a failure,
/// <skipped message="..."> or with text). Malformed XML or a testsuite/testcase without a name
/// is an error at its line; nothing is returned then.
///
/// Pester's JUnit (Invoke-Pester, TestResult.OutputFormat JUnitXml) is recognised by the run
/// environment Pester writes into each suite's properties (junit-version, framework-version; no
/// backend). Such a suite keeps Pester's name (the test file) and gains the properties
/// backend=pester and rig=<its machine-name>, so that a merge keeps it apart from gpu-hil's
/// suites and certification counts its cases under the rig class "pester". A Pester failure's
/// message is its first line (the whole message heads the detail); a skip's reason is the
/// message (Set-ItResult -Skipped/-Inconclusive -Because), not the stack trace in the text.
[[nodiscard]] Parsed<runner::RunReport> readJunit(std::string text, std::string file);

} // namespace hil::reports
