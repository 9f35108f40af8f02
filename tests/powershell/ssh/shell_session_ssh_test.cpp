// The persistent shell session through a real ssh: `ssh -T user@host pwsh ... -Command -`, to a
// Debian sshd that each test starts on 127.0.0.1 with keys and a config of its own.

#include "real_hw/shell_session.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/powershell/session/pwsh_test_support.h"

namespace hil::real_hw {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;
using namespace hil::real_hw::testing;
using SteadyClock = std::chrono::steady_clock;

constexpr auto kMarker = "HILSSHMARK";
constexpr auto kPlenty = 60s;
constexpr auto kHang = 3s;

std::string ps(std::string_view value) { return quoteFor(ShellDialect::PowerShell, value); }

/// Starts argv with stdin from /dev/null and stdout and stderr to `log`, in a process group of
/// its own; it is killed if this process dies first.
pid_t spawn(const std::vector<std::string>& argv, const std::string& log) {
  const pid_t pid = fork();
  if (pid != 0) {
    return pid;
  }
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  setpgid(0, 0);
  const int in = open("/dev/null", O_RDONLY);
  const int out = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  dup2(in, 0);
  dup2(out, 1);
  dup2(out, 2);
  std::vector<char*> args;
  for (const auto& arg : argv) {
    args.push_back(const_cast<char*>(arg.c_str()));
  }
  args.push_back(nullptr);
  execvp(args[0], args.data());
  _exit(127);
}

/// Runs argv to its end; its exit status.
int runTool(const std::vector<std::string>& argv, const std::string& log) {
  const pid_t pid = spawn(argv, log);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/// Every process's parent, from /proc.
std::map<pid_t, pid_t> parents() {
  std::map<pid_t, pid_t> parent;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const auto name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    const auto stat = readFile(entry.path() / "stat");
    const auto close = stat.rfind(')');
    if (close == std::string::npos) {
      continue;
    }
    std::istringstream rest(stat.substr(close + 2));
    char state = 0;
    pid_t ppid = 0;
    rest >> state >> ppid;
    parent[std::stoi(name)] = ppid;
  }
  return parent;
}

/// The processes below `root`, nearest first.
std::vector<pid_t> descendants(pid_t root) {
  const auto parent = parents();
  std::vector<pid_t> found{root};
  for (std::size_t i = 0; i < found.size(); ++i) {
    for (const auto& [pid, ppid] : parent) {
      if (ppid == found[i]) {
        found.push_back(pid);
      }
    }
  }
  found.erase(found.begin());
  return found;
}

std::string commandName(pid_t pid) {
  auto name = readFile(fmt::format("/proc/{}/comm", pid));
  if (!name.empty() && name.back() == '\n') {
    name.pop_back();
  }
  return name;
}

/// Debian's sshd on 127.0.0.1 and a free port, with a host key, a client key, known_hosts and a
/// config of its own in a fresh folder, in the foreground (-D -e). As root without /run/sshd
/// (its privilege separation directory, made by Debian's service unit), it runs in a mount
/// namespace of its own with a private /run, so that nothing of the system changes.
class LocalSshd {
public:
  LocalSshd() : dir_("hil-sshd") {
    const auto log = dir_.file("keygen.log");
    for (const auto* key : {"host_key", "client_key"}) {
      if (runTool(
              {HIL_SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C", "hil", "-f", dir_.file(key)},
              log) != 0) {
        problem_ = "ssh-keygen failed: " + readFile(log);
        return;
      }
    }
    writeFile(dir_.file("authorized_keys"), readFile(dir_.file("client_key.pub")));
    port_ = freePort();
    writeFile(dir_.file("sshd_config"),
              fmt::format("ListenAddress 127.0.0.1\nPort {}\nHostKey {}\nPidFile {}\n"
                          "AuthorizedKeysFile {}\nStrictModes no\nUsePAM no\n"
                          "PermitRootLogin yes\nPasswordAuthentication no\n"
                          "KbdInteractiveAuthentication no\nPrintMotd no\nPrintLastLog no\n"
                          "UseDNS no\n",
                          port_, dir_.file("host_key"), dir_.file("sshd.pid"),
                          dir_.file("authorized_keys")));
    start();
  }
  ~LocalSshd() { stop(); }
  LocalSshd(const LocalSshd&) = delete;
  LocalSshd& operator=(const LocalSshd&) = delete;

  /// Why sshd does not run, or "".
  [[nodiscard]] const std::string& problem() const { return problem_; }

  /// Starts sshd (again, on the same port and keys) and waits until it listens.
  void start() {
    const auto log = dir_.file("sshd.log");
    const auto before = readFile(log).size();
    std::vector<std::string> argv = {HIL_SSHD, "-D", "-e", "-f", dir_.file("sshd_config")};
    if (geteuid() == 0 && !std::filesystem::exists("/run/sshd")) {
      argv = {HIL_UNSHARE,
              "-m",
              "--propagation",
              "private",
              "sh",
              "-c",
              fmt::format("mount -t tmpfs tmpfs /run && mkdir -m 755 /run/sshd && exec {} -D -e "
                          "-f '{}'",
                          HIL_SSHD, dir_.file("sshd_config"))};
    }
    listener_ = spawn(argv, log);
    for (const auto until = SteadyClock::now() + 30s; SteadyClock::now() < until;) {
      if (readFile(log).find("Server listening", before) != std::string::npos) {
        problem_.clear();
        return;
      }
      int status = 0;
      if (waitpid(listener_, &status, WNOHANG) == listener_) {
        listener_ = -1;
        break;
      }
      std::this_thread::sleep_for(20ms);
    }
    problem_ = fmt::format("sshd did not start listening ({}): {}", fmt::join(argv, " "),
                           readFile(log).substr(before));
    stop();
  }

  /// Stops sshd, every connection and everything the connections run, also what left their
  /// tree (a remote shell whose connection went away is reparented to init).
  void stop() {
    if (listener_ > 0) {
      const auto below = descendants(listener_);
      kill(listener_, SIGKILL);
      for (const auto pid : below) {
        kill(pid, SIGKILL);
      }
      waitpid(listener_, nullptr, 0);
      listener_ = -1;
    }
    for (const auto pid : servedByThisSshd()) {
      for (const auto below : descendants(pid)) {
        kill(below, SIGKILL);
      }
      kill(pid, SIGKILL);
    }
  }

  /// Stops sshd and its connections, and leaves what they ran running, as a crashed or
  /// restarted sshd would.
  void stopLeavingCommandsRunning() {
    if (listener_ <= 0) {
      return;
    }
    dropConnections();
    kill(listener_, SIGKILL);
    waitpid(listener_, nullptr, 0);
    listener_ = -1;
  }

  /// Kills the sshd processes that serve the connections, as a dropped connection would; how
  /// many there were.
  int dropConnections() {
    int dropped = 0;
    for (const auto pid : descendants(listener_)) {
      if (commandName(pid) == "sshd" && kill(pid, SIGKILL) == 0) {
        ++dropped;
      }
    }
    return dropped;
  }

  /// ssh's arguments up to the remote command.
  [[nodiscard]] std::vector<std::string> sshArgv() const {
    const passwd* user = getpwuid(geteuid());
    return {HIL_SSH,
            "-T",
            "-F",
            "/dev/null",
            "-i",
            dir_.file("client_key"),
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "UserKnownHostsFile=" + dir_.file("known_hosts"),
            "-o",
            "StrictHostKeyChecking=accept-new",
            "-o",
            "BatchMode=yes",
            "-o",
            "ConnectTimeout=20",
            "-p",
            std::to_string(port_),
            fmt::format("{}@127.0.0.1", user != nullptr ? user->pw_name : "root")};
  }

  /// The supported rig command: ssh -T user@host pwsh -NoLogo -NoProfile -NonInteractive
  /// -Command -
  [[nodiscard]] std::vector<std::string> pwshArgv() const {
    auto argv = sshArgv();
    for (const auto* arg :
         {HIL_PWSH, "-NoLogo", "-NoProfile", "-NonInteractive", "-Command", "-"}) {
      argv.emplace_back(arg);
    }
    return argv;
  }

  [[nodiscard]] std::string file(std::string_view name) const { return dir_.file(name); }

private:
  static int freePort() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    close(fd);
    return ntohs(address.sin_port);
  }

