#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "framework/core/error.h"

namespace hil::real_hw {

/// What one command printed, and whether it succeeded by the shell's own account. PowerShell:
/// no terminating error (throw, a parameter binding error, a parse error) and $? true after the
/// command's last statement; as in PowerShell, a non-terminating error earlier on (Write-Error,
/// one failing item of a pipeline) leaves it true, and its text is in `err`. POSIX sh: exit
/// status 0.
struct ShellReply {
  struct Error;
  ShellReply() = default;
  ShellReply(std::string out, std::string err, bool succeeded = true,
             std::vector<Error> errors = {})
      : out(std::move(out)), err(std::move(err)), succeeded(succeeded), errors(std::move(errors)) {}

  std::string out;
  std::string err;
  bool succeeded = true;
  /// PowerShell: the error records the command produced, oldest first, as data: the category
  /// (ErrorCategory's name, "ResourceBusy") and the FullyQualifiedErrorId, whatever $ErrorView
  /// prints. What a caller decides on a failure reads these, never the message text.
  struct Error {
    std::string category;
    std::string id;
    bool operator==(const Error&) const = default;
  };
  std::vector<Error> errors;

  bool operator==(const ShellReply&) const = default;
};

/// A shell that runs one command at a time: a PowerShell session on a rig (possibly through
/// ssh), or a POSIX sh stand-in. Commands are text in the shell's language; every value in them
/// must already be quoted (quoteFor).
class ShellSession {
public:
  virtual ~ShellSession() = default;
  /// Runs a command. Past its deadline the shell is killed with its whole process tree and
  /// restarted, and the result is timeout; a shell that died, or a command that printed more
  /// than kShellOutputLimit on one stream, is operation-failed (the shell is killed, not waited
  /// on); a PowerShell command that is not UTF-8 is invalid-request and is not sent. When a
  /// PowerShell that may outlive its kill (through ssh) is abandoned, run() returns only after
  /// a new shell has stopped it, or says in the message that it could not.
  [[nodiscard]] virtual Result<ShellReply> run(const std::string& command,
                                               std::chrono::milliseconds deadline) = 0;
};

/// The language a session speaks, which decides its framing and quoting.
enum class ShellDialect { PowerShell, Posix };

/// The most one command may print on each of stdout and stderr. The session holds a command's
/// output in memory until its frame ends; past this the command fails and its shell is killed.
inline constexpr std::size_t kShellOutputLimit = std::size_t{64} * 1024 * 1024;

/// A single-quoted literal: PowerShell doubles embedded single quotes ('it''s'); POSIX sh closes
/// and reopens the quotes ('it'\''s). Nothing inside is interpreted: $, `, ;, newlines and
/// non-ASCII stay as they are. PowerShell's --% alone is ('--%'), which it cannot take for the
/// stop-parsing token.
[[nodiscard]] std::string quoteFor(ShellDialect dialect, std::string_view value);

/// One long-lived shell process (Boost.Process) for many commands: argv starts it, e.g.
/// {"pwsh", "-NoLogo", "-NoProfile", "-NonInteractive", "-Command", "-"} or
/// {"ssh", "-T", "admin@rig", "pwsh", ...} or {"/bin/sh"}. Each command is framed with
/// `marker` (random per session, chosen by the caller) so that its output, its error stream
/// and its status come back reliably whatever the output contains. PowerShell (possibly on the
/// far side of ssh) is kept to plain text output, and a shell that is abandoned (deadline,
/// output limit, lost connection) is stopped with its process tree by the shell started after
/// it, before that one runs anything: docs/powershell-session.md.
[[nodiscard]] std::unique_ptr<ShellSession>
openPersistentShell(std::vector<std::string> argv, ShellDialect dialect, std::string marker);

/// The baseline the persistent session is measured against: a new shell process per command
/// (argv plus the command as its last argument, e.g. {"/bin/sh", "-c"}).
[[nodiscard]] std::unique_ptr<ShellSession> openSpawningShell(std::vector<std::string> argv,
                                                              ShellDialect dialect);

} // namespace hil::real_hw
