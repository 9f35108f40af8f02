#include "real_hw/cuda_smoke/gpu_ops.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <exception>
#include <limits>
#include <string>
#include <vector>

#include <cuda_runtime.h>
#include <dlfcn.h>

namespace hil::cuda_smoke {
namespace {

constexpr unsigned kThreads = 256;               // per block, for every kernel here
constexpr std::uint64_t kMaxBlocks = 1ull << 20; // grid-stride loops cover the rest

class Stopwatch {
public:
  [[nodiscard]] double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

Status failure(cudaError_t code, const char* call, const char* file, int line) {
  // Clear a non-sticky error (out of memory) so that the next launch check doesn't report it.
  (void)cudaGetLastError();
  return Status{CudaError{call, file, line, static_cast<int>(code), cudaGetErrorName(code),
                          cudaGetErrorString(code)}};
}

// Cleanup cannot report; a failure here that matters (a broken context) fails the next check.
void released(cudaError_t code) {
  if (code != cudaSuccess) {
    (void)cudaGetLastError();
  }
}

} // namespace
} // namespace hil::cuda_smoke

/// Checks one CUDA call; on failure returns its Status (call text, file, line, error) from the
/// enclosing function, which returns Status.
#define HIL_CUDA_CHECK(call)                                                                       \
  do {                                                                                             \
    if (const cudaError_t hil_cuda_status_ = (call); hil_cuda_status_ != cudaSuccess) {            \
      return failure(hil_cuda_status_, #call, __FILE__, __LINE__);                                 \
    }                                                                                              \
  } while (false)

/// Launches a kernel and checks the launch; execution errors surface at the next synchronisation.
#define HIL_CUDA_LAUNCH(kernel, grid, block, ...)                                                  \
  do {                                                                                             \
    kernel<<<(grid), (block)>>>(__VA_ARGS__);                                                      \
    if (const cudaError_t hil_cuda_status_ = cudaGetLastError();                                   \
        hil_cuda_status_ != cudaSuccess) {                                                         \
      return failure(hil_cuda_status_, #kernel "<<<" #grid ", " #block ">>>", __FILE__, __LINE__); \
    }                                                                                              \
  } while (false)

namespace hil::cuda_smoke {
namespace {

template <class T> struct DeviceArray {
  T* data = nullptr;
  DeviceArray() = default;
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  ~DeviceArray() {
    if (data != nullptr) {
      released(cudaFree(data));
    }
  }
};

template <class T> struct PinnedArray {
  T* data = nullptr;
  PinnedArray() = default;
  PinnedArray(const PinnedArray&) = delete;
  PinnedArray& operator=(const PinnedArray&) = delete;
  ~PinnedArray() {
    if (data != nullptr) {
      released(cudaFreeHost(data));
    }
  }
};

struct Event {
  cudaEvent_t event = nullptr;
  Event() = default;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  ~Event() {
    if (event != nullptr) {
      released(cudaEventDestroy(event));
    }
  }
};

struct Stream {
  cudaStream_t stream = nullptr;
  Stream() = default;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  ~Stream() {
    if (stream != nullptr) {
      released(cudaStreamDestroy(stream));
    }
  }
};

/// Runs `body` (Status(R&)) and times it; an exception from host code (bad_alloc) fails it too.
template <class R, class Body> R measured(Body body) {
  const Stopwatch watch;
  R out;
  try {
    out.status = body(out);
  } catch (const std::exception& e) {
    out.status = Status{CudaError{"host code", __FILE__, __LINE__, 0, "host-exception", e.what()}};
  }
  out.seconds = watch.seconds();
  return out;
}

/// The k-th output of splitmix64 started at `seed`: random access, the same on host and device.
__host__ __device__ inline std::uint64_t splitmixAt(std::uint64_t seed, std::uint64_t k) {
  std::uint64_t z = seed + (k + 1) * 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// std::bit_cast is C++20; nvcc gets C++17 here (see measurements.h).
template <class To, class From> To bitCast(const From& from) {
  static_assert(sizeof(To) == sizeof(From));
  To to;
  std::memcpy(&to, &from, sizeof to);
  return to;
}

/// A float with a random sign and mantissa and a magnitude in [2^-15, 2^17): sums neither
/// overflow nor reach subnormals, so host and device must agree bit for bit.
inline float randomFloat(std::uint32_t bits) {
  const std::uint32_t exponent = 112u + ((bits >> 23) & 0x1fu);
  return bitCast<float>((bits & 0x80000000u) | exponent << 23 | (bits & 0x7fffffu));
}

unsigned blocksFor(std::uint64_t elements) {
  return static_cast<unsigned>(std::min((elements + kThreads - 1) / kThreads, kMaxBlocks));
}

Status multiprocessors(int device, int& count) {
  HIL_CUDA_CHECK(cudaDeviceGetAttribute(&count, cudaDevAttrMultiProcessorCount, device));
  count = std::max(count, 1);
  return {};
}

// ---------------------------------------------------------------------------------------------
// Kernels.

__global__ void addKernel(const float* a, const float* b, float* c, std::uint64_t n) {
  const std::uint64_t stride = std::uint64_t{gridDim.x} * blockDim.x;
  for (std::uint64_t i = std::uint64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < n; i += stride) {
    c[i] = __fadd_rn(a[i], b[i]);
  }
}

__global__ void sumKernel(const std::uint32_t* values, std::uint64_t n, unsigned long long* total) {
  unsigned long long sum = 0;
  const std::uint64_t stride = std::uint64_t{gridDim.x} * blockDim.x;
  for (std::uint64_t i = std::uint64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < n; i += stride) {
    sum += values[i];
  }
  for (int offset = 16; offset > 0; offset /= 2) {
    sum += __shfl_down_sync(0xffffffffu, sum, offset);
  }
  __shared__ unsigned long long warpSums[32];
  const unsigned lane = threadIdx.x % 32;
  const unsigned warp = threadIdx.x / 32;
  if (lane == 0) {
    warpSums[warp] = sum;
  }
  __syncthreads();
  if (warp == 0) {
    sum = lane < blockDim.x / 32 ? warpSums[lane] : 0;
    for (int offset = 16; offset > 0; offset /= 2) {
      sum += __shfl_down_sync(0xffffffffu, sum, offset);
    }
    if (lane == 0) {
      atomicAdd(total, sum);
    }
  }
}

enum PatternKind : int { kWalkingOnes, kAddressInAddress, kRandom };

/// What word `i` of the block at device address `base` holds in a pass. Walking ones rotates
/// the bit with the index, so over 32 passes every word holds every bit; `arg` is the rotation
/// there and a mask (0 or all ones, the complement pass) for the others.
__host__ __device__ inline std::uint32_t
patternValue(int kind, std::uint32_t arg, std::uint64_t base, std::uint64_t i, std::uint64_t seed) {
  switch (kind) {
  case kWalkingOnes:
    return 1u << ((arg + i) & 31u);
  case kAddressInAddress:
    return static_cast<std::uint32_t>((base + 4 * i) >> 2) ^ arg;
  default:
    return static_cast<std::uint32_t>(splitmixAt(seed, i)) ^ arg;
  }
}

__global__ void fillKernel(std::uint32_t* words, std::uint64_t n, int kind, std::uint32_t arg,
                           std::uint64_t seed) {
  const auto base = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(words));
  const std::uint64_t stride = std::uint64_t{gridDim.x} * blockDim.x;
  for (std::uint64_t i = std::uint64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < n; i += stride) {
    words[i] = patternValue(kind, arg, base, i, seed);
  }
}

/// counters: [0] bad reads this pass, [1] lowest bad index this pass, [2] distinct bad words
/// (over all passes, through one bit per word in `bitmap`).
__global__ void verifyKernel(const std::uint32_t* words, std::uint64_t n, int kind,
                             std::uint32_t arg, std::uint64_t seed, unsigned int* bitmap,
                             unsigned long long* counters) {
  const auto base = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(words));
  const std::uint64_t stride = std::uint64_t{gridDim.x} * blockDim.x;
  for (std::uint64_t i = std::uint64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < n; i += stride) {
    if (words[i] != patternValue(kind, arg, base, i, seed)) {
      atomicAdd(&counters[0], 1ull);
      atomicMin(&counters[1], static_cast<unsigned long long>(i));
      const unsigned int bit = 1u << (i & 31u);
      if ((atomicOr(&bitmap[i >> 5], bit) & bit) == 0) {
        atomicAdd(&counters[2], 1ull);
      }
    }
  }
}

constexpr int kChains = 8; // independent FMA chains per thread: enough to hide FMA latency
constexpr int kUnroll = 16;

__global__ void fmaKernel(float* out, int iterations, float x, float y) {
  const unsigned id = blockIdx.x * blockDim.x + threadIdx.x;
  float a[kChains];
#pragma unroll
  for (int k = 0; k < kChains; ++k) {
    a[k] = static_cast<float>(id + k) * 1e-7f;
  }
  for (int i = 0; i < iterations; ++i) {
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
#pragma unroll
      for (int k = 0; k < kChains; ++k) {
        a[k] = fmaf(a[k], x, y);
      }
    }
  }
  float sum = 0;
#pragma unroll
  for (int k = 0; k < kChains; ++k) {
    sum += a[k];
  }
  out[id] = sum; // keeps the chains alive
}

// ---------------------------------------------------------------------------------------------
// The checks.

Status runProbe(Probe& out) {
  HIL_CUDA_CHECK(cudaRuntimeGetVersion(&out.runtimeVersion));
  HIL_CUDA_CHECK(cudaDriverGetVersion(&out.driverVersion)); // 0 when no driver is installed
  if (void* driver = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL); driver != nullptr) {
    out.driverLibrary = true;
    dlclose(driver);
  } else {
    const char* why = dlerror();
    out.driverLibraryError = why != nullptr ? why : "libcuda.so.1: cannot be loaded";
  }
  int count = 0;
  HIL_CUDA_CHECK(cudaGetDeviceCount(&count));
  out.deviceCount = count;
  return {};
}

Status runDeviceInfo(int device, const Nvml& nvml, DeviceInfo& out) {
  out.index = device;
  HIL_CUDA_CHECK(cudaSetDevice(device));
  cudaDeviceProp properties{};
  HIL_CUDA_CHECK(cudaGetDeviceProperties(&properties, device));
  out.name = properties.name;
  out.computeMajor = properties.major;
  out.computeMinor = properties.minor;
  out.smCount = properties.multiProcessorCount;
  char busId[64] = {};
  HIL_CUDA_CHECK(cudaDeviceGetPCIBusId(busId, sizeof busId, device));
  out.pciBusId = busId;
  std::size_t freeBytes = 0;
  std::size_t totalBytes = 0;
  HIL_CUDA_CHECK(cudaMemGetInfo(&freeBytes, &totalBytes));
  out.freeMemory = freeBytes;
  out.totalMemory = totalBytes;
  HIL_CUDA_CHECK(cudaRuntimeGetVersion(&out.runtimeVersion));
  HIL_CUDA_CHECK(cudaDriverGetVersion(&out.driverVersion));
  out.driverRelease = nvml.driverRelease();
  out.pcie = nvml.pcieLink(out.pciBusId, device);
  return {};
}

Status runVectorAdd(int device, std::uint64_t n, std::uint64_t seed, VectorAdd& out) {
  out.elements = n;
  HIL_CUDA_CHECK(cudaSetDevice(device));
  std::vector<float> a(n);
  std::vector<float> b(n);
  std::vector<float> c(n);
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::uint64_t r = splitmixAt(seed, i);
    a[i] = randomFloat(static_cast<std::uint32_t>(r));
    b[i] = randomFloat(static_cast<std::uint32_t>(r >> 32));
  }
  const std::size_t bytes = n * sizeof(float);
  DeviceArray<float> da;
  DeviceArray<float> db;
  DeviceArray<float> dc;
  HIL_CUDA_CHECK(cudaMalloc(&da.data, bytes));
  HIL_CUDA_CHECK(cudaMalloc(&db.data, bytes));
  HIL_CUDA_CHECK(cudaMalloc(&dc.data, bytes));
  HIL_CUDA_CHECK(cudaMemcpy(da.data, a.data(), bytes, cudaMemcpyHostToDevice));
  HIL_CUDA_CHECK(cudaMemcpy(db.data, b.data(), bytes, cudaMemcpyHostToDevice));
  // NaN everywhere first, so an element the kernel skips cannot pass.
  HIL_CUDA_CHECK(cudaMemset(dc.data, 0xff, bytes));
  HIL_CUDA_LAUNCH(addKernel, blocksFor(n), kThreads, da.data, db.data, dc.data, n);
  HIL_CUDA_CHECK(cudaDeviceSynchronize());
  HIL_CUDA_CHECK(cudaMemcpy(c.data(), dc.data, bytes, cudaMemcpyDeviceToHost));
  for (std::uint64_t i = 0; i < n; ++i) {
    const auto expected = bitCast<std::uint32_t>(a[i] + b[i]);
    const auto actual = bitCast<std::uint32_t>(c[i]);
    if (expected != actual) {
      if (out.mismatches == 0) {
        out.firstMismatch = i;
        out.expectedBits = expected;
        out.actualBits = actual;
      }
      ++out.mismatches;
    }
  }
  return {};
}

Status runReduction(int device, std::uint64_t n, std::uint64_t seed, Reduction& out) {
  out.elements = n;
  HIL_CUDA_CHECK(cudaSetDevice(device));
  int sms = 0;
  if (Status s = multiprocessors(device, sms); !s.ok()) {
    return s;
  }
  // A stream of its own, so the values are not the vector add's.
  const std::uint64_t stream = splitmixAt(seed, 0x7265647563650000ull);
  std::vector<std::uint32_t> values(n);
  for (std::uint64_t i = 0; i < n; i += 2) {
    const std::uint64_t r = splitmixAt(stream, i / 2);
    values[i] = static_cast<std::uint32_t>(r);
    if (i + 1 < n) {
      values[i + 1] = static_cast<std::uint32_t>(r >> 32);
    }
  }
  for (const auto v : values) {
    out.expected += v;
  }
  const std::size_t bytes = n * sizeof(std::uint32_t);
  DeviceArray<std::uint32_t> deviceValues;
  DeviceArray<unsigned long long> total;
  HIL_CUDA_CHECK(cudaMalloc(&deviceValues.data, bytes));
  HIL_CUDA_CHECK(cudaMalloc(&total.data, sizeof(unsigned long long)));
  HIL_CUDA_CHECK(cudaMemcpy(deviceValues.data, values.data(), bytes, cudaMemcpyHostToDevice));
  HIL_CUDA_CHECK(cudaMemset(total.data, 0, sizeof(unsigned long long)));
  const unsigned blocks = std::min(blocksFor(n), static_cast<unsigned>(sms) * 8);
  HIL_CUDA_LAUNCH(sumKernel, blocks, kThreads, deviceValues.data, n, total.data);
  HIL_CUDA_CHECK(cudaDeviceSynchronize());
  unsigned long long actual = 0;
  HIL_CUDA_CHECK(cudaMemcpy(&actual, total.data, sizeof actual, cudaMemcpyDeviceToHost));
  out.actual = actual;
  return {};
}

Status runMemoryPattern(int device, double share, std::uint64_t seed, MemoryPattern& out) {
  out.share = share;
  HIL_CUDA_CHECK(cudaSetDevice(device));
  int sms = 0;
  if (Status s = multiprocessors(device, sms); !s.ok()) {
    return s;
  }
  std::size_t freeBytes = 0;
  std::size_t totalBytes = 0;
  HIL_CUDA_CHECK(cudaMemGetInfo(&freeBytes, &totalBytes));
  out.freeBytes = freeBytes;
  // Each word costs 4 bytes plus one bit of the bad-word bitmap: 33 bits.
  const auto budget = static_cast<std::uint64_t>(static_cast<double>(freeBytes) * share);
  std::uint64_t words = budget * 8 / 33 / 1024 * 1024;
  if (words == 0) {
    return {};
  }
  DeviceArray<std::uint32_t> block;
  // Free memory is an estimate; back off a little rather than fail on the first try.
  for (int attempt = 0;; ++attempt) {
    const cudaError_t code = cudaMalloc(&block.data, words * sizeof(std::uint32_t));
    if (code == cudaSuccess) {
      break;
    }
    if (code != cudaErrorMemoryAllocation || attempt == 4 || words < 2048) {
      return failure(code, "cudaMalloc(&block.data, words * sizeof(std::uint32_t))", __FILE__,
                     __LINE__);
    }
    (void)cudaGetLastError();
    words = words / 10 * 9 / 1024 * 1024;
  }
  out.bytes = words * sizeof(std::uint32_t);
  const std::uint64_t bitmapWords = (words + 31) / 32;
  DeviceArray<unsigned int> bitmap;
  DeviceArray<unsigned long long> counters;
  HIL_CUDA_CHECK(cudaMalloc(&bitmap.data, bitmapWords * sizeof(unsigned int)));
  HIL_CUDA_CHECK(cudaMalloc(&counters.data, 3 * sizeof(unsigned long long)));
  HIL_CUDA_CHECK(cudaMemset(bitmap.data, 0, bitmapWords * sizeof(unsigned int)));
  HIL_CUDA_CHECK(cudaMemset(counters.data, 0, 3 * sizeof(unsigned long long)));

  struct Pass {
    int kind;
    std::uint32_t arg;
    const char* name;
  };
  std::vector<Pass> passes;
  for (std::uint32_t bit = 0; bit < 32; ++bit) {
    passes.push_back({kWalkingOnes, bit, "walking-ones"});
  }
  for (const std::uint32_t mask : {0u, 0xffffffffu}) {
    passes.push_back({kAddressInAddress, mask, "address-in-address"});
    passes.push_back({kRandom, mask, "random"});
  }
  const auto base = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(block.data));
  const unsigned blocks = std::min(blocksFor(words), static_cast<unsigned>(sms) * 8);
  for (const auto& pass : passes) {
    const unsigned long long reset[2] = {0, std::numeric_limits<unsigned long long>::max()};
    HIL_CUDA_CHECK(cudaMemcpy(counters.data, reset, sizeof reset, cudaMemcpyHostToDevice));
    HIL_CUDA_LAUNCH(fillKernel, blocks, kThreads, block.data, words, pass.kind, pass.arg, seed);
    HIL_CUDA_LAUNCH(verifyKernel, blocks, kThreads, block.data, words, pass.kind, pass.arg, seed,
                    bitmap.data, counters.data);
    unsigned long long found[3] = {};
    HIL_CUDA_CHECK(cudaMemcpy(found, counters.data, sizeof found, cudaMemcpyDeviceToHost));
    ++out.passes;
    out.badWords = found[2];
    if (found[0] > 0 && out.firstPattern.empty()) {
      const std::uint64_t index = found[1];
      out.firstPattern = pass.name;
      out.firstBadOffset = index * sizeof(std::uint32_t);
      out.firstBadAddress = base + out.firstBadOffset;
      out.wrote = patternValue(pass.kind, pass.arg, base, index, seed);
      HIL_CUDA_CHECK(
          cudaMemcpy(&out.read, block.data + index, sizeof out.read, cudaMemcpyDeviceToHost));
    }
  }
  return {};
}