  /// The processes whose SSH_CONNECTION names this sshd's port as the server's.
  [[nodiscard]] std::vector<pid_t> servedByThisSshd() const {
    std::vector<pid_t> found;
    const auto needle = fmt::format(" 127.0.0.1 {}", port_);
    for (const auto& [pid, ppid] : parents()) {
      const auto environ = readFile(fmt::format("/proc/{}/environ", pid));
      const auto at = environ.find("SSH_CONNECTION=");
      if (at == std::string::npos) {
        continue;
      }
      const auto value = environ.substr(at, environ.find('\0', at) - at);
      if (value.ends_with(needle) && pid != getpid()) {
        found.push_back(pid);
      }
    }
    return found;
  }

  TempDir dir_;
  std::string problem_;
  int port_ = 0;
  pid_t listener_ = -1;
};

class SshSessionTest : public ::testing::Test {
protected:
  void SetUp() override { ASSERT_EQ(sshd.problem(), ""); }

  ShellReply run(const std::string& command) {
    auto reply = session->run(command, kPlenty);
    EXPECT_TRUE(reply.has_value()) << command.substr(0, 200) << ": " << reply.error().describe();
    return reply.value_or(ShellReply{"<failed>", "<failed>", false});
  }

  Error runFailing(const std::string& command, std::chrono::milliseconds deadline = kPlenty) {
    auto reply = session->run(command, deadline);
    EXPECT_FALSE(reply.has_value()) << command << " succeeded: " << reply->out;
    return reply ? Error{ErrorCode::InvalidRequest, "<succeeded>", {}} : reply.error();
  }

