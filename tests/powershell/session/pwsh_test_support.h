#pragma once

// What the tests against real pwsh share, locally and through ssh: a temp folder, process
// checks, and the hostile values that quoteFor must carry to PowerShell unchanged.

#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>

namespace hil::real_hw::testing {

/// A folder of its own, removed at the end.
class TempDir {
public:
  explicit TempDir(std::string_view prefix = "hil-pwsh") {
    std::string pattern =
        (std::filesystem::temp_directory_path() / fmt::format("{}-XXXXXX", prefix)).string();
    if (mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("mkdtemp " + pattern);
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  [[nodiscard]] std::string file(std::string_view name) const { return (path_ / name).string(); }
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

private:
  std::filesystem::path path_;
};

inline std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline void writeFile(const std::string& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

/// Gone, or a zombie that nobody reaps in this container: either way it runs no more.
inline bool processIsGone(pid_t pid) {
  if (kill(pid, 0) != 0) {
    return true;
  }
  const auto stat = readFile(fmt::format("/proc/{}/stat", pid));
  const auto close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z';
}

inline bool processGoesAway(pid_t pid, std::chrono::milliseconds within = std::chrono::seconds(5)) {
  for (const auto until = std::chrono::steady_clock::now() + within;
       std::chrono::steady_clock::now() < until;) {
    if (processIsGone(pid)) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return processIsGone(pid);
}

/// Waits for a file that a command writes, and returns its text without trailing blanks.
inline std::string waitForFile(const std::string& path,
                               std::chrono::milliseconds within = std::chrono::seconds(30)) {
  for (const auto until = std::chrono::steady_clock::now() + within;
       std::chrono::steady_clock::now() < until;) {
    auto text = readFile(path);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
      text.pop_back();
    }
    if (!text.empty()) {
      return text;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return {};
}

/// "41-27-42": how [BitConverter]::ToString prints bytes.
inline std::string bitConverterHex(std::string_view bytes) {
  std::string hex;
  for (const char c : bytes) {
    hex += fmt::format("{}{:02X}", hex.empty() ? "" : "-", static_cast<unsigned char>(c));
  }
  return hex;
}

/// Values that would run something, end a quoted string early or be changed on the way if
/// quoting failed. `pwned` is a file that must never appear, `precious` one that must stay; a
/// value that ran would also set the global variable hilPwned.
inline std::vector<std::string> hostileValues(const std::string& pwned,
                                              const std::string& precious) {
  const auto touch = fmt::format("New-Item -ItemType File -Path '{}'", pwned);
  const auto set = std::string{"Set-Variable -Name hilPwned -Value 1 -Scope Global"};
  std::vector<std::string> values = {
      "it's",
      "''",
      "'''",
      "\"double\" and 'single'",
      fmt::format("'; {}; '", touch),
      fmt::format("'+$({})+'", set),
      // The typographic single quotes PowerShell also ends a '...' string at: U+2018..U+201B.
      fmt::format("\xE2\x80\x98; {}; \xE2\x80\x98", touch),
      fmt::format("\xE2\x80\x99; {}; \xE2\x80\x99", touch),
      fmt::format("\xE2\x80\x9A+$({})+\xE2\x80\x9A", set),
      fmt::format("\xE2\x80\x9B; {}; \xE2\x80\x9B", touch),
      // The typographic double quotes U+201C/U+201D, which "..." strings end at.
      fmt::format("\xE2\x80\x9C$({})\xE2\x80\x9D", set),
      fmt::format("$({})", touch),
      fmt::format("$(Remove-Item -Force '{}')", precious),
      fmt::format("${{env:HOME}} $env:HOME $({}) @(1) @{{}}", set),
      fmt::format("`$({}) `n `t `` `'", set),
      fmt::format("x; {}", touch),
      fmt::format("x | {}", touch),
      fmt::format("x & {}", touch),
      fmt::format("x && {} || y", touch),
      fmt::format("line one\n{}\nline three\n", touch),
      fmt::format("cr\r{}\r\n", touch),
      "\n\n\r\r\n",
      std::string("nul\0inside\0", 11),
      "* ? [a-z] [] [*] ?*",
      "C:\\Windows\\System32\\*.dll",
      "# not a comment",
      "<# not a block comment #>",
      "@'\nnot a here-string\n'@",
      "-NoSuchParameter",
      "--%",
      "",
      "Grafikkarte \xC3\xBC\xC3\x9F \xE6\x97\xA5\xE6\x9C\xAC \xD0\x96 Bob\xE2\x80\x99s",
      "\xF0\x9F\x8E\xAE \xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB \xEF\xBB\xBF BOM",
      "\t\x01\x1b[31m\x7f",
  };
  std::string big;
  while (big.size() < 64 * 1024) {
    for (const auto& value : values) {
      big += value;
    }
  }
  big.resize(64 * 1024);
  // Cut where a UTF-8 sequence starts, so that the value stays UTF-8.
  while ((static_cast<unsigned char>(big.back()) & 0xC0) == 0x80 ||
         static_cast<unsigned char>(big.back()) >= 0xC0) {
    big.pop_back();
  }
  big.resize(64 * 1024, 'x');
  values.push_back(big);
  return values;
}

} // namespace hil::real_hw::testing
