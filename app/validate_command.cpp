// `hil validate`: checks scenario files and folders, rig files and policy files without running
// anything; a file is read by its root element.
#include <filesystem>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "app/command.h"
#include "app/common.h"
#include "framework/core/xml.h"
#include "real_hw/rig.h"
#include "reports/policy.h"
#include "storage/discovery.h"

namespace hil::app {
namespace {

/// The root element's name, or empty when the file is not well-formed XML (the scenario loader
/// then says where and why).
std::string rootElement(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return {};
  }
  auto doc = xml::Document::parse(readFile(path), path);
  return doc ? std::string{doc->root().name()} : std::string{};
}

class ValidateCommand final : public Command {
public:
  explicit ValidateCommand(CLI::App& app)
      : Command(app.add_subcommand("validate", "Check scenario files or folders, rig files and "
                                               "policy files without running them")) {
    command_->add_option("PATH", paths_, "Scenario files or folders, rig files, policy files")
        ->required();
  }

  int run() const override {
    const auto& catalog = data::GpuCatalog::builtin();
    Diagnostics problems;
    std::vector<std::string> scenarioPaths;
    int rigs = 0;
    int policies = 0;
    // 1 for a valid file; its problems kept for the report otherwise.
    auto count = [&problems](const auto& parsed) {
      if (parsed) {
        return 1;
      }
      problems.insert(problems.end(), parsed.error().begin(), parsed.error().end());
      return 0;
    };
    for (const auto& path : paths_) {
      const auto root = rootElement(path);
      if (root == "rig") {
        rigs += count(real_hw::parseRig(readFile(path), path, catalog));
      } else if (root == "policy") {
        policies += count(reports::parsePolicy(readFile(path), path));
      } else {
        scenarioPaths.push_back(path);
      }
    }
    std::size_t files = 0;
    std::size_t scenarios = 0;
    if (!scenarioPaths.empty()) {
      auto loaded = storage::loadScenarios(scenarioPaths, catalog);
      if (!loaded) {
        problems.insert(problems.end(), loaded.error().begin(), loaded.error().end());
      } else {
        files = loaded->size();
        for (const auto& suite : *loaded) {
          scenarios += suite.file.scenarios.size();
        }
      }
    }
    if (!problems.empty()) {
      throw BadInput{toString(problems) + fmt::format("{} problem(s)", problems.size())};
    }
    std::vector<std::string> parts;
    if (!scenarioPaths.empty()) {
      parts.push_back(fmt::format("{} file(s), {} scenario(s)", files, scenarios));
    }
    if (rigs > 0) {
      parts.push_back(fmt::format("{} rig file(s)", rigs));
    }
    if (policies > 0) {
      parts.push_back(fmt::format("{} policy file(s)", policies));
    }
    fmt::print("valid: {}\n", fmt::join(parts, ", "));
    return kExitPassed;
  }

private:
  std::vector<std::string> paths_;
};

} // namespace

std::unique_ptr<Command> makeValidateCommand(CLI::App& app) {
  return std::make_unique<ValidateCommand>(app);
}

} // namespace hil::app
