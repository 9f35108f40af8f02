#pragma once

#include <vector>

#include "framework/core/error.h"
#include "framework/core/log.h"
#include "framework/platform/guest.h"
#include "framework/platform/smoke_output.h"

namespace hil::flows {

struct SmokeOutcome {
  Result<void> status;
  std::vector<platform::SmokeCheck> checks;
};

/// Runs the smoke program in the VM: ok when it exits 0 and every check passed; smoke-failed
/// otherwise (no CUDA device, a failed check, malformed output); a guest failure keeps its code.
[[nodiscard]] SmokeOutcome runSmoke(platform::Guest& guest, Log& log);

} // namespace hil::flows
