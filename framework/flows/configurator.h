#pragma once

#include "framework/flows/request.h"
#include "framework/platform/hyperv.h"

namespace hil::flows {

/// Whatever configures a VM's GPU for a scenario's <deploy> and <teardown>: our own flows
/// (Deployer) or EFLOW's Set-EflowVM checked by gpu-hil (EflowConfigurator).
class Configurator {
public:
  virtual ~Configurator() = default;
  virtual FlowOutcome deploy(const DeployRequest& request) = 0;
  virtual FlowOutcome teardown(const platform::VmName& vm) = 0;
};

} // namespace hil::flows
