#include "real_hw/shell_session.h"

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <mutex>
#include <optional>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/write.hpp>
#include <boost/process.hpp>
#include <fmt/format.h>

#include "framework/core/base64.h"
#include "real_hw/process.h"

namespace hil::real_hw {

namespace {

namespace asio = boost::asio;
namespace bp = boost::process;
using SteadyClock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// How often a command that prints nothing is checked for a shell that exited while something
// it started still holds its pipes open (so no end of file arrives).
constexpr auto kExitPoll = 20ms;
// How long a shell whose pipes closed gets to finish exiting, so that its status is known.
constexpr auto kExitGrace = 200ms;
// How long the error stream of a shell that died is read for its last words.
constexpr auto kDrainGrace = 200ms;
// How much of a dead shell's error stream goes into the message.
constexpr std::size_t kLastWordsBytes = 400;
// How long a new PowerShell (through ssh too) gets to start and answer its handshake, which
// includes stopping an abandoned one's process tree (it waits up to 10 s for that).
constexpr auto kStartDeadline = 30s;
// The status a new PowerShell exits with when the shell before it is still running and cannot
// be stopped: nothing runs beside a shell that may still be changing the host.
constexpr int kStaleShellStatus = 86;

// The frames. Each ends with a line on stdout, "\n<tag> <status>\n", and one on stderr,
// "\n<tag>\n"; the newline before the tag makes it start a line whatever the command printed,
// and is not part of the command's output. The tag carries a per-command number, so output
// that repeats an earlier tag cannot end a later frame.

// POSIX sh reads the whole brace group before it runs it; the command's stdin is /dev/null so
// that a command that reads stdin cannot swallow the frames after it.
std::string posixFrame(const std::string& command, const std::string& tag) {
  const auto quoted = quoteFor(ShellDialect::Posix, tag);
  return fmt::format("{{ {}\n}} </dev/null; __hil_status=$?; printf '\\n%s %d\\n' {} "
                     "\"$__hil_status\"; printf '\\n%s\\n' {} >&2\n",
                     command, quoted, quoted);
}

/// A PowerShell that was abandoned (deadline, output limit, lost connection) and may still be
/// running on the far side of ssh: its $PID and its start time in UTC ticks, both digits only,
/// as its frames' begin lines told them.
struct ShellIdentity {
  std::string pid;
  std::string startTicks;
};

// Run first in the handshake of the shell after an abandoned one (docs/powershell-session.md):
// if the process with the abandoned shell's $PID is still that shell (the same start time, give
// or take the rounding .NET's StartTime has on Linux), its process tree is killed (taskkill /T
// on Windows; on Linux the tree is read from /proc) and waited for, counting a zombie as gone.
// A shell that cannot be stopped makes this one exit with kStaleShellStatus before it answers.
std::string stopStaleShell(const ShellIdentity& stale) {
  return fmt::format(
      "$__hilStale = Get-Process -Id {0} -ErrorAction SilentlyContinue; if ($__hilStale -and "
      "[Math]::Abs($__hilStale.StartTime.ToUniversalTime().Ticks - {1}) -lt 10000000) {{ "
      "if ($env:OS -eq 'Windows_NT') {{ & taskkill.exe /PID {0} /T /F *> $null; "
      "$__hilGone = $__hilStale.WaitForExit(10000) }} else {{ $__hilKids = @{{}}; "
      "foreach ($__hilDir in [IO.Directory]::GetDirectories('/proc')) {{ "
      "$__hilName = [IO.Path]::GetFileName($__hilDir); if ($__hilName -match '^\\d+$') {{ "
      "try {{ $__hilStat = [IO.File]::ReadAllText($__hilDir + '/stat'); "
      "$__hilParent = $__hilStat.Substring($__hilStat.LastIndexOf(')') + 2).Split(' ')[1]; "
      "if (-not $__hilKids.ContainsKey($__hilParent)) {{ $__hilKids[$__hilParent] = @() }}; "
      "$__hilKids[$__hilParent] += $__hilName }} catch {{ }} }} }}; $__hilTree = @('{0}'); "
      "for ($__hilI = 0; $__hilI -lt $__hilTree.Count; $__hilI++) {{ "
      "if ($__hilKids.ContainsKey($__hilTree[$__hilI])) {{ "
      "$__hilTree += $__hilKids[$__hilTree[$__hilI]] }} }}; "
      "Stop-Process -Id $__hilTree -Force -ErrorAction SilentlyContinue; $__hilGone = $false; "
      "for ($__hilI = 0; $__hilI -lt 100 -and -not $__hilGone; $__hilI++) {{ "
      "try {{ $__hilStat = [IO.File]::ReadAllText('/proc/{0}/stat'); "
      "$__hilGone = $__hilStat.Substring($__hilStat.LastIndexOf(')') + 2)[0] -eq 'Z' }} "
      "catch {{ $__hilGone = $true }}; if (-not $__hilGone) {{ Start-Sleep -Milliseconds 100 }} "
      "}} }}; if (-not $__hilGone) {{ [Console]::Error.WriteLine('the previous shell (pid {0}) "
      "is still running after 10 s of trying to stop it'); [Console]::Error.Flush(); exit {2} "
      "}} }}; ",
      stale.pid, stale.startTicks, kStaleShellStatus);
}

// `-Command -` reads stdin like a prompt, statement by statement: a multi-line statement runs
// only after an empty line, and an empty line inside one cuts it short (PowerShell issue #3223,
// "Reconsider the behavior of powershell.exe -Command -"); Windows PowerShell also decodes stdin
// in the console's code page. So the command travels as one line of base64 (UTF-8) and becomes a
// script block, dot-sourced so that what it defines stays in the session. Its output goes
// through Out-Default inside the frame, so formatting finishes before the end lines; its status
// is $? after its last statement, or false on a terminating error, whose record goes to stderr.
// The end lines are written with "`n" rather than WriteLine, whose newline is "\r\n" on Windows.
//
// Before the command: progress bars off (with output redirected they arrive as noise, or
// CLIXML); $PSStyle.OutputRendering = 'PlainText' where $PSStyle exists (PowerShell 7.2 and
// later colour error records and print "\x1b[?1h\x1b[?1l" around every read of a line; neither
// may reach a caller that parses ConvertTo-Xml, and the environment, NO_COLOR or TERM, does not
// travel through ssh); $ErrorView = 'NormalView', so that an error record starts with its
// message on its first line as in Windows PowerShell 5.1 (PowerShell 7's default ConciseView
// prints an error from a script function, EFLOW's Set-EflowVM among them, as "Name:" alone on
// its first line with the message further down); then a begin line on both streams. Everything a
// stream carried before its begin line (those escapes, printed before the first frame could turn
// them off; ssh's warnings on stderr) is dropped; the stdout begin line carries the shell's $PID
// and start time, so that the shell started after an abandoned one can stop it. [Console]::In is
// TextReader.Null while the command runs (and restored after it), so that a read from it ends at
// once instead of waiting for a frame. Native programs inherit the pipe itself: one that reads it
// waits, as the next frame is sent only after this one ends, until the deadline. `do { } while
// ($false)` catches a `break` or `continue` outside any loop, which would otherwise unwind past the
// end lines.
//
// After the command, each error record it produced ($Error, cleared before it) is listed on
// stderr as "<tag> error <category> <FullyQualifiedErrorId>", taken out of the reply's text into
// ShellReply::errors: a caller decides on data, whatever $ErrorView prints.
//
// Every construct here exists in Windows PowerShell 5.1 (docs/powershell-session.md cites the
// documentation of each): dot sourcing, [ScriptBlock]::Create, try/catch/finally, do/while, $?,
// $PID, $ProgressPreference, $ErrorView (NormalView is 5.1's default), $Error and
// ErrorRecord's CategoryInfo and FullyQualifiedErrorId, [array]::Reverse, Test-Path on the
// Variable: drive, Out-Default, Out-String, Get-Process/Stop-Process, *> redirection, and .NET's
// Console, Convert, Text.Encoding, Diagnostics.Process, IO.File and IO.Directory; $PSStyle only
// behind its Test-Path.
std::string powerShellFrame(const std::string& command, const std::string& tag,
                            const std::optional<ShellIdentity>& stale) {
  const auto quoted = quoteFor(ShellDialect::PowerShell, tag);
  return fmt::format(
      "$global:ProgressPreference = 'SilentlyContinue'; $global:ErrorView = 'NormalView'; "
      "if (Test-Path variable:PSStyle) {{ "
      "$global:PSStyle.OutputRendering = 'PlainText' }}; {}"
      "if (-not (Test-Path variable:__hilSelf)) {{ $global:__hilSelf = '' + $PID + ' ' + "
      "[Diagnostics.Process]::GetCurrentProcess().StartTime.ToUniversalTime().Ticks }}; "
      "[Console]::Out.Write({} + ' begin ' + $global:__hilSelf + \"`n\"); "
      "[Console]::Error.Write({} + \" begin`n\"); $global:Error.Clear(); $global:__hilOk = $true; "
      "$global:__hilIn = [Console]::In; [Console]::SetIn([IO.TextReader]::Null); do {{ try {{ . "
      "([ScriptBlock]::Create([Text.Encoding]::UTF8.GetString("
      "[Convert]::FromBase64String('{}')) + \"`n\" + '$global:__hilOk = $?')) | Out-Default }} "
      "catch {{ $global:__hilOk = $false; [Console]::Error.WriteLine(($_ | Out-String)) }} "
      "finally {{ [Console]::SetIn($global:__hilIn) }} }} while ($false); "
      "$__hilRecords = @($global:Error); [array]::Reverse($__hilRecords); foreach ($__hilRecord "
      "in $__hilRecords) {{ if ($__hilRecord -is [Management.Automation.ErrorRecord]) {{ "
      "[Console]::Error.Write(\"`n\" + {} + ' error ' + $__hilRecord.CategoryInfo.Category + ' ' "
      "+ ($__hilRecord.FullyQualifiedErrorId -replace '[\\r\\n]', ' ')) }} }}; "
      "[Console]::Out.Write(\"`n\" + {} + ' ' + [int](-not $global:__hilOk) + \"`n\"); "
      "[Console]::Out.Flush(); [Console]::Error.Write(\"`n\" + {} + \"`n\"); "
      "[Console]::Error.Flush()\n",
      stale ? stopStaleShell(*stale) : std::string{}, quoted, quoted, toBase64(command), quoted,
      quoted, quoted);
}

/// The error records a PowerShell frame listed at the end of stderr ("\n<tag> error <category>
/// <id>" each, before the end line), taken out of `err`.
std::vector<ShellReply::Error> takeErrorLines(std::string& err, const std::string& tag) {
  const std::string needle = "\n" + tag + " error ";
  const auto first = err.find(needle);
  if (first == std::string::npos) {
    return {};
  }
  std::vector<ShellReply::Error> errors;
  for (auto at = first; at != std::string::npos;) {
    const auto start = at + needle.size();
    const auto next = err.find(needle, start);
    const auto line = std::string_view{err}.substr(
        start, (next == std::string::npos ? err.size() : next) - start);
    const auto space = line.find(' ');
    errors.push_back(
        {std::string{line.substr(0, space)},
         space == std::string_view::npos ? std::string{} : std::string{line.substr(space + 1)}});
    at = next;
  }
  err.erase(first);
  return errors;
}

std::string frameFor(ShellDialect dialect, const std::string& command, const std::string& tag,
                     const std::optional<ShellIdentity>& stale) {
  return dialect == ShellDialect::PowerShell ? powerShellFrame(command, tag, stale)
                                             : posixFrame(command, tag);
}

/// Where `text` stops being UTF-8, if it does: PowerShell would decode such bytes as U+FFFD, so
/// the command it ran would not be the one that was sent.
std::optional<std::size_t> notUtf8At(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = 1;
    char32_t point = lead;
    if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      point = lead & 0x07;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      point = lead & 0x0F;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
      point = lead & 0x1F;
    } else if (lead >= 0x80) {
      return i;
    }
    if (i + length > text.size()) {
      return i;
    }
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) {
        return i;
      }
      point = point << 6 | (next & 0x3F);
    }
    const bool overlong = (length == 3 && point < 0x800) || (length == 4 && point < 0x10000);
    if (overlong || (point >= 0xD800 && point <= 0xDFFF) || point > 0x10FFFF) {
      return i;
    }
    i += length;
  }
  return std::nullopt;
}

