#include "real_hw/cuda_smoke/smoke_checks.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "framework/data/catalog.h"
#include "framework/platform/smoke_output.h"
#include "framework/platform/types.h"

namespace hil::cuda_smoke {
namespace {

using platform::kMiB;
using platform::SmokeCheck;
using testing::ContainsRegex;
using testing::ElementsAreArray;
using testing::EndsWith;
using testing::HasSubstr;
using testing::IsEmpty;
using testing::StartsWith;

Expectations t4() {
  const auto* model = data::GpuCatalog::builtin().find("tesla-t4");
  EXPECT_NE(model, nullptr);
  return expectationsFor(*model);
}

PcieLink link(int generation, int width) {
  PcieLink l;
  l.known = true;
  l.generation = generation;
  l.width = width;
  l.maxGeneration = 3;
  l.maxWidth = 16;
  return l;
}

CudaError outOfMemory() {
  return {"cudaMalloc(&da.data, bytes)",
          "/work/main/real_hw/cuda_smoke/gpu_ops.cu",
          321,
          2,
          "cudaErrorMemoryAllocation",
          "out of memory"};
}

/// What a healthy Tesla T4 assigned by DDA measures with the default sizes.
Measurements healthyT4() {
  Measurements m;
  m.seed = 1;
  m.environment.nvidiaDevice = true;
  m.probe.deviceCount = 1;
  m.probe.runtimeVersion = 13000;
  m.probe.driverVersion = 13000;
  m.probe.driverLibrary = true;
  m.probe.seconds = 0.25;

  auto& d = m.device;
  d.index = 0;
  d.name = "Tesla T4";
  d.pciBusId = "00000000:00:1E.0";
  d.computeMajor = 7;
  d.computeMinor = 5;
  d.totalMemory = 15109 * kMiB;
  d.freeMemory = 14930 * kMiB;
  d.smCount = 40;
  d.runtimeVersion = 13000;
  d.driverVersion = 13000;
  d.driverRelease = "580.95.05";
  d.pcie = link(1, 16); // idle: the link has slowed down to save power
  d.seconds = 0.3;

  m.vectorAdd.elements = 1ull << 25;
  m.vectorAdd.seconds = 0.4;
  m.reduction.elements = 1ull << 26;
  m.reduction.expected = m.reduction.actual = 9223090561878065152ull;
  m.reduction.seconds = 0.2;

  m.memory.bytes = 1492 * kMiB;
  m.memory.freeBytes = 14930 * kMiB;
  m.memory.share = 0.1;
  m.memory.passes = 36;
  m.memory.seconds = 0.5;

  auto copies = [](double gbps) {
    Bandwidth b;
    b.bytes = 256 * kMiB;
    b.repetitions = 5;
    b.gbps = gbps;
    b.seconds = 0.15;
    return b;
  };
  m.hostToDevice = copies(11.2);
  m.hostToDevice.linkUnderLoad = link(3, 16);
  m.deviceToHost = copies(11.6);
  m.deviceToDevice = copies(239.8);

  m.compute.blocks = 160;
  m.compute.threadsPerBlock = 256;
  m.compute.kernelSeconds = 0.1;
  m.compute.flops = 693'000'000'000ull;
  m.compute.tflops = 6.93;
  m.compute.seconds = 0.2;
  return m;
}

SmokeCheck find(const std::vector<SmokeCheck>& checks, std::string_view name) {
  for (const auto& c : checks) {
    if (c.name == name) {
      return c;
    }
  }
  ADD_FAILURE() << "no check " << name;
  return {};
}

SmokeCheck evaluated(const Measurements& m, const Expectations& e, std::string_view name) {
  return find(evaluate(m, e), name);
}

std::vector<std::string> namesOf(const std::vector<SmokeCheck>& checks) {
  std::vector<std::string> names;
  for (const auto& c : checks) {
    names.push_back(c.name);
  }
  return names;
}

std::vector<std::string> failedNames(const std::vector<SmokeCheck>& checks) {
  std::vector<std::string> names;
  for (const auto& c : checks) {
    if (!c.passed) {
      names.push_back(c.name);
    }
  }
  return names;
}

// ---------------------------------------------------------------------------------------------
// All checks, their order and their format.

TEST(SmokeChecksTest, AHealthyT4UnderDdaPassesEveryCheckInTheDocumentedOrder) {
  const auto checks = evaluate(healthyT4(), t4());

  EXPECT_THAT(namesOf(checks), ElementsAreArray(platform::kSmokeChecks));
  EXPECT_THAT(failedNames(checks), IsEmpty());
  EXPECT_THAT(platform::missingSmokeChecks(checks), IsEmpty());
}

TEST(SmokeChecksTest, ValuesUnitsAndThresholdsAreFormattedLikeTheSimulatorsLines) {
  const auto checks = evaluate(healthyT4(), t4());
  auto fields = [&](std::string_view name) {
    const auto c = find(checks, name);
    return std::vector<std::string>{c.value, c.unit, c.threshold};
  };

  using V = std::vector<std::string>;
  EXPECT_EQ(fields("device-count"), (V{"1", "", ">= 1"}));
  EXPECT_EQ(fields("device-name"), (V{"Tesla T4", "", "NVIDIA Tesla T4"}));
  EXPECT_EQ(fields("compute-capability"), (V{"7.5", "", "7.5"}));
  EXPECT_EQ(fields("memory"), (V{"15109", "MiB", ">= 14745"}));
  EXPECT_EQ(fields("sm-count"), (V{"40", "", "40"}));
  EXPECT_EQ(fields("pcie-link"), (V{"Gen3 x16", "", "Gen3 x16"}));
  EXPECT_EQ(fields("driver"), (V{"580.95.05 / CUDA 13.0", "", ">= CUDA 13.0"}));
  EXPECT_EQ(fields("vector-add"), (V{"33554432", "elements", "bit-exact"}));
  EXPECT_EQ(fields("reduction"), (V{"67108864", "elements", "bit-exact"}));
  EXPECT_EQ(fields("memory-pattern"), (V{"0", "bad addresses", "0"}));
  EXPECT_EQ(fields("h2d-bandwidth"), (V{"11.2", "GB/s", ">= 9.6"}));
  EXPECT_EQ(fields("d2h-bandwidth"), (V{"11.6", "GB/s", ">= 10.0"}));
  EXPECT_EQ(fields("d2d-bandwidth"), (V{"239.8", "GB/s", ">= 192.0"}));
  EXPECT_EQ(fields("fp32-throughput"), (V{"6.93", "TFLOPS", ">= 4.86"}));
  EXPECT_EQ(fields("mode"), (V{"dda", "", ""}));
}

TEST(SmokeChecksTest, EveryTimedCheckEndsItsMessageWithItsElapsedTime) {
  const auto checks = evaluate(healthyT4(), t4());

  for (const auto& c : checks) {
    if (c.name != "mode") {
      EXPECT_THAT(c.message, ContainsRegex(" ?in [0-9]+\\.[0-9]{3} s$")) << c.name;
    }
  }
  EXPECT_THAT(find(checks, "device-count").message, EndsWith("in 0.250 s"));
  EXPECT_THAT(find(checks, "memory").message, EndsWith("in 0.300 s"));
  EXPECT_THAT(find(checks, "vector-add").message, EndsWith("in 0.400 s"));
  EXPECT_THAT(find(checks, "h2d-bandwidth").message,
              EndsWith("pinned, 256 MiB x 5; 80% of 12.0 GB/s under DDA in 0.150 s"));
}

TEST(SmokeChecksTest, LinesRoundTripThroughTheWireFormat) {
  auto m = healthyT4();
  m.memory.badWords = 2;
  m.memory.firstPattern = "random";
  m.memory.firstBadAddress = 0x7f2c00001230;
  m.memory.firstBadOffset = 0x1230;
  const auto checks = evaluate(m, t4());
  std::string output = "some other line\n";
  for (const auto& c : checks) {
    output += platform::formatSmokeLine(c) + "\n";
  }

  const auto parsed = platform::parseSmokeOutput(output);

  ASSERT_TRUE(parsed.has_value()) << parsed.error().describe();
  EXPECT_EQ(*parsed, checks);
}

// ---------------------------------------------------------------------------------------------
// Device checks against the catalog's T4.

TEST(SmokeChecksTest, DeviceCountNeedsAtLeastTheExpectedNumber) {
  auto m = healthyT4();
  auto e = t4();
  e.deviceCount = 2;

  const auto check = evaluated(m, e, "device-count");

  EXPECT_FALSE(check.passed);
  EXPECT_EQ(check.threshold, ">= 2");
}

TEST(SmokeChecksTest, DeviceNameIgnoresCaseAndTheVendorPrefixButNotTheModel) {
  auto m = healthyT4();
  m.device.name = "NVIDIA TESLA T4";
  EXPECT_TRUE(evaluated(m, t4(), "device-name").passed);

  m.device.name = "NVIDIA GeForce RTX 3060";
  const auto check = evaluated(m, t4(), "device-name");
  EXPECT_FALSE(check.passed);
  EXPECT_EQ(check.value, "NVIDIA GeForce RTX 3060");

  EXPECT_TRUE(sameGpuName("Tesla T4", "NVIDIA Tesla T4"));
  EXPECT_FALSE(sameGpuName("Tesla T4", "NVIDIA Tesla T40"));
}

TEST(SmokeChecksTest, ComputeCapabilityMustBeEqual) {
  auto m = healthyT4();
  m.device.computeMajor = 8;
  m.device.computeMinor = 6;

  const auto check = evaluated(m, t4(), "compute-capability");

  EXPECT_FALSE(check.passed);
  EXPECT_EQ(check.value, "8.6");
  EXPECT_EQ(check.threshold, "7.5");
}

TEST(SmokeChecksTest, MemoryNeedsNinetyPercentOfNominal) {
  auto m = healthyT4();
  m.device.totalMemory = 14745 * kMiB; // 90% of 16384 MiB, rounded down
  EXPECT_TRUE(evaluated(m, t4(), "memory").passed);

  m.device.totalMemory = 14744 * kMiB;
  const auto check = evaluated(m, t4(), "memory");
  EXPECT_FALSE(check.passed);
  EXPECT_EQ(check.value, "14744");
  EXPECT_THAT(check.message, HasSubstr("90% of the nominal 16384 MiB"));
}

TEST(SmokeChecksTest, SmCountMustBeEqual) {
  auto m = healthyT4();
  m.device.smCount = 38;

  EXPECT_FALSE(evaluated(m, t4(), "sm-count").passed);
}

TEST(SmokeChecksTest, PcieLinkIsReadUnderLoadAndMustMatchTheCatalog) {
  auto m = healthyT4();
  const auto good = evaluated(m, t4(), "pcie-link");
  EXPECT_TRUE(good.passed);
  EXPECT_THAT(good.message, HasSubstr("read during the host-to-device copies"));
  EXPECT_THAT(good.message, HasSubstr("the device's maximum is Gen3 x16"));

  m.hostToDevice.linkUnderLoad = link(3, 8); // a degraded link: half the lanes
  const auto narrow = evaluated(m, t4(), "pcie-link");
  EXPECT_FALSE(narrow.passed);
  EXPECT_EQ(narrow.value, "Gen3 x8");
  EXPECT_EQ(narrow.threshold, "Gen3 x16");

  m.hostToDevice.linkUnderLoad = link(2, 16);
  EXPECT_FALSE(evaluated(m, t4(), "pcie-link").passed);
}

TEST(SmokeChecksTest, PcieLinkFallsBackToTheIdleReadingWhenTheCopiesFailed) {
  auto m = healthyT4();
  m.hostToDevice.status.error = outOfMemory();
  m.hostToDevice.linkUnderLoad = {};

  const auto check = evaluated(m, t4(), "pcie-link");

  EXPECT_FALSE(check.passed); // idle at Gen1
  EXPECT_EQ(check.value, "Gen1 x16");
  EXPECT_THAT(check.message, HasSubstr("read while idle"));
}

TEST(SmokeChecksTest, PcieLinkUnderGpuPvIsNotApplicableAndPasses) {
  auto m = healthyT4();
  m.environment = {.dxg = true, .nvidiaDevice = false, .wslLibraries = true};

  const auto check = evaluated(m, t4(), "pcie-link");

  EXPECT_TRUE(check.passed);
  EXPECT_EQ(check.value, "n/a");
  EXPECT_EQ(check.threshold, "n/a");
  EXPECT_THAT(check.message, StartsWith("GPU-PV hides the PCIe link"));
}

TEST(SmokeChecksTest, AnUnknownPcieLinkPassesAndSaysWhy) {
  auto m = healthyT4();
  const std::string why = "libnvidia-ml.so.1: cannot open shared object file";
  m.hostToDevice.linkUnderLoad = {.known = false, .why = why};
  m.device.pcie = {.known = false, .why = why};

  const auto check = evaluated(m, t4(), "pcie-link");

  EXPECT_TRUE(check.passed);
  EXPECT_EQ(check.value, "unknown");
  EXPECT_EQ(check.threshold, "Gen3 x16");
  EXPECT_THAT(check.message, HasSubstr("not checked"));
  EXPECT_THAT(check.message, HasSubstr(why));
}

TEST(SmokeChecksTest, ADriverOlderThanTheRuntimeIsInsufficient) {
  auto m = healthyT4();
  m.device.driverVersion = 12080;
  m.device.driverRelease.clear(); // no NVML

  const auto check = evaluated(m, t4(), "driver");

  EXPECT_FALSE(check.passed);
  EXPECT_EQ(check.value, "CUDA 12.8");
  EXPECT_EQ(check.threshold, ">= CUDA 13.0");
  EXPECT_THAT(check.message, StartsWith("insufficient driver: it supports CUDA 12.8"));
}

TEST(SmokeChecksTest, ANewerDriverPasses) {
  auto m = healthyT4();
  m.device.driverVersion = 13010;

  EXPECT_TRUE(evaluated(m, t4(), "driver").passed);
}

TEST(SmokeChecksTest, AFailedDeviceQueryFailsEveryDeviceCheckWithTheCall) {
  auto m = healthyT4();
  m.device.status.error = CudaError{"cudaSetDevice(device)",
                                    "gpu_ops.cu",
                                    250,
                                    46,
                                    "cudaErrorDevicesUnavailable",
                                    "CUDA-capable device(s) is/are "
                                    "busy or unavailable"};

  const auto checks = evaluate(m, t4());

  EXPECT_THAT(failedNames(checks), ElementsAreArray({"device-name", "compute-capability", "memory",
                                                     "sm-count", "pcie-link", "driver"}));
  const auto name = find(checks, "device-name");
  EXPECT_EQ(name.value, "error");
  EXPECT_THAT(name.message, StartsWith("cudaSetDevice(device) at gpu_ops.cu:250: "
                                       "cudaErrorDevicesUnavailable (CUDA-capable device(s)"));
}

// ---------------------------------------------------------------------------------------------
// Correctness and memory.

TEST(SmokeChecksTest, AVectorAddMismatchFailsWithTheFirstElement) {
  auto m = healthyT4();
  m.vectorAdd.mismatches = 3;
  m.vectorAdd.firstMismatch = 12;
  m.vectorAdd.expectedBits = 0x3f800000;
  m.vectorAdd.actualBits = 0x3f800001;

  const auto check = evaluated(m, t4(), "vector-add");

  EXPECT_FALSE(check.passed);
  EXPECT_THAT(check.message, StartsWith("3 of 33554432 sums differ; first at element 12: "
                                        "expected 0x3f800000, got 0x3f800001; seed 1"));
}

TEST(SmokeChecksTest, AReductionMismatchFails) {
  auto m = healthyT4();
  m.reduction.actual = m.reduction.expected - 1;

  const auto check = evaluated(m, t4(), "reduction");

  EXPECT_FALSE(check.passed);
  EXPECT_THAT(check.message, HasSubstr("the device's sum is 9223090561878065151, the host's "
                                       "9223090561878065152"));
}

TEST(SmokeChecksTest, BadMemoryFailsWithTheCountAndTheFirstBadAddress) {
  auto m = healthyT4();
  m.memory.badWords = 3;
  m.memory.firstPattern = "walking-ones";
  m.memory.firstBadAddress = 0x7f2c00001230;
  m.memory.firstBadOffset = 0x1230;
  m.memory.wrote = 0x10;
  m.memory.read = 0;

  const auto check = evaluated(m, t4(), "memory-pattern");

  EXPECT_FALSE(check.passed);
  EXPECT_EQ(check.value, "3");
  EXPECT_THAT(check.message, StartsWith("walking-ones: first bad address 0x7f2c00001230 (offset "
                                        "0x1230): wrote 0x00000010 read 0x00000000; 36 passes "
                                        "over 1492 MiB (10% of 14930 MiB free)"));
}

TEST(SmokeChecksTest, AMemoryTestWithNothingToTestFails) {
  auto m = healthyT4();
  m.memory.bytes = 0;
  m.memory.passes = 0;

  const auto check = evaluated(m, t4(), "memory-pattern");

  EXPECT_FALSE(check.passed);
  EXPECT_THAT(check.message, StartsWith("nothing tested"));
}

TEST(SmokeChecksTest, AFailedCudaCallFailsItsCheckAndTheOthersStillReport) {
  auto m = healthyT4();
  m.vectorAdd.status.error = outOfMemory();
  m.vectorAdd.seconds = 0.01;

  const auto checks = evaluate(m, t4());

  EXPECT_THAT(failedNames(checks), ElementsAreArray({"vector-add"}));
  const auto check = find(checks, "vector-add");
  EXPECT_EQ(check.value, "error");
  EXPECT_EQ(check.message, "cudaMalloc(&da.data, bytes) at gpu_ops.cu:321: "
                           "cudaErrorMemoryAllocation (out of memory) in 0.010 s");
}

// ---------------------------------------------------------------------------------------------
// Bandwidth and throughput.

TEST(SmokeChecksTest, CopiesUnderDdaNeedEightyPercentOfTheCatalogFigure) {
  auto m = healthyT4();
  m.hostToDevice.gbps = 9.6;
  EXPECT_TRUE(evaluated(m, t4(), "h2d-bandwidth").passed);

  m.hostToDevice.gbps = 9.5;
  m.deviceToHost.gbps = 9.9;
  const auto checks = evaluate(m, t4());
  EXPECT_FALSE(find(checks, "h2d-bandwidth").passed);
  EXPECT_FALSE(find(checks, "d2h-bandwidth").passed);
}

TEST(SmokeChecksTest, CopiesUnderGpuPvNeedSixtyPercent) {
  auto m = healthyT4();
  m.environment = {.dxg = true, .nvidiaDevice = false, .wslLibraries = true};
  m.hostToDevice.gbps = 7.3;
  m.deviceToHost.gbps = 7.4;

  const auto checks = evaluate(m, t4());

  const auto h2d = find(checks, "h2d-bandwidth");
  EXPECT_TRUE(h2d.passed);
  EXPECT_EQ(h2d.threshold, ">= 7.2");
  EXPECT_THAT(h2d.message, HasSubstr("60% of 12.0 GB/s under GPU-PV"));
  const auto d2h = find(checks, "d2h-bandwidth");
  EXPECT_FALSE(d2h.passed);
  EXPECT_EQ(d2h.threshold, ">= 7.5");
  EXPECT_EQ(find(checks, "mode").value, "gpu-pv");
}

TEST(SmokeChecksTest, DeviceToDeviceNeedsSixtyPercentOfPeak) {
  auto m = healthyT4();
  m.deviceToDevice.gbps = 191.9;

  const auto check = evaluated(m, t4(), "d2d-bandwidth");

  EXPECT_FALSE(check.passed);
  EXPECT_EQ(check.value, "191.9");
  EXPECT_THAT(check.message, HasSubstr("read + write counted"));
}

TEST(SmokeChecksTest, Fp32NeedsSixtyPercentOfPeak) {
  auto m = healthyT4();
  m.compute.tflops = 4.85;

  const auto check = evaluated(m, t4(), "fp32-throughput");

  EXPECT_FALSE(check.passed);
  EXPECT_EQ(check.value, "4.85");
  EXPECT_EQ(check.threshold, ">= 4.86");

  m.compute.tflops = 4.86; // 8.1 * 0.6 is 4.859999...: the line shows ">= 4.86" and so compares
  EXPECT_TRUE(evaluated(m, t4(), "fp32-throughput").passed);
}

// ---------------------------------------------------------------------------------------------
// Explicit expectations, and none.

TEST(SmokeChecksTest, ExplicitExpectationsApplyTheSameRules) {
  Expectations e;
  e.source = "command line";
  e.name = "NVIDIA A2";
  e.hostToDeviceGBps = 15.0;
  e.pcieWidth = 16;

  const auto checks = evaluate(healthyT4(), e);

  EXPECT_THAT(failedNames(checks), ElementsAreArray({"device-name", "h2d-bandwidth"}));
  EXPECT_EQ(find(checks, "h2d-bandwidth").threshold, ">= 12.0");
  EXPECT_EQ(find(checks, "pcie-link").threshold, "x16");
  EXPECT_EQ(find(checks, "d2h-bandwidth").threshold, "> 0");
}

TEST(SmokeChecksTest, WithoutExpectationsOnlySanityThresholdsApply) {
  auto m = healthyT4();
  m.device.name = "NVIDIA H200";
  m.device.smCount = 132;
  m.device.computeMajor = 9;
  m.device.computeMinor = 0;

  const auto checks = evaluate(m, Expectations{});

  EXPECT_THAT(failedNames(checks), IsEmpty());
  EXPECT_EQ(find(checks, "device-name").threshold, "non-empty");
  EXPECT_EQ(find(checks, "compute-capability").threshold, ">= 7.5");
  EXPECT_EQ(find(checks, "memory").threshold, "> 0");
  EXPECT_EQ(find(checks, "sm-count").threshold, ">= 1");
  EXPECT_EQ(find(checks, "pcie-link").threshold, "any");
  EXPECT_EQ(find(checks, "h2d-bandwidth").threshold, "> 0");
  EXPECT_EQ(find(checks, "fp32-throughput").threshold, "> 0");
}

TEST(SmokeChecksTest, WithoutExpectationsWrongResultsStillFail) {
  auto m = healthyT4();
  m.vectorAdd.mismatches = 1;
  m.memory.badWords = 1;
  m.memory.firstPattern = "random";
  m.deviceToDevice.gbps = 0;

  const auto checks = evaluate(m, Expectations{});

  EXPECT_THAT(failedNames(checks),
              ElementsAreArray({"vector-add", "memory-pattern", "d2d-bandwidth"}));
}

TEST(SmokeChecksTest, TheCatalogGivesTheT4sFigures) {
  const auto e = t4();

  EXPECT_EQ(e.source, "tesla-t4");
  EXPECT_EQ(e.name, "NVIDIA Tesla T4");
  EXPECT_EQ(e.computeCapability, "7.5");
  EXPECT_EQ(e.memoryMib, 16384u);
  EXPECT_EQ(e.smCount, 40);
  EXPECT_EQ(e.pcieGeneration, 3);
  EXPECT_EQ(e.pcieWidth, 16);
  EXPECT_EQ(e.hostToDeviceGBps, 12.0);
  EXPECT_EQ(e.deviceToHostGBps, 12.5);
  EXPECT_EQ(e.deviceToDeviceGBps, 320.0);
  EXPECT_EQ(e.fp32Tflops, 8.1);
  EXPECT_FALSE(e.deviceCount.has_value());
}

// ---------------------------------------------------------------------------------------------
// Mode, sizes, the summary.

TEST(SmokeChecksTest, ModeIsGpuPvWithDxgAndDdaOtherwiseAndAlwaysPasses) {
  EXPECT_EQ(modeOf({.dxg = true, .nvidiaDevice = false, .wslLibraries = true}), Mode::GpuPv);
  EXPECT_EQ(modeOf({.dxg = false, .nvidiaDevice = true, .wslLibraries = false}), Mode::Dda);
  EXPECT_EQ(modeOf({}), Mode::Dda);

  auto m = healthyT4();
  const auto dda = evaluated(m, t4(), "mode");
  EXPECT_TRUE(dda.passed);
  EXPECT_THAT(dda.message, StartsWith("/dev/nvidia0 present"));
  m.environment = {.dxg = true, .nvidiaDevice = false, .wslLibraries = true};
  const auto pv = evaluated(m, t4(), "mode");
  EXPECT_TRUE(pv.passed);
  EXPECT_EQ(pv.value, "gpu-pv");
}

TEST(SmokeChecksTest, QuickIsSmallerThanTheDefaultWhichIsSmallerThanFull) {
  const auto quick = sizesFor(Profile::Quick);
  const auto normal = sizesFor(Profile::Default);
  const auto full = sizesFor(Profile::Full);

  EXPECT_LT(quick.vectorElements, normal.vectorElements);
  EXPECT_LT(normal.vectorElements, full.vectorElements);
  EXPECT_LT(quick.memoryShare, normal.memoryShare);
  EXPECT_LT(normal.memoryShare, full.memoryShare);
  EXPECT_LT(quick.transferBytes, normal.transferBytes);
  EXPECT_LT(normal.computeSeconds, full.computeSeconds);
  // "A few hundred MiB" by default: a, b and c of the vector add, and the reduction's values.
  EXPECT_EQ(normal.vectorElements * 4 * 3, 384 * kMiB);
  EXPECT_EQ(normal.reductionElements * 4, 256 * kMiB);
}

TEST(SmokeChecksTest, TheSummaryCountsPassedChecksAndListsEachFailure) {
  auto m = healthyT4();
  m.deviceToDevice.gbps = 98.4;
  const auto checks = evaluate(m, t4());

  EXPECT_EQ(summary(checks, "Tesla T4", 3.21),
            "cuda_smoke: 14 of 15 checks passed on Tesla T4 in 3.2 s");
  const auto lines = failureLines(checks);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], StartsWith("cuda_smoke: FAILED d2d-bandwidth: 98.4 GB/s (threshold >= "
                                   "192.0): read + write counted, 256 MiB x 5"));
}

