#pragma once

#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace hil::app {

/// Exit statuses every command shares (docs/cli.md).
inline constexpr int kExitPassed = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitBadInput = 2;
/// A run stopped by a simulated crash, as a power loss would stop it.
inline constexpr int kExitCrashed = 3;

/// Bad usage or bad input: printed as it is, exit status 2, and nothing was changed.
struct BadInput {
  std::string message;
};

/// One `hil` subcommand: its constructor adds the subcommand and its options to the app, and
/// run() carries it out once the command line has been parsed into it.
class Command {
public:
  Command(const Command&) = delete;
  Command& operator=(const Command&) = delete;
  virtual ~Command() = default;

  [[nodiscard]] bool parsed() const { return command_->parsed(); }
  /// The exit status; throws BadInput for bad usage or input.
  [[nodiscard]] virtual int run() const = 0;

protected:
  explicit Command(CLI::App* command) : command_(command) {}
  CLI::App* command_;
};

std::unique_ptr<Command> makeRunCommand(CLI::App& app);
std::unique_ptr<Command> makeSweepCommand(CLI::App& app);
std::unique_ptr<Command> makeRecoverCommand(CLI::App& app);
std::unique_ptr<Command> makeListCommand(CLI::App& app);
std::unique_ptr<Command> makeValidateCommand(CLI::App& app);
std::unique_ptr<Command> makeOpsCommand(CLI::App& app);
std::unique_ptr<Command> makeMergeCommand(CLI::App& app);
std::unique_ptr<Command> makeCertifyCommand(CLI::App& app);
std::unique_ptr<Command> makeSmokeCommand(CLI::App& app);
std::unique_ptr<Command> makeMatrixCommand(CLI::App& app);
std::unique_ptr<Command> makeStandInCommand(CLI::App& app);

} // namespace hil::app
