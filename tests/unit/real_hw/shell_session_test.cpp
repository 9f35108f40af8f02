#include "real_hw/shell_session.h"

#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace hil::real_hw {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

constexpr auto kMarker = "HILTESTMARK";
constexpr auto kPlenty = 10s;

std::string posix(std::string_view value) { return quoteFor(ShellDialect::Posix, value); }
std::string powerShell(std::string_view value) { return quoteFor(ShellDialect::PowerShell, value); }

using TempDir = test_support::TempDir; // a folder for the files a test's commands write

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// Gone, or a zombie that nobody reaps in this container: either way it runs no more.
bool processIsGone(pid_t pid) {
  if (kill(pid, 0) != 0) {
    return true;
  }
  const auto stat = readFile(fmt::format("/proc/{}/stat", pid));
  const auto close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z';
}

/// The process is gone (or a zombie) soon: polled for long enough that a loaded machine is not
/// mistaken for a process left running. The processes the tests start sleep far longer than this.
bool processGoesAway(pid_t pid) {
  for (const auto until = SteadyClock::now() + 60s; SteadyClock::now() < until;) {
    if (processIsGone(pid)) {
      return true;
    }
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

class PosixSessionTest : public ::testing::Test {
protected:
  ShellReply run(const std::string& command) {
    auto reply = session->run(command, kPlenty);
    EXPECT_TRUE(reply.has_value()) << command << ": " << reply.error().describe();
    return reply.value_or(ShellReply{"<failed>", "<failed>", false});
  }

  std::unique_ptr<ShellSession> session =
      openPersistentShell({"/bin/sh"}, ShellDialect::Posix, kMarker);
};

TEST_F(PosixSessionTest, StatePersistsBetweenCommands) {
  EXPECT_EQ(run("greeting=hello; cd /tmp"), (ShellReply{"", "", true}));
  EXPECT_EQ(run("printf '%s %s' \"$greeting\" \"$(pwd)\"").out, "hello /tmp");
  run("twice() { printf '%s%s' \"$1\" \"$1\"; }");
  EXPECT_EQ(run("twice ab").out, "abab");
}

TEST_F(PosixSessionTest, OutputComesBackAsPrintedWithOrWithoutATrailingNewline) {
  EXPECT_EQ(run("echo hello").out, "hello\n");
  EXPECT_EQ(run("printf hello").out, "hello");
  EXPECT_EQ(run("printf ''").out, "");
  EXPECT_EQ(run("printf '\\n\\n'").out, "\n\n");
  EXPECT_EQ(run("printf 'a\\nb'").out, "a\nb");
  EXPECT_EQ(run("printf err >&2").err, "err");
}

TEST_F(PosixSessionTest, ErrorsComeBackSeparately) {
  EXPECT_EQ(run("echo out; echo err >&2; echo more out"),
            (ShellReply{"out\nmore out\n", "err\n", true}));
}

TEST_F(PosixSessionTest, AFailingCommandIsNotSucceededAndTheSessionGoesOn) {
  run("kept=yes");
  const auto failed = run("echo trying; ls /no/such/dir");
  EXPECT_FALSE(failed.succeeded);
  EXPECT_EQ(failed.out, "trying\n");
  EXPECT_THAT(failed.err, HasSubstr("/no/such/dir"));
  EXPECT_FALSE(run("(exit 7)").succeeded);
  const auto after = run("printf %s \"$kept\"");
  EXPECT_TRUE(after.succeeded);
  EXPECT_EQ(after.out, "yes");
}

TEST_F(PosixSessionTest, OutputThatLooksLikeMarkersDoesNotEndTheFrame) {
  for (int i = 0; i < 3; ++i) {
    run("true");
  }
  // The tags of the three commands before, a far later one, and near misses; on both streams.
  const std::string lookalikes = fmt::format("\\n{0}-1 0\\n{0}-2 1\\n{0}-3\\n{0}-999999 0\\n{0}-"
                                             "\\n{0}-4x 0\\n{0} 0\\n{0}-1",
                                             kMarker);
  const auto reply = run(fmt::format("printf '{0}'; printf '{0}' >&2", lookalikes));
  const auto expected = fmt::format("\n{0}-1 0\n{0}-2 1\n{0}-3\n{0}-999999 0\n{0}-\n{0}-4x 0\n"
                                    "{0} 0\n{0}-1",
                                    kMarker);
  EXPECT_EQ(reply.out, expected);
  EXPECT_EQ(reply.err, expected);
  EXPECT_TRUE(reply.succeeded);
  EXPECT_EQ(run("printf next").out, "next");
}

TEST_F(PosixSessionTest, EveryByteComesBackAsItWas) {
  std::string command = "printf '";
  std::string expected;
  for (int byte = 0; byte < 256; ++byte) {
    command += fmt::format("\\{:03o}", byte);
    expected += static_cast<char>(byte);
  }
  command += "'";
  const auto reply = run(command + "; " + command + " >&2");
  EXPECT_EQ(reply.out, expected);
  EXPECT_EQ(reply.err, expected);
}

TEST_F(PosixSessionTest, MegabytesOnBothStreamsAtOnceDoNotDeadlock) {
  const auto reply = run("head -c 1048576 /dev/zero | tr '\\000' x >&2; "
                         "head -c 1048576 /dev/zero | tr '\\000' y; "
                         "head -c 1048576 /dev/zero | tr '\\000' z >&2");
  EXPECT_EQ(reply.out, std::string(1048576, 'y'));
  EXPECT_EQ(reply.err, std::string(1048576, 'x') + std::string(1048576, 'z'));
}

TEST_F(PosixSessionTest, LinesOnBothStreamsKeepTheirOrderWithinEach) {
  const auto reply = run("i=0; while [ $i -lt 2000 ]; do echo out$i; echo err$i >&2; "
                         "i=$((i + 1)); done");
  std::string out;
  std::string err;
  for (int i = 0; i < 2000; ++i) {
    out += fmt::format("out{}\n", i);
    err += fmt::format("err{}\n", i);
  }
  EXPECT_EQ(reply.out, out);
  EXPECT_EQ(reply.err, err);
}

TEST_F(PosixSessionTest, ACommandThatReadsStdinDoesNotSwallowTheNextOne) {
  EXPECT_EQ(run("cat").out, "");
  EXPECT_EQ(run("printf after").out, "after");
}

TEST_F(PosixSessionTest, HostileValuesComeBackByteIdenticalAndNothingRuns) {
  const TempDir dir;
  const auto pwned = dir.file("pwned");
  std::vector<std::string> values = {
      "it's",
      "''",
      "'\\''",
      "\"double\" and 'single'",
      fmt::format("$(touch {})", pwned),
      fmt::format("`touch {}`", pwned),
      fmt::format("'; touch {}; '", pwned),
      fmt::format("x; touch {}", pwned),
      fmt::format("line one\ntouch {}\nline three\n", pwned),
      "$HOME ${HOME} $((1 + 1)) \\ \\\\ \\n %s %d",
      "-n",
      "",
      "Grafikkarte \xC3\xBC\xC3\x9F \xE6\x97\xA5\xE6\x9C\xAC Bob\xE2\x80\x99s \xF0\x9F\x8E\xAE",
      "\t\r\x01\x7f\xff",
  };
  std::string longValue;
  while (longValue.size() < 10 * 1024) {
    for (const auto& value : values) {
      longValue += value;
    }
  }
  values.push_back(longValue);
  for (const auto& value : values) {
    const auto reply = run("printf '%s' " + posix(value));
    EXPECT_EQ(reply.out, value);
    EXPECT_TRUE(reply.succeeded) << value;
  }
  EXPECT_FALSE(std::filesystem::exists(pwned));
}

TEST_F(PosixSessionTest, ACommandPastItsDeadlineIsKilledWithItsChildrenAndTheShellRestarted) {
  const TempDir dir;
  run("lost=yes");
  const auto reply = session->run(
      fmt::format("sleep 300 & echo $! > {}; sh -c 'sleep 300'; echo never", dir.file("pid")),
      200ms);
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().code, ErrorCode::Timeout);
  const auto pid = std::stoi(readFile(dir.file("pid")));
  EXPECT_TRUE(processGoesAway(pid));
  // A new shell: it works, and knows nothing of the old one.
  const auto after = run("printf %s \"${lost-gone}\"");
  EXPECT_TRUE(after.succeeded);
  EXPECT_EQ(after.out, "gone");
}

TEST_F(PosixSessionTest, ACommandThatPrintsAndHangsStillTimesOut) {
  const auto reply = session->run("while :; do echo busy; done", 200ms);
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().code, ErrorCode::Timeout);
  EXPECT_EQ(run("printf ok").out, "ok");
}