/// "status 3", "signal 9": how a shell ended, from its wait status.
std::string describeExit(std::optional<int> waitStatus) {
  if (!waitStatus) {
    return "status unknown";
  }
  if (WIFEXITED(*waitStatus)) {
    return fmt::format("status {}", WEXITSTATUS(*waitStatus));
  }
  if (WIFSIGNALED(*waitStatus)) {
    return fmt::format("signal {}", WTERMSIG(*waitStatus));
  }
  return "status unknown";
}

/// The end of an error stream as one line for a message.
std::string lastWords(std::string_view err) {
  while (!err.empty() && (err.back() == '\n' || err.back() == '\r' || err.back() == ' ')) {
    err.remove_suffix(1);
  }
  if (err.size() > kLastWordsBytes) {
    err.remove_prefix(err.size() - kLastWordsBytes);
  }
  std::string line;
  for (const char c : err) {
    line += c == '\n' || c == '\r' ? ' ' : c;
  }
  return line.empty() ? "nothing on stderr" : line;
}

/// Blocks SIGPIPE in this thread while it writes to a shell's stdin, so that writing to a shell
/// that died is an EPIPE error rather than the end of this process; a SIGPIPE raised meanwhile
/// is taken off the pending set before the mask is restored. A shell must not be started in
/// this scope: it would inherit the mask.
class SigpipeBlocked {
public:
  SigpipeBlocked() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &previous_);
    sigset_t pending;
    sigpending(&pending);
    wasPending_ = sigismember(&pending, SIGPIPE) == 1;
  }
  ~SigpipeBlocked() {
    if (!wasPending_) {
      sigset_t pending;
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        const timespec now{};
        sigtimedwait(&pipe_, nullptr, &now);
      }
    }
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  SigpipeBlocked(const SigpipeBlocked&) = delete;
  SigpipeBlocked& operator=(const SigpipeBlocked&) = delete;

