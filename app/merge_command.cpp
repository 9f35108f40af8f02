// `hil merge`: joins JUnit XML files (shards, rigs, days) into one.
#include <fmt/format.h>

#include "app/command.h"
#include "app/common.h"
#include "reports/junit_merge.h"
#include "reports/junit_writer.h"
#include "storage/state_dir.h"

namespace hil::app {
namespace {

class MergeCommand final : public Command {
public:
  explicit MergeCommand(CLI::App& app)
      : Command(app.add_subcommand("merge", "Merge JUnit XML files (shards, rigs, days) into "
                                            "one; suites stay apart by backend and rig")) {
    command_
        ->add_option("-o,--out", out_,
                     "Write the merged JUnit XML to FILE (nothing is written when any input is "
                     "malformed)")
        ->required()
        ->type_name("FILE");
    command_->add_flag("--junit-extensions", extensions_, kJunitExtensionsHelp);
    command_->add_option("IN", inputs_, "JUnit XML files to merge, in this order")
        ->required()
        ->type_name("FILE");
  }

  int run() const override {
    std::vector<reports::JunitInput> inputs;
    for (const auto& path : inputs_) {
      inputs.push_back({path, readFile(path)});
    }
    std::vector<std::string> notes;
    auto merged = reports::mergeJunit(inputs, &notes);
    if (!merged) {
      throw BadInput{toString(merged.error()) +
                     fmt::format("{} problem(s); {} was not written", merged.error().size(), out_)};
    }
    if (auto written = storage::writeFileDurably(
            out_, reports::toJunitXml(*merged, {.extensions = extensions_}));
        !written) {
      throw BadInput{written.error().message};
    }
    for (const auto& note : notes) {
      fmt::print("note: {}\n", note);
    }
    fmt::print("merged {} file(s) into {}: {} suites, {} passed, {} failed, {} skipped\n",
               inputs.size(), out_, merged->suites.size(),
               merged->count(runner::CaseStatus::Passed), merged->count(runner::CaseStatus::Failed),
               merged->count(runner::CaseStatus::Skipped));
    return kExitPassed;
  }

private:
  std::string out_;
  bool extensions_ = false;
  std::vector<std::string> inputs_;
};

} // namespace

std::unique_ptr<Command> makeMergeCommand(CLI::App& app) {
  return std::make_unique<MergeCommand>(app);
}

} // namespace hil::app