  /// The remote PowerShell's $PID (the same machine here, so this process can watch it).
  pid_t remotePid() { return std::stoi(run("[Console]::Out.Write($PID)").out); }

  LocalSshd sshd;
  std::unique_ptr<ShellSession> session =
      openPersistentShell(sshd.pwshArgv(), ShellDialect::PowerShell, kMarker);
};

TEST_F(SshSessionTest, OutputComesBackCleanThroughSsh) {
  // ssh warns on stderr that it added the host key, before the first frame: not the command's.
  EXPECT_EQ(run("[Console]::Out.Write('first')"), (ShellReply{"first", "", true}));
  const auto error = run("Write-Error 'remote'; 'out'");
  EXPECT_EQ(error.out, "out\n");
  EXPECT_THAT(error.err, HasSubstr("remote"));
  EXPECT_EQ(error.err.find('\x1b'), std::string::npos);
  run("$kept = 'yes'");
  EXPECT_EQ(run("[Console]::Out.Write($kept)").out, "yes");
}

TEST_F(SshSessionTest, HostileValuesSurviveTheRemoteCommandLine) {
  const TempDir dir;
  const auto pwned = dir.file("pwned");
  const auto precious = dir.file("precious");
  writeFile(precious, "keep me");
  for (const auto& value : hostileValues(pwned, precious)) {
    SCOPED_TRACE(bitConverterHex(value.substr(0, 64)));
    const auto bytes =
        run(fmt::format("[Console]::Out.Write([BitConverter]::ToString([Text.Encoding]::UTF8."
                        "GetBytes({})))",
                        ps(value)));
    EXPECT_EQ(bytes.out, bitConverterHex(value));
    EXPECT_EQ(run(fmt::format("[Console]::Out.Write({})", ps(value))).out, value);
  }
  EXPECT_EQ(run("[Console]::Out.Write((Test-Path variable:hilPwned))").out, "False");
  EXPECT_FALSE(std::filesystem::exists(pwned));
  EXPECT_EQ(readFile(precious), "keep me");
}

// What OpenSSH does without the session's help, as docs/powershell-session.md describes: a
// killed ssh client takes its sshd connection down, but the remote command gets no SIGHUP (no
// terminal), keeps running, and changes the host after the client is gone.
TEST_F(SshSessionTest, KillingTheSshClientLeavesTheRemoteCommandRunning) {
  const auto started = sshd.file("started");
  const auto marker = sshd.file("marker");
  auto argv = sshd.sshArgv();
  argv.emplace_back(HIL_PWSH);
  argv.emplace_back("-NoProfile");
  argv.emplace_back("-Command");
  argv.push_back(fmt::format("\"Set-Content -Path {} -Value \\$PID; Start-Sleep 4; "
                             "Set-Content -Path {} -Value x\"",
                             started, marker));
  const pid_t client = spawn(argv, sshd.file("client.log"));
  const auto remote = waitForFile(started);
  ASSERT_FALSE(remote.empty()) << readFile(sshd.file("client.log"));
  kill(client, SIGKILL);
  waitpid(client, nullptr, 0);
  EXPECT_FALSE(processIsGone(std::stoi(remote)));
  EXPECT_FALSE(waitForFile(marker, 20s).empty()) << "the remote command did not go on";
}

TEST_F(SshSessionTest, ADeadlineStopsTheRemoteShellBeforeTheSessionGoesOn) {
  run("$lost = 'yes'");
  const auto oldShell = remotePid();
  const auto error = runFailing("Start-Sleep 600", kHang);
  EXPECT_EQ(error.code, ErrorCode::Timeout) << error.describe();
  // Stopped by the time run() returned, not later.
  EXPECT_TRUE(processIsGone(oldShell)) << error.describe();
  EXPECT_EQ(run("[Console]::Out.Write(\"[$lost]\")").out, "[]");
}

TEST_F(SshSessionTest, ARemoteCommandPastItsDeadlineDoesNotChangeTheHostAfterwards) {
  const auto marker = sshd.file("marker");
  run("$null");
  const auto start = SteadyClock::now();
  const auto error =
      runFailing(fmt::format("Start-Sleep 10; Set-Content -Path {} -Value x", ps(marker)), 2s);
  EXPECT_EQ(error.code, ErrorCode::Timeout) << error.describe();
  // Past the moment the command would have written it, and a little more.
  std::this_thread::sleep_until(start + 13s);
  EXPECT_FALSE(std::filesystem::exists(marker));
  EXPECT_EQ(run("[Console]::Out.Write('ok')").out, "ok");
}

TEST_F(SshSessionTest, ADeadlineShorterThanTheRoundTripStillLeavesNothingRunning) {
  // The frame may reach the remote shell after the session gave up on it; the shell's pid is
  // known from its handshake all the same, and the next shell stops it. The command's sleep
  // leaves that next shell (a new ssh connection and a new pwsh, slow on a loaded machine) far
  // more time than it needs, so only a shell that is never stopped writes the marker.
  const auto marker = sshd.file("marker");
  const auto start = SteadyClock::now();
  const auto error =
      runFailing(fmt::format("Start-Sleep 15; Set-Content -Path {} -Value x", ps(marker)), 1ms);
  EXPECT_EQ(error.code, ErrorCode::Timeout) << error.describe();
  std::this_thread::sleep_until(start + 18s);
  EXPECT_FALSE(std::filesystem::exists(marker));
  EXPECT_EQ(run("[Console]::Out.Write('ok')").out, "ok");
}

TEST_F(SshSessionTest, ADeadlineStopsTheRemoteChildProcessesToo) {
  const auto childPid = sshd.file("child");
  run("$null");
  const auto error = runFailing(
      fmt::format("sh -c {}", ps(fmt::format("echo $$ > '{}'; exec sleep 600", childPid))), kHang);
  EXPECT_EQ(error.code, ErrorCode::Timeout) << error.describe();
  const auto pid = waitForFile(childPid, 1s);
  ASSERT_FALSE(pid.empty());
  EXPECT_TRUE(processIsGone(std::stoi(pid))) << error.describe();
}

TEST_F(SshSessionTest, ADroppedConnectionIsOperationFailedAndTheNextCommandWorks) {
  run("$lost = 'yes'");
  const auto oldShell = remotePid();
  ASSERT_GT(sshd.dropConnections(), 0);
  const auto error = runFailing("[Console]::Out.Write('ok')");
  EXPECT_EQ(error.code, ErrorCode::OperationFailed);
  RecordProperty("message", error.describe());
  EXPECT_TRUE(processIsGone(oldShell)) << error.describe();
  EXPECT_EQ(run("[Console]::Out.Write(\"[$lost]\")").out, "[]");
}

TEST_F(SshSessionTest, AConnectionDroppedWhileACommandRunsLeavesNothingRunning) {
  const auto started = sshd.file("started");
  const auto marker = sshd.file("marker");
  run("$null");
  auto running = std::async(std::launch::async, [&] {
    return session->run(fmt::format("Set-Content -Path {} -Value $PID; Start-Sleep 10; "
                                    "Set-Content -Path {} -Value x",
                                    ps(started), ps(marker)),
                        kPlenty);
  });
  const auto remote = waitForFile(started);
  ASSERT_FALSE(remote.empty());
  ASSERT_GT(sshd.dropConnections(), 0);
  const auto reply = running.get();
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().code, ErrorCode::OperationFailed) << reply.error().describe();
  EXPECT_TRUE(processIsGone(std::stoi(remote))) << reply.error().describe();
  EXPECT_FALSE(std::filesystem::exists(marker));
  EXPECT_EQ(run("[Console]::Out.Write('ok')").out, "ok");
}