private:
  sigset_t pipe_{};
  sigset_t previous_{};
  bool wasPending_ = false;
};

/// One of the shell's output streams, read until the current frame's end line.
struct FramedStream {
  explicit FramedStream(asio::io_context& io) : pipe(io) {}

  /// Starts a frame: `tag` is its own; `withBegin` when the frame prints begin lines.
  void expect(const std::string& frameTag, bool withBegin) {
    tag = frameTag;
    complete = false;
    begun = !withBegin;
    scanned = 0;
    beginScanned = 0;
    text.clear();
    beginLine.clear();
  }

  /// Looks for the begin line, then the end line, from where the last search stopped.
  void find(bool withStatus) {
    if (!begun) {
      findBegin();
    }
    findEnd(withStatus);
  }

  /// "<tag> begin[ <what>]\n": what comes before it is not the command's and is dropped. A frame
  /// whose end line comes without one (a stand-in that does not print it) keeps everything.
  void findBegin() {
    const std::string needle = tag + " begin";
    const auto at = buffer.find(needle, beginScanned);
    if (at == std::string::npos) {
      beginScanned =
          std::max(beginScanned, buffer.size() >= needle.size() ? buffer.size() - needle.size() + 1
                                                                : std::size_t{0});
      return;
    }
    const auto newline = buffer.find('\n', at + needle.size());
    if (newline == std::string::npos) {
      beginScanned = at; // the begin line is still arriving
      return;
    }
    beginLine = buffer.substr(at + needle.size(), newline - at - needle.size());
    buffer.erase(0, newline + 1);
    scanned = 0;
    begun = true;
  }

