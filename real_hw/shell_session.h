#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "framework/core/error.h"

namespace hil::real_hw {

/// What one command printed, and whether it succeeded by the shell's own account
/// (PowerShell: no terminating error and $? true; POSIX sh: exit status 0).
struct ShellReply {
  std::string out;
  std::string err;
  bool succeeded = true;

  bool operator==(const ShellReply&) const = default;
};

/// A shell that runs one command at a time: a PowerShell session on a rig (possibly through
/// ssh), or a POSIX sh stand-in. Commands are text in the shell's language; every value in them
/// must already be quoted (quoteFor).
class ShellSession {
public:
  virtual ~ShellSession() = default;
  /// Runs a command. Past its deadline the shell is killed with its whole process tree and
  /// restarted, and the result is timeout; a shell that died is operation-failed, not waited on.
  [[nodiscard]] virtual Result<ShellReply> run(const std::string& command,
                                               std::chrono::milliseconds deadline) = 0;
};

/// The language a session speaks, which decides its framing and quoting.
enum class ShellDialect { PowerShell, Posix };

/// A single-quoted literal: PowerShell doubles embedded single quotes ('it''s'); POSIX sh closes
/// and reopens the quotes ('it'\''s'). Nothing inside is interpreted: $, `, ;, newlines and
/// non-ASCII stay as they are.
[[nodiscard]] std::string quoteFor(ShellDialect dialect, std::string_view value);

/// One long-lived shell process (Boost.Process) for many commands: argv starts it, e.g.
/// {"pwsh", "-NoLogo", "-NoProfile", "-NonInteractive", "-Command", "-"} or
/// {"ssh", "-T", "admin@rig", "pwsh", ...} or {"/bin/sh"}. Each command is framed with
/// `marker` (random per session, chosen by the caller) so that its output, its error stream
/// and its status come back reliably whatever the output contains.
[[nodiscard]] std::unique_ptr<ShellSession>
openPersistentShell(std::vector<std::string> argv, ShellDialect dialect, std::string marker);

/// The baseline the persistent session is measured against: a new shell process per command
/// (argv plus the command as its last argument, e.g. {"/bin/sh", "-c"}).
[[nodiscard]] std::unique_ptr<ShellSession> openSpawningShell(std::vector<std::string> argv,
                                                              ShellDialect dialect);

} // namespace hil::real_hw