// ---------------------------------------------------------------------------------------------
// No device.

Probe failedProbe(int code, std::string name, std::string text) {
  Probe p;
  p.status.error = CudaError{
      "cudaGetDeviceCount(&count)", "gpu_ops.cu", 300, code, std::move(name), std::move(text)};
  p.runtimeVersion = 13000;
  return p;
}

TEST(SmokeChecksTest, NoDeviceWhenTheProbeFailsOrFindsNone) {
  EXPECT_TRUE(noDevice(failedProbe(100, "cudaErrorNoDevice", "no CUDA-capable device")));
  Probe none;
  EXPECT_TRUE(noDevice(none));
  none.deviceCount = 1;
  EXPECT_FALSE(noDevice(none));
}

TEST(SmokeChecksTest, NoDriverLibraryMeansTheDriverIsMissing) {
  auto p = failedProbe(35, "cudaErrorInsufficientDriver",
                       "CUDA driver version is insufficient for CUDA runtime version");
  p.driverLibraryError = "libcuda.so.1: cannot open shared object file: No such file or directory";

  const auto reason = noDeviceReason(p, {});

  EXPECT_THAT(reason, StartsWith("the NVIDIA driver is missing: libcuda.so.1: cannot open"));
  EXPECT_THAT(reason, HasSubstr("cudaGetDeviceCount(&count) returned cudaErrorInsufficientDriver"));
}

