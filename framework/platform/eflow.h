#pragma once

#include <optional>
#include <string>

#include "framework/core/error.h"
#include "framework/platform/types.h"

namespace hil::platform {

/// What EFLOW's Set-EflowVM is asked to do with the VM's GPU.
struct EflowGpuRequest {
  std::optional<Technique> technique; // none: remove the GPU (Set-EflowVM without GPU arguments)
  std::string gpuName;                // -gpuName: the adapter's caption
  int gpuCount = 1;                   // -gpuCount
  bool headless = true;               // -headless: accept the DDA security warning unprompted

  bool operator==(const EflowGpuRequest&) const = default;
};

/// EFLOW's own PowerShell module on the host, for the `eflow` real mode: the product
/// configures the GPU itself and gpu-hil checks the result. Real backend: AzureEFLOW module.
class Eflow {
public:
  virtual ~Eflow() = default;
  /// eflow.set-vm: Set-EflowVM -gpuPassthroughType ... -gpuName ... -gpuCount ... -headless
  [[nodiscard]] virtual Result<void> setGpu(const EflowGpuRequest& request) = 0;
};

} // namespace hil::platform
