#include "framework/platform/smoke_output.h"

#include <algorithm>

#include <fmt/format.h>

namespace hil::platform {
namespace {

std::string field(std::string_view text) {
  std::string out{text};
  for (auto& c : out) {
    if (c == '\t' || c == '\n' || c == '\r') {
      c = ' ';
    }
  }
  return out;
}

std::vector<std::string_view> split(std::string_view line, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const auto at = line.find(separator, start);
    parts.push_back(line.substr(start, at == std::string_view::npos ? at : at - start));
    if (at == std::string_view::npos) {
      return parts;
    }
    start = at + 1;
  }
}

} // namespace

std::string formatSmokeLine(const SmokeCheck& c) {
  return fmt::format("SMOKE\t{}\t{}\t{}\t{}\t{}\t{}", field(c.name), c.passed ? "pass" : "fail",
                     field(c.value), field(c.unit), field(c.threshold), field(c.message));
}

Result<std::vector<SmokeCheck>> parseSmokeOutput(std::string_view output) {
  std::vector<SmokeCheck> checks;
  int number = 0;
  for (auto line : split(output, '\n')) {
    ++number;
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (!line.starts_with("SMOKE\t")) {
      continue;
    }
    const auto parts = split(line, '\t');
    if (parts.size() != 7 || parts[1].empty() || (parts[2] != "pass" && parts[2] != "fail")) {
      return fail(ErrorCode::SmokeFailed,
                  fmt::format("malformed smoke line {}: expected SMOKE, name, pass|fail, value, "
                              "unit, threshold, message separated by tabs",
                              number));
    }
    checks.push_back({std::string{parts[1]}, parts[2] == "pass", std::string{parts[3]},
                      std::string{parts[4]}, std::string{parts[5]}, std::string{parts[6]}});
  }
  return checks;
}

std::vector<std::string> missingSmokeChecks(const std::vector<SmokeCheck>& checks) {
  std::vector<std::string> missing;
  for (const auto name : kSmokeChecks) {
    const bool found = std::any_of(checks.begin(), checks.end(),
                                   [&](const SmokeCheck& c) { return c.name == name; });
    if (!found) {
      missing.emplace_back(name);
    }
  }
  return missing;
}

} // namespace hil::platform
