// `hil matrix`: what the flows decide for every catalog GPU, edition and build boundary.
#include <fmt/format.h>

#include "app/command.h"
#include "app/common.h"
#include "reports/support_matrix.h"
#include "simulators/sim_backend.h"
#include "storage/state_dir.h"

namespace hil::app {
namespace {

void writeOrThrow(const std::string& path, const std::string& text) {
  if (path.empty()) {
    return;
  }
  if (auto written = storage::writeFileDurably(path, text); !written) {
    throw BadInput{written.error().message};
  }
}

class MatrixCommand final : public Command {
public:
  explicit MatrixCommand(CLI::App& app)
      : Command(app.add_subcommand("matrix", "What the flows decide for every catalog GPU, "
                                             "edition and build boundary")) {
    command_->add_option("--rules", rules_,
                         "Rules profile: eflow-2021-preview (default), eflow-current, or a file");
    command_->add_option("--markdown", markdown_, "Write the table as Markdown to FILE");
    command_->add_option("--html", html_, "Write the table as an HTML page to FILE");
  }

  int run() const override {
    const auto rules = loadRules(rules_);
    const auto& catalog = data::GpuCatalog::builtin();
    const auto matrix =
        reports::computeSupportMatrix(simulators::SimBackendFactory{catalog}, catalog, rules);
    const auto markdown = reports::toMarkdown(matrix);
    writeOrThrow(markdown_, markdown);
    if (!html_.empty()) {
      writeOrThrow(html_, reports::toHtml(matrix));
    }
    if (markdown_.empty() && html_.empty()) {
      fmt::print("{}", markdown);
    }
    return kExitPassed;
  }

private:
  std::string rules_{data::RulesProfile::kDefault};
  std::string markdown_;
  std::string html_;
};

} // namespace

std::unique_ptr<Command> makeMatrixCommand(CLI::App& app) {
  return std::make_unique<MatrixCommand>(app);
}

} // namespace hil::app
