// cuda_smoke: proves that this Linux machine's (or EFLOW VM's) NVIDIA GPU works.
// Exit status: 0 every check passed, 1 a check failed, 2 bad usage, 3 no CUDA device or driver.
#include <charconv>
#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "framework/data/catalog.h"
#include "framework/platform/smoke_output.h"
#include "real_hw/cuda_smoke/gpu_ops.h"
#include "real_hw/cuda_smoke/smoke_checks.h"

namespace {

using namespace hil;
using namespace hil::cuda_smoke;

constexpr int kExitPassed = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitNoDevice = 3;

constexpr std::string_view kHelp =
    R"(usage: cuda_smoke [--quick | --full] [--expect MODEL] [--expect-... VALUE]...
                  [--memory-share F] [--seed N] [--device N]

Proves that this machine's NVIDIA GPU works: device properties, correctness (vector add and
reduction on seeded random data, checked bit for bit on the host), a memory pattern test,
copy bandwidth, FP32 throughput, and whether the GPU is held by DDA or GPU-PV.

Sizes:
  --quick               about a second: 3 x 32 MiB vector add, 64 MiB reduction, 2% of free
                        memory for the pattern test, 64 MiB copies x 3
  (default)             a few seconds: 3 x 128 MiB, 256 MiB, 10% of free memory, 256 MiB x 5
  --full                3 x 512 MiB, 1 GiB, 80% of free memory, 1 GiB x 10
  --memory-share F      share of free device memory for the pattern test (0 < F <= 0.95)
  --seed N              seed of the random data and the random pattern (default 1)
  --device N            the CUDA device to test (default 0)

Expectations (without any, only sanity thresholds apply: a device, exact results, no bad
memory, figures above zero):
  --expect MODEL        a GPU catalog id (tesla-t4, geforce-rtx-3060, ...): its figures below
  --expect-devices N    at least N CUDA devices (default 1)
  --expect-name TEXT    device name, ignoring case and a leading "NVIDIA "
  --expect-cc X.Y       compute capability, equal
  --expect-memory-mib N nominal memory: at least 90% of it (ECC and reserved memory)
  --expect-sm N         SM count, equal
  --expect-pcie-gen N   PCIe link generation, equal (read while copying; GPU-PV shows none:
  --expect-pcie-width N   n/a, passes; without NVML the link is unknown and passes)
  --expect-h2d GBPS     pinned host-to-device bandwidth: at least 80% under DDA, 60% under GPU-PV
  --expect-d2h GBPS     pinned device-to-host bandwidth: the same shares
  --expect-d2d GBPS     peak memory bandwidth: device-to-device copies (read + write) reach 60%
  --expect-fp32 TFLOPS  peak FP32 throughput: the FMA kernel reaches 60%
Explicit values override the model's. The driver check always needs a driver that supports
the CUDA runtime this program carries.

Output: one line per check on standard output,
  SMOKE<TAB>name<TAB>pass|fail<TAB>value<TAB>unit<TAB>threshold<TAB>message
a summary on standard error. Exit status: 0 all passed, 1 a check failed, 2 bad usage,
3 no CUDA device or driver ("no CUDA device: why" on standard error, no check lines).
)";

struct Usage {
  std::string message;
};

struct Options {
  Profile profile = Profile::Default;
  bool help = false;
  std::optional<double> memoryShare;
  std::uint64_t seed = 1;
  int device = 0;
  std::string model;
  Expectations explicitValues;
};

template <class T> T number(std::string_view option, std::string_view text) {
  T value{};
  const auto* end = text.data() + text.size();
  const auto [at, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc{} || at != end) {
    throw Usage{fmt::format("{} {}: not a number", option, text)};
  }
  return value;
}

template <class T> T positive(std::string_view option, std::string_view text) {
  const auto value = number<T>(option, text);
  if (!(value > 0)) {
    throw Usage{fmt::format("{} {}: must be greater than 0", option, text)};
  }
  return value;
}

