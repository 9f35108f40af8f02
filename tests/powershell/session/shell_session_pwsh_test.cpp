// The persistent shell session on real PowerShell 7 (pwsh reading `-Command -` from a pipe):
// framing, quoting, errors, stdin, deadlines, output limits and dying shells.

#include "real_hw/shell_session.h"

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <future>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/powershell/session/pwsh_test_support.h"

namespace hil::real_hw {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;
using namespace hil::real_hw::testing;

constexpr auto kMarker = "HILPWSHMARK";
// For commands that finish: only reached if something is wrong. A pwsh starting on a busy
// machine takes seconds.
constexpr auto kPlenty = 60s;
// For commands that hang on purpose.
constexpr auto kHang = 3s;

std::string ps(std::string_view value) { return quoteFor(ShellDialect::PowerShell, value); }

std::unique_ptr<ShellSession> openPwsh() {
  return openPersistentShell(
      {HIL_PWSH, "-NoLogo", "-NoProfile", "-NonInteractive", "-Command", "-"},
      ShellDialect::PowerShell, kMarker);
}

/// The peak resident set of this process so far, in KiB (VmHWM).
long peakRssKiB() {
  std::istringstream status(readFile("/proc/self/status"));
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmHWM:")) {
      return std::stol(line.substr(6));
    }
  }
  return -1;
}

class PwshSessionTest : public ::testing::Test {
protected:
  ShellReply run(const std::string& command) {
    auto reply = session->run(command, kPlenty);
    EXPECT_TRUE(reply.has_value()) << command.substr(0, 200) << ": " << reply.error().describe();
    return reply.value_or(ShellReply{"<failed>", "<failed>", false});
  }

  /// Runs a command that must fail, and returns its error.
  Error runFailing(const std::string& command, std::chrono::milliseconds deadline = kPlenty) {
    auto reply = session->run(command, deadline);
    EXPECT_FALSE(reply.has_value()) << command << " succeeded: " << reply->out;
    return reply ? Error{ErrorCode::InvalidRequest, "<succeeded>", {}} : reply.error();
  }

  /// The pid of the process that runs the commands ($PID).
  pid_t shellPid() { return std::stoi(run("[Console]::Out.Write($PID)").out); }

  std::unique_ptr<ShellSession> session = openPwsh();
};

TEST_F(PwshSessionTest, TheFirstOutputOfANewShellIsExactlyWhatTheCommandPrinted) {
  // pwsh 7.2+ prints "\x1b[?1h\x1b[?1l" around each line it reads and colours error records.
  const auto first = run("[Console]::Out.Write('first')");
  EXPECT_EQ(first, (ShellReply{"first", "", true}));
  const auto error = run("Write-Error 'red?'");
  EXPECT_THAT(error.err, HasSubstr("red?"));
  EXPECT_THAT(error.err, Not(HasSubstr("\x1b")));
  const auto table = run("Get-Item / | Format-Table Name, Mode; Get-Date -NoSuchParameter");
  EXPECT_THAT(table.out, HasSubstr("Name"));
  EXPECT_THAT(table.out + table.err, Not(HasSubstr("\x1b")));
}

TEST_F(PwshSessionTest, ACommandThatTurnsColourBackOnDoesNotColourTheNextOnes) {
  run("$PSStyle.OutputRendering = 'Ansi'");
  const auto reply = run("Write-Error 'plain?'; 'out'");
  EXPECT_THAT(reply.err, HasSubstr("plain?"));
  EXPECT_THAT(reply.out + reply.err, Not(HasSubstr("\x1b")));
}

TEST_F(PwshSessionTest, StatePersistsBetweenCommands) {
  run("$kept = 'yes'; function Get-Twice($v) { $v + $v }; Set-Location /");
  EXPECT_EQ(run("[Console]::Out.Write((Get-Twice $kept) + (Get-Location).Path)").out, "yesyes/");
}