  /// stdout's end line carries the status: "\n<tag> <digits>\n"; stderr's is "\n<tag>\n".
  void findEnd(bool withStatus) {
    const std::string needle = "\n" + tag + (withStatus ? " " : "\n");
    while (true) {
      const auto at = buffer.find(needle, scanned);
      if (at == std::string::npos) {
        scanned =
            std::max(scanned, buffer.size() >= needle.size() ? buffer.size() - needle.size() + 1
                                                             : std::size_t{0});
        return;
      }
      auto end = at + needle.size();
      if (withStatus) {
        const auto digits = end;
        while (end < buffer.size() && buffer[end] >= '0' && buffer[end] <= '9') {
          ++end;
        }
        if (end == buffer.size()) {
          scanned = at; // the end line is still arriving
          return;
        }
        if (end == digits || buffer[end] != '\n') {
          scanned = at + 1; // looks like it, but is not
          continue;
        }
        if (std::from_chars(buffer.data() + digits, buffer.data() + end, status).ec !=
            std::errc{}) {
          status = -1;
        }
        ++end;
      }
      // What follows belongs to whatever comes next; the output itself is moved, not copied.
      auto rest = buffer.substr(end);
      buffer.resize(at);
      text = std::move(buffer);
      buffer = std::move(rest);
      scanned = 0;
      complete = true;
      begun = true;
      return;
    }
  }