TEST(SmokeChecksTest, UnderGpuPvAMissingDriverPointsAtTheWslLibraries) {
  auto p = failedProbe(35, "cudaErrorInsufficientDriver", "insufficient");
  p.driverLibraryError = "libcuda.so.1: cannot open shared object file";

  const auto reason = noDeviceReason(p, {.dxg = true, .nvidiaDevice = false, .wslLibraries = true});

  EXPECT_THAT(reason, HasSubstr("/usr/lib/wsl/lib"));
}

TEST(SmokeChecksTest, AnOldDriverIsInsufficient) {
  auto p = failedProbe(35, "cudaErrorInsufficientDriver", "insufficient");
  p.driverLibrary = true;
  p.driverVersion = 12020;

  const auto reason = noDeviceReason(p, {});

  EXPECT_THAT(reason, StartsWith("insufficient driver: it supports CUDA 12.2, this program's "
                                 "runtime needs CUDA 13.0"));
  EXPECT_THAT(reason, HasSubstr("cudaErrorInsufficientDriver"));
}

TEST(SmokeChecksTest, TheToolkitsStubIsNotADriver) {
  const auto reason =
      noDeviceReason(failedProbe(34, "cudaErrorStubLibrary", "CUDA driver is a stub library"), {});

  EXPECT_THAT(reason, StartsWith("driver missing: libcuda.so.1 is the CUDA toolkit's stub"));
  EXPECT_THAT(reason, HasSubstr("cudaErrorStubLibrary"));
}

