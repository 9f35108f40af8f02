#include "framework/flows/prerequisites.h"

#include <algorithm>

#include <fmt/format.h>

namespace hil::flows {

using platform::Edition;
using platform::Technique;

const data::GpuModel* modelOf(const data::GpuCatalog& catalog, const platform::PciId& pci) {
  for (const auto& model : catalog.models()) {
    if (model.pci == pci) {
      return &model;
    }
  }
  return nullptr;
}

namespace {

std::string joinNames(const std::vector<platform::PnpDevice>& devices) {
  std::vector<std::string> names;
  for (const auto& d : devices) {
    if (std::find(names.begin(), names.end(), d.friendlyName) == names.end()) {
      names.push_back(d.friendlyName);
    }
  }
  std::string text;
  for (const auto& n : names) {
    text += text.empty() ? "" : ", ";
    text += fmt::format("\"{}\"", n);
  }
  return text.empty() ? "none" : text;
}

std::string editionsOf(const std::vector<const data::Rule*>& rules) {
  std::vector<Edition> editions;
  for (const auto* rule : rules) {
    for (auto e : rule->editions) {
      if (std::find(editions.begin(), editions.end(), e) == editions.end()) {
        editions.push_back(e);
      }
    }
  }
  std::string text;
  for (auto e : editions) {
    text += text.empty() ? "" : ", ";
    text += toString(e);
  }
  return text;
}

class Checker {
public:
  Checker(platform::Platform& p, const data::GpuCatalog& catalog, const data::RulesProfile& rules,
          const DeployRequest& request)
      : p_(p), catalog_(catalog), rules_(rules), request_(request) {}

  Result<PrerequisiteReport> run() {
    auto info = p_.host.windowsInfo();
    if (!info) {
      return std::unexpected(info.error());
    }
    auto feature = p_.host.hypervFeature();
    if (!feature) {
      return std::unexpected(feature.error());
    }
    checkHost(*info, *feature);

    auto devices = p_.pnp.displayDevices();
    if (!devices) {
      return std::unexpected(devices.error());
    }
    auto matching = match(*devices);
    if (!matching) {
      return finish();
    }
    const auto* model = modelOf(catalog_, matching->front().pci);
    if (request_.gpuCount >= 1 && static_cast<std::size_t>(request_.gpuCount) > matching->size()) {
      add(ErrorCode::GpuCount,
          fmt::format("gpu-count {} but the host has {} GPU(s) named \"{}\"", request_.gpuCount,
                      matching->size(), matching->front().friendlyName));
    }
    if (model == nullptr) {
      add(ErrorCode::UnsupportedGpu,
          fmt::format("\"{}\" (PCI {}) is not in the GPU catalog", matching->front().friendlyName,
                      matching->front().pci.toString()));
      return finish();
    }
    const auto rulesForGpu = rules_.rulesFor(*model);
    if (rulesForGpu.empty()) {
      add(ErrorCode::UnsupportedGpu,
          fmt::format("\"{}\" is not supported for GPU passthrough by the {} rules", model->name,
                      rules_.name()));
      return finish();
    }
    const auto technique = chooseTechnique(rulesForGpu, *info, *model);
    if (!technique) {
      return finish();
    }
    if (*technique == Technique::ParaVirtualization && request_.gpuCount != 1 &&
        !has(ErrorCode::GpuCount)) {
      add(ErrorCode::GpuCount,
          fmt::format("GPU-PV shares one GPU: gpu-count must be 1, not {}", request_.gpuCount));
    }
    std::vector<const data::Rule*> forTechnique;
    for (const auto* rule : rulesForGpu) {
      if (rule->technique == *technique) {
        forTechnique.push_back(rule);
      }
    }
    checkEditionAndBuild(*technique, forTechnique, *info, *model);

    Selection selection;
    selection.technique = *technique;
    selection.model = model;
    const auto count = std::min<std::size_t>(
        matching->size(), static_cast<std::size_t>(std::max(1, request_.gpuCount)));
    selection.devices.assign(matching->begin(), matching->begin() + static_cast<long>(count));
    if (auto drivers = checkDrivers(selection, forTechnique); !drivers) {
      return std::unexpected(drivers.error());
    }
    if (*technique == Technique::ParaVirtualization && report_.failures.empty()) {
      if (auto partitionable = checkPartitionable(selection); !partitionable) {
        return std::unexpected(partitionable.error());
      }
    }
    report_.selection = std::move(selection);
    return finish();
  }

private:
  /// The edition, Hyper-V and the GPU count asked for.
  void checkHost(const platform::WindowsInfo& info, const platform::HyperVFeature& feature) {
    if (info.edition == Edition::Home) {
      add(ErrorCode::UnsupportedEdition,
          "Windows Home has no Hyper-V: EFLOW GPU passthrough needs Server, Enterprise, IoT "
          "Enterprise or Professional");
    } else if (!feature.enabled) {
      add(ErrorCode::HypervUnavailable,
          fmt::format(
              "Hyper-V is not enabled on this Windows {} host: enable the Microsoft-Hyper-V "
              "feature and restart",
              toString(info.edition)));
    }
    if (request_.gpuCount < 1) {
      add(ErrorCode::GpuCount,
          fmt::format("gpu-count {} is less than 1: request at least one GPU", request_.gpuCount));
    }
  }

