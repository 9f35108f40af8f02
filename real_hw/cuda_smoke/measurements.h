#pragma once

// What the smoke program measures on the GPU, as plain values: written by gpu_ops.cu (nvcc),
// judged by smoke_checks.cpp (C++23, no CUDA). So this header includes no CUDA or project
// headers, and stays C++17: CMake 3.25 knows no C++20 flag for nvcc and compiles it as C++17.

#include <cstdint>
#include <optional>
#include <string>

namespace hil::cuda_smoke {

/// A CUDA (or NVML) call that failed, captured where it failed.
struct CudaError {
  std::string call; // the call as written: "cudaMalloc(&device, bytes)"
  std::string file; // __FILE__
  int line = 0;     // __LINE__
  int code = 0;     // cudaError_t
  std::string name; // cudaGetErrorName: "cudaErrorMemoryAllocation"
  std::string text; // cudaGetErrorString: "out of memory"
};

/// Ok, or the first call that failed.
struct Status {
  std::optional<CudaError> error;

  [[nodiscard]] bool ok() const { return !error.has_value(); }
};

/// cudaGetDeviceCount and what explains a failure of it.
struct Probe {
  Status status;
  int deviceCount = 0;
  int runtimeVersion = 0;     // cudaRuntimeGetVersion: 13000 is CUDA 13.0
  int driverVersion = 0;      // cudaDriverGetVersion: the CUDA version the driver supports; 0: none
  bool driverLibrary = false; // dlopen("libcuda.so.1") succeeded
  std::string driverLibraryError; // dlerror() when it did not
  double seconds = 0;
};

/// The PCIe link as NVML reports it; unknown when NVML is absent or the query fails.
struct PcieLink {
  bool known = false;
  int generation = 0;    // nvmlDeviceGetCurrPcieLinkGeneration
  int width = 0;         // nvmlDeviceGetCurrPcieLinkWidth
  int maxGeneration = 0; // nvmlDeviceGetMaxPcieLinkGeneration; 0: not reported
  int maxWidth = 0;
  std::string why; // why it is unknown: "libnvidia-ml.so.1: cannot open shared object file..."
};

/// cudaGetDeviceProperties, cudaMemGetInfo, versions, and NVML's view of the device.
struct DeviceInfo {
  Status status;
  int index = 0;
  std::string name;     // "Tesla T4"
  std::string pciBusId; // "0000:00:1E.0"
  int computeMajor = 0;
  int computeMinor = 0;
  std::uint64_t totalMemory = 0; // bytes
  std::uint64_t freeMemory = 0;
  int smCount = 0;
  int runtimeVersion = 0;
  int driverVersion = 0;
  std::string driverRelease; // NVML's nvmlSystemGetDriverVersion: "580.95.05"; empty: unknown
  PcieLink pcie;             // read while the GPU is idle (the link may have slowed down)
  double seconds = 0;
};

/// c = a + b over N floats, compared bit for bit with the host's sums.
struct VectorAdd {
  Status status;
  std::uint64_t elements = 0;
  std::uint64_t mismatches = 0;
  std::uint64_t firstMismatch = 0; // element index
  std::uint32_t expectedBits = 0;  // of the first mismatch
  std::uint32_t actualBits = 0;
  double seconds = 0;
};

/// The sum of N uint32 values in uint64, compared with the host's.
struct Reduction {
  Status status;
  std::uint64_t elements = 0;
  std::uint64_t expected = 0;
  std::uint64_t actual = 0;
  double seconds = 0;
};

/// Pattern tests (walking ones, address-in-address, random) over a share of free memory.
struct MemoryPattern {
  Status status;
  std::uint64_t bytes = 0;           // tested
  std::uint64_t freeBytes = 0;       // free when the test started
  double share = 0;                  // requested share of free memory
  int passes = 0;                    // write-then-verify passes run
  std::uint64_t badWords = 0;        // distinct 32-bit words that read back wrong
  std::string firstPattern;          // the pattern that found the first bad word: "walking-ones"
  std::uint64_t firstBadAddress = 0; // device virtual address of the first bad word
  std::uint64_t firstBadOffset = 0;  // its byte offset in the tested block
  std::uint32_t wrote = 0;
  std::uint32_t read = 0;
  double seconds = 0;
};

/// One direction of copies, timed with CUDA events.
struct Bandwidth {
  Status status;
  std::uint64_t bytes = 0; // per copy
  int repetitions = 0;
  double gbps = 0;        // 1e9 bytes per second; device-to-device counts read + write
  PcieLink linkUnderLoad; // host-to-device only: the link read while the copies ran
  double seconds = 0;
};

/// A FMA-bound kernel filling every SM.
struct Compute {
  Status status;
  std::uint64_t flops = 0; // 2 per FMA
  std::uint64_t blocks = 0;
  int threadsPerBlock = 0;
  double kernelSeconds = 0;
  double tflops = 0;
  double seconds = 0;
};

/// How much the checks move: `--quick`, the default, `--full`.
struct Sizes {
  std::uint64_t vectorElements = 0;
  std::uint64_t reductionElements = 0;
  double memoryShare = 0; // of free device memory, for the pattern test
  std::uint64_t transferBytes = 0;
  int repetitions = 0;
  double computeSeconds = 0; // how long the FMA kernel should run
};

} // namespace hil::cuda_smoke