TEST_F(PosixSessionTest, ExitKillsTheShellAndTheNextCommandGetsANewOne) {
  run("lost=yes");
  const auto reply = session->run("echo bye >&2; exit 3", kPlenty);
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().code, ErrorCode::OperationFailed);
  EXPECT_THAT(reply.error().message, HasSubstr("status 3"));
  EXPECT_THAT(reply.error().message, HasSubstr("bye"));
  const auto after = run("printf %s \"${lost-gone}\"");
  EXPECT_TRUE(after.succeeded);
  EXPECT_EQ(after.out, "gone");
}

TEST_F(PosixSessionTest, AShellThatExitsWhileItsChildHoldsThePipesIsNotWaitedOn) {
  const TempDir dir;
  const auto reply =
      session->run(fmt::format("sleep 300 & echo $! > {}; exit 4", dir.file("pid")), kPlenty);
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().code, ErrorCode::OperationFailed);
  EXPECT_TRUE(processGoesAway(std::stoi(readFile(dir.file("pid")))));
  EXPECT_EQ(run("printf ok").out, "ok");
}

TEST_F(PosixSessionTest, AShellKilledBetweenCommandsIsReportedThenReplaced) {
  const TempDir dir;
  run(fmt::format("echo $$ > {}", dir.file("pid")));
  const auto pid = std::stoi(readFile(dir.file("pid")));
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  ASSERT_TRUE(processGoesAway(pid)); // the death is there to be seen before the next command
  const auto reply = session->run("printf ok", kPlenty);
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().code, ErrorCode::OperationFailed);
  EXPECT_THAT(reply.error().message, HasSubstr("signal 9"));
  EXPECT_EQ(run("printf ok").out, "ok");
}

