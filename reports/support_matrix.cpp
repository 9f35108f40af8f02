#include "reports/support_matrix.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "framework/core/log.h"
#include "framework/flows/configurator.h"
#include "reports/html_report.h"

namespace hil::reports {
namespace {

using platform::Edition;
using platform::WindowsBuild;

constexpr std::array kEditions = {Edition::Server, Edition::Enterprise, Edition::IotEnterprise,
                                  Edition::Professional, Edition::Home};

WindowsBuild previous(WindowsBuild build) {
  if (build.revision > 0) {
    return {build.number, build.revision - 1};
  }
  return {build.number - 1, 0};
}

std::string decide(const runner::BackendFactory& hosts, const data::GpuModel& model,
                   Edition edition, WindowsBuild build, const data::GpuCatalog& catalog,
                   const data::RulesProfile& rules) {
  scenario::Scenario host;
  host.name = "support-matrix";
  host.host.edition = edition;
  host.host.build = build;
  scenario::GpuSpec gpu;
  gpu.model = model.id;
  gpu.mitigationDriver = true;
  gpu.wslDriver = true;
  host.host.gpus.push_back(gpu);
  auto backend = hosts.create(host, 1, {});
  if (!backend) {
    return std::string{toString(backend.error().code)};
  }
  Log log;
  // The flows a run uses on this backend, through the runner's seam.
  const auto configurator = (*backend)->configurator(catalog, rules, log, nullptr);
  flows::DeployRequest request;
  request.gpuName = model.name;
  const auto outcome = configurator->deploy(request);
  if (!outcome.status) {
    return std::string{toString(outcome.status.error().code)};
  }
  return outcome.method.value_or("None");
}

std::string shortName(const std::string& outcome) {
  if (outcome == "DirectDeviceAssignment") {
    return "DDA";
  }
  if (outcome == "ParaVirtualization") {
    return "GPU-PV";
  }
  return outcome;
}

} // namespace

SupportMatrix computeSupportMatrix(const runner::BackendFactory& hosts,
                                   const data::GpuCatalog& catalog,
                                   const data::RulesProfile& rules) {
  SupportMatrix matrix;
  matrix.profile = rules.name();
  for (const auto& model : catalog.models()) {
    matrix.models.push_back(&model);
  }
  matrix.editions.assign(kEditions.begin(), kEditions.end());
  std::set<WindowsBuild> builds;
  for (const auto& rule : rules.rules()) {
    builds.insert(rule.minBuild);
    builds.insert(previous(rule.minBuild));
  }
  matrix.builds.assign(builds.begin(), builds.end());
  for (const auto* model : matrix.models) {
    for (const auto edition : matrix.editions) {
      auto& cell = matrix.cells[{model->id, edition}];
      for (const auto& build : matrix.builds) {
        auto outcome = decide(hosts, *model, edition, build, catalog, rules);
        if (cell.empty() || cell.back().outcome != outcome) {
          cell.push_back({build, std::move(outcome)});
        }
      }
    }
  }
  return matrix;
}

std::string cellText(const std::vector<Decision>& decisions) {
  if (decisions.empty()) {
    return "";
  }
  if (decisions.size() == 1) {
    return shortName(decisions.front().outcome);
  }
  // The usual shape: refused below a minimum build, allowed from it.
  std::string text = shortName(decisions.back().outcome);
  text += fmt::format(" from {}", decisions.back().from.toString());
  std::string below;
  for (std::size_t i = 0; i + 1 < decisions.size(); ++i) {
    below += below.empty() ? "" : ", ";
    below += shortName(decisions[i].outcome);
    if (i > 0) {
      below += fmt::format(" from {}", decisions[i].from.toString());
    }
  }
  return fmt::format("{} ({} below)", text, below);
}

std::string toMarkdown(const SupportMatrix& matrix) {
  std::string out = "| GPU |";
  std::string rule = "|---|";
  for (const auto edition : matrix.editions) {
    out += fmt::format(" {} |", toString(edition));
    rule += "---|";
  }
  out += "\n" + rule + "\n";
  for (const auto* model : matrix.models) {
    out += fmt::format("| {} (`{}`) |", model->name, model->id);
    for (const auto edition : matrix.editions) {
      out += fmt::format(" {} |", cellText(matrix.cells.at({model->id, edition})));
    }
    out += "\n";
  }
  return out;
}

std::string toHtml(const SupportMatrix& matrix) {
  std::string out = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<title>gpu-hil support matrix: {0}</title><style>"
      "body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}"
      "td,th{{border:1px solid #999;padding:.3em .6em;text-align:left}}"
      "td.yes{{background:#dfd}}td.no{{background:#fdd}}td.some{{background:#ffd}}"
      "</style></head><body><h1>Support matrix: {0}</h1>"
      "<p>What the flows decide for a deploy with passthrough auto, run on simulated hosts at "
      "each build boundary of the rules.</p><table><tr><th>GPU</th>",
      escapeHtml(matrix.profile));
  for (const auto edition : matrix.editions) {
    out += fmt::format("<th>{}</th>", escapeHtml(std::string{toString(edition)}));
  }
  out += "</tr>\n";
  for (const auto* model : matrix.models) {
    out += fmt::format("<tr><th>{}</th>", escapeHtml(model->name));
    for (const auto edition : matrix.editions) {
      const auto& cell = matrix.cells.at({model->id, edition});
      const bool allowed =
          shortName(cell.back().outcome) == "DDA" || shortName(cell.back().outcome) == "GPU-PV";
      const char* cls = !allowed ? "no" : (cell.size() == 1 ? "yes" : "some");
      out += fmt::format("<td class=\"{}\">{}</td>", cls, escapeHtml(cellText(cell)));
    }
    out += "</tr>\n";
  }
  out += "</table></body></html>\n";
  return out;
}

} // namespace hil::reports
