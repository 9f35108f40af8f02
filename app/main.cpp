// hil: runs gpu-hil scenarios. Each command lives in its own file under app/; this file wires
// them to the command line. Exit status (docs/cli.md): 0 all passed, 1 a test failed, 2 bad
// usage or input, 3 a simulated crash stopped a --state run.
#include <exception>
#include <memory>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "app/command.h"
#include "app/version.h"

int main(int argc, char** argv) {
  using namespace hil::app;
  CLI::App app{"gpu-hil: GPU passthrough configuration flows for EFLOW, on simulated or real "
               "hosts"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Help for every command");
  app.set_version_flag("--version", "hil " + versionText(), "Print the version and the commit");

  std::vector<std::unique_ptr<Command>> commands;
  for (auto make : {makeRunCommand, makeMergeCommand, makeListCommand, makeValidateCommand,
                    makeOpsCommand, makeSweepCommand, makeSmokeCommand, makeMatrixCommand,
                    makeCertifyCommand, makeRecoverCommand, makeStandInCommand}) {
    commands.push_back(make(app));
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help, --help-all and --version end the parse with status 0; a usage error is bad usage.
    return app.exit(e) == 0 ? kExitPassed : kExitBadInput;
  }
  try {
    for (const auto& command : commands) {
      if (command->parsed()) {
        return command->run();
      }
    }
  } catch (const BadInput& e) {
    fmt::print(stderr, "{}\n", e.message);
    return kExitBadInput;
  } catch (const std::exception& e) {
    fmt::print(stderr, "hil: {}\n", e.what());
    return kExitBadInput;
  }
  return kExitBadInput;
}