TEST_F(PosixSessionTest, OneCommandAtATimeFromManyThreads) {
  constexpr int kThreads = 4;
  constexpr int kEach = 50;
  std::atomic<int> right = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const auto expected = fmt::format("{}-{}", t, i);
        const auto reply = session->run("printf %s " + posix(expected), kPlenty);
        if (reply && reply->out == expected && reply->succeeded) {
          ++right;
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(right, kThreads * kEach);
}

TEST(PersistentShellTest, WritingToAShellThatClosedItsStdinIsAnErrorNotASignal) {
  // Without SIGPIPE blocked while writing, the write would end this test program. The command
  // is larger than a pipe holds, so the write is still going on when the shell closes stdin.
  const auto session = openPersistentShell(
      {"/bin/sh", "-c", "sleep 0.1; exec </dev/null; sleep 300"}, ShellDialect::Posix, kMarker);
  const auto reply = session->run(": " + posix(std::string(1024 * 1024, 'x')), kPlenty);
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().code, ErrorCode::OperationFailed);
}

TEST_F(PosixSessionTest, AShellThatClosesItsOutputIsKilledNotWaitedOn) {
  const auto reply = session->run("exec >&- 2>&-; sleep 300", kPlenty);
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().code, ErrorCode::OperationFailed);
  EXPECT_EQ(run("printf ok").out, "ok");
}

TEST(PersistentShellTest, AShellThatCannotStartIsOperationFailed) {
  for (const auto& argv :
       std::vector<std::vector<std::string>>{{"/nonexistent/sh"}, {"no-such-shell-hil"}}) {
    const auto session = openPersistentShell(argv, ShellDialect::Posix, kMarker);
    const auto reply = session->run("true", kPlenty);
    ASSERT_FALSE(reply.has_value());
    EXPECT_EQ(reply.error().code, ErrorCode::OperationFailed);
  }
}