  /// Appends what was read, growing the buffer no further than the limit needs.
  void append(std::size_t n) {
    if (buffer.size() + n > buffer.capacity()) {
      buffer.reserve(std::min(std::max(buffer.capacity() * 2, buffer.size() + n),
                              std::max(kShellOutputLimit + chunk.size(), buffer.size() + n)));
    }
    buffer.append(chunk.data(), n);
    overflowed = buffer.size() > kShellOutputLimit;
  }

  bp::async_pipe pipe;
  std::array<char, 64 * 1024> chunk{};
  std::string tag;              // the current frame's
  std::string buffer;           // read but not yet returned
  std::size_t scanned = 0;      // no end line starts before this
  std::size_t beginScanned = 0; // no begin line starts before this
  std::string text;             // the command's output, once complete
  std::string beginLine;        // what the begin line carried after "<tag> begin"
  int status = 0;
  bool reading = false;
  bool complete = true;
  bool begun = true;
  bool overflowed = false; // more than kShellOutputLimit is waiting: reading stopped
  bool closed = false;
};

/// One running shell: its process group and its three pipes.
struct Shell {
  Shell() : in(io), out(io), err(io) {}
  ~Shell() { kill(); }
  Shell(const Shell&) = delete;
  Shell& operator=(const Shell&) = delete;

  /// Kills the shell and everything it started, and reaps it.
  void kill() {
    std::error_code ec;
    if (group.valid()) {
      group.terminate(ec);
    }
    if (child.valid() && child.running(ec)) {
      child.terminate(ec);
    }
    if (child.valid()) {
      child.wait(ec);
    }
  }

  /// Closes the pipes and runs the handlers of what was pending on them, which end at once.
  void abandon() {
    boost::system::error_code ec;
    in.close(ec);
    out.pipe.close(ec);
    err.pipe.close(ec);
    io.restart();
    io.poll();
  }

  /// The wait status once the shell has exited; nothing while it runs.
  std::optional<int> exited() {
    std::error_code ec;
    if (child.running(ec)) {
      return std::nullopt;
    }
    if (ec) {
      return -1;
    }
    return child.native_exit_code();
  }

  void read(FramedStream& stream, bool withStatus) {
    stream.reading = true;
    stream.pipe.async_read_some(
        asio::buffer(stream.chunk),
        [&stream, withStatus, this](const boost::system::error_code& ec, std::size_t n) {
          stream.reading = false;
          stream.append(n);
          if (!stream.complete) {
            stream.find(withStatus);
          }
          if (ec) {
            stream.closed = true;
          } else if ((!stream.complete || draining) && !stream.overflowed) {
            read(stream, withStatus);
          }
        });
  }

  asio::io_context io;
  bp::async_pipe in;
  FramedStream out;
  FramedStream err;
  bp::group group;
  bp::child child;
  bool draining = false;
  bool framed = false;                   // a frame has been sent to it
  std::optional<ShellIdentity> identity; // a PowerShell's, from its first begin line
};

Result<std::unique_ptr<Shell>> startShell(const std::vector<std::string>& argv) {
  if (argv.empty()) {
    return fail(ErrorCode::InvalidRequest, "no shell to start");
  }
  auto found = findProgram(argv[0]);
  if (!found) {
    return std::unexpected(found.error());
  }
  const boost::filesystem::path program = *found;
  const std::vector<std::string> args(argv.begin() + 1, argv.end());
  try {
    auto shell = std::make_unique<Shell>();
    shell->child =
        bp::child(program, bp::args(args), (bp::std_in < shell->in),
                  (bp::std_out > shell->out.pipe), (bp::std_err > shell->err.pipe), shell->group);
    return shell;
  } catch (const std::exception& e) {
    return fail(ErrorCode::OperationFailed,
                fmt::format("{}: cannot start the shell: {}", argv[0], e.what()));
  }
}