Options parse(int argc, char** argv) {
  Options o;
  bool quick = false;
  bool full = false;
  auto& e = o.explicitValues;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::optional<std::string_view> inlineValue;
    if (const auto equals = arg.find('='); arg.starts_with("--") && equals != arg.npos) {
      inlineValue = arg.substr(equals + 1);
      arg = arg.substr(0, equals);
    }
    auto value = [&]() -> std::string_view {
      if (inlineValue) {
        return *inlineValue;
      }
      if (i + 1 >= argc) {
        throw Usage{fmt::format("{} needs a value", arg)};
      }
      return argv[++i];
    };
    auto flag = [&](bool& target) {
      if (inlineValue) {
        throw Usage{fmt::format("{} takes no value", arg)};
      }
      target = true;
    };
    if (arg == "--help" || arg == "-h") {
      flag(o.help);
    } else if (arg == "--quick") {
      flag(quick);
    } else if (arg == "--full") {
      flag(full);
    } else if (arg == "--memory-share") {
      const auto text = value();
      const auto share = number<double>(arg, text);
      if (!(share > 0 && share <= 0.95)) {
        throw Usage{fmt::format("--memory-share {}: must be above 0 and at most 0.95", text)};
      }
      o.memoryShare = share;
    } else if (arg == "--seed") {
      o.seed = number<std::uint64_t>(arg, value());
    } else if (arg == "--device") {
      o.device = number<int>(arg, value());
      if (o.device < 0) {
        throw Usage{"--device: must be 0 or more"};
      }
    } else if (arg == "--expect") {
      o.model = value();
      if (o.model.empty()) {
        throw Usage{"--expect needs a GPU catalog id, such as tesla-t4"};
      }
    } else if (arg == "--expect-devices") {
      e.deviceCount = positive<int>(arg, value());
    } else if (arg == "--expect-name") {
      e.name = value();
    } else if (arg == "--expect-cc") {
      const auto text = value();
      const auto dot = text.find('.');
      if (dot == text.npos) {
        throw Usage{fmt::format("--expect-cc {}: expected MAJOR.MINOR, such as 7.5", text)};
      }
      e.computeCapability = fmt::format("{}.{}", number<int>(arg, text.substr(0, dot)),
                                        number<int>(arg, text.substr(dot + 1)));
    } else if (arg == "--expect-memory-mib") {
      e.memoryMib = positive<std::uint64_t>(arg, value());
    } else if (arg == "--expect-sm") {
      e.smCount = positive<int>(arg, value());
    } else if (arg == "--expect-pcie-gen") {
      e.pcieGeneration = positive<int>(arg, value());
    } else if (arg == "--expect-pcie-width") {
      e.pcieWidth = positive<int>(arg, value());
    } else if (arg == "--expect-h2d") {
      e.hostToDeviceGBps = positive<double>(arg, value());
    } else if (arg == "--expect-d2h") {
      e.deviceToHostGBps = positive<double>(arg, value());
    } else if (arg == "--expect-d2d") {
      e.deviceToDeviceGBps = positive<double>(arg, value());
    } else if (arg == "--expect-fp32") {
      e.fp32Tflops = positive<double>(arg, value());
    } else if (!arg.starts_with("-")) {
      throw Usage{fmt::format("unexpected argument {}", arg)};
    } else {
      throw Usage{fmt::format("unknown option {}", arg)};
    }
  }
  if (quick && full) {
    throw Usage{"--quick and --full exclude each other"};
  }
  o.profile = quick ? Profile::Quick : full ? Profile::Full : Profile::Default;
  return o;
}