TEST(PersistentShellTest, AShellThatExitsAtOnceIsOperationFailed) {
  const auto session = openPersistentShell({"/bin/sh", "-c", "echo no shell here >&2"},
                                           ShellDialect::Posix, kMarker);
  const auto reply = session->run("true", kPlenty);
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().code, ErrorCode::OperationFailed);
  EXPECT_THAT(reply.error().message, HasSubstr("no shell here"));
}

TEST(SpawningShellTest, RunsEachCommandInANewShell) {
  const auto session = openSpawningShell({"/bin/sh", "-c"}, ShellDialect::Posix);
  auto reply = session->run("lost=yes; printf ok; echo err >&2", kPlenty);
  ASSERT_TRUE(reply.has_value()) << reply.error().describe();
  EXPECT_EQ(*reply, (ShellReply{"ok", "err\n", true}));
  reply = session->run("printf %s \"${lost-gone}\"; exit 3", kPlenty);
  ASSERT_TRUE(reply.has_value()) << reply.error().describe();
  EXPECT_EQ(*reply, (ShellReply{"gone", "", false}));
  reply = session->run("printf '%s' " + posix("$(echo no) 'x'"), kPlenty);
  ASSERT_TRUE(reply.has_value()) << reply.error().describe();
  EXPECT_EQ(reply->out, "$(echo no) 'x'");
}

TEST(SpawningShellTest, ACommandPastItsDeadlineIsTimeout) {
  const auto session = openSpawningShell({"/bin/sh", "-c"}, ShellDialect::Posix);
  const auto reply = session->run("sleep 300", 200ms);
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().code, ErrorCode::Timeout);
  EXPECT_TRUE(session->run("true", kPlenty).has_value());
}

TEST(QuoteForTest, PosixClosesAndReopensTheQuotes) {
  EXPECT_EQ(posix("plain"), "'plain'");
  EXPECT_EQ(posix(""), "''");
  EXPECT_EQ(posix("it's"), "'it'\\''s'");
  EXPECT_EQ(posix("$x `y` \"z\"\n;"), "'$x `y` \"z\"\n;'");
}

TEST(QuoteForTest, PowerShellDoublesEmbeddedQuotes) {
  EXPECT_EQ(powerShell("plain"), "'plain'");
  EXPECT_EQ(powerShell(""), "''");
  EXPECT_EQ(powerShell("it's"), "'it''s'");
  EXPECT_EQ(powerShell("''"), "''''''");
  EXPECT_EQ(powerShell("line one\nline two\r\n"), "'line one\nline two\r\n'");
  EXPECT_EQ(powerShell("$(Remove-Item C:\\) `n \"x\"; y"), "'$(Remove-Item C:\\) `n \"x\"; y'");
  EXPECT_EQ(powerShell("Gr\xC3\xB6\xC3\x9F\x65"), "'Gr\xC3\xB6\xC3\x9F\x65'");
}

TEST(QuoteForTest, PowerShellNeverWritesTheStopParsingTokenAlone) {
  // pwsh takes even a quoted --% argument for the stop-parsing token.
  EXPECT_EQ(powerShell("--%"), "('--%')");
  EXPECT_EQ(powerShell("--%x"), "'--%x'");
  EXPECT_EQ(posix("--%"), "'--%'");
}

TEST(QuoteForTest, PowerShellDoublesTypographicQuotesToo) {
  // PowerShell ends a single-quoted string at U+2018..U+201B as well as at '.
  EXPECT_EQ(powerShell("Bob\xE2\x80\x99s"), "'Bob\xE2\x80\x99\xE2\x80\x99s'");
  EXPECT_EQ(powerShell("\xE2\x80\x98x\xE2\x80\x9A\xE2\x80\x9B"),
            "'\xE2\x80\x98\xE2\x80\x98x\xE2\x80\x9A\xE2\x80\x9A\xE2\x80\x9B\xE2\x80\x9B'");
  // Other quotation marks are not quotes to PowerShell's single-quoted strings.
  EXPECT_EQ(powerShell("\xE2\x80\x9C\xE2\x80\x9D"), "'\xE2\x80\x9C\xE2\x80\x9D'");
}