enum class Copy { HostToDevice, DeviceToHost, DeviceToDevice };

Status runCopies(int device, Copy copy, std::uint64_t bytes, int repetitions, const Nvml* nvml,
                 const std::string& pciBusId, Bandwidth& out) {
  out.bytes = bytes;
  out.repetitions = repetitions;
  HIL_CUDA_CHECK(cudaSetDevice(device));
  PinnedArray<unsigned char> host;
  DeviceArray<unsigned char> source;
  DeviceArray<unsigned char> target;
  void* from = nullptr;
  void* to = nullptr;
  cudaMemcpyKind kind = cudaMemcpyDeviceToDevice;
  switch (copy) {
  case Copy::HostToDevice:
    HIL_CUDA_CHECK(cudaMallocHost(&host.data, bytes));
    HIL_CUDA_CHECK(cudaMalloc(&target.data, bytes));
    std::memset(host.data, 0xa5, bytes);
    from = host.data;
    to = target.data;
    kind = cudaMemcpyHostToDevice;
    break;
  case Copy::DeviceToHost:
    HIL_CUDA_CHECK(cudaMalloc(&source.data, bytes));
    HIL_CUDA_CHECK(cudaMallocHost(&host.data, bytes));
    HIL_CUDA_CHECK(cudaMemset(source.data, 0xa5, bytes));
    from = source.data;
    to = host.data;
    kind = cudaMemcpyDeviceToHost;
    break;
  case Copy::DeviceToDevice:
    HIL_CUDA_CHECK(cudaMalloc(&source.data, bytes));
    HIL_CUDA_CHECK(cudaMalloc(&target.data, bytes));
    HIL_CUDA_CHECK(cudaMemset(source.data, 0xa5, bytes));
    from = source.data;
    to = target.data;
    break;
  }
  Stream stream;
  Event start;
  Event stop;
  HIL_CUDA_CHECK(cudaStreamCreateWithFlags(&stream.stream, cudaStreamNonBlocking));
  HIL_CUDA_CHECK(cudaEventCreate(&start.event));
  HIL_CUDA_CHECK(cudaEventCreate(&stop.event));
  HIL_CUDA_CHECK(cudaDeviceSynchronize()); // the memsets are done before the clock starts
  HIL_CUDA_CHECK(cudaMemcpyAsync(to, from, bytes, kind, stream.stream)); // warm-up
  HIL_CUDA_CHECK(cudaEventRecord(start.event, stream.stream));
  for (int r = 0; r < repetitions; ++r) {
    HIL_CUDA_CHECK(cudaMemcpyAsync(to, from, bytes, kind, stream.stream));
  }
  HIL_CUDA_CHECK(cudaEventRecord(stop.event, stream.stream));
  if (nvml != nullptr) {
    // The copies are in flight: the link runs at its working speed, not its idle one.
    out.linkUnderLoad = nvml->pcieLink(pciBusId, device);
  }
  HIL_CUDA_CHECK(cudaEventSynchronize(stop.event));
  float milliseconds = 0;
  HIL_CUDA_CHECK(cudaEventElapsedTime(&milliseconds, start.event, stop.event));
  const double moved =
      static_cast<double>(bytes) * repetitions * (copy == Copy::DeviceToDevice ? 2.0 : 1.0);
  out.gbps = milliseconds > 0 ? moved / (milliseconds * 1e-3) / 1e9 : 0.0;
  return {};
}