/// The catalog's figures for --expect, overridden by the explicit options.
Expectations expectations(const Options& o) {
  Expectations e;
  if (!o.model.empty()) {
    const auto* model = data::GpuCatalog::builtin().find(o.model);
    if (model == nullptr) {
      std::string ids;
      for (const auto& m : data::GpuCatalog::builtin().models()) {
        if (m.isNvidia()) {
          ids += ids.empty() ? "" : ", ";
          ids += m.id;
        }
      }
      throw Usage{
          fmt::format("--expect {}: not in the GPU catalog (NVIDIA models: {})", o.model, ids)};
    }
    if (!model->isNvidia()) {
      throw Usage{fmt::format("--expect {}: {} is not an NVIDIA GPU; CUDA cannot test it", o.model,
                              model->name)};
    }
    e = expectationsFor(*model);
  }
  const auto& x = o.explicitValues;
  auto take = [](auto& target, const auto& value) {
    if (value) {
      target = value;
    }
  };
  take(e.deviceCount, x.deviceCount);
  take(e.name, x.name);
  take(e.computeCapability, x.computeCapability);
  take(e.memoryMib, x.memoryMib);
  take(e.smCount, x.smCount);
  take(e.pcieGeneration, x.pcieGeneration);
  take(e.pcieWidth, x.pcieWidth);
  take(e.hostToDeviceGBps, x.hostToDeviceGBps);
  take(e.deviceToHostGBps, x.deviceToHostGBps);
  take(e.deviceToDeviceGBps, x.deviceToDeviceGBps);
  take(e.fp32Tflops, x.fp32Tflops);
  const bool anyExplicit = x.deviceCount || x.name || x.computeCapability || x.memoryMib ||
                           x.smCount || x.pcieGeneration || x.pcieWidth || x.hostToDeviceGBps ||
                           x.deviceToHostGBps || x.deviceToDeviceGBps || x.fp32Tflops;
  if (anyExplicit) {
    e.source = e.source.empty() ? "command line" : e.source + " and command line";
  }
  return e;
}

bool exists(const char* path) {
  std::error_code error;
  return std::filesystem::exists(path, error);
}

Environment environment() {
  return {.dxg = exists("/dev/dxg"),
          .nvidiaDevice = exists("/dev/nvidia0"),
          .wslLibraries = exists("/usr/lib/wsl/lib")};
}

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int run(const Options& options, const Expectations& expected) {
  const auto started = std::chrono::steady_clock::now();
  Measurements m;
  m.environment = environment();
  m.seed = options.seed;
  m.probe = probeDevices();
  if (noDevice(m.probe)) {
    std::cerr << "no CUDA device: " << noDeviceReason(m.probe, m.environment) << '\n';
    return kExitNoDevice;
  }
  const int device = options.device;
  if (device >= m.probe.deviceCount) {
    throw Usage{fmt::format("--device {}: this machine has {} CUDA device{}", device,
                            m.probe.deviceCount, m.probe.deviceCount == 1 ? "" : "s")};
  }
  auto sizes = sizesFor(options.profile);
  if (options.memoryShare) {
    sizes.memoryShare = *options.memoryShare;
  }
  const Nvml nvml;
  m.device = deviceInfo(device, nvml);
  m.vectorAdd = vectorAdd(device, sizes.vectorElements, options.seed);
  m.reduction = reduction(device, sizes.reductionElements, options.seed);
  m.memory = memoryPattern(device, sizes.memoryShare, options.seed);
  m.hostToDevice =
      hostToDevice(device, sizes.transferBytes, sizes.repetitions, nvml, m.device.pciBusId);
  m.deviceToHost = deviceToHost(device, sizes.transferBytes, sizes.repetitions);
  m.deviceToDevice = deviceToDevice(device, sizes.transferBytes, sizes.repetitions);
  m.compute = fp32Throughput(device, sizes.computeSeconds);

  const auto checks = evaluate(m, expected);
  for (const auto& check : checks) {
    std::cout << platform::formatSmokeLine(check) << '\n';
  }
  std::cout.flush();
  const auto name = m.device.name.empty() ? fmt::format("CUDA device {}", device) : m.device.name;
  std::cerr << summary(checks, name, secondsSince(started)) << '\n';
  const auto failures = failureLines(checks);
  for (const auto& line : failures) {
    std::cerr << line << '\n';
  }
  return failures.empty() ? kExitPassed : kExitFailed;
}

} // namespace

int main(int argc, char** argv) {
  try {
    const auto options = parse(argc, argv);
    if (options.help) {
      std::cout << kHelp;
      return kExitPassed;
    }
    return run(options, expectations(options));
  } catch (const Usage& usage) {
    std::cerr << "cuda_smoke: " << usage.message << " (see --help)\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "cuda_smoke: " << e.what() << '\n';
    return kExitUsage;
  }
}
