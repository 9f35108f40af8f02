#pragma once

#include <CLI/CLI.hpp>

namespace hil::app {

/// `hil standin ...`: the host behind the stand-in cmdlets (simulators/powershell), which they
/// run one operation at a time. Not for people: the stand-in module is its user.
class StandInCommand {
public:
  explicit StandInCommand(CLI::App& app);
  [[nodiscard]] bool parsed() const { return command_->parsed(); }
  /// Runs the parsed subcommand; the exit status (0, or 2 for bad input).
  [[nodiscard]] int run() const;

private:
  CLI::App* command_;
  CLI::App* reset_;
  CLI::App* call_;
  CLI::App* host_;
  CLI::App* ops_;
  std::string state_;
  std::string scenarioFile_;
  std::string scenario_;
  std::uint64_t seed_ = 1;
  std::vector<std::string> faults_;
  std::string rules_;
  std::string operation_;
  std::vector<std::string> args_;
};

} // namespace hil::app