TEST(SmokeChecksTest, NoDeviceNodesMeansNoGpuInTheVm) {
  auto p = failedProbe(100, "cudaErrorNoDevice", "no CUDA-capable device is detected");
  p.driverLibrary = true;
  p.driverVersion = 13000;

  EXPECT_THAT(noDeviceReason(p, {}), StartsWith("no device: no /dev/nvidia0 or /dev/dxg"));
  EXPECT_THAT(noDeviceReason(p, {.dxg = false, .nvidiaDevice = true, .wslLibraries = false}),
              StartsWith("no device: the driver finds no GPU; cudaGetDeviceCount(&count) "
                         "returned cudaErrorNoDevice (no CUDA-capable device is detected)"));
}

TEST(SmokeChecksTest, OtherErrorsKeepTheirCudaName) {
  const auto reason = noDeviceReason(failedProbe(999, "cudaErrorUnknown", "unknown error"), {});

  EXPECT_THAT(reason, HasSubstr("cudaErrorUnknown (unknown error)"));
}

TEST(SmokeChecksTest, VersionsAndCallsAreFormattedForPeople) {
  EXPECT_EQ(formatCudaVersion(13000), "13.0");
  EXPECT_EQ(formatCudaVersion(12080), "12.8");
  EXPECT_EQ(formatCudaVersion(0), "0.0");
  EXPECT_EQ(describe(outOfMemory()),
            "cudaMalloc(&da.data, bytes) at gpu_ops.cu:321: cudaErrorMemoryAllocation (out of "
            "memory)");
}

} // namespace
} // namespace hil::cuda_smoke