// pwsh is not available here; a stand-in reads the PowerShell frames, keeps them in a file,
// echoes the command each one carries (base64-decoded) and answers with the frame's end lines,
// taken from the frame itself.
constexpr auto kPowerShellStandIn = R"sh(
while IFS= read -r frame; do
  printf '%s\n' "$frame" >> "$1"
  code=$(printf '%s\n' "$frame" | sed -n "s#.*FromBase64String('\([A-Za-z0-9+/=]*\)').*#\1#p")
  out=$(printf '%s\n' "$frame" |
    sed -n "s#.*\[Console\]::Out\.Write(\"\`n\" + '\([^']*\)' + ' '.*#\1#p")
  err=$(printf '%s\n' "$frame" |
    sed -n "s#.*\[Console\]::Error\.Write(\"\`n\" + '\([^']*\)' + \"\`n\").*#\1#p")
  printf '%s' "$code" | base64 -d
  printf '\n%s 0\n' "$out"
  printf '\n%s\n' "$err" >&2
done
)sh";

TEST(PowerShellFrameTest, EachCommandTravelsOnceAsOneLineAndComesBackUnmodified) {
  const TempDir dir;
  const auto frames = dir.file("frames");
  const auto session = openPersistentShell(
      {"/bin/sh", "-c", kPowerShellStandIn, "stand-in", frames}, ShellDialect::PowerShell, kMarker);
  const std::vector<std::string> commands = {
      "Get-VM -Name " + powerShell("it's a VM"),
      "$x = 1\n\nif ($x) {\n  'multi-line, with an empty line'\n}\n",
      "Write-Output " + powerShell("Bob\xE2\x80\x99s Gr\xC3\xB6\xC3\x9F\x65 $(rm -r C:\\) `n"),
      "",
  };
  for (const auto& command : commands) {
    const auto reply = session->run(command, kPlenty);
    ASSERT_TRUE(reply.has_value()) << reply.error().describe();
    EXPECT_EQ(reply->out, command);
    EXPECT_EQ(reply->err, "");
    EXPECT_TRUE(reply->succeeded);
  }

  std::vector<std::string> lines;
  std::istringstream text(readFile(frames));
  for (std::string line; std::getline(text, line);) {
    lines.push_back(line);
  }
  // The shell's handshake (an empty command) comes first, then one line per command.
  ASSERT_EQ(lines.size(), commands.size() + 1);
  EXPECT_THAT(lines.front(), HasSubstr(powerShell(fmt::format("{}-s1", kMarker))));
  lines.erase(lines.begin());
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto& frame = lines[i];
    const auto tag = powerShell(fmt::format("{}-{}", kMarker, i + 1));
    SCOPED_TRACE(frame);
    // Dot-sourced, so that what the command defines stays in the session; terminating errors
    // are caught and reported; $? after the command is its status.
    EXPECT_THAT(frame, HasSubstr(". ([ScriptBlock]::Create("));
    EXPECT_THAT(frame, HasSubstr("| Out-Default"));
    EXPECT_THAT(frame, HasSubstr("$global:ProgressPreference = 'SilentlyContinue';"));
    EXPECT_THAT(frame, HasSubstr("'$global:__hilOk = $?'"));
    EXPECT_THAT(frame, HasSubstr("catch { $global:__hilOk = $false;"));
    // The end lines carry this command's number, on both streams.
    EXPECT_THAT(frame, HasSubstr("[Console]::Out.Write(\"`n\" + " + tag +
                                 " + ' ' + [int](-not $global:__hilOk) + \"`n\")"));
    EXPECT_THAT(frame, HasSubstr("[Console]::Error.Write(\"`n\" + " + tag + " + \"`n\")"));
    EXPECT_THAT(frame, HasSubstr("[Console]::Out.Flush()"));
    EXPECT_THAT(frame, HasSubstr("[Console]::Error.Flush()"));
    // Only ASCII goes down the pipe, and no command text outside the base64.
    EXPECT_TRUE(
        std::all_of(frame.begin(), frame.end(), [](char c) { return c >= 0x20 && c < 0x7f; }));
    if (!commands[i].empty()) {
      EXPECT_THAT(frame, Not(HasSubstr(commands[i])));
    }
  }
}

} // namespace
} // namespace hil::real_hw