Status runCompute(int device, double seconds, Compute& out) {
  HIL_CUDA_CHECK(cudaSetDevice(device));
  int sms = 0;
  if (Status s = multiprocessors(device, sms); !s.ok()) {
    return s;
  }
  int perSm = 0;
  HIL_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&perSm, fmaKernel, kThreads, 0));
  // Exactly one full wave: every SM busy until the end, none idling on a partial last wave.
  const unsigned blocks = static_cast<unsigned>(sms) * static_cast<unsigned>(std::max(perSm, 1));
  out.blocks = blocks;
  out.threadsPerBlock = static_cast<int>(kThreads);
  DeviceArray<float> result;
  HIL_CUDA_CHECK(cudaMalloc(&result.data, std::size_t{blocks} * kThreads * sizeof(float)));
  Event start;
  Event stop;
  HIL_CUDA_CHECK(cudaEventCreate(&start.event));
  HIL_CUDA_CHECK(cudaEventCreate(&stop.event));
  constexpr int kMaxIterations = 1 << 26;
  int iterations = 256;
  float milliseconds = 0;
  // The first runs warm the clocks up and size the last one to about `seconds`.
  for (int round = 0; round < 8; ++round) {
    HIL_CUDA_CHECK(cudaEventRecord(start.event));
    HIL_CUDA_LAUNCH(fmaKernel, blocks, kThreads, result.data, iterations, 0.9999f, 1e-4f);
    HIL_CUDA_CHECK(cudaEventRecord(stop.event));
    HIL_CUDA_CHECK(cudaEventSynchronize(stop.event));
    HIL_CUDA_CHECK(cudaEventElapsedTime(&milliseconds, start.event, stop.event));
    const double took = milliseconds * 1e-3;
    if (round > 0 && (took >= seconds * 0.5 || iterations >= kMaxIterations)) {
      break;
    }
    const double grow = std::clamp(seconds / std::max(took, 1e-6), 1.0, 64.0);
    iterations = static_cast<int>(std::min(iterations * grow, double{kMaxIterations}));
  }
  out.flops = 2ull * kChains * kUnroll * static_cast<std::uint64_t>(iterations) * blocks * kThreads;
  out.kernelSeconds = milliseconds * 1e-3;
  out.tflops =
      out.kernelSeconds > 0 ? static_cast<double>(out.flops) / out.kernelSeconds / 1e12 : 0.0;
  return {};
}

} // namespace

