#pragma once

#include "framework/core/process_runner.h"

namespace hil::real_hw {

/// The program to start for argv[0]: a name with a slash as it is, any other name found on PATH
/// (as a shell would); OperationFailed "NAME: not found on PATH" when it is not there.
[[nodiscard]] Result<std::string> findProgram(const std::string& name);

/// Runs programs with Boost.Process: stdin closed, stdout and stderr read to the end, each in a
/// process group of its own so that a deadline kills every process it started.
class LiveProcessRunner : public ProcessRunner {
public:
  Result<ProcessResult> run(const std::vector<std::string>& argv,
                            std::chrono::milliseconds deadline) override;
};

} // namespace hil::real_hw
