#include "framework/flows/journaled_flow.h"

#include <fmt/format.h>

namespace hil::flows {

Result<void> journalReady(UndoJournal& journal) {
  HIL_TRY(journal.open());
  if (const auto& unfinished = journal.unfinished(); unfinished && !journal.empty()) {
    return fail(ErrorCode::InvalidRequest,
                fmt::format("an unfinished {} on VM {} ({} undo step(s)) needs recovery first: "
                            "run `hil recover`",
                            unfinished->flow, unfinished->vm, unfinished->undo.size()));
  }
  return {};
}

void journalFinish(UndoJournal& journal, Log& log, FlowOutcome& outcome) {
  if (auto committed = journal.commit(); !committed) {
    outcome.status = std::unexpected(committed.error());
    log.add(fmt::format("could not close the journal: {}", committed.error().describe()));
  }
}

void journalRollBack(UndoJournal& journal, platform::Platform& platform, Log& log,
                     FlowOutcome& outcome) {
  log.add(fmt::format("{}: failed: {}; rolling back {} step(s)",
                      outcome.status.error().context.back(), outcome.status.error().describe(),
                      journal.entries().size()));
  auto rollback = journal.rollback(platform, log);
  outcome.rolledBack = std::move(rollback.undone);
  if (!rollback.failures.empty()) {
    auto& error = outcome.status.error();
    error.message += fmt::format("; rollback incomplete ({} undo step(s) failed: {})",
                                 rollback.failures.size(), rollback.failures.front().describe());
  }
}

} // namespace hil::flows