// ---------------------------------------------------------------------------------------------
// NVML, declared here by hand: the toolkit ships no nvml.h, and only these calls are needed.

struct NvmlDeviceOpaque;
using NvmlDevice = NvmlDeviceOpaque*;

struct Nvml::Impl {
  void* library = nullptr;
  bool initialised = false;
  std::string unavailable;
  int (*shutdown)() = nullptr;
  const char* (*errorString)(int) = nullptr;
  int (*byBusId)(const char*, NvmlDevice*) = nullptr;
  int (*byIndex)(unsigned, NvmlDevice*) = nullptr;
  int (*currentGeneration)(NvmlDevice, unsigned*) = nullptr;
  int (*currentWidth)(NvmlDevice, unsigned*) = nullptr;
  int (*maxGeneration)(NvmlDevice, unsigned*) = nullptr;
  int (*maxWidth)(NvmlDevice, unsigned*) = nullptr;
  int (*driverVersion)(char*, unsigned) = nullptr;

  template <class Fn> void find(Fn& fn, const char* name) {
    fn = reinterpret_cast<Fn>(dlsym(library, name));
  }

  [[nodiscard]] std::string describe(const char* call, int code) const {
    const char* text = errorString != nullptr ? errorString(code) : nullptr;
    return std::string{call} + ": " +
           (text != nullptr ? std::string{text} : "NVML error " + std::to_string(code));
  }
};

