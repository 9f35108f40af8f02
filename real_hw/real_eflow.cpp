#include "real_hw/real_eflow.h"

#include <fmt/format.h>

#include "real_hw/real_hyperv.h"

namespace hil::real_hw {
namespace {

constexpr std::string_view kSetVm = "eflow.set-vm";
constexpr std::string_view kVmDidNotStart = "' failed to start.";

} // namespace

Result<void> RealEflow::setGpu(const platform::EflowGpuRequest& request) {
  HIL_TRY(checkVmName(kSetVm, vm_));
  if (request.technique && request.gpuCount < 1) {
    return failIn(kSetVm, ErrorCode::GpuCount,
                  fmt::format("-gpuCount {} is less than 1", request.gpuCount));
  }
  // Set-EflowVM resets every argument left out to its default, the VM's CPU count and memory
  // included ("GPU acceleration for Azure IoT Edge for Linux on Windows", configuring an
  // existing deployment). So the command passes the VM's current ones, read from Hyper-V in the
  // same statement (no session variable: the session keeps what a command defines), and changes
  // only the GPU; without the GPU arguments it removes the GPU.
  const auto vm = psQuote(vm_);
  auto command = fmt::format("Set-EflowVM -cpuCount (Get-VM -Name {0}).ProcessorCount -memoryInMB "
                             "([int]((Get-VM -Name {0}).MemoryStartup / 1MB))",
                             vm);
  if (request.technique) {
    command +=
        fmt::format(" -gpuPassthroughType {} -gpuName {} -gpuCount {}",
                    toString(*request.technique), psQuote(request.gpuName), request.gpuCount);
  }
  if (request.headless) {
    command += " -headless";
  }
  auto set = runner_.act(kSetVm, command);
  // A VM that will not start is vm-start-failed, as Start-VM's failure is in the hyperv mode.
  // EFLOW passes Hyper-V's words on: "'<VM>' failed to start." is the message its functions
  // print when the VM does not start (Azure/iotedge-eflow issue 273, Start-EflowVm on a host
  // short of memory). EFLOW documents no error codes, so the words are all there is to read.
  // The words win over the Hyper-V job code passed on with them (32774 "System is in use" when
  // the VM could not start for want of resources: retrying Set-EflowVM starts nothing).
  if (!set && set.error().code != ErrorCode::DeviceBusy &&
      set.error().message.find(kVmDidNotStart) != std::string::npos) {
    set.error().code = ErrorCode::VmStartFailed;
  }
  return set;
}

} // namespace hil::real_hw
