#include "framework/flows/recovery.h"

#include <fmt/format.h>

#include "framework/flows/undo_journal.h"

namespace hil::flows {

Result<Recovery> recover(platform::Platform& platform, FlowStore& store, Log& log) {
  UndoJournal journal{&store};
  HIL_TRY(journal.open());
  Recovery recovery;
  const auto& unfinished = journal.unfinished();
  if (!unfinished || unfinished->undo.empty()) {
    log.add("recover: no unfinished flow: nothing to recover");
    return recovery;
  }
  recovery.needed = true;
  recovery.flow = unfinished->flow;
  recovery.vm = unfinished->vm;
  log.add(fmt::format("recover: an unfinished {} on VM {} with {} undo step(s): rolling back",
                      recovery.flow, recovery.vm, unfinished->undo.size()));
  auto rollback = journal.rollback(platform, log);
  recovery.undone = std::move(rollback.undone);
  if (!rollback.failures.empty()) {
    Error error = rollback.failures.front();
    error.message = fmt::format("recovery incomplete: {} undo step(s) failed, the journal is kept "
                                "for another try: {}",
                                rollback.failures.size(), error.message);
    error.context.push_back("recover");
    return std::unexpected(std::move(error));
  }
  log.add(fmt::format("recover: done: {} step(s) undone; the journal is cleared",
                      recovery.undone.size()));
  return recovery;
}

} // namespace hil::flows