  /// A rule for the technique must allow this host's edition, and one of those its build.
  void checkEditionAndBuild(Technique technique, const std::vector<const data::Rule*>& forTechnique,
                            const platform::WindowsInfo& info, const data::GpuModel& model) {
    std::vector<const data::Rule*> forEdition;
    for (const auto* rule : forTechnique) {
      if (rule->allows(info.edition)) {
        forEdition.push_back(rule);
      }
    }
    if (forEdition.empty()) {
      if (info.edition != Edition::Home) {
        add(ErrorCode::UnsupportedEdition,
            fmt::format("{} for \"{}\" is not supported on Windows {}: supported on {}",
                        toString(technique), model.name, toString(info.edition),
                        editionsOf(forTechnique)));
      }
      return;
    }
    if (std::any_of(forEdition.begin(), forEdition.end(),
                    [&](const auto* r) { return info.build >= r->minBuild; })) {
      return;
    }
    auto lowest = forEdition.front()->minBuild;
    for (const auto* r : forEdition) {
      lowest = std::min(lowest, r->minBuild);
    }
    add(ErrorCode::UnsupportedBuild,
        fmt::format("{} for \"{}\" on Windows {} needs build {} or newer; this host has {}",
                    toString(technique), model.name, toString(info.edition), lowest.toString(),
                    info.build.toString()));
  }

  /// The WSL driver where a rule requires it, and the mitigation driver on each selected GPU.
  Result<void> checkDrivers(Selection& selection,
                            const std::vector<const data::Rule*>& forTechnique) {
    const bool requiresWsl = std::any_of(forTechnique.begin(), forTechnique.end(),
                                         [](const auto* r) { return r->requiresWslDriver; });
    const bool recommendsMitigation =
        std::any_of(forTechnique.begin(), forTechnique.end(),
                    [](const auto* r) { return r->recommendsMitigationDriver; });
    for (const auto& device : selection.devices) {
      if (requiresWsl) {
        auto wsl = p_.drivers.wslDriverInstalled(device.instanceId);
        if (!wsl) {
          return std::unexpected(wsl.error());
        }
        if (!*wsl) {
          add(ErrorCode::DriverMissing,
              fmt::format(
                  "GPU-PV for \"{}\" needs the vendor's GPU driver with WSL support (NVIDIA: "
                  "the CUDA driver for WSL) on the host; it is not installed",
                  device.friendlyName));
        }
      }
      auto mitigation = p_.drivers.mitigationDriverInstalled(device.instanceId);
      if (!mitigation) {
        return std::unexpected(mitigation.error());
      }
      selection.mitigationDriver.push_back(*mitigation);
      if (recommendsMitigation && !*mitigation &&
          std::find(report_.warnings.begin(), report_.warnings.end(),
                    WarningCode::MitigationDriverMissing) == report_.warnings.end()) {
        report_.warnings.push_back(WarningCode::MitigationDriverMissing);
      }
    }
    return {};
  }

