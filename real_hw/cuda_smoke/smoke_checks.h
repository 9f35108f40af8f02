#pragma once

// What the smoke program concludes from its measurements: thresholds, values and messages.
// Pure C++ (no CUDA), so every rule is unit-tested without a GPU.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "framework/data/catalog.h"
#include "framework/platform/smoke_output.h"
#include "real_hw/cuda_smoke/measurements.h"

namespace hil::cuda_smoke {

/// Shares of the nominal figures a check must reach.
constexpr double kMemoryShare = 0.90;         // of nominal memory: ECC and reserved memory
constexpr double kLinkShareDda = 0.80;        // of the catalog's pinned copy bandwidth, DDA
constexpr double kLinkShareGpuPv = 0.60;      // the same through GPU-PV's paravirtual path
constexpr double kDeviceToDeviceShare = 0.60; // of peak memory bandwidth
constexpr double kFp32Share = 0.60;           // of peak FP32 throughput

/// How the VM holds the GPU. DDA also stands for bare metal: a whole PCI device either way.
enum class Mode { Dda, GpuPv };

/// What the file system shows about the GPU and its driver.
struct Environment {
  bool dxg = false;          // /dev/dxg: GPU-PV's paravirtual device
  bool nvidiaDevice = false; // /dev/nvidia0: the NVIDIA kernel driver with a whole device
  bool wslLibraries = false; // /usr/lib/wsl/lib: the host's user-mode driver under GPU-PV
};

/// GPU-PV when /dev/dxg is there, DDA otherwise.
[[nodiscard]] Mode modeOf(const Environment& environment);
/// "dda" or "gpu-pv", as the mode check reports it.
[[nodiscard]] std::string_view toString(Mode mode);

enum class Profile { Quick, Default, Full };

/// The sizes of `--quick` (about a second), the default (a few seconds) and `--full`.
[[nodiscard]] Sizes sizesFor(Profile profile);

/// What the GPU should be; a figure left out is checked for sanity only.
struct Expectations {
  std::string source; // "tesla-t4", "command line", "tesla-t4 and command line"; empty: none
  std::optional<int> deviceCount;
  std::optional<std::string> name;
  std::optional<std::string> computeCapability; // "7.5"
  std::optional<std::uint64_t> memoryMib;       // nominal
  std::optional<int> smCount;
  std::optional<int> pcieGeneration;
  std::optional<int> pcieWidth;
  std::optional<double> hostToDeviceGBps; // expected pinned-memory bandwidth
  std::optional<double> deviceToHostGBps;
  std::optional<double> deviceToDeviceGBps; // peak memory bandwidth
  std::optional<double> fp32Tflops;         // peak
};

/// The catalog's figures for `model` (`--expect tesla-t4`).
[[nodiscard]] Expectations expectationsFor(const data::GpuModel& model);

/// Everything the program measured, for evaluate().
struct Measurements {
  Probe probe;
  DeviceInfo device;
  VectorAdd vectorAdd;
  Reduction reduction;
  MemoryPattern memory;
  Bandwidth hostToDevice;
  Bandwidth deviceToHost;
  Bandwidth deviceToDevice;
  Compute compute;
  Environment environment;
  std::uint64_t seed = 0;
};

/// One check per name of platform::kSmokeChecks, in that order.
[[nodiscard]] std::vector<platform::SmokeCheck> evaluate(const Measurements& measured,
                                                         const Expectations& expected);

/// Why there is no device to test (the text after "no CUDA device: "): no driver, a stub
/// library, an insufficient driver, no GPU, each with the CUDA error name.
[[nodiscard]] std::string noDeviceReason(const Probe& probe, const Environment& environment);

/// True when the probe leaves no device to test: exit 3, no check lines.
[[nodiscard]] bool noDevice(const Probe& probe);

/// "cudaMalloc(&a.data, bytes) at gpu_ops.cu:123: cudaErrorMemoryAllocation (out of memory)"
[[nodiscard]] std::string describe(const CudaError& error);

/// 13000 -> "13.0", 12080 -> "12.8"
[[nodiscard]] std::string formatCudaVersion(int version);

/// True when the CUDA name and an expected (catalog) name are the same GPU: ASCII case and a
/// leading "NVIDIA " aside ("Tesla T4" is the catalog's "NVIDIA Tesla T4").
[[nodiscard]] bool sameGpuName(std::string_view cudaName, std::string_view expected);

/// "cuda_smoke: 15 of 15 checks passed on Tesla T4 in 3.2 s"
[[nodiscard]] std::string summary(const std::vector<platform::SmokeCheck>& checks,
                                  std::string_view device, double seconds);

/// One line per failed check: "cuda_smoke: FAILED vector-add: ... (threshold bit-exact): ..."
[[nodiscard]] std::vector<std::string>
failureLines(const std::vector<platform::SmokeCheck>& checks);

} // namespace hil::cuda_smoke
