#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "framework/data/catalog.h"
#include "framework/data/rules.h"
#include "framework/platform/types.h"
#include "framework/runner/backend.h"

namespace hil::reports {

/// What the flows decide for one GPU model on one edition, from one build on.
struct Decision {
  platform::WindowsBuild from; // this decision holds from this build up to the next one's
  std::string outcome;         // "DirectDeviceAssignment", "ParaVirtualization" or an error code
};

/// For every catalog model and edition, what a deploy with passthrough auto decides at each
/// build boundary of the rules, computed by running the real flow code on hosts (the GPU's
/// vendor drivers installed, Hyper-V on; `hil matrix` simulates them), not by reading the rules
/// back.
struct SupportMatrix {
  std::string profile;
  std::vector<const data::GpuModel*> models;
  std::vector<platform::Edition> editions;
  std::vector<platform::WindowsBuild> builds; // the builds tried, ascending
  /// Per model id and edition: the decisions, consecutive equal ones merged.
  std::map<std::pair<std::string, platform::Edition>, std::vector<Decision>> cells;
};

/// `hosts` makes each host (`hil matrix` passes the simulator's).
[[nodiscard]] SupportMatrix computeSupportMatrix(const runner::BackendFactory& hosts,
                                                 const data::GpuCatalog& catalog,
                                                 const data::RulesProfile& rules);

/// One cell as text: "DDA", "unsupported-gpu", or "DDA from 17763 (unsupported-build below)".
[[nodiscard]] std::string cellText(const std::vector<Decision>& decisions);

/// A Markdown table: one row per model, one column per edition.
[[nodiscard]] std::string toMarkdown(const SupportMatrix& matrix);
/// The same table as a self-contained HTML page.
[[nodiscard]] std::string toHtml(const SupportMatrix& matrix);

} // namespace hil::reports
