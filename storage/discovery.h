#pragma once

#include <string>
#include <vector>

#include "framework/core/diagnostic.h"
#include "framework/data/catalog.h"
#include "framework/runner/runner.h"

namespace hil::storage {

/// Expands files and folders (recursively, *.xml, sorted) and loads every scenario file.
/// Every problem in every file is reported; nothing is returned when there is any.
[[nodiscard]] Parsed<std::vector<runner::SuiteInput>>
loadScenarios(const std::vector<std::string>& paths, const data::GpuCatalog& catalog);

} // namespace hil::storage