TEST_F(PwshSessionTest, MultiLineCommandsWithEmptyLinesRunWhole) {
  const auto reply = run("$x = 1\n\nif ($x) {\n\n  'yes'\n\n}\nelse { 'no' }\n\n'end'\n");
  EXPECT_EQ(reply, (ShellReply{"yes\nend\n", "", true}));
}

TEST_F(PwshSessionTest, HostileValuesReachPowerShellByteForByteAndRunNothing) {
  const TempDir dir;
  const auto pwned = dir.file("pwned");
  const auto precious = dir.file("precious");
  writeFile(precious, "keep me");
  for (const auto& value : hostileValues(pwned, precious)) {
    SCOPED_TRACE(bitConverterHex(value.substr(0, 64)));
    // As PowerShell holds it: its UTF-8 bytes, printed as hex (ASCII on the way back).
    const auto bytes =
        run(fmt::format("[Console]::Out.Write([BitConverter]::ToString([Text.Encoding]::UTF8."
                        "GetBytes({})))",
                        ps(value)));
    EXPECT_EQ(bytes.out, bitConverterHex(value));
    EXPECT_TRUE(bytes.succeeded);
    // And written back out as it is.
    const auto echoed = run(fmt::format("[Console]::Out.Write({})", ps(value)));
    EXPECT_EQ(echoed.out, value);
    EXPECT_EQ(echoed.err, "");
    // As an argument to a cmdlet, and as a variable's value.
    const auto asArgument = run(fmt::format("$v = {0}; Write-Output -InputObject {0} | "
                                            "ForEach-Object {{ [Console]::Out.Write($_.Length "
                                            "-eq $v.Length) }}",
                                            ps(value)));
    EXPECT_EQ(asArgument.out, "True");
  }
  const auto afterwards = run("[Console]::Out.Write((Test-Path variable:hilPwned))");
  EXPECT_EQ(afterwards.out, "False");
  EXPECT_FALSE(std::filesystem::exists(pwned));
  EXPECT_EQ(readFile(precious), "keep me");
}

TEST_F(PwshSessionTest, NulTravelsInsideAValue) {
  // PowerShell strings hold NUL, and the frame carries the command as base64: nothing refuses it.
  const std::string value("a\0b\0", 4);
  EXPECT_EQ(
      run(fmt::format("[Console]::Out.Write({0}.Length); [Console]::Out.Write({0})", ps(value)))
          .out,
      "4" + value);
}

TEST_F(PwshSessionTest, ACommandThatIsNotUtf8IsRefusedBeforeItIsSent) {
  run("$kept = 'yes'");
  for (const auto& bad : {std::string("'\xFF'"), std::string("'\xC3'"), std::string("'\xC0\xAF'"),
                          std::string("'\xED\xA0\x80'"), std::string("'\xF4\x90\x80\x80'")}) {
    const auto error = runFailing("[Console]::Out.Write(" + bad + ")");
    EXPECT_EQ(error.code, ErrorCode::InvalidRequest) << error.describe();
  }
  // The same shell: nothing was sent, nothing restarted.
  EXPECT_EQ(run("[Console]::Out.Write($kept)").out, "yes");
}

TEST_F(PwshSessionTest, OutputThatContainsTheMarkerDoesNotEndTheFrame) {
  // This is the session's first command, so its tag is HILPWSHMARK-1: earlier and later tags,
  // a begin line, near misses of the end lines, and on each stream the other stream's end line.
  // (Only the exact end line of this very command would end its frame: the marker is secret.)
  const auto lookalikes = fmt::format("\n{0}-1 begin 1 2\n{0}-0 0\n{0}-2 1\n{0}-999 0\n{0}-\n"
                                      "{0}-1x 0\n{0}-1 x\n{0}-10 0\n{0}-10\n{0} 0\n{0}\n"
                                      "{0}-1\r\n{0}-1 ",
                                      kMarker);
  const auto out = lookalikes + fmt::format("\n{}-1\n", kMarker);
  const auto err = lookalikes + fmt::format("\n{}-1 0\n", kMarker);
  const auto reply =
      run(fmt::format("[Console]::Out.Write({}); [Console]::Error.Write({})", ps(out), ps(err)));
  EXPECT_EQ(reply.out, out);
  EXPECT_EQ(reply.err, err);
  EXPECT_TRUE(reply.succeeded);
  EXPECT_EQ(run("[Console]::Out.Write('next')").out, "next");
}