TEST_F(SshSessionTest, WithSshdDownCommandsFailClearlyAndWorkOnceItIsBack) {
  const auto started = sshd.file("started");
  const auto marker = sshd.file("marker");
  run("$null");
  auto running = std::async(std::launch::async, [&] {
    return session->run(fmt::format("Set-Content -Path {} -Value $PID; Start-Sleep 15; "
                                    "Set-Content -Path {} -Value x",
                                    ps(started), ps(marker)),
                        kPlenty);
  });
  const auto remote = waitForFile(started);
  ASSERT_FALSE(remote.empty());
  // sshd goes away with its connections; the remote command goes on, and no new shell can
  // reach it to stop it.
  sshd.stopLeavingCommandsRunning();
  const auto reply = running.get();
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().code, ErrorCode::OperationFailed) << reply.error().describe();
  RecordProperty("message", reply.error().describe());
  const auto down = runFailing("[Console]::Out.Write('ok')");
  EXPECT_EQ(down.code, ErrorCode::OperationFailed);
  RecordProperty("message_down", down.describe());
  EXPECT_FALSE(processIsGone(std::stoi(remote)));
  // Back: the first shell stops the one left running before it runs the command.
  sshd.start();
  ASSERT_EQ(sshd.problem(), "");
  EXPECT_EQ(run("[Console]::Out.Write('ok')").out, "ok");
  EXPECT_TRUE(processIsGone(std::stoi(remote)));
  EXPECT_FALSE(std::filesystem::exists(marker));
}

