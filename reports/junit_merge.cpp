#include "reports/junit_merge.h"

#include <algorithm>
#include <compare>
#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "reports/junit_reader.h"

namespace hil::reports {
namespace {

using runner::RunReport;
using runner::SuiteResult;

/// How the runner joins a suite's distinct property values (runner::mergeSuiteProperties).
constexpr std::string_view kJoin = " | ";

/// A suite's identity across files: the same name on another backend or rig is another suite.
struct SuiteKey {
  std::string name;
  std::string backend;
  std::string rig;

  auto operator<=>(const SuiteKey&) const = default;
};

std::string propertyOrUnknown(const SuiteResult& suite, const std::string& key) {
  const auto found = suite.properties.find(key);
  return found == suite.properties.end() || found->second.empty() ? std::string{"unknown"}
                                                                  : found->second;
}

std::string rigSuffix(const std::string& backend, const std::string& rig) {
  return fmt::format(" [{}/{}]", backend, rig);
}

/// The values a joined property holds ("a | b" holds a and b), so that merging merged suites
/// does not repeat them.
std::vector<std::string> joinedValues(std::string_view value) {
  std::vector<std::string> values;
  std::size_t start = 0;
  while (true) {
    const auto end = value.find(kJoin, start);
    values.emplace_back(value.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) {
      break;
    }
    start = end + kJoin.size();
  }
  return values;
}

double runSeconds(const RunReport& report) {
  if (report.seconds > 0) {
    return report.seconds;
  }
  double seconds = 0;
  for (const auto& suite : report.suites) {
    for (const auto& c : suite.cases) {
      seconds += c.seconds > 0 ? c.seconds : 0;
    }
  }
  return seconds;
}

struct MergedSuite {
  SuiteKey key;
  SuiteResult suite;
  std::map<std::string, std::vector<std::string>> values; // property: distinct values, in order
};

} // namespace

Parsed<RunReport> mergeJunit(const std::vector<JunitInput>& inputs,
                             std::vector<std::string>* notes) {
  Diagnostics problems;
  RunReport merged;
  std::vector<MergedSuite> suites;
  std::map<SuiteKey, std::size_t> byKey;
  std::map<std::string_view, const std::string*> pathByText;
  std::set<std::tuple<SuiteKey, std::string, std::string>> seenCases; // suite, timestamp, name
  auto note = [notes](std::string text) {
    if (notes != nullptr) {
      notes->push_back(std::move(text));
    }
  };
  for (const auto& input : inputs) {
    if (const auto [first, fresh] = pathByText.try_emplace(input.text, &input.path); !fresh) {
      note(fmt::format("{}: the same content as {}; merged once", input.path, *first->second));
      continue;
    }
    auto report = readJunit(input.text, input.path);
    if (!report) {
      problems.insert(problems.end(), report.error().begin(), report.error().end());
      continue;
    }
    merged.seconds += runSeconds(*report);
    for (auto& suite : report->suites) {
      SuiteKey key{suite.name, propertyOrUnknown(suite, "backend"),
                   propertyOrUnknown(suite, "rig")};
      // A suite an earlier merge renamed: the suffix names the same backend and rig.
      if (const auto suffix = rigSuffix(key.backend, key.rig);
          key.name.size() > suffix.size() && key.name.ends_with(suffix)) {
        key.name.resize(key.name.size() - suffix.size());
      }
      const auto [at, fresh] = byKey.try_emplace(key, suites.size());
      if (fresh) {
        suites.push_back({key, SuiteResult{key.name, suite.file, {}, {}, {}}, {}});
      }
      auto& into = suites[at->second];
      for (const auto& [name, value] : suite.properties) {
        auto& seen = into.values[name];
        for (auto& one : joinedValues(value)) {
          if (std::find(seen.begin(), seen.end(), one) == seen.end()) {
            seen.push_back(std::move(one));
          }
        }
      }
      if (!suite.timestamp.empty() &&
          (into.suite.timestamp.empty() || suite.timestamp < into.suite.timestamp)) {
        into.suite.timestamp = suite.timestamp; // ISO 8601: earlier sorts first
      }
      for (auto& c : suite.cases) {
        if (!seenCases.emplace(key, suite.timestamp, c.name).second) {
          note(fmt::format("{}:{}: testcase '{}' of suite '{}' ({}/{}, {}) was already merged "
                           "from the same run; kept once",
                           input.path, c.line, c.name, key.name, key.backend, key.rig,
                           suite.timestamp.empty() ? "no timestamp" : suite.timestamp));
          continue;
        }
        into.suite.cases.push_back(std::move(c));
      }
    }
  }
  if (!problems.empty()) {
    return std::unexpected(std::move(problems));
  }
  std::map<std::string, int> rigsPerName;
  for (const auto& s : suites) {
    ++rigsPerName[s.key.name];
  }
  for (auto& s : suites) {
    if (rigsPerName[s.key.name] > 1) {
      s.suite.name += rigSuffix(s.key.backend, s.key.rig);
    }
    for (const auto& [name, values] : s.values) {
      auto& joined = s.suite.properties[name];
      for (const auto& value : values) {
        if (&value != &values.front()) {
          joined += kJoin;
        }
        joined += value;
      }
    }
    merged.suites.push_back(std::move(s.suite));
  }
  return merged;
}

} // namespace hil::reports