TEST_F(PwshSessionTest, OutputComesBackWithOrWithoutATrailingNewline) {
  EXPECT_EQ(run("[Console]::Out.Write('a')").out, "a");
  EXPECT_EQ(run("'a'").out, "a\n");
  EXPECT_EQ(run("[Console]::Out.Write(\"a`n\")").out, "a\n");
  EXPECT_EQ(run("[Console]::Out.Write(\"a`n`n\")").out, "a\n\n");
  EXPECT_EQ(run("[Console]::Out.Write(\"`n\")").out, "\n");
  EXPECT_EQ(run("[Console]::Out.Write(\"a`r`n\")").out, "a\r\n");
  EXPECT_EQ(run("$null").out, "");
  EXPECT_EQ(run("'a'; [Console]::Out.Write('b')").out, "a\nb");
  EXPECT_EQ(run("[Console]::Error.Write('e')").err, "e");
  EXPECT_EQ(run("[Console]::Error.Write(\"e`n\")").err, "e\n");
}

TEST_F(PwshSessionTest, OutputUpToTheLimitComesBackWhole) {
  constexpr std::size_t kMiB = 1024 * 1024;
  const auto reply =
      run("$s = 'x' * 1MB; for ($i = 0; $i -lt 32; $i++) { [Console]::Out.Write($s) }; "
          "[Console]::Error.Write('e' * 1MB)");
  EXPECT_EQ(reply.out.size(), 32 * kMiB);
  EXPECT_TRUE(std::all_of(reply.out.begin(), reply.out.end(), [](char c) { return c == 'x'; }));
  EXPECT_EQ(reply.err, std::string(kMiB, 'e'));
}

TEST_F(PwshSessionTest, AGibibyteOfOutputFailsAtTheLimitWithoutHoldingIt) {
  run("$kept = 'yes'");
  const auto before = peakRssKiB();
  const auto error =
      runFailing("$s = 'x' * 1MB; for ($i = 0; $i -lt 1024; $i++) { [Console]::Out.Write($s) }");
  EXPECT_EQ(error.code, ErrorCode::OperationFailed) << error.describe();
  const auto peak = peakRssKiB();
  RecordProperty("peak_rss_kib", std::to_string(peak));
  // Unbounded, the session held the whole gibibyte and a copy (2 GiB measured).
  EXPECT_LT(peak - before, static_cast<long>(3 * kShellOutputLimit / 1024))
      << "peak " << peak << " KiB, before " << before << " KiB";
  // A new shell runs the next command.
  EXPECT_EQ(run("[Console]::Out.Write(\"$kept\")").out, "");
}

TEST_F(PwshSessionTest, TooMuchOnStderrFailsToo) {
  const auto error =
      runFailing("$s = 'e' * 1MB; for ($i = 0; $i -lt 200; $i++) { [Console]::Error.Write($s) }");
  EXPECT_EQ(error.code, ErrorCode::OperationFailed) << error.describe();
  EXPECT_EQ(run("[Console]::Out.Write('ok')").out, "ok");
}

TEST_F(PwshSessionTest, ACommandThatReadsStdinDoesNotSwallowTheNextFrames) {
  run("$kept = 'yes'");
  EXPECT_EQ(run("[Console]::Out.Write($null -eq [Console]::In.ReadLine())").out, "True");
  EXPECT_EQ(run("[Console]::Out.Write([Console]::In.ReadToEnd().Length)").out, "0");
  const auto readHost = run("Read-Host 'name'");
  EXPECT_FALSE(readHost.succeeded); // -NonInteractive
  EXPECT_THAT(readHost.err, HasSubstr("NonInteractive"));
  // The same shell, and nothing it read was a frame.
  EXPECT_EQ(run("[Console]::Out.Write($kept)").out, "yes");
}

