// `hil certify`: judges JUnit results against a release policy.
#include <filesystem>

#include <fmt/format.h>

#include "app/command.h"
#include "app/common.h"
#include "app/version.h"
#include "reports/certify.h"
#include "reports/html_report.h"
#include "storage/state_dir.h"

namespace hil::app {
namespace {

struct CertifyArgs {
  std::string policy;
  std::string html;
  std::string out;
  std::vector<std::string> scenarios;
  std::string now;
  std::vector<std::string> junit;
};

/// The library a policy's tags refer to: --scenarios, else the folder above scenarios/policies/.
std::vector<reports::ScenarioInfo> scenarioLibrary(const CertifyArgs& args,
                                                   const reports::Policy& policy) {
  auto paths = args.scenarios;
  if (paths.empty()) {
    const auto folder = std::filesystem::absolute(args.policy).parent_path();
    if (folder.filename() == "policies") {
      paths.push_back(std::filesystem::relative(folder.parent_path()).string());
    } else if (policy.usesTags()) {
      throw BadInput{fmt::format("{}: the policy selects scenarios by tag; give --scenarios PATH "
                                 "(the scenario library whose tags it means)",
                                 args.policy)};
    } else {
      return {};
    }
  }
  std::vector<reports::ScenarioInfo> library;
  for (const auto& suite : loadOrThrow(paths, data::GpuCatalog::builtin())) {
    for (const auto& s : suite.file.scenarios) {
      library.push_back({s.name, s.tags, s.description, s.file, s.line});
    }
  }
  return library;
}

std::vector<reports::CertifyInput> readInputs(const std::vector<std::string>& paths) {
  std::vector<reports::CertifyInput> inputs;
  Diagnostics problems;
  for (const auto& path : paths) {
    auto input = reports::readCertifyInput(readFile(path), path);
    if (!input) {
      problems.insert(problems.end(), input.error().begin(), input.error().end());
    } else {
      inputs.push_back(std::move(*input));
    }
  }
  if (!problems.empty()) {
    throw BadInput{toString(problems) + "malformed JUnit input; nothing was certified"};
  }
  return inputs;
}

void writeReport(const std::string& path, const std::string& text, std::string_view what) {
  if (path.empty()) {
    return;
  }
  if (auto written = storage::writeFileDurably(path, text); !written) {
    throw BadInput{fmt::format("{}: {}", path, written.error().describe())};
  }
  fmt::print("{} written to {}\n", what, path);
}

class CertifyCommand final : public Command {
public:
  explicit CertifyCommand(CLI::App& app)
      : Command(app.add_subcommand("certify", "Judge JUnit results against a release policy: "
                                              "verdict with every reason (exit 0 certified, 1 "
                                              "not certified, 2 bad input)")) {
    auto* certify = command_;
    certify
        ->add_option("--policy", args_.policy, "Policy file, e.g. scenarios/policies/release.xml")
        ->required();
    certify->add_option("--html", args_.html, "Write the self-contained HTML report to FILE");
    certify->add_option("--out", args_.out, "Write the XML certificate to FILE");
    certify->add_option("--scenarios", args_.scenarios,
                        "Scenario library for the policy's tags (default: the folder holding "
                        "policies/, when the policy is there) (repeatable)");
    certify->add_option("--now", args_.now,
                        "Judge the age of results as of YYYY-MM-DDTHH:MM:SS UTC (default: now)");
    certify->add_option("JUNIT", args_.junit, "JUnit XML files (runs, shards, rigs)")->required();
  }

  int run() const override {
    const auto& args = args_;
    auto policy = reports::parsePolicy(readFile(args.policy), args.policy);
    if (!policy) {
      throw BadInput{toString(policy.error()) + "the policy is not valid; nothing was certified"};
    }
    const auto inputs = readInputs(args.junit);
    const auto library = scenarioLibrary(args, *policy);
    auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    if (!args.now.empty()) {
      const auto given = reports::parseTimestamp(args.now);
      if (!given) {
        throw BadInput{fmt::format("--now {}: expected YYYY-MM-DDTHH:MM:SS (UTC)", args.now)};
      }
      now = *given;
    }
    const auto certification =
        reports::certify(*policy, inputs, library, now, reports::Certifier{kVersion, kCommit});
    fmt::print("{}", reports::summaryText(certification));
    writeReport(args.html, reports::htmlReport(certification), "HTML report");
    writeReport(args.out, reports::certificateXml(certification), "Certificate");
    return certification.certified ? kExitPassed : kExitFailed;
  }

private:
  CertifyArgs args_;
};

} // namespace

std::unique_ptr<Command> makeCertifyCommand(CLI::App& app) {
  return std::make_unique<CertifyCommand>(app);
}

} // namespace hil::app