Nvml::Nvml() : impl_(std::make_unique<Impl>()) {
  auto& n = *impl_;
  n.library = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
  if (n.library == nullptr) {
    const char* why = dlerror();
    n.unavailable = why != nullptr ? why : "libnvidia-ml.so.1: cannot be loaded";
    return;
  }
  int (*init)() = nullptr;
  n.find(init, "nvmlInit_v2");
  n.find(n.shutdown, "nvmlShutdown");
  n.find(n.errorString, "nvmlErrorString");
  n.find(n.byBusId, "nvmlDeviceGetHandleByPciBusId_v2");
  n.find(n.byIndex, "nvmlDeviceGetHandleByIndex_v2");
  n.find(n.currentGeneration, "nvmlDeviceGetCurrPcieLinkGeneration");
  n.find(n.currentWidth, "nvmlDeviceGetCurrPcieLinkWidth");
  n.find(n.maxGeneration, "nvmlDeviceGetMaxPcieLinkGeneration");
  n.find(n.maxWidth, "nvmlDeviceGetMaxPcieLinkWidth");
  n.find(n.driverVersion, "nvmlSystemGetDriverVersion");
  if (init == nullptr || n.shutdown == nullptr || n.byIndex == nullptr ||
      n.currentGeneration == nullptr || n.currentWidth == nullptr) {
    n.unavailable = "libnvidia-ml.so.1 lacks nvmlInit_v2 or the PCIe link queries";
    return;
  }
  if (const int code = init(); code != 0) {
    n.unavailable = n.describe("nvmlInit_v2", code);
    return;
  }
  n.initialised = true;
}

