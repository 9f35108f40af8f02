#pragma once

#include <optional>
#include <string>
#include <vector>

#include "framework/core/error.h"
#include "framework/platform/hyperv.h"
#include "framework/platform/types.h"

namespace hil::flows {

/// What EFLOW's Set-EflowVM / Deploy-Eflow is asked for.
struct DeployRequest {
  using Passthrough = platform::Passthrough;
  Passthrough passthrough = Passthrough::Auto;
  std::optional<std::string> gpuName; // PnP friendly name, matched exactly ignoring case
  int gpuCount = 1;
  platform::VmName vm = "EFLOW";
};

/// What one deploy or teardown did.
struct FlowOutcome {
  Result<void> status;               // the step's result; its code is the first failing rule
  std::optional<std::string> method; // "DirectDeviceAssignment", "ParaVirtualization", "None"
  std::vector<WarningCode> warnings;
  std::vector<Error> problems;              // every failing rule, in precedence order
  std::vector<std::string> rolledBack;      // undo steps taken, newest first
  std::vector<platform::LocationPath> gpus; // the GPUs a DDA deploy assigns
  bool changedNothing = false;              // already in the requested state
};

} // namespace hil::flows
