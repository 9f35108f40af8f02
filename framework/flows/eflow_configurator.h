#pragma once

#include "framework/core/log.h"
#include "framework/data/catalog.h"
#include "framework/data/rules.h"
#include "framework/flows/configurator.h"
#include "framework/platform/eflow.h"
#include "framework/platform/platform.h"

namespace hil::flows {

/// The `eflow` real mode: EFLOW's Set-EflowVM configures the GPU, as a customer would run it.
/// gpu-hil checks the prerequisites first (a request the rules reject never reaches EFLOW) and
/// verifies afterwards, through the same query seams, that the host and the guest hold what was
/// asked: how a nightly run tests a new EFLOW release on a rig.
class EflowConfigurator : public Configurator {
public:
  EflowConfigurator(platform::Platform platform, platform::Eflow& eflow,
                    const data::GpuCatalog& catalog, const data::RulesProfile& rules, Log& log)
      : p_(platform), eflow_(eflow), catalog_(catalog), rules_(rules), log_(log) {}

  FlowOutcome deploy(const DeployRequest& request) override;
  FlowOutcome teardown(const platform::VmName& vm) override;

private:
  platform::Platform p_;
  platform::Eflow& eflow_;
  const data::GpuCatalog& catalog_;
  const data::RulesProfile& rules_;
  Log& log_;
};

} // namespace hil::flows