Nvml::~Nvml() {
  if (impl_->initialised) {
    impl_->shutdown();
  }
  if (impl_->library != nullptr) {
    dlclose(impl_->library);
  }
}

const std::string& Nvml::unavailable() const { return impl_->unavailable; }

PcieLink Nvml::pcieLink(const std::string& pciBusId, int index) const {
  const auto& n = *impl_;
  PcieLink link;
  if (!n.initialised) {
    link.why = n.unavailable;
    return link;
  }
  NvmlDevice device = nullptr;
  int code = -1;
  if (n.byBusId != nullptr && !pciBusId.empty()) {
    code = n.byBusId(pciBusId.c_str(), &device);
  }
  if (code != 0) {
    if (code = n.byIndex(static_cast<unsigned>(index), &device); code != 0) {
      link.why = n.describe("nvmlDeviceGetHandleByIndex_v2", code);
      return link;
    }
  }
  unsigned generation = 0;
  unsigned width = 0;
  if (code = n.currentGeneration(device, &generation); code != 0) {
    link.why = n.describe("nvmlDeviceGetCurrPcieLinkGeneration", code);
    return link;
  }
  if (code = n.currentWidth(device, &width); code != 0) {
    link.why = n.describe("nvmlDeviceGetCurrPcieLinkWidth", code);
    return link;
  }
  link.known = true;
  link.generation = static_cast<int>(generation);
  link.width = static_cast<int>(width);
  if (n.maxGeneration != nullptr && n.maxGeneration(device, &generation) == 0) {
    link.maxGeneration = static_cast<int>(generation);
  }
  if (n.maxWidth != nullptr && n.maxWidth(device, &width) == 0) {
    link.maxWidth = static_cast<int>(width);
  }
  return link;
}

