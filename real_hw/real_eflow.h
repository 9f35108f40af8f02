#pragma once

#include "framework/platform/eflow.h"
#include "framework/platform/hyperv.h"
#include "real_hw/real_runner.h"

namespace hil::real_hw {

/// EFLOW's own AzureEFLOW module on the host.
class RealEflow : public platform::Eflow {
public:
  RealEflow(RealRunner& runner, platform::VmName vm) : runner_(runner), vm_(std::move(vm)) {}

  /// eflow.set-vm: Set-EflowVM -gpuPassthroughType ... -gpuName ... -gpuCount ... -headless
  [[nodiscard]] Result<void> setGpu(const platform::EflowGpuRequest& request) override;

private:
  RealRunner& runner_;
  platform::VmName vm_;
};

} // namespace hil::real_hw
