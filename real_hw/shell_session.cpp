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

std::string base64(std::string_view bytes) {
  static constexpr std::string_view kDigits =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string text;
  text.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const auto n = static_cast<unsigned>(static_cast<unsigned char>(bytes[i])) << 16 |
                   static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 1])) << 8 |
                   static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 2]));
    text += kDigits[n >> 18 & 63];
    text += kDigits[n >> 12 & 63];
    text += kDigits[n >> 6 & 63];
    text += kDigits[n & 63];
  }
  if (const auto rest = bytes.size() - i; rest > 0) {
    auto n = static_cast<unsigned>(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2) {
      n |= static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    }
    text += kDigits[n >> 18 & 63];
    text += kDigits[n >> 12 & 63];
    text += rest == 2 ? kDigits[n >> 6 & 63] : '=';
    text += '=';
  }
  return text;
}

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

// `-Command -` reads stdin like a prompt, statement by statement: a multi-line statement runs
// only after an empty line, and an empty line inside one cuts it short (PowerShell issue #3223,
// "Reconsider the behavior of powershell.exe -Command -"); Windows PowerShell also decodes stdin
// in the console's code page. So the command travels as one line of base64 (UTF-8) and becomes a
// script block, dot-sourced so that what it defines stays in the session. Its output goes
// through Out-Default inside the frame, so formatting finishes before the end lines; its status
// is $? after its last statement, or false on a terminating error, whose record goes to stderr.
// The end lines are written with "`n" rather than WriteLine, whose newline is "\r\n" on Windows.
// Progress bars are turned off: with output redirected they arrive as noise (or CLIXML).
std::string powerShellFrame(const std::string& command, const std::string& tag) {
  const auto quoted = quoteFor(ShellDialect::PowerShell, tag);
  return fmt::format(
      "$global:ProgressPreference = 'SilentlyContinue'; $global:__hilOk = $true; try {{ . "
      "([ScriptBlock]::Create([Text.Encoding]::UTF8.GetString("
      "[Convert]::FromBase64String('{}')) + \"`n\" + '$global:__hilOk = $?')) | Out-Default }} "
      "catch {{ $global:__hilOk = $false; [Console]::Error.WriteLine(($_ | Out-String)) }}; "
      "[Console]::Out.Write(\"`n\" + {} + ' ' + [int](-not $global:__hilOk) + \"`n\"); "
      "[Console]::Out.Flush(); [Console]::Error.Write(\"`n\" + {} + \"`n\"); "
      "[Console]::Error.Flush()\n",
      base64(command), quoted, quoted);
}

std::string frameFor(ShellDialect dialect, const std::string& command, const std::string& tag) {
  return dialect == ShellDialect::PowerShell ? powerShellFrame(command, tag)
                                             : posixFrame(command, tag);
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

  /// Looks for the end line from where the last search stopped. stdout's end line carries the
  /// status: "\n<tag> <digits>\n"; stderr's is "\n<tag>\n".
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
      text = buffer.substr(0, at);
      buffer.erase(0, end); // what follows belongs to whatever comes next
      scanned = 0;
      complete = true;
      return;
    }
  }

  bp::async_pipe pipe;
  std::array<char, 64 * 1024> chunk{};
  std::string tag;         // the current frame's
  std::string buffer;      // read but not yet returned
  std::size_t scanned = 0; // no end line starts before this
  std::string text;        // the command's output, once complete
  int status = 0;
  bool reading = false;
  bool complete = true;
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
          stream.buffer.append(stream.chunk.data(), n);
          if (!stream.complete) {
            stream.findEnd(withStatus);
          }
          if (ec) {
            stream.closed = true;
          } else if (!stream.complete || draining) {
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
};

