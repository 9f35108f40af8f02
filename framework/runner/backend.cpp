#include "framework/runner/backend.h"

#include "framework/flows/deployer.h"

namespace hil::runner {

std::unique_ptr<flows::Configurator> Backend::configurator(const data::GpuCatalog& catalog,
                                                           const data::RulesProfile& rules,
                                                           Log& log, flows::FlowStore* store) {
  return std::make_unique<flows::Deployer>(platform(), catalog, rules, log, store);
}

} // namespace hil::runner
