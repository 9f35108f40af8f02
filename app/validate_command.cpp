// `hil validate`: checks scenario files without running them.
#include <fmt/format.h>

#include "app/command.h"
#include "app/common.h"

namespace hil::app {
namespace {

class ValidateCommand final : public Command {
public:
  explicit ValidateCommand(CLI::App& app)
      : Command(app.add_subcommand("validate", "Check scenario files without running them")) {
    command_->add_option("PATH", paths_, "Scenario files or folders")->required();
  }

  int run() const override {
    const auto suites = loadOrThrow(paths_, data::GpuCatalog::builtin());
    std::size_t scenarios = 0;
    for (const auto& suite : suites) {
      scenarios += suite.file.scenarios.size();
    }
    fmt::print("valid: {} file(s), {} scenario(s)\n", suites.size(), scenarios);
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
