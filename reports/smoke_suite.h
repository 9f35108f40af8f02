#pragma once

#include <string>

#include "framework/runner/results.h"

namespace hil::reports {

/// One run of the CUDA smoke program on a machine, as `hil smoke` saw it.
struct SmokeRun {
  std::string program; // the path that ran
  std::string expect;  // --expect MODEL, if any
  int exitCode = 0;
  std::string out;     // its SMOKE lines
  std::string err;     // its human summary
  std::string failure; // set when it could not run at all (not built, timed out)
  double seconds = 0;
};

/// A JUnit suite "cuda-smoke" with one testcase per check. No CUDA device (exit 3) or a program
/// that could not run is one failed testcase "cuda-device" whose message says why; malformed or
/// incomplete output fails as well. Failures are of type smoke-failed.
[[nodiscard]] runner::RunReport smokeSuite(const SmokeRun& run);

} // namespace hil::reports
