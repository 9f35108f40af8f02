#include "app/common.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <unistd.h>

#include <fmt/format.h>

#include "app/command.h"
#include "app/version.h"
#include "reports/certify.h"
#include "reports/junit_writer.h"
#include "storage/discovery.h"
#include "storage/state_dir.h"

namespace hil::app {

std::string utcTimestamp() {
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", utc.tm_year + 1900, utc.tm_mon + 1,
                     utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw BadInput{fmt::format("{}: cannot open the file", path)};
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

data::GpuCatalog loadCatalog(const std::string& path) {
  if (path.empty()) {
    return data::GpuCatalog::builtin();
  }
  auto parsed = data::GpuCatalog::parse(readFile(path), path);
  if (!parsed) {
    throw BadInput{toString(parsed.error())};
  }
  return std::move(*parsed);
}

data::RulesProfile loadRules(const std::string& nameOrFile) {
  if (auto builtin = data::RulesProfile::builtin(nameOrFile)) {
    return std::move(*builtin);
  }
  if (nameOrFile.find('/') == std::string::npos && nameOrFile.find(".xml") == std::string::npos) {
    std::string names;
    for (auto n : data::RulesProfile::builtinNames()) {
      names += names.empty() ? "" : ", ";
      names += n;
    }
    throw BadInput{fmt::format("--rules {}: no such built-in profile ({}) and not a file path",
                               nameOrFile, names)};
  }
  auto parsed = data::RulesProfile::parse(readFile(nameOrFile), nameOrFile);
  if (!parsed) {
    throw BadInput{toString(parsed.error())};
  }
  return std::move(*parsed);
}

std::map<std::string, data::RulesProfile> builtinProfiles() {
  std::map<std::string, data::RulesProfile> builtins;
  for (auto name : data::RulesProfile::builtinNames()) {
    builtins.emplace(std::string{name}, *data::RulesProfile::builtin(name));
  }
  return builtins;
}

std::vector<runner::SuiteInput> loadOrThrow(const std::vector<std::string>& paths,
                                            const data::GpuCatalog& catalog) {
  auto loaded = storage::loadScenarios(paths, catalog);
  if (!loaded) {
    throw BadInput{toString(loaded.error()) +
                   fmt::format("{} problem(s); nothing was run", loaded.error().size())};
  }
  return std::move(*loaded);
}

real_hw::Rig loadRig(const std::string& path, const data::GpuCatalog& catalog) {
  auto text = storage::readFileIfExists(path);
  if (!text || !*text) {
    throw BadInput{fmt::format("--rig {}: cannot read the file", path)};
  }
  auto rig = real_hw::parseRig(std::move(**text), path, catalog);
  if (!rig) {
    throw BadInput{toString(rig.error())};
  }
  return std::move(*rig);
}

namespace {

/// A marker nobody can guess for a shell session's frames (the one place true randomness is
/// read: it never reaches a report).
std::string sessionMarker() {
  std::random_device device;
  return fmt::format("__hil_{:08x}{:08x}", device(), device());
}

} // namespace

std::unique_ptr<real_hw::ShellSession> openRigShell(const real_hw::Rig& rig, bool probe) {
  auto shell =
      real_hw::openPersistentShell(rig.shell, real_hw::ShellDialect::PowerShell, sessionMarker());
  if (!probe) {
    return shell;
  }
  const auto reply = shell->run("'hil-ready'", std::chrono::seconds(rig.deadlineSeconds));
  if (reply && reply->succeeded && reply->out.find("hil-ready") != std::string::npos) {
    return shell;
  }
  std::string argv;
  for (const auto& arg : rig.shell) {
    argv += argv.empty() ? arg : " " + arg;
  }
  const std::string why = !reply ? reply.error().describe()
                                 : fmt::format("it answered {:?} {:?}", reply->out, reply->err);
  throw BadInput{fmt::format("{}: the rig's shell does not answer ({}): {}; nothing was run",
                             rig.file, argv, why)};
}

std::string defaultRigStateDir(const real_hw::Rig& rig) {
  std::filesystem::path base;
  if (const char* state = std::getenv("XDG_STATE_HOME"); state != nullptr && *state == '/') {
    base = state; // the XDG base directory spec ignores a relative path
  } else if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    base = std::filesystem::path{home} / ".local" / "state";
  } else {
    throw BadInput{fmt::format("{}: neither XDG_STATE_HOME nor HOME is set, so the rig's journal "
                               "has no home; name a folder with --state DIR",
                               rig.file)};
  }
  // A rig name is free text: only letters, digits, '-', '_' and inner dots reach the path.
  std::string folder;
  for (const char c : rig.name) {
    const bool plain = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' ||
                       (c == '.' && !folder.empty());
    folder += plain ? c : '_';
  }
  return (base / "gpu-hil" / "rigs" / folder).string();
}

runner::Runner::Progress terminalProgress() {
  if (isatty(STDERR_FILENO) == 0) {
    return {};
  }
  return [](const runner::CaseResult& c, int done, int total) {
    fmt::print(stderr, "\r\033[K[{}/{}] {}", done, total, c.name);
    std::fflush(stderr);
  };
}

void endProgress() {
  if (isatty(STDERR_FILENO) != 0) {
    fmt::print(stderr, "\r\033[K");
  }
}

void addBuildProperties(runner::RunReport& report, const data::GpuCatalog& catalog) {
  report.properties["hil-version"] = kVersion;
  if (*kCommit != '\0') {
    report.properties["hil-commit"] = kCommit;
  }
  report.properties["catalog-sha256"] = reports::sha256Hex(catalog.text());
}

void writeJunit(const std::string& path, const runner::RunReport& report, bool extensions) {
  if (path.empty()) {
    return;
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << reports::toJunitXml(report, {.extensions = extensions});
  if (!out) {
    throw BadInput{fmt::format("--junit {}: cannot write the file", path)};
  }
}

void printCase(const runner::CaseResult& c, bool withLog) {
  const char* word = c.status == runner::CaseStatus::Passed   ? "PASS"
                     : c.status == runner::CaseStatus::Failed ? "FAIL"
                                                              : "SKIP";
  fmt::print("{} {} ({})\n", word, c.name, c.suite);
  if (c.status == runner::CaseStatus::Failed) {
    std::istringstream detail(c.failureDetail);
    for (std::string line; std::getline(detail, line);) {
      fmt::print("  {}\n", line);
    }
  }
  if (withLog || c.status == runner::CaseStatus::Failed) {
    fmt::print("  log:\n");
    for (const auto& line : c.log) {
      fmt::print("    {}\n", line);
    }
  }
}

} // namespace hil::app
