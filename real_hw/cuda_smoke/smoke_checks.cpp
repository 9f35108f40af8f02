#include "real_hw/cuda_smoke/smoke_checks.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>

#include <fmt/format.h>

#include "framework/platform/types.h"

namespace hil::cuda_smoke {
namespace {

using platform::kMiB;
using platform::SmokeCheck;

// CUDA error codes the no-device reason explains (driver_types.h; no CUDA header here).
constexpr int kStubLibrary = 34;
constexpr int kInsufficientDriver = 35;
constexpr int kDevicesUnavailable = 46;
constexpr int kNoDevice = 100;
constexpr int kSystemNotReady = 802;
constexpr int kSystemDriverMismatch = 803;

/// The oldest architecture the program is built for (CUDA_ARCHITECTURES starts at 75).
constexpr int kOldestComputeCapability = 75;

SmokeCheck result(std::string name, bool passed, std::string value, std::string unit,
                  std::string threshold, std::string message) {
  platform::SmokeCheck check;
  check.name = std::move(name);
  check.passed = passed;
  check.value = std::move(value);
  check.unit = std::move(unit);
  check.threshold = std::move(threshold);
  check.message = std::move(message);
  return check;
}

std::string timed(std::string message, double seconds) {
  const auto elapsed = fmt::format("in {:.3f} s", seconds);
  return message.empty() ? elapsed : message + " " + elapsed;
}

SmokeCheck failedCall(std::string name, const CudaError& error, std::string unit,
                      std::string threshold, double seconds) {
  return result(std::move(name), false, "error", std::move(unit), std::move(threshold),
                timed(describe(error), seconds));
}

std::string linkText(int generation, int width) {
  if (generation > 0 && width > 0) {
    return fmt::format("Gen{} x{}", generation, width);
  }
  if (generation > 0) {
    return fmt::format("Gen{}", generation);
  }
  return width > 0 ? fmt::format("x{}", width) : std::string{"any"};
}

/// value >= threshold as the line shows them, so that "9.6" passes ">= 9.6" even where
/// 12.0 * 0.8 is 9.600000000000001.
bool shownAtLeast(double value, double threshold, int decimals) {
  auto shown = [&](double x) {
    const auto text = fmt::format("{:.{}f}", x, decimals);
    double parsed = 0;
    std::from_chars(text.data(), text.data() + text.size(), parsed); // locale-independent
    return parsed;
  };
  return shown(value) >= shown(threshold);
}

std::string mib(std::uint64_t bytes) { return fmt::format("{} MiB", bytes / kMiB); }

SmokeCheck deviceCount(const Measurements& m, const Expectations& e) {
  const int need = e.deviceCount.value_or(1);
  const auto threshold = fmt::format(">= {}", need);
  if (!m.probe.status.ok()) {
    return failedCall("device-count", *m.probe.status.error, "", threshold, m.probe.seconds);
  }
  return result("device-count", m.probe.deviceCount >= need, std::to_string(m.probe.deviceCount),
                "", threshold,
                timed(fmt::format("testing device {}", m.device.index), m.probe.seconds));
}

SmokeCheck deviceName(const DeviceInfo& d, const Expectations& e) {
  const auto threshold = e.name.value_or("non-empty");
  if (!d.status.ok()) {
    return failedCall("device-name", *d.status.error, "", threshold, d.seconds);
  }
  const bool passed = e.name ? sameGpuName(d.name, *e.name) : !d.name.empty();
  return result("device-name", passed, d.name, "", threshold,
                timed(fmt::format("PCI {}", d.pciBusId), d.seconds));
}

SmokeCheck computeCapability(const DeviceInfo& d, const Expectations& e) {
  const auto threshold = e.computeCapability.value_or(
      fmt::format(">= {}.{}", kOldestComputeCapability / 10, kOldestComputeCapability % 10));
  if (!d.status.ok()) {
    return failedCall("compute-capability", *d.status.error, "", threshold, d.seconds);
  }
  const auto value = fmt::format("{}.{}", d.computeMajor, d.computeMinor);
  const bool passed = e.computeCapability
                          ? value == *e.computeCapability
                          : d.computeMajor * 10 + d.computeMinor >= kOldestComputeCapability;
  return result("compute-capability", passed, value, "", threshold, timed("", d.seconds));
}

SmokeCheck memory(const DeviceInfo& d, const Expectations& e) {
  const std::uint64_t need =
      e.memoryMib ? static_cast<std::uint64_t>(static_cast<double>(*e.memoryMib) * kMemoryShare)
                  : 0;
  const auto threshold = e.memoryMib ? fmt::format(">= {}", need) : std::string{"> 0"};
  if (!d.status.ok()) {
    return failedCall("memory", *d.status.error, "MiB", threshold, d.seconds);
  }
  const std::uint64_t total = d.totalMemory / kMiB;
  const bool passed = e.memoryMib ? total >= need : total > 0;
  auto message = fmt::format("{} free", mib(d.freeMemory));
  if (e.memoryMib) {
    message += fmt::format("; {:g}% of the nominal {} MiB", kMemoryShare * 100, *e.memoryMib);
  }
  return result("memory", passed, std::to_string(total), "MiB", threshold,
                timed(message, d.seconds));
}

SmokeCheck smCount(const DeviceInfo& d, const Expectations& e) {
  const auto threshold = e.smCount ? std::to_string(*e.smCount) : std::string{">= 1"};
  if (!d.status.ok()) {
    return failedCall("sm-count", *d.status.error, "", threshold, d.seconds);
  }
  const bool passed = e.smCount ? d.smCount == *e.smCount : d.smCount >= 1;
  return result("sm-count", passed, std::to_string(d.smCount), "", threshold, timed("", d.seconds));
}

SmokeCheck pcieLink(const Measurements& m, const Expectations& e) {
  const auto& d = m.device;
  const auto expected = linkText(e.pcieGeneration.value_or(0), e.pcieWidth.value_or(0));
  if (!d.status.ok()) {
    return failedCall("pcie-link", *d.status.error, "", expected, d.seconds);
  }
  // Read under load where possible: an idle link slows down to save power.
  const bool underLoad = m.hostToDevice.linkUnderLoad.known;
  const auto& link = underLoad ? m.hostToDevice.linkUnderLoad : d.pcie;
  const double seconds = underLoad ? m.hostToDevice.seconds : d.seconds;
  if (modeOf(m.environment) == Mode::GpuPv) {
    auto message = std::string{"GPU-PV hides the PCIe link"};
    if (link.known) {
      message +=
          fmt::format("; NVML reports {} through the host", linkText(link.generation, link.width));
    }
    return result("pcie-link", true, "n/a", "", "n/a", timed(message, seconds));
  }
  if (!link.known) {
    return result("pcie-link", true, "unknown", "", expected,
                  timed(fmt::format("not checked: NVML gives no link ({})", link.why), seconds));
  }
  const bool passed = (!e.pcieGeneration || link.generation == *e.pcieGeneration) &&
                      (!e.pcieWidth || link.width == *e.pcieWidth);
  auto message =
      std::string{underLoad ? "read during the host-to-device copies" : "read while idle"};
  if (link.maxGeneration > 0 && link.maxWidth > 0) {
    message +=
        fmt::format("; the device's maximum is {}", linkText(link.maxGeneration, link.maxWidth));
  }
  return result("pcie-link", passed, linkText(link.generation, link.width), "", expected,
                timed(message, seconds));
}

SmokeCheck driver(const DeviceInfo& d) {
  if (!d.status.ok()) {
    return failedCall("driver", *d.status.error, "", ">= the CUDA runtime", d.seconds);
  }
  const auto supports = formatCudaVersion(d.driverVersion);
  const auto runtime = formatCudaVersion(d.runtimeVersion);
  const auto value = d.driverRelease.empty()
                         ? fmt::format("CUDA {}", supports)
                         : fmt::format("{} / CUDA {}", d.driverRelease, supports);
  const bool passed = d.driverVersion >= d.runtimeVersion;
  const auto message =
      passed ? fmt::format("the driver supports CUDA {}, the runtime is CUDA {}", supports, runtime)
             : fmt::format("insufficient driver: it supports CUDA {}, the runtime needs CUDA {}",
                           supports, runtime);
  return result("driver", passed, value, "", fmt::format(">= CUDA {}", runtime),
                timed(message, d.seconds));
}

SmokeCheck vectorAdd(const VectorAdd& v, std::uint64_t seed) {
  if (!v.status.ok()) {
    return failedCall("vector-add", *v.status.error, "elements", "bit-exact", v.seconds);
  }
  const bool passed = v.elements > 0 && v.mismatches == 0;
  const auto message =
      v.mismatches == 0
          ? fmt::format("c = a + b over {} floats ({} each), seed {}", v.elements,
                        mib(v.elements * 4), seed)
          : fmt::format("{} of {} sums differ; first at element {}: expected 0x{:08x}, got "
                        "0x{:08x}; seed {}",
                        v.mismatches, v.elements, v.firstMismatch, v.expectedBits, v.actualBits,
                        seed);
  return result("vector-add", passed, std::to_string(v.elements), "elements", "bit-exact",
                timed(message, v.seconds));
}

SmokeCheck reduction(const Reduction& r, std::uint64_t seed) {
  if (!r.status.ok()) {
    return failedCall("reduction", *r.status.error, "elements", "bit-exact", r.seconds);
  }
  const bool passed = r.elements > 0 && r.actual == r.expected;
  const auto message = r.actual == r.expected
                           ? fmt::format("uint64 sum of {} uint32 values ({}) is {}, seed {}",
                                         r.elements, mib(r.elements * 4), r.actual, seed)
                           : fmt::format("the device's sum is {}, the host's {}; seed {}", r.actual,
                                         r.expected, seed);
  return result("reduction", passed, std::to_string(r.elements), "elements", "bit-exact",
                timed(message, r.seconds));
}

SmokeCheck memoryPattern(const MemoryPattern& p) {
  std::string found;
  if (p.badWords > 0) {
    found = fmt::format("{}: first bad address 0x{:x} (offset 0x{:x}): wrote 0x{:08x} read "
                        "0x{:08x}",
                        p.firstPattern, p.firstBadAddress, p.firstBadOffset, p.wrote, p.read);
  }
  const auto extent = fmt::format("{} passes over {} ({:g}% of {} free)", p.passes, mib(p.bytes),
                                  p.share * 100, mib(p.freeBytes));
  if (!p.status.ok()) {
    auto check = failedCall("memory-pattern", *p.status.error, "bad addresses", "0", p.seconds);
    if (p.badWords > 0) {
      check.value = std::to_string(p.badWords);
      check.message = found + "; then " + check.message;
    }
    return check;
  }
  if (p.bytes == 0) {
    return result("memory-pattern", false, "0", "bad addresses", "0",
                  timed(fmt::format("nothing tested: {:g}% of {} free is too little", p.share * 100,
                                    mib(p.freeBytes)),
                        p.seconds));
  }
  const auto message = p.badWords > 0 ? found + "; " + extent
                                      : "walking ones, address-in-address, random: " + extent;
  return result("memory-pattern", p.badWords == 0, std::to_string(p.badWords), "bad addresses", "0",
                timed(message, p.seconds));
}

SmokeCheck bandwidth(std::string name, const Bandwidth& b, std::optional<double> reference,
                     double share, std::string_view what, std::string_view of) {
  const auto threshold =
      reference ? fmt::format(">= {:.1f}", *reference * share) : std::string{"> 0"};
  if (!b.status.ok()) {
    return failedCall(std::move(name), *b.status.error, "GB/s", threshold, b.seconds);
  }
  const bool passed = reference ? shownAtLeast(b.gbps, *reference * share, 1) : b.gbps > 0;
  auto message = fmt::format("{}, {} x {}", what, mib(b.bytes), b.repetitions);
  if (reference) {
    message += fmt::format("; {:g}% of {:.1f} GB/s {}", share * 100, *reference, of);
  }
  return result(std::move(name), passed, fmt::format("{:.1f}", b.gbps), "GB/s", threshold,
                timed(message, b.seconds));
}

SmokeCheck fp32Throughput(const Compute& c, const Expectations& e) {
  const auto threshold =
      e.fp32Tflops ? fmt::format(">= {:.2f}", *e.fp32Tflops * kFp32Share) : std::string{"> 0"};
  if (!c.status.ok()) {
    return failedCall("fp32-throughput", *c.status.error, "TFLOPS", threshold, c.seconds);
  }
  const bool passed =
      e.fp32Tflops ? shownAtLeast(c.tflops, *e.fp32Tflops * kFp32Share, 2) : c.tflops > 0;
  auto message = fmt::format("fmaf chains on {} blocks x {} threads, {:.3f} s kernel", c.blocks,
                             c.threadsPerBlock, c.kernelSeconds);
  if (e.fp32Tflops) {
    message += fmt::format("; {:g}% of {:.2f} TFLOPS peak", kFp32Share * 100, *e.fp32Tflops);
  }
  return result("fp32-throughput", passed, fmt::format("{:.2f}", c.tflops), "TFLOPS", threshold,
                timed(message, c.seconds));
}

SmokeCheck mode(const Environment& environment) {
  std::string message;
  if (environment.dxg) {
    message = environment.wslLibraries
                  ? "/dev/dxg present: GPU paravirtualization, driver from /usr/lib/wsl/lib"
                  : "/dev/dxg present: GPU paravirtualization (no /usr/lib/wsl/lib)";
  } else if (environment.nvidiaDevice) {
    message = "/dev/nvidia0 present, no /dev/dxg: a whole PCI device (DDA or bare metal)";
  } else {
    message = "no /dev/dxg: a whole PCI device (DDA or bare metal)";
  }
  return result("mode", true, std::string{toString(modeOf(environment))}, "", "", message);
}

std::string withoutVendor(std::string_view name) {
  constexpr std::string_view kVendor = "nvidia ";
  std::string lower;
  for (const char c : name) {
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return lower.starts_with(kVendor) ? lower.substr(kVendor.size()) : lower;
}

} // namespace

Mode modeOf(const Environment& environment) { return environment.dxg ? Mode::GpuPv : Mode::Dda; }

std::string_view toString(Mode mode) { return mode == Mode::GpuPv ? "gpu-pv" : "dda"; }

Sizes sizesFor(Profile profile) {
  switch (profile) {
  case Profile::Quick:
    return {.vectorElements = 1ull << 23,
            .reductionElements = 1ull << 24,
            .memoryShare = 0.02,
            .transferBytes = 64 * kMiB,
            .repetitions = 3,
            .computeSeconds = 0.02};
  case Profile::Full:
    return {.vectorElements = 1ull << 27,
            .reductionElements = 1ull << 28,
            .memoryShare = 0.80,
            .transferBytes = 1024 * kMiB,
            .repetitions = 10,
            .computeSeconds = 1.0};
  case Profile::Default:
    break;
  }
  return {.vectorElements = 1ull << 25,
          .reductionElements = 1ull << 26,
          .memoryShare = 0.10,
          .transferBytes = 256 * kMiB,
          .repetitions = 5,
          .computeSeconds = 0.1};
}

Expectations expectationsFor(const data::GpuModel& model) {
  Expectations e;
  e.source = model.id;
  e.name = model.name;
  if (!model.computeCapability.empty()) {
    e.computeCapability = model.computeCapability;
  }
  auto positive = [](auto value) { return value > 0 ? std::optional{value} : std::nullopt; };
  e.memoryMib = positive(model.memory / kMiB);
  e.smCount = positive(model.smCount);
  e.pcieGeneration = positive(model.pcieGeneration);
  e.pcieWidth = positive(model.pcieWidth);
  e.hostToDeviceGBps = positive(model.hostToDeviceGBps);
  e.deviceToHostGBps = positive(model.deviceToHostGBps);
  e.deviceToDeviceGBps = positive(model.deviceToDeviceGBps);
  e.fp32Tflops = positive(model.fp32Tflops);
  return e;
}

std::vector<SmokeCheck> evaluate(const Measurements& m, const Expectations& e) {
  const bool paravirtual = modeOf(m.environment) == Mode::GpuPv;
  const double linkShare = paravirtual ? kLinkShareGpuPv : kLinkShareDda;
  const std::string_view under = paravirtual ? "under GPU-PV" : "under DDA";
  return {
      deviceCount(m, e),
      deviceName(m.device, e),
      computeCapability(m.device, e),
      memory(m.device, e),
      smCount(m.device, e),
      pcieLink(m, e),
      driver(m.device),
      vectorAdd(m.vectorAdd, m.seed),
      reduction(m.reduction, m.seed),
      memoryPattern(m.memory),
      bandwidth("h2d-bandwidth", m.hostToDevice, e.hostToDeviceGBps, linkShare, "pinned", under),
      bandwidth("d2h-bandwidth", m.deviceToHost, e.deviceToHostGBps, linkShare, "pinned", under),
      bandwidth("d2d-bandwidth", m.deviceToDevice, e.deviceToDeviceGBps, kDeviceToDeviceShare,
                "read + write counted", "peak"),
      fp32Throughput(m.compute, e),
      mode(m.environment),
  };
}

bool noDevice(const Probe& probe) { return !probe.status.ok() || probe.deviceCount < 1; }

std::string noDeviceReason(const Probe& probe, const Environment& environment) {
  if (probe.status.ok()) {
    return fmt::format("cudaGetDeviceCount found {} devices", probe.deviceCount);
  }
  const auto& error = *probe.status.error;
  const auto cuda = fmt::format("{} returned {} ({})", error.call, error.name, error.text);
  switch (error.code) {
  case kInsufficientDriver:
    if (!probe.driverLibrary) {
      auto reason = fmt::format("the NVIDIA driver is missing: {}", probe.driverLibraryError);
      if (environment.dxg) {
        reason += environment.wslLibraries
                      ? "; /dev/dxg is present: put /usr/lib/wsl/lib on the library path "
                        "(ldconfig) for GPU-PV"
                      : "; /dev/dxg is present but /usr/lib/wsl/lib is not: GPU-PV needs the "
                        "host's WSL CUDA driver";
      }
      return reason + "; " + cuda;
    }
    if (probe.driverVersion > 0 && probe.driverVersion < probe.runtimeVersion) {
      return fmt::format("insufficient driver: it supports CUDA {}, this program's runtime needs "
                         "CUDA {}; {}",
                         formatCudaVersion(probe.driverVersion),
                         formatCudaVersion(probe.runtimeVersion), cuda);
    }
    return fmt::format("insufficient driver: libcuda.so.1 loads but does not work with the CUDA "
                       "{} runtime; {}",
                       formatCudaVersion(probe.runtimeVersion), cuda);
  case kStubLibrary:
    return "driver missing: libcuda.so.1 is the CUDA toolkit's stub library, not the NVIDIA "
           "driver (install the driver, or take the toolkit's stubs folder off the library "
           "path); " +
           cuda;
  case kNoDevice:
    if (!environment.dxg && !environment.nvidiaDevice) {
      return "no device: no /dev/nvidia0 or /dev/dxg (is the GPU assigned to this VM and the "
             "NVIDIA kernel driver loaded?); " +
             cuda;
    }
    return "no device: the driver finds no GPU; " + cuda;
  case kDevicesUnavailable:
    return "device unavailable: the GPU is busy or in exclusive or prohibited compute mode; " +
           cuda;
  case kSystemDriverMismatch:
    return "driver mismatch: the driver's library and kernel module are different versions "
           "(reboot or reinstall the driver); " +
           cuda;
  case kSystemNotReady:
    return "system not ready: the driver is still initialising (fabric manager?); " + cuda;
  default:
    return "CUDA cannot start: " + cuda;
  }
}

std::string describe(const CudaError& error) {
  const auto slash = error.file.find_last_of('/');
  const auto file = slash == std::string::npos ? error.file : error.file.substr(slash + 1);
  return fmt::format("{} at {}:{}: {} ({})", error.call, file, error.line, error.name, error.text);
}

std::string formatCudaVersion(int version) {
  return fmt::format("{}.{}", version / 1000, version % 1000 / 10);
}

bool sameGpuName(std::string_view cudaName, std::string_view expected) {
  return withoutVendor(cudaName) == withoutVendor(expected);
}

std::string summary(const std::vector<SmokeCheck>& checks, std::string_view device,
                    double seconds) {
  const auto passed =
      std::count_if(checks.begin(), checks.end(), [](const SmokeCheck& c) { return c.passed; });
  return fmt::format("cuda_smoke: {} of {} checks passed on {} in {:.1f} s", passed, checks.size(),
                     device, seconds);
}

std::vector<std::string> failureLines(const std::vector<SmokeCheck>& checks) {
  std::vector<std::string> lines;
  for (const auto& c : checks) {
    if (c.passed) {
      continue;
    }
    lines.push_back(fmt::format("cuda_smoke: FAILED {}: {}{}{}{}", c.name, c.value,
                                c.unit.empty() ? "" : " " + c.unit,
                                c.threshold.empty() ? "" : " (threshold " + c.threshold + ")",
                                c.message.empty() ? "" : ": " + c.message));
  }
  return lines;
}

} // namespace hil::cuda_smoke
