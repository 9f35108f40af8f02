// `hil list`: the scenarios in files or folders, with their tags and file:line.
#include <fmt/format.h>

#include "app/command.h"
#include "app/common.h"

namespace hil::app {
namespace {

class ListCommand final : public Command {
public:
  explicit ListCommand(CLI::App& app)
      : Command(app.add_subcommand("list", "List the scenarios in files or folders")) {
    command_->add_option("PATH", paths_, "Scenario files or folders")->required();
  }

  int run() const override {
    for (const auto& suite : loadOrThrow(paths_, data::GpuCatalog::builtin())) {
      for (const auto& s : suite.file.scenarios) {
        std::string tags;
        for (const auto& t : s.tags) {
          tags += tags.empty() ? "" : " ";
          tags += t;
        }
        fmt::print("{}  [{}]  {}:{}\n", s.name, tags, s.file, s.line);
      }
    }
    return kExitPassed;
  }

private:
  std::vector<std::string> paths_;
};

} // namespace

std::unique_ptr<Command> makeListCommand(CLI::App& app) {
  return std::make_unique<ListCommand>(app);
}

} // namespace hil::app