TEST_F(SshSessionTest, TheStandInRigRunsScenariosThroughSsh) {
  // A rig reached as ssh -T user@host pwsh ..., with the stand-in module as the remote side:
  // `hil run --backend real` over it runs a DDA cycle with smoke, a GPU-PV cycle, and a deploy
  // whose assignment hangs past the rig's deadline (the remote shell is stopped, the session
  // restarted, the rollback runs through the new one).
  std::string shell;
  for (const auto& arg : sshd.pwshArgv()) {
    shell += fmt::format("<arg>{}</arg>", arg);
  }
  const auto rig = sshd.file("ssh-standin.xml");
  writeFile(rig, fmt::format("<rig name=\"ssh-standin\" class=\"standin\" mode=\"hyperv\">"
                             "<shell>{}</shell><standin module=\"{}\" hil=\"{}\" state=\"{}\"/>"
                             "<deadline seconds=\"3\"/></rig>\n",
                             shell, HIL_STANDIN_MODULE, HIL_HIL, sshd.file("state")));
  const auto junit = sshd.file("junit.xml");
  const std::string scenarios = HIL_SCENARIOS_DIR;
  const int status =
      runTool({HIL_HIL, "run", "--backend", "real", "--rig", rig, "--state", sshd.file("journal"),
               "--junit", junit, scenarios + "/dda/t4-dda-server-2019.xml",
               scenarios + "/gpu-pv/geforce-rtx-3080-gpupv-professional.xml",
               scenarios + "/faults/dda-fault-add-assignable-device-hang.xml"},
              sshd.file("run.log"));
  EXPECT_EQ(status, 0) << readFile(sshd.file("run.log"));
  const auto report = readFile(junit);
  EXPECT_THAT(report, HasSubstr("tests=\"3\""));
  EXPECT_THAT(report, HasSubstr("failures=\"0\""));
  EXPECT_THAT(report, HasSubstr("<property name=\"rig-class\" value=\"standin\""));
  // The hang: the remote shell past the deadline was stopped before the rollback went on.
  EXPECT_THAT(report, HasSubstr("the shell was restarted, and the previous one (pid"));
  EXPECT_THAT(report, HasSubstr("rollback: mount PCIROOT(0)#PCI(0300)#PCI(0000) back on the host"));
}

} // namespace
} // namespace hil::real_hw
