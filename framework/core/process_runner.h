#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "framework/core/error.h"

namespace hil {

struct ProcessResult {
  int exitCode = 0;
  std::string out;
  std::string err;
};

/// Runs a program and collects what it printed. Injected like a seam: live (Boost.Process),
/// recorded or replayed. argv[0] is the program; no shell is involved, so no argument is ever
/// interpreted.
class ProcessRunner {
public:
  virtual ~ProcessRunner() = default;
  /// A program that cannot start is operation-failed; one still running at the deadline is
  /// killed with its whole process group and reported as timeout.
  [[nodiscard]] virtual Result<ProcessResult> run(const std::vector<std::string>& argv,
                                                  std::chrono::milliseconds deadline) = 0;
};

} // namespace hil
