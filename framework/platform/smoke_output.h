#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "framework/core/error.h"

namespace hil::platform {

/// The CUDA smoke program's output format, which the program (real_hw/cuda_smoke), the
/// simulated guest and the flows that read its report share.

/// Where the smoke program lives inside the VM.
constexpr std::string_view kSmokeProgram = "/opt/gpu-hil/bin/cuda_smoke";

/// One check of the CUDA smoke program. On the wire, one line per check:
/// SMOKE<TAB>name<TAB>pass|fail<TAB>value<TAB>unit<TAB>threshold<TAB>message
struct SmokeCheck {
  std::string name;
  bool passed = false;
  std::string value;
  std::string unit;
  std::string threshold;
  std::string message;

  bool operator==(const SmokeCheck&) const = default;
};

/// Every check the smoke program reports, in its order; a report missing one is incomplete.
constexpr std::array<std::string_view, 15> kSmokeChecks = {
    "device-count",  "device-name",   "compute-capability", "memory",          "sm-count",
    "pcie-link",     "driver",        "vector-add",         "reduction",       "memory-pattern",
    "h2d-bandwidth", "d2h-bandwidth", "d2d-bandwidth",      "fp32-throughput", "mode"};

/// The checks of kSmokeChecks that `checks` lacks.
[[nodiscard]] std::vector<std::string> missingSmokeChecks(const std::vector<SmokeCheck>& checks);

/// The line for one check (tabs and line breaks in fields become spaces).
[[nodiscard]] std::string formatSmokeLine(const SmokeCheck& check);

/// Parses the program's standard output: SMOKE lines are checks, other lines are ignored.
/// A malformed SMOKE line is an error naming its line number.
[[nodiscard]] Result<std::vector<SmokeCheck>> parseSmokeOutput(std::string_view output);

} // namespace hil::platform
