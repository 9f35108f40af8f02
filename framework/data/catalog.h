#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "framework/core/diagnostic.h"
#include "framework/platform/types.h"

namespace hil::data {

/// One PCI base address register of a GPU.
struct Bar {
  int index = 0;
  std::uint64_t size = 0; // bytes
  bool is64bit = false;   // 64-bit BARs are placed in high MMIO, 32-bit ones below 4 GB
};

/// A GPU model from the catalog (framework/data/gpu-catalog.xml).
struct GpuModel {
  std::string id;     // "tesla-t4"
  std::string name;   // PnP friendly name / Win32_VideoController.Caption
  std::string vendor; // "NVIDIA"
  std::string family; // datacenter | geforce | quadro | amd | intel-integrated
  platform::PciId pci;
  std::vector<Bar> bars;
  std::uint64_t memory = 0;      // bytes of device memory (0: shares system memory)
  int smCount = 0;               // streaming multiprocessors (NVIDIA), compute units or EUs
  std::string computeCapability; // "7.5"; empty where CUDA does not apply
  int pcieGeneration = 0;        // 0: integrated, no PCIe link
  int pcieWidth = 0;
  double hostToDeviceGBps = 0; // expected pinned-memory bandwidth
  double deviceToHostGBps = 0;
  double deviceToDeviceGBps = 0;
  double fp32Tflops = 0;      // peak
  bool ddaCapable = false;    // can be dismounted and assigned whole
  bool partitionable = false; // can be shared by GPU-PV (with the vendor's WSL driver)

  /// MMIO this device needs below 4 GB (its 32-bit BARs) and above (its 64-bit BARs).
  [[nodiscard]] std::uint64_t lowMmioNeed() const;
  [[nodiscard]] std::uint64_t highMmioNeed() const;
  [[nodiscard]] bool isNvidia() const { return pci.vendor == 0x10de; }
};

class GpuCatalog {
public:
  /// Parses a catalog file's text; every problem is reported with its line.
  static Parsed<GpuCatalog> parse(std::string text, std::string file);
  /// The catalog compiled into the binary from framework/data/gpu-catalog.xml.
  static const GpuCatalog& builtin();

  [[nodiscard]] const GpuModel* find(std::string_view id) const;
  [[nodiscard]] const std::vector<GpuModel>& models() const { return models_; }
  /// The file it was read from, byte for byte (what a report's catalog hash covers).
  [[nodiscard]] const std::string& text() const { return text_; }

private:
  std::vector<GpuModel> models_;
  std::string text_;
};

} // namespace hil::data
