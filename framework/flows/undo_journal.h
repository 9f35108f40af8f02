#pragma once

#include <map>
#include <string>
#include <vector>

#include "framework/core/error.h"
#include "framework/core/log.h"
#include "framework/flows/flow_store.h"
#include "framework/flows/undo_action.h"
#include "framework/platform/platform.h"

namespace hil::flows {

/// How many times in all a rollback tries an undo step that fails with a transient code.
inline constexpr int kUndoAttempts = 3;

/// Which failures of an undo step are worth trying again at once.
enum class RetryOn {
  Transient,          // isTransient codes only: what a rollback does for every step
  AnyButPrecondition, // every code but failed-precondition: the last resort that keeps a GPU
                      // reachable, where one failure too many loses the device
};

/// applyUndo, tried again at once while it fails with a code `retry` admits, kUndoAttempts in
/// all.
[[nodiscard]] Result<bool> applyUndoRetrying(const UndoAction& action, platform::Platform& platform,
                                             Log& log, RetryOn retry = RetryOn::Transient);

/// The undo log of one flow: each mutating step records its undo before it acts; a failure
/// rolls back newest first. Undo steps look at the actual state before acting, so an undo for
/// a step that never took effect does nothing. Every change is saved to a FlowStore before the
/// step acts, together with the VMs' original settings, so another process can recover.
class UndoJournal {
public:
  /// Saves to `store`, or keeps its state in memory only when it is null.
  explicit UndoJournal(FlowStore* store = nullptr) : store_(store != nullptr ? store : &own_) {}
  UndoJournal(const UndoJournal&) = delete;
  UndoJournal& operator=(const UndoJournal&) = delete;

  /// Reads the store once (originals, and a journal a crashed flow left behind).
  [[nodiscard]] Result<void> open();
  /// A journal a previous process left unfinished (after open()).
  [[nodiscard]] const std::optional<FlowRecord>& unfinished() const { return state_.journal; }

  /// Starts the journal of a new flow.
  void begin(std::string flow, platform::VmName vm);
  /// Records an undo and saves it; the step must not act when this fails.
  [[nodiscard]] Result<void> record(UndoAction action);
  /// The flow finished: nothing to undo any more.
  [[nodiscard]] Result<void> commit();
  [[nodiscard]] bool empty() const { return entries_.empty(); }
  [[nodiscard]] const std::vector<UndoAction>& entries() const { return entries_; }

  struct Rollback {
    std::vector<std::string> undone; // what was taken back, newest first
    std::vector<Error> failures;     // undo steps that failed (the host needs attention)
  };
  /// Undoes every entry, newest first (the unfinished journal of open(), if that is what it
  /// holds), empties the journal and saves. A transient failure (isTransient) is tried again,
  /// up to kUndoAttempts times in all, at once; any other failure is not. Once a step has failed,
  /// no older "start VM" is applied while a newer step needs that VM off (a VM setting or device
  /// change: UndoAction::needsVmOff), since recovery repeats them; the journal is saved whole for
  /// `hil recover` to finish.
  Rollback rollback(platform::Platform& platform, Log& log);

  /// A VM's settings before the first deploy changed them.
  [[nodiscard]] const platform::VmConfig* original(const platform::VmName& vm) const;
  [[nodiscard]] Result<void> rememberOriginal(const platform::VmConfig& config);
  [[nodiscard]] Result<void> forgetOriginal(const platform::VmName& vm);

private:
  Result<void> save();

  MemoryFlowStore own_;
  FlowStore* store_;
  bool opened_ = false;
  FlowState state_;
  std::string flow_;
  platform::VmName vm_;
  std::vector<UndoAction> entries_;
};

} // namespace hil::flows
