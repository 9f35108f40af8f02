#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "storage/discovery.h"

namespace hil::storage {

namespace fs = std::filesystem;

namespace {

std::string suiteName(const fs::path& file, const fs::path& root) {
  auto relative = root.empty() ? file.filename() : file.lexically_relative(root);
  relative.replace_extension();
  return relative.generic_string();
}

/// Certification policies live beside the scenarios (scenarios/policies/): a folder walk
/// leaves files whose root element is <policy> alone. A file named on the command line is always
/// read as a scenario file.
bool isPolicyFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  char head[512] = {};
  in.read(head, sizeof head - 1);
  const std::string_view text{head, static_cast<std::size_t>(in.gcount())};
  std::size_t at = 0;
  while ((at = text.find('<', at)) != std::string_view::npos) {
    const auto next = text.substr(at + 1);
    if (next.starts_with("?") || next.starts_with("!")) {
      ++at;
      continue;
    }
    return next.starts_with("policy") && (next.size() == 6 || next[6] == ' ' || next[6] == '>' ||
                                          next[6] == '\n' || next[6] == '\t' || next[6] == '\r');
  }
  return false;
}

/// A file given twice (by two paths, or as itself and inside a given folder) runs once, where it
/// was first named.
void dropRepeatedFiles(std::vector<std::pair<fs::path, std::string>>& files) {
  std::set<fs::path> seen;
  std::erase_if(files, [&](const auto& file) {
    std::error_code ec;
    auto identity = fs::weakly_canonical(file.first, ec);
    return !seen.insert(ec ? file.first.lexically_normal() : std::move(identity)).second;
  });
}

/// A scenario's name is the identity of its result (JUnit, merge, certification): two scenarios
/// of one run may not share it.
void checkUniqueNames(const std::vector<runner::SuiteInput>& suites, Diagnostics& problems) {
  std::map<std::string_view, const scenario::Scenario*> byName;
  for (const auto& suite : suites) {
    for (const auto& s : suite.file.scenarios) {
      const auto [first, inserted] = byName.emplace(s.name, &s);
      if (!inserted && first->second->file != s.file) {
        problems.push_back({s.file, s.line,
                            fmt::format("scenario name '{}' is already used at {}:{}; a name is "
                                        "the identity of a result, so every scenario of a run "
                                        "needs its own",
                                        s.name, first->second->file, first->second->line)});
      }
    }
  }
}

} // namespace

Parsed<std::vector<runner::SuiteInput>> loadScenarios(const std::vector<std::string>& paths,
                                                      const data::GpuCatalog& catalog) {
  Diagnostics problems;
  std::vector<std::pair<fs::path, std::string>> files; // path, suite
  for (const auto& given : paths) {
    const fs::path path{given};
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      std::vector<fs::path> found;
      for (auto it = fs::recursive_directory_iterator(path, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file() && it->path().extension() == ".xml" &&
            !isPolicyFile(it->path())) {
          found.push_back(it->path());
        }
      }
      if (ec) {
        problems.push_back({given, 0, fmt::format("cannot read the folder: {}", ec.message())});
        continue;
      }
      std::sort(found.begin(), found.end());
      if (found.empty()) {
        problems.push_back({given, 0, "the folder holds no scenario files (*.xml)"});
      }
      for (const auto& f : found) {
        files.emplace_back(f, suiteName(f, path));
      }
    } else if (fs::is_regular_file(path, ec)) {
      files.emplace_back(path, suiteName(path, {}));
    } else {
      problems.push_back({given, 0, "no such file or folder"});
    }
  }
  dropRepeatedFiles(files);
  // Files named alike in different places (a/x.xml b/x.xml) keep apart by their paths.
  std::map<std::string, int> uses;
  for (const auto& [path, suite] : files) {
    ++uses[suite];
  }
  for (auto& [path, suite] : files) {
    if (uses[suite] > 1) {
      auto full = path.lexically_normal();
      full.replace_extension();
      suite = full.generic_string();
    }
  }
  std::vector<runner::SuiteInput> suites;
  for (const auto& [path, suite] : files) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      problems.push_back({path.string(), 0, "cannot open the file"});
      continue;
    }
    std::ostringstream text;
    text << in.rdbuf();
    auto parsed = scenario::parseScenarioFile(text.str(), path.string(), catalog);
    if (!parsed) {
      problems.insert(problems.end(), parsed.error().begin(), parsed.error().end());
      continue;
    }
    suites.push_back({suite, std::move(*parsed)});
  }
  checkUniqueNames(suites, problems);
  if (!problems.empty()) {
    return std::unexpected(std::move(problems));
  }
  return suites;
}

} // namespace hil::storage
