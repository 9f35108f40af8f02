#pragma once

#include "framework/core/log.h"
#include "framework/flows/request.h"
#include "framework/flows/undo_journal.h"
#include "framework/platform/platform.h"

namespace hil::flows {

/// The three moments every configurator's journal has, shared by the Deployer and the
/// EflowConfigurator so that both flows begin, end and roll back alike.

/// Before a flow: the journal is read, and one a crashed process left unfinished must be
/// recovered first (`hil recover`).
[[nodiscard]] Result<void> journalReady(UndoJournal& journal);

/// After a flow that succeeded: the journal is closed. Where that fails the host is configured
/// but the journal still says the flow is in progress; a later recovery rolls it back, which is
/// one of the two allowed states.
void journalFinish(UndoJournal& journal, Log& log, FlowOutcome& outcome);

/// After a flow that failed (outcome.status holds the error, its context naming the flow):
/// every undo step, newest first; what could not be undone is added to the error's message.
void journalRollBack(UndoJournal& journal, platform::Platform& platform, Log& log,
                     FlowOutcome& outcome);

} // namespace hil::flows