  /// GPU-PV needs Hyper-V to list the first selected GPU as partitionable.
  Result<void> checkPartitionable(const Selection& selection) {
    auto partitionable = p_.hyperv.partitionableGpus();
    if (!partitionable) {
      return std::unexpected(partitionable.error());
    }
    const auto& id = selection.devices.front().instanceId;
    if (std::none_of(partitionable->begin(), partitionable->end(),
                     [&](const auto& g) { return g.instanceId == id; })) {
      add(ErrorCode::MethodNotSupported,
          fmt::format("the host does not list \"{}\" as partitionable (Get-VMHostPartitionableGpu)",
                      selection.devices.front().friendlyName));
    }
    return {};
  }

  [[nodiscard]] bool has(ErrorCode code) const {
    return std::any_of(report_.failures.begin(), report_.failures.end(),
                       [&](const Error& e) { return e.code == code; });
  }

  void add(ErrorCode code, std::string message) {
    report_.failures.push_back(Error{code, std::move(message), {"prerequisites"}});
  }

  Result<PrerequisiteReport> finish() {
    std::stable_sort(report_.failures.begin(), report_.failures.end(),
                     [](const Error& a, const Error& b) { return a.code < b.code; });
    if (!report_.failures.empty()) {
      report_.selection.reset();
    }
    return std::move(report_);
  }

  std::optional<std::vector<platform::PnpDevice>>
  match(const std::vector<platform::PnpDevice>& devices) {
    std::vector<platform::PnpDevice> result;
    if (!request_.gpuName) {
      for (const auto& d : devices) {
        if (!result.empty() &&
            !platform::equalsIgnoringCase(d.friendlyName, result.front().friendlyName)) {
          add(ErrorCode::InvalidRequest,
              fmt::format("no gpu-name given and the host has several GPUs ({}): name one",
                          joinNames(devices)));
          return std::nullopt;
        }
        result.push_back(d);
      }
      if (result.empty()) {
        add(ErrorCode::GpuNotFound, "the host has no display device");
        return std::nullopt;
      }
      return result;
    }
    for (const auto& d : devices) {
      if (platform::equalsIgnoringCase(d.friendlyName, *request_.gpuName)) {
        result.push_back(d);
      }
    }
    if (result.empty()) {
      add(ErrorCode::GpuNotFound, fmt::format("no GPU named \"{}\" on the host; it has {}",
                                              *request_.gpuName, joinNames(devices)));
      return std::nullopt;
    }
    return result;
  }

  std::optional<Technique> chooseTechnique(const std::vector<const data::Rule*>& rulesForGpu,
                                           const platform::WindowsInfo& info,
                                           const data::GpuModel& model) {
    using P = DeployRequest::Passthrough;
    if (request_.passthrough == P::Auto) {
      // The first rule that this host satisfies decides; else the GPU's first rule, whose
      // edition and build checks then say what is missing.
      for (const auto* rule : rulesForGpu) {
        if (rule->allows(info.edition) && info.build >= rule->minBuild) {
          return rule->technique;
        }
      }
      return rulesForGpu.front()->technique;
    }
    const auto wanted = request_.passthrough == P::DirectDeviceAssignment
                            ? Technique::DirectDeviceAssignment
                            : Technique::ParaVirtualization;
    const bool given = std::any_of(rulesForGpu.begin(), rulesForGpu.end(),
                                   [&](const auto* r) { return r->technique == wanted; });
    if (!given) {
      add(ErrorCode::MethodNotSupported,
          fmt::format("{} is not supported for \"{}\": the {} rules give it {} only",
                      toString(wanted), model.name, rules_.name(),
                      toString(rulesForGpu.front()->technique)));
      return std::nullopt;
    }
    return wanted;
  }

  platform::Platform& p_;
  const data::GpuCatalog& catalog_;
  const data::RulesProfile& rules_;
  const DeployRequest& request_;
  PrerequisiteReport report_;
};

} // namespace

Result<PrerequisiteReport> checkPrerequisites(platform::Platform& platform,
                                              const data::GpuCatalog& catalog,
                                              const data::RulesProfile& rules,
                                              const DeployRequest& request) {
  return Checker{platform, catalog, rules, request}.run();
}

} // namespace hil::flows
