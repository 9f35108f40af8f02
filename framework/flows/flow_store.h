#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "framework/core/diagnostic.h"
#include "framework/core/error.h"
#include "framework/flows/undo_action.h"
#include "framework/platform/hyperv.h"

namespace hil::flows {

/// The flow in progress: enough for a later process to roll it back.
struct FlowRecord {
  std::string flow; // "deploy" | "teardown"
  platform::VmName vm;
  std::vector<UndoAction> undo; // oldest first

  bool operator==(const FlowRecord&) const;
};

/// What the flows keep between steps and processes: the journal of a flow in progress (absent
/// between flows) and each VM's settings before its first deploy (teardown restores them).
struct FlowState {
  std::optional<FlowRecord> journal;
  std::map<platform::VmName, platform::VmConfig> originals;

  bool operator==(const FlowState&) const = default;
};

/// Where FlowState lives. The flows save it before every mutating operation, so a crash at any
/// point leaves a journal that says what may have happened. Backend-neutral.
class FlowStore {
public:
  virtual ~FlowStore() = default;
  [[nodiscard]] virtual Result<void> save(const FlowState& state) = 0;
  [[nodiscard]] virtual Result<FlowState> load() const = 0;
};

/// In memory: survives a simulated crash of the flow (the store object outlives it).
class MemoryFlowStore : public FlowStore {
public:
  Result<void> save(const FlowState& state) override {
    state_ = state;
    ++saves_;
    return {};
  }
  Result<FlowState> load() const override { return state_; }
  [[nodiscard]] int savesForTest() const { return saves_; }

private:
  FlowState state_;
  int saves_ = 0;
};

/// The on-disk form (XML, versioned): <gpu-hil-flow-state version="1">.
[[nodiscard]] std::string formatFlowState(const FlowState& state);
/// Parses it strictly: a torn, truncated or unknown-version file is an error with its line.
[[nodiscard]] Parsed<FlowState> parseFlowState(std::string text, std::string file);

} // namespace hil::flows
