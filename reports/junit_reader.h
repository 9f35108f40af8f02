#pragma once

#include <string>

#include "framework/core/diagnostic.h"
#include "framework/runner/results.h"

namespace hil::reports {

/// Reads a JUnit XML file back into a report: ours, and the common shapes other tools write
/// (<testsuites> or a bare <testsuite> root, nested suites flattened, <error> read as a failure,
/// <skipped message="..."> or with text). Malformed XML or a testsuite/testcase without a name
/// is an error at its line; nothing is returned then.
[[nodiscard]] Parsed<runner::RunReport> readJunit(std::string text, std::string file);

} // namespace hil::reports