std::string Nvml::driverRelease() const {
  const auto& n = *impl_;
  if (!n.initialised || n.driverVersion == nullptr) {
    return {};
  }
  char text[96] = {};
  return n.driverVersion(text, sizeof text) == 0 ? std::string{text} : std::string{};
}

// ---------------------------------------------------------------------------------------------

Probe probeDevices() {
  return measured<Probe>([](Probe& out) { return runProbe(out); });
}

DeviceInfo deviceInfo(int device, const Nvml& nvml) {
  return measured<DeviceInfo>([&](DeviceInfo& out) { return runDeviceInfo(device, nvml, out); });
}

VectorAdd vectorAdd(int device, std::uint64_t elements, std::uint64_t seed) {
  return measured<VectorAdd>(
      [&](VectorAdd& out) { return runVectorAdd(device, elements, seed, out); });
}

Reduction reduction(int device, std::uint64_t elements, std::uint64_t seed) {
  return measured<Reduction>(
      [&](Reduction& out) { return runReduction(device, elements, seed, out); });
}

MemoryPattern memoryPattern(int device, double share, std::uint64_t seed) {
  return measured<MemoryPattern>(
      [&](MemoryPattern& out) { return runMemoryPattern(device, share, seed, out); });
}

Bandwidth hostToDevice(int device, std::uint64_t bytes, int repetitions, const Nvml& nvml,
                       const std::string& pciBusId) {
  return measured<Bandwidth>([&](Bandwidth& out) {
    return runCopies(device, Copy::HostToDevice, bytes, repetitions, &nvml, pciBusId, out);
  });
}

Bandwidth deviceToHost(int device, std::uint64_t bytes, int repetitions) {
  return measured<Bandwidth>([&](Bandwidth& out) {
    return runCopies(device, Copy::DeviceToHost, bytes, repetitions, nullptr, {}, out);
  });
}

Bandwidth deviceToDevice(int device, std::uint64_t bytes, int repetitions) {
  return measured<Bandwidth>([&](Bandwidth& out) {
    return runCopies(device, Copy::DeviceToDevice, bytes, repetitions, nullptr, {}, out);
  });
}

Compute fp32Throughput(int device, double seconds) {
  return measured<Compute>([&](Compute& out) { return runCompute(device, seconds, out); });
}

} // namespace hil::cuda_smoke
