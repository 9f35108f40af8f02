#pragma once

// The smoke program's work on the GPU (gpu_ops.cu, nvcc). No CUDA headers here, so main.cpp
// (g++, C++23) includes it. Every CUDA call is checked: a failure comes back as the function's
// Status with the call, file, line and CUDA error; each function times itself.

#include <cstdint>
#include <memory>
#include <string>

#include "real_hw/cuda_smoke/measurements.h"

namespace hil::cuda_smoke {

/// NVML, loaded at run time with dlopen("libnvidia-ml.so.1"): the driver ships it, the toolkit
/// does not, and its absence only leaves the PCIe link and driver release unknown.
class Nvml {
public:
  Nvml();  // loads and initialises; never throws
  ~Nvml(); // shuts down and unloads
  Nvml(const Nvml&) = delete;
  Nvml& operator=(const Nvml&) = delete;

  /// Why NVML is unusable; empty when it works.
  [[nodiscard]] const std::string& unavailable() const;
  /// The current and maximum link of the device at `pciBusId` (by `index` if that fails).
  [[nodiscard]] PcieLink pcieLink(const std::string& pciBusId, int index) const;
  /// nvmlSystemGetDriverVersion: "580.95.05"; empty when unknown.
  [[nodiscard]] std::string driverRelease() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// cudaGetDeviceCount, the runtime and driver versions, and whether libcuda.so.1 loads.
[[nodiscard]] Probe probeDevices();

/// Properties, memory, versions and (through NVML) the PCIe link of `device`.
[[nodiscard]] DeviceInfo deviceInfo(int device, const Nvml& nvml);

/// c = a + b over `elements` floats from splitmix64(seed), checked bit for bit on the host.
[[nodiscard]] VectorAdd vectorAdd(int device, std::uint64_t elements, std::uint64_t seed);

/// The uint64 sum of `elements` uint32 values from splitmix64(seed), checked on the host.
[[nodiscard]] Reduction reduction(int device, std::uint64_t elements, std::uint64_t seed);

/// Walking ones, address-in-address and random patterns (each also complemented) over `share`
/// of the device's free memory.
[[nodiscard]] MemoryPattern memoryPattern(int device, double share, std::uint64_t seed);

/// Pinned host memory to the device, `repetitions` copies of `bytes` after a warm-up; the PCIe
/// link is read from NVML while the copies run (an idle link slows down to save power).
[[nodiscard]] Bandwidth hostToDevice(int device, std::uint64_t bytes, int repetitions,
                                     const Nvml& nvml, const std::string& pciBusId);

/// The device to pinned host memory.
[[nodiscard]] Bandwidth deviceToHost(int device, std::uint64_t bytes, int repetitions);

/// cudaMemcpy device to device; each byte is read and written, so 2 x bytes count.
[[nodiscard]] Bandwidth deviceToDevice(int device, std::uint64_t bytes, int repetitions);

/// Chains of fmaf in registers on one full wave of blocks, sized to run about `seconds`.
[[nodiscard]] Compute fp32Throughput(int device, double seconds);

} // namespace hil::cuda_smoke