/// "1234 639318299049157589" from a begin line, digits only: it goes into PowerShell code.
std::optional<ShellIdentity> parseIdentity(std::string_view line) {
  const auto digits = [](std::string_view text) {
    return !text.empty() && text.size() <= 20 &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (!line.starts_with(' ')) {
    return std::nullopt;
  }
  line.remove_prefix(1);
  const auto space = line.find(' ');
  if (space == std::string_view::npos || !digits(line.substr(0, space)) ||
      !digits(line.substr(space + 1))) {
    return std::nullopt;
  }
  return ShellIdentity{std::string(line.substr(0, space)), std::string(line.substr(space + 1))};
}

/// Whether argv starts ssh, whose own failures (refused, dropped, not authenticated) are 255.
bool startsSsh(const std::vector<std::string>& argv) {
  if (argv.empty()) {
    return false;
  }
  const auto name = boost::filesystem::path(argv[0]).filename().string();
  return name == "ssh" || name == "ssh.exe";
}

class PersistentShell : public ShellSession {
public:
  PersistentShell(std::vector<std::string> argv, ShellDialect dialect, std::string marker)
      : argv_(std::move(argv)), dialect_(dialect), marker_(std::move(marker)) {}

  // One command at a time: a second caller waits until the first command's frame has ended.
  Result<ShellReply> run(const std::string& command, std::chrono::milliseconds deadline) override {
    const std::lock_guard lock(mutex_);
    if (dialect_ == ShellDialect::PowerShell) {
      if (const auto at = notUtf8At(command)) {
        return fail(ErrorCode::InvalidRequest,
                    fmt::format("the command is not UTF-8 (byte 0x{:02X} at offset {}), so "
                                "PowerShell would not run it as written; nothing was sent",
                                static_cast<unsigned char>(command[*at]), *at));
      }
    }
    if (!shell_) {
      if (auto opened = open(); !opened) {
        return std::unexpected(std::move(opened).error());
      }
    }
    auto reply = exchange(command, deadline, false);
    if (reply) {
      return reply;
    }
    shell_.reset(); // the next command starts a new shell
    auto error = std::move(reply).error();
    if (stale_) {
      // A PowerShell that may live on past its ssh: a new shell stops it now, before this
      // returns, rather than when the next command comes.
      const auto pid = stale_->pid;
      if (auto opened = open()) {
        error.message +=
            fmt::format("; the shell was restarted, and the previous one (pid {}) is stopped", pid);
      } else {
        error.message += fmt::format("; restarting the shell failed: {}", opened.error().message);
      }
    } else if (error.code == ErrorCode::Timeout) {
      // Started here, outside exchange(), where SIGPIPE is blocked: the shell would inherit it.
      if (auto opened = open()) {
        error.message += "; the shell was restarted";
      } else {
        error.message += fmt::format("; restarting the shell failed: {}", opened.error().message);
      }
    } else {
      error.message += "; the next command starts a new shell";
    }
    return std::unexpected(std::move(error));
  }

private:
  /// Starts a shell. A PowerShell answers a handshake, an empty command, before it gets any
  /// other: it stops the shell before it if that was abandoned (stale_), turns plain text on,
  /// and tells its $PID and start time, so that no command ever runs in a shell that a
  /// deadline could not stop; what it printed before (escapes, ssh's warnings) goes with it.
  Result<void> open() {
    auto started = startShell(argv_);
    if (!started) {
      return std::unexpected(std::move(started).error());
    }
    shell_ = std::move(*started);
    if (dialect_ != ShellDialect::PowerShell) {
      return {};
    }
    auto hello = exchange("", kStartDeadline, true);
    if (hello) {
      return {};
    }
    shell_.reset();
    auto error = std::move(hello).error();
    if (error.code == ErrorCode::Timeout) {
      error = Error{
          ErrorCode::OperationFailed,
          fmt::format("the shell did not answer within {} s of starting",
                      std::chrono::duration_cast<std::chrono::seconds>(kStartDeadline).count()),
          {}};
    }
    if (stale_) {
      error.message += fmt::format("; the previous shell (pid {}) may still be running: the "
                                   "next command stops it first",
                                   stale_->pid);
    }
    return std::unexpected(std::move(error));
  }

  /// Sends one framed command and reads both streams to the frame's end, the deadline, or the
  /// shell's end, whichever comes first. On anything but success the shell is killed, and one
  /// that may outlive that (PowerShell through ssh) is remembered in stale_.
  Result<ShellReply> exchange(const std::string& command, std::chrono::milliseconds deadline,
                              bool handshake) {
    const auto until = SteadyClock::now() + deadline;
    Shell& shell = *shell_;
    if (shell.exited()) {
      return died(shell); // between commands
    }
    const SigpipeBlocked sigpipe;
    // Handshakes are numbered apart, so that commands are 1, 2, 3 whatever restarts came between.
    const auto tag = handshake ? fmt::format("{}-s{}", marker_, ++starts_)
                               : fmt::format("{}-{}", marker_, ++commands_);
    const bool powerShell = dialect_ == ShellDialect::PowerShell;
    // The first frame of a shell started after an abandoned one stops that one first.
    const bool stopsStale = !shell.framed && stale_.has_value();
    const auto frame =
        frameFor(dialect_, command, tag, stopsStale ? stale_ : std::optional<ShellIdentity>{});
    shell.framed = true;
    bool writing = true;
    bool writeFailed = false;
    shell.io.restart();
    asio::async_write(shell.in, asio::buffer(frame),
                      [&](const boost::system::error_code& ec, std::size_t) {
                        writing = false;
                        writeFailed = static_cast<bool>(ec);
                      });
    shell.out.expect(tag, powerShell);
    shell.err.expect(tag, powerShell);
    // The handlers refer to this frame: every way out of this function leaves none pending.
    shell.read(shell.out, true);
    shell.read(shell.err, false);
    const auto pending = [&] { return writing || shell.out.reading || shell.err.reading; };
    const auto noteBegin = [&] {
      if (powerShell && shell.out.begun && !shell.identity) {
        shell.identity = parseIdentity(shell.out.beginLine);
      }
      if (stopsStale && shell.out.begun) {
        stale_.reset(); // the frame got past stopping it
      }
    };
    while (pending() && !writeFailed && !shell.out.closed && !shell.err.closed &&
           !shell.out.overflowed && !shell.err.overflowed) {
      const auto now = SteadyClock::now();
      if (now >= until) {
        noteBegin();
        stale_ = stale_ ? stale_ : shell.identity;
        shell.kill();
        shell.abandon();
        return fail(ErrorCode::Timeout,
                    fmt::format("the command did not finish within {} ms", deadline.count()));
      }
      if (shell.io.run_one_for(std::min<SteadyClock::duration>(until - now, kExitPoll)) == 0) {
        if (shell.io.stopped()) {
          shell.io.restart();
        }
        if (shell.exited()) {
          break; // something it started still holds its pipes open
        }
      }
    }
    noteBegin();
    if (shell.out.overflowed || shell.err.overflowed) {
      stale_ = stale_ ? stale_ : shell.identity;
      shell.kill();
      shell.abandon();
      return fail(ErrorCode::OperationFailed,
                  fmt::format("the command printed more than {} MiB on {}, the most the session "
                              "keeps of one command's output",
                              kShellOutputLimit / (1024 * 1024),
                              shell.out.overflowed ? "stdout" : "stderr"));
    }
    if (pending() || !shell.out.complete || !shell.err.complete) {
      return died(shell);
    }
    ShellReply reply{std::move(shell.out.text), std::move(shell.err.text), shell.out.status == 0};
    reply.errors = takeErrorLines(reply.err, tag);
    return reply;
  }

  /// A shell that exited (or closed its pipes) before the frame ended: its status and its last
  /// words on stderr, read for a short while; what it left behind is killed.
  std::unexpected<Error> died(Shell& shell) {
    // Read on to the end of its pipes, for its last words.
    shell.draining = true;
    shell.io.restart();
    if (!shell.out.reading && !shell.out.closed && !shell.out.overflowed) {
      shell.read(shell.out, true);
    }
    if (!shell.err.reading && !shell.err.closed && !shell.err.overflowed) {
      shell.read(shell.err, false);
    }
    const auto pending = [&] { return shell.out.reading || shell.err.reading; };
    auto status = shell.exited();
    for (const auto until = SteadyClock::now() + kExitGrace; !status && SteadyClock::now() < until;
         status = shell.exited()) {
      if (pending()) {
        shell.io.run_one_for(2ms);
      } else {
        std::this_thread::sleep_for(2ms);
      }
    }
    shell.kill();
    for (const auto until = SteadyClock::now() + kDrainGrace;
         pending() && SteadyClock::now() < until;) {
      shell.io.run_one_for(until - SteadyClock::now());
    }
    shell.abandon();
    const bool exitedWithStatus = status && WIFEXITED(*status);
    const int exitStatus = exitedWithStatus ? WEXITSTATUS(*status) : -1;
    const bool ssh = startsSsh(argv_);
    // A shell that exited with a status of its own ran to its end; one killed by a signal, or
    // an ssh that failed (255), may have left its PowerShell running on the far side.
    if (!exitedWithStatus || (ssh && exitStatus == 255)) {
      stale_ = stale_ ? stale_ : shell.identity;
    }
    std::string how;
    if (exitStatus == kStaleShellStatus && dialect_ == ShellDialect::PowerShell) {
      how = "the shell could not stop the one before it, which may still be changing the host, "
            "and runs nothing until it is gone";
    } else if (ssh && exitStatus == 255) {
      how = "ssh failed (status 255: the connection was refused, dropped or not "
            "authenticated)";
    } else if (status) {
      how = fmt::format("the shell exited ({})", describeExit(status));
    } else {
      how = "the shell closed its pipes and was killed";
    }
    return fail(ErrorCode::OperationFailed,
                fmt::format("{}: {}", how, lastWords(shell.err.buffer)));
  }

  std::vector<std::string> argv_;
  ShellDialect dialect_;
  std::string marker_;
  std::mutex mutex_;
  std::unique_ptr<Shell> shell_;
  std::optional<ShellIdentity> stale_; // an abandoned PowerShell the next shell must stop
  unsigned long long commands_ = 0;
  unsigned long long starts_ = 0;
};

class SpawningShell : public ShellSession {
public:
  explicit SpawningShell(std::vector<std::string> argv) : argv_(std::move(argv)) {}

  Result<ShellReply> run(const std::string& command, std::chrono::milliseconds deadline) override {
    auto argv = argv_;
    argv.push_back(command);
    auto result = runner_.run(argv, deadline);
    if (!result) {
      return std::unexpected(std::move(result).error());
    }
    return ShellReply{std::move(result->out), std::move(result->err), result->exitCode == 0};
  }

private:
  std::vector<std::string> argv_;
  LiveProcessRunner runner_;
};

} // namespace