TEST_F(PwshSessionTest, ANativeProgramThatReadsStdinWaitsForTheDeadlineNotForAFrame) {
  // Native programs inherit pwsh's stdin, the frames' pipe; the next frame is sent only after
  // this one ends, so there is nothing to read and nothing to swallow.
  run("$null");
  EXPECT_EQ(runFailing("cat; [Console]::Out.Write('never')", kHang).code, ErrorCode::Timeout);
  EXPECT_EQ(run("[Console]::Out.Write('next')").out, "next");
  EXPECT_EQ(run("[Console]::Out.Write('and the next')").out, "and the next");
}

TEST_F(PwshSessionTest, ExitEndsTheShellAndTheNextCommandGetsANewOne) {
  for (const auto* command :
       {"exit", "exit 3", "'bye'; [Console]::Error.Write('last words'); exit 3",
        "[Environment]::Exit(4)"}) {
    SCOPED_TRACE(command);
    run("$kept = 'yes'");
    const auto error = runFailing(command);
    EXPECT_EQ(error.code, ErrorCode::OperationFailed);
    EXPECT_EQ(run("[Console]::Out.Write(\"[$kept]\")").out, "[]");
  }
}

TEST_F(PwshSessionTest, ATerminatingErrorFailsTheCommandAndTheSessionGoesOn) {
  run("$kept = 'yes'");
  const auto thrown = run("'before'; throw 'boom'; 'after'");
  EXPECT_FALSE(thrown.succeeded);
  EXPECT_EQ(thrown.out, "before\n");
  EXPECT_THAT(thrown.err, HasSubstr("boom"));
  const auto binding = run("Get-Date -NoSuchParameter");
  EXPECT_FALSE(binding.succeeded);
  EXPECT_THAT(binding.err, HasSubstr("NoSuchParameter"));
  const auto parse = run("if ( { 'unclosed'");
  EXPECT_FALSE(parse.succeeded);
  EXPECT_NE(parse.err, "");
  const auto stop = run("$ErrorActionPreference = 'Stop'; Write-Error 'now terminating'; 'after'");
  EXPECT_FALSE(stop.succeeded);
  EXPECT_EQ(stop.out, "");
  run("$ErrorActionPreference = 'Continue'");
  EXPECT_EQ(run("[Console]::Out.Write($kept)").out, "yes");
}

TEST_F(PwshSessionTest, ANonTerminatingErrorFollowsPowerShellsDollarQuestionMarkButIsVisible) {
  // $? is true after a pipeline whose script block wrote an error for one item, and after a
  // Write-Error followed by another statement; the error text is on stderr all the same.
  const auto pipeline =
      run("1..3 | ForEach-Object { if ($_ -eq 2) { Write-Error \"two\" } else { $_ } }");
  EXPECT_EQ(pipeline.out, "1\n3\n");
  EXPECT_THAT(pipeline.err, HasSubstr("two"));
  EXPECT_TRUE(pipeline.succeeded);
  const auto thenMore = run("Write-Error \"x\"; \"y\"");
  EXPECT_EQ(thenMore.out, "y\n");
  EXPECT_THAT(thenMore.err, HasSubstr("x"));
  EXPECT_TRUE(thenMore.succeeded);
  // The last statement's own failure is $? false.
  const auto last = run("'y'; Write-Error 'last'");
  EXPECT_FALSE(last.succeeded);
  const auto missing = run("Get-Item /no/such/path");
  EXPECT_FALSE(missing.succeeded);
  EXPECT_THAT(missing.err, HasSubstr("/no/such/path"));
}

TEST_F(PwshSessionTest, BreakOrContinueOutsideALoopDoesNotEscapeTheFrame) {
  for (const auto* command : {"'a'; break; 'b'", "'a'; continue; 'b'", "'a'; return; 'b'"}) {
    SCOPED_TRACE(command);
    const auto reply = run(command);
    EXPECT_EQ(reply.out, "a\n");
  }
  EXPECT_EQ(run("[Console]::Out.Write('next')").out, "next");
}

