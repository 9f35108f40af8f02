// `hil ops`: the seam operations a fault can target.
#include <fmt/format.h>

#include "app/command.h"
#include "framework/platform/operations.h"

namespace hil::app {
namespace {

class OpsCommand final : public Command {
public:
  explicit OpsCommand(CLI::App& app)
      : Command(app.add_subcommand("ops", "List the seam operations faults can target")) {}

  int run() const override {
    fmt::print("{:<44} {:<9} {}\n", "OPERATION", "KIND", "REAL OPERATION");
    for (const auto& op : platform::allOperations()) {
      fmt::print("{:<44} {:<9} {}\n", op.name, op.mutating ? "mutating" : "query", op.real);
    }
    fmt::print("\nFault kinds: error (operation-failed; vm-start-failed at hyperv.start-vm, as a "
               "real Start-VM failure reads), hang (timeout), crash (the process stops "
               "there; when=\"before|after\" the operation took effect).\n"
               "<fault op=\"NAME\" kind=\"error|hang|crash\" occurrence=\"N\" when=\"before\"/> "
               "inside <host>, or hil run --fault NAME:N:KIND.\n");
    return kExitPassed;
  }
};

} // namespace

std::unique_ptr<Command> makeOpsCommand(CLI::App& app) { return std::make_unique<OpsCommand>(app); }

} // namespace hil::app