std::string quoteFor(ShellDialect dialect, std::string_view value) {
  if (dialect == ShellDialect::PowerShell && value == "--%") {
    // PowerShell 7 reads a command argument that is exactly --%, even quoted, as the
    // stop-parsing token: the rest of the line up to a pipe or a newline, `;` included, becomes
    // one verbatim argument (about_Parsing, "The stop-parsing token"; seen on pwsh 7.6.9:
    // f -Name '--%' -Other 1; 'next' binds -Other to "1; 'next'"). In parentheses it is an
    // expression, the same string everywhere a value goes.
    return "('--%')";
  }
  std::string quoted = "'";
  if (dialect == ShellDialect::Posix) {
    for (const char c : value) {
      quoted += c == '\'' ? std::string_view{"'\\''"} : std::string_view{&c, 1};
    }
  } else {
    // PowerShell also reads the typographic single quotes U+2018..U+201B as quotes, so those
    // are doubled too (as its own CodeGeneration.EscapeSingleQuotedStringContent does).
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (value[i] == '\'') {
        quoted += "''";
      } else if (value.substr(i, 2) == "\xE2\x80" && i + 2 < value.size() &&
                 static_cast<unsigned char>(value[i + 2]) >= 0x98 &&
                 static_cast<unsigned char>(value[i + 2]) <= 0x9B) {
        const auto quote = value.substr(i, 3);
        quoted += quote;
        quoted += quote;
        i += 2;
      } else {
        quoted += value[i];
      }
    }
  }
  quoted += '\'';
  return quoted;
}

std::unique_ptr<ShellSession> openPersistentShell(std::vector<std::string> argv,
                                                  ShellDialect dialect, std::string marker) {
  return std::make_unique<PersistentShell>(std::move(argv), dialect, std::move(marker));
}

std::unique_ptr<ShellSession> openSpawningShell(std::vector<std::string> argv,
                                                ShellDialect /*dialect*/) {
  return std::make_unique<SpawningShell>(std::move(argv));
}

} // namespace hil::real_hw
