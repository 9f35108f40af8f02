#include "framework/data/catalog.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "framework/core/xml.h"

namespace hil::embedded {
extern const std::string_view gpu_catalog;
} // namespace hil::embedded

namespace hil::data {
namespace {

const std::initializer_list<std::string_view> kFamilies = {"datacenter", "geforce", "quadro", "amd",
                                                           "intel-integrated"};

std::optional<std::uint16_t> parseHex16(const std::optional<std::string>& text) {
  if (!text || text->size() != 4) {
    return std::nullopt;
  }
  std::uint16_t value = 0;
  auto [ptr, ec] = std::from_chars(text->data(), text->data() + 4, value, 16);
  if (ec != std::errc{} || ptr != text->data() + 4) {
    return std::nullopt;
  }
  return value;
}

GpuModel parseModel(const xml::Document& doc, pugi::xml_node node, Diagnostics& out) {
  xml::Element el{doc,
                  node,
                  out,
                  {"id", "name", "vendor", "family", "vendor-id", "device-id", "memory-mib",
                   "sm-count", "compute-capability", "pcie-gen", "pcie-width", "h2d-gbps",
                   "d2h-gbps", "d2d-gbps", "fp32-tflops", "capabilities"}};
  GpuModel model;
  model.id = el.required("id").value_or("");
  model.name = el.required("name").value_or("");
  model.vendor = el.required("vendor").value_or("");
  model.family = el.choice("family", kFamilies, true).value_or("");
  const auto vendorId = el.required("vendor-id");
  const auto deviceId = el.required("device-id");
  const auto vendor = parseHex16(vendorId);
  const auto device = parseHex16(deviceId);
  if ((vendorId && !vendor) || (deviceId && !device)) {
    el.error("vendor-id and device-id: expected four hexadecimal digits, e.g. 10DE");
  }
  model.pci = {vendor.value_or(0), device.value_or(0)};
  model.memory =
      static_cast<std::uint64_t>(el.integer("memory-mib", 0, 1 << 22, true).value_or(0)) *
      platform::kMiB;
  model.smCount = static_cast<int>(el.integer("sm-count", 1, 100000, true).value_or(0));
  model.computeCapability = el.optional("compute-capability").value_or("");
  model.pcieGeneration = static_cast<int>(el.integer("pcie-gen", 0, 7, true).value_or(0));
  model.pcieWidth = static_cast<int>(el.integer("pcie-width", 0, 32, true).value_or(0));
  model.hostToDeviceGBps = el.number("h2d-gbps", 0, 1e4, true).value_or(0);
  model.deviceToHostGBps = el.number("d2h-gbps", 0, 1e4, true).value_or(0);
  model.deviceToDeviceGBps = el.number("d2d-gbps", 0, 1e5, true).value_or(0);
  model.fp32Tflops = el.number("fp32-tflops", 0, 1e4, true).value_or(0);
  for (const auto& word : xml::words(el.required("capabilities").value_or(""))) {
    if (word == "dda") {
      model.ddaCapable = true;
    } else if (word == "gpu-pv") {
      model.partitionable = true;
    } else {
      el.error(fmt::format("capabilities: unknown word '{}'; expected dda, gpu-pv", word));
    }
  }
  for (auto child : el.children({"bar"})) {
    xml::Element bar{doc, child, out, {"index", "size-mib", "width"}};
    Bar b;
    b.index = static_cast<int>(bar.integer("index", 0, 5, true).value_or(0));
    b.size = static_cast<std::uint64_t>(bar.number("size-mib", 0.001, 1 << 20, true).value_or(0) *
                                        static_cast<double>(platform::kMiB));
    b.is64bit = bar.choice("width", {"32", "64"}, true).value_or("32") == "64";
    model.bars.push_back(b);
  }
  if (model.bars.empty()) {
    el.error(fmt::format("<gpu id=\"{}\"> needs at least one <bar>", model.id));
  }
  return model;
}

} // namespace

std::uint64_t GpuModel::lowMmioNeed() const {
  std::uint64_t total = 0;
  for (const auto& bar : bars) {
    total += bar.is64bit ? 0 : bar.size;
  }
  return total;
}

std::uint64_t GpuModel::highMmioNeed() const {
  std::uint64_t total = 0;
  for (const auto& bar : bars) {
    total += bar.is64bit ? bar.size : 0;
  }
  return total;
}

Parsed<GpuCatalog> GpuCatalog::parse(std::string text, std::string file) {
  GpuCatalog catalog;
  catalog.text_ = text;
  auto doc = xml::Document::parse(std::move(text), std::move(file));
  if (!doc) {
    return std::unexpected(doc.error());
  }
  Diagnostics out;
  {
    xml::Element root{*doc, doc->root(), out, {}};
    if (root.name() != "gpu-catalog") {
      root.error(fmt::format("root element is <{}>; expected <gpu-catalog>", root.name()));
    }
    for (auto node : root.children({"gpu"})) {
      auto model = parseModel(*doc, node, out);
      if (catalog.find(model.id) != nullptr) {
        out.push_back(
            {doc->file(), doc->lineOf(node), fmt::format("duplicate GPU id '{}'", model.id)});
      }
      catalog.models_.push_back(std::move(model));
    }
  }
  if (!out.empty()) {
    sortByLine(out);
    return std::unexpected(std::move(out));
  }
  return catalog;
}

const GpuCatalog& GpuCatalog::builtin() {
  static const GpuCatalog catalog = [] {
    auto parsed = parse(std::string{embedded::gpu_catalog}, "framework/data/gpu-catalog.xml");
    // The embedded file is checked by the tests; a broken one is a build defect.
    if (!parsed) {
      fmt::print(stderr, "{}", toString(parsed.error()));
      std::abort();
    }
    return std::move(*parsed);
  }();
  return catalog;
}

const GpuModel* GpuCatalog::find(std::string_view id) const {
  const auto it =
      std::find_if(models_.begin(), models_.end(), [&](const GpuModel& m) { return m.id == id; });
  return it == models_.end() ? nullptr : &*it;
}

} // namespace hil::data