Result<std::unique_ptr<Shell>> startShell(const std::vector<std::string>& argv) {
  if (argv.empty()) {
    return fail(ErrorCode::InvalidRequest, "no shell to start");
  }
  boost::filesystem::path program = argv[0];
  if (argv[0].find('/') == std::string::npos) {
    program = bp::search_path(argv[0]);
    if (program.empty()) {
      return fail(ErrorCode::OperationFailed, fmt::format("{}: not found on PATH", argv[0]));
    }
  }
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

class PersistentShell : public ShellSession {
public:
  PersistentShell(std::vector<std::string> argv, ShellDialect dialect, std::string marker)
      : argv_(std::move(argv)), dialect_(dialect), marker_(std::move(marker)) {}

  // One command at a time: a second caller waits until the first command's frame has ended.
  Result<ShellReply> run(const std::string& command, std::chrono::milliseconds deadline) override {
    const std::lock_guard lock(mutex_);
    if (!shell_) {
      auto started = startShell(argv_);
      if (!started) {
        return std::unexpected(std::move(started).error());
      }
      shell_ = std::move(*started);
    }
    auto reply = exchange(command, deadline);
    if (reply) {
      return reply;
    }
    shell_.reset(); // the next command starts a new shell
    if (reply.error().code != ErrorCode::Timeout) {
      return reply;
    }
    // Started here, outside exchange(), where SIGPIPE is blocked: the shell would inherit that.
    auto message = fmt::format("the command did not finish within {} ms; ", deadline.count());
    if (auto restarted = startShell(argv_)) {
      shell_ = std::move(*restarted);
      message += "the shell was restarted";
    } else {
      message += fmt::format("restarting the shell failed: {}", restarted.error().message);
    }
    return fail(ErrorCode::Timeout, std::move(message));
  }

private:
  /// Sends one framed command and reads both streams to the frame's end, the deadline, or the
  /// shell's end, whichever comes first. On anything but success the shell is killed.
  Result<ShellReply> exchange(const std::string& command, std::chrono::milliseconds deadline) {
    const auto until = SteadyClock::now() + deadline;
    Shell& shell = *shell_;
    if (shell.exited()) {
      return died(shell); // between commands
    }
    const SigpipeBlocked sigpipe;
    const auto tag = fmt::format("{}-{}", marker_, ++commands_);
    const auto frame = frameFor(dialect_, command, tag);
    bool writing = true;
    bool writeFailed = false;
    shell.io.restart();
    asio::async_write(shell.in, asio::buffer(frame),
                      [&](const boost::system::error_code& ec, std::size_t) {
                        writing = false;
                        writeFailed = static_cast<bool>(ec);
                      });
    for (auto* stream : {&shell.out, &shell.err}) {
      stream->tag = tag;
      stream->complete = false;
      stream->scanned = 0;
      stream->text.clear();
    }
    // The handlers refer to this frame: every way out of this function leaves none pending.
    shell.read(shell.out, true);
    shell.read(shell.err, false);
    const auto pending = [&] { return writing || shell.out.reading || shell.err.reading; };
    while (pending() && !writeFailed && !shell.out.closed && !shell.err.closed) {
      const auto now = SteadyClock::now();
      if (now >= until) {
        shell.kill();
        shell.abandon();
        return fail(ErrorCode::Timeout, "");
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
    if (pending() || !shell.out.complete || !shell.err.complete) {
      return died(shell);
    }
    return ShellReply{std::move(shell.out.text), std::move(shell.err.text), shell.out.status == 0};
  }

  /// A shell that exited (or closed its pipes) before the frame ended: its status and its last
  /// words on stderr, read for a short while; what it left behind is killed.
  static std::unexpected<Error> died(Shell& shell) {
    // Read on to the end of its pipes, for its last words.
    shell.draining = true;
    shell.io.restart();
    if (!shell.out.reading && !shell.out.closed) {
      shell.read(shell.out, true);
    }
    if (!shell.err.reading && !shell.err.closed) {
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
    const auto how = status ? fmt::format("the shell exited ({})", describeExit(status))
                            : std::string{"the shell closed its pipes and was killed"};
    return fail(ErrorCode::OperationFailed,
                fmt::format("{}: {}", how, lastWords(shell.err.buffer)));
  }

  std::vector<std::string> argv_;
  ShellDialect dialect_;
  std::string marker_;
  std::mutex mutex_;
  std::unique_ptr<Shell> shell_;
  unsigned long long commands_ = 0;
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
