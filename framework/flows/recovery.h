#pragma once

#include <string>
#include <vector>

#include "framework/core/error.h"
#include "framework/core/log.h"
#include "framework/flows/flow_store.h"
#include "framework/platform/platform.h"

namespace hil::flows {

struct Recovery {
  bool needed = false; // a journal was left unfinished
  std::string flow;    // what was in progress: "deploy" | "teardown"
  platform::VmName vm;
  std::vector<std::string> undone; // what was taken back, newest first
};

/// What `hil recover` does, for any backend: reads the journal a crashed flow left in `store`,
/// rolls it back (each undo step looks at the actual state first, so it is right whether the
/// interrupted operation took effect or not), and clears it. Rolled back is the safe choice of
/// the two allowed states. A damaged store is an error that changes nothing; undo steps that
/// fail keep the journal for another try and make this an error.
[[nodiscard]] Result<Recovery> recover(platform::Platform& platform, FlowStore& store, Log& log);

} // namespace hil::flows