TEST_F(PwshSessionTest, ACommandPastItsDeadlineIsKilledAndTheShellRestarted) {
  run("$lost = 'yes'");
  const auto oldShell = shellPid();
  const auto error = runFailing("Start-Sleep 600", kHang);
  EXPECT_EQ(error.code, ErrorCode::Timeout) << error.describe();
  EXPECT_TRUE(processGoesAway(oldShell));
  const auto after = run("[Console]::Out.Write(\"[$lost]\")");
  EXPECT_EQ(after, (ShellReply{"[]", "", true}));
}

TEST_F(PwshSessionTest, ADeadlineKillsTheChildProcessesToo) {
  const TempDir dir;
  run("$null"); // the shell is up: the deadline is the command's
  const auto foreground = dir.file("foreground");
  EXPECT_EQ(runFailing(fmt::format("sh -c {}",
                                   ps(fmt::format("echo $$ > '{}'; exec sleep 600", foreground))),
                       kHang)
                .code,
            ErrorCode::Timeout);
  const auto background = dir.file("background");
  EXPECT_EQ(runFailing(fmt::format("$p = Start-Process -FilePath sleep -ArgumentList 600 "
                                   "-PassThru; Set-Content -Path {} -Value $p.Id; Start-Sleep 600",
                                   ps(background)),
                       kHang)
                .code,
            ErrorCode::Timeout);
  for (const auto& file : {foreground, background}) {
    const auto pid = waitForFile(file, 1s);
    ASSERT_FALSE(pid.empty()) << file << " was not written before the deadline";
    EXPECT_TRUE(processGoesAway(std::stoi(pid))) << "pid " << pid << " from " << file;
  }
  EXPECT_EQ(run("[Console]::Out.Write('ok')").out, "ok");
}

TEST_F(PwshSessionTest, ACommandThatPrintsAndHangsStillTimesOut) {
  run("$null");
  EXPECT_EQ(runFailing("while ($true) { 'busy' }", kHang).code, ErrorCode::Timeout);
  EXPECT_EQ(run("[Console]::Out.Write('ok')").out, "ok");
}

TEST_F(PwshSessionTest, AShellKilledBetweenCommandsIsReportedThenReplaced) {
  run("$lost = 'yes'");
  const auto pid = shellPid();
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  ASSERT_TRUE(processGoesAway(pid));
  const auto error = runFailing("[Console]::Out.Write('ok')");
  EXPECT_EQ(error.code, ErrorCode::OperationFailed) << error.describe();
  EXPECT_EQ(run("[Console]::Out.Write(\"[$lost]\")").out, "[]");
}

TEST_F(PwshSessionTest, AShellKilledWhileACommandRunsIsReportedThenReplaced) {
  const TempDir dir;
  const auto pidFile = dir.file("pid");
  run("$lost = 'yes'");
  auto running = std::async(std::launch::async, [&] {
    return session->run(
        fmt::format("Set-Content -Path {} -Value $PID; Start-Sleep 600", ps(pidFile)), kPlenty);
  });
  const auto pid = waitForFile(pidFile);
  ASSERT_FALSE(pid.empty());
  ASSERT_EQ(kill(std::stoi(pid), SIGKILL), 0);
  const auto reply = running.get();
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().code, ErrorCode::OperationFailed) << reply.error().describe();
  EXPECT_EQ(run("[Console]::Out.Write(\"[$lost]\")").out, "[]");
}

TEST_F(PwshSessionTest, OneCommandAtATimeFromManyThreads) {
  constexpr int kThreads = 3;
  constexpr int kEach = 20;
  std::atomic<int> right = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const auto expected = fmt::format("{}-{}", t, i);
        const auto reply = session->run("[Console]::Out.Write(" + ps(expected) + ")", kPlenty);
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

} // namespace
} // namespace hil::real_hw
