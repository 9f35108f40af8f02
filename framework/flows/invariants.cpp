#include "framework/flows/invariants.h"

#include <algorithm>
#include <iterator>
#include <set>
#include <string_view>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "framework/platform/hyperv.h"

namespace hil::flows {
namespace {

using platform::GpuPlacement;
using platform::HostState;
using platform::LocationPath;
using platform::MmioSpace;
using platform::StopAction;
using platform::Technique;
using platform::VmConfig;
using platform::VmName;
using platform::VmSnapshot;

constexpr std::string_view kAbsentGpu = "absent from the host";
constexpr std::string_view kAbsentVm = "absent";
constexpr std::string_view kPresentVm = "present";

std::string gpuSubject(const GpuPlacement& gpu) {
  return fmt::format("GPU \"{}\" at {}", gpu.name, gpu.location);
}

std::string vmSubject(const VmName& vm, std::string_view setting) {
  return setting.empty() ? fmt::format("VM {}", vm) : fmt::format("VM {} {}", vm, setting);
}

std::string flagText(bool on) { return on ? "enabled" : "disabled"; }

std::string listText(const std::vector<std::string>& items) {
  return items.empty() ? std::string{"none"} : fmt::format("{}", fmt::join(items, ", "));
}

std::string mmioText(MmioSpace mmio) {
  return fmt::format("{} low, {} high", platform::formatBytes(mmio.low),
                     platform::formatBytes(mmio.high));
}

/// Before/after texts that show the difference: formatBytes rounds, and describe() leaves out
/// what does not matter off the host, so fall back to exact values when the texts agree.
std::pair<std::string, std::string> mmioTexts(MmioSpace before, MmioSpace after) {
  auto a = mmioText(before);
  auto b = mmioText(after);
  if (a == b) {
    a = fmt::format("{} bytes low, {} bytes high", before.low, before.high);
    b = fmt::format("{} bytes low, {} bytes high", after.low, after.high);
  }
  return {std::move(a), std::move(b)};
}

std::string placementDetail(const GpuPlacement& gpu) {
  return fmt::format("{} ({}, named \"{}\")", gpu.describe(), flagText(gpu.enabled), gpu.name);
}

std::pair<std::string, std::string> placementTexts(const GpuPlacement& before,
                                                   const GpuPlacement& after) {
  auto a = before.describe();
  auto b = after.describe();
  if (a == b) {
    return {placementDetail(before), placementDetail(after)};
  }
  return {std::move(a), std::move(b)};
}

/// Where a GPU is, ignoring its friendly name (that is only for messages).
bool samePlace(const GpuPlacement& a, const GpuPlacement& b) {
  return a.onHost == b.onHost && a.enabled == b.enabled && a.assignedTo == b.assignedTo;
}

template <class T> std::vector<T> sorted(std::vector<T> items) {
  std::sort(items.begin(), items.end());
  return items;
}

/// Whether `after` holds every entry of `before` (as a multiset), and what else it holds.
template <class T>
bool growsFrom(const std::vector<T>& before, const std::vector<T>& after, std::vector<T>& added) {
  const auto a = sorted(before);
  const auto b = sorted(after);
  if (!std::includes(b.begin(), b.end(), a.begin(), a.end())) {
    return false;
  }
  added.clear();
  std::set_difference(b.begin(), b.end(), a.begin(), a.end(), std::back_inserter(added));
  return true;
}

template <class T> bool sameEntries(const std::vector<T>& a, const std::vector<T>& b) {
  return sorted(a) == sorted(b);
}

std::set<VmName> vmNames(const HostState& a, const HostState& b) {
  std::set<VmName> names;
  for (const auto& [name, vm] : a.vms) {
    names.insert(name);
  }
  for (const auto& [name, vm] : b.vms) {
    names.insert(name);
  }
  return names;
}

const VmSnapshot* vmAt(const HostState& state, const VmName& name) {
  const auto it = state.vms.find(name);
  return it == state.vms.end() ? nullptr : &it->second;
}

/// checkHost, with each GPU's placement in `reference` (when it has the GPU) as the before text.
std::vector<Violation> hostViolations(const HostState& state, const HostState* reference) {
  std::vector<Violation> out;
  for (const auto& gpu : state.gpus) {
    const GpuPlacement* was = reference != nullptr ? reference->gpuAt(gpu.location) : nullptr;
    const std::string before = was != nullptr ? was->describe() : std::string{};
    if (!gpu.onHost && !gpu.assignedTo) {
      out.push_back({"gpu-lost", gpuSubject(gpu), before, gpu.describe()});
    }
    if (gpu.onHost && gpu.assignedTo) {
      out.push_back({"gpu-on-host-and-vm", gpuSubject(gpu), before, gpu.describe()});
    }
    std::vector<VmName> holders;
    bool heldByOther = false;
    for (const auto& [name, vm] : state.vms) {
      for (const auto& location : vm.assigned) {
        if (location == gpu.location) {
          holders.push_back(name);
          heldByOther = heldByOther || (gpu.assignedTo && *gpu.assignedTo != name);
        }
      }
    }
    if (holders.size() > 1 || heldByOther) {
      out.push_back({"gpu-assigned-twice", gpuSubject(gpu), before,
                     fmt::format("{}; in the assigned devices of {}", gpu.describe(),
                                 fmt::join(holders, ", "))});
    }
  }
  return out;
}

/// Every GPU at the same place, named the same: before's GPUs in host order, then new ones.
void compareGpusExactly(std::vector<Violation>& out, const std::string& invariant,
                        const HostState& before, const HostState& after) {
  for (const auto& gpu : before.gpus) {
    const GpuPlacement* now = after.gpuAt(gpu.location);
    if (now == nullptr) {
      out.push_back({invariant, gpuSubject(gpu), gpu.describe(), std::string{kAbsentGpu}});
    } else if (*now != gpu) {
      auto [was, is] = placementTexts(gpu, *now);
      out.push_back({invariant, gpuSubject(*now), std::move(was), std::move(is)});
    }
  }
  for (const auto& gpu : after.gpus) {
    if (before.gpuAt(gpu.location) == nullptr) {
      out.push_back({invariant, gpuSubject(gpu), std::string{kAbsentGpu}, gpu.describe()});
    }
  }
}

struct VmComparison {
  std::string settingsInvariant; // name, state, stop action, MMIO, cache types, adapters
  std::string assignedInvariant; // assigned devices: where GPUs are
  bool withState = true;
};

/// One violation per setting that differs, in a fixed order.
void compareVm(std::vector<Violation>& out, const VmComparison& how, const VmName& name,
               const VmSnapshot& before, const VmSnapshot& after) {
  const VmConfig& a = before.config;
  const VmConfig& b = after.config;
  if (a.name != b.name) {
    out.push_back({how.settingsInvariant, vmSubject(name, "name"), a.name, b.name});
  }
  if (how.withState && a.state != b.state) {
    out.push_back({how.settingsInvariant, vmSubject(name, "state"),
                   std::string{platform::toString(a.state)},
                   std::string{platform::toString(b.state)}});
  }
  if (a.automaticStopAction != b.automaticStopAction) {
    out.push_back({how.settingsInvariant, vmSubject(name, "automatic stop action"),
                   std::string{platform::toString(a.automaticStopAction)},
                   std::string{platform::toString(b.automaticStopAction)}});
  }
  if (a.mmio != b.mmio) {
    auto [was, is] = mmioTexts(a.mmio, b.mmio);
    out.push_back({how.settingsInvariant, vmSubject(name, "MMIO"), std::move(was), std::move(is)});
  }
  if (a.guestControlledCacheTypes != b.guestControlledCacheTypes) {
    out.push_back({how.settingsInvariant, vmSubject(name, "guest-controlled cache types"),
                   flagText(a.guestControlledCacheTypes), flagText(b.guestControlledCacheTypes)});
  }
  // Sets, not lists: a rollback may assign devices back in another order.
  if (!sameEntries(before.assigned, after.assigned)) {
    out.push_back({how.assignedInvariant, vmSubject(name, "assigned devices"),
                   listText(before.assigned), listText(after.assigned)});
  }
  if (!sameEntries(before.adapterGpus, after.adapterGpus)) {
    out.push_back({how.settingsInvariant, vmSubject(name, "partition adapters"),
                   listText(before.adapterGpus), listText(after.adapterGpus)});
  }
}

/// A VM that appeared or disappeared, or else compareVm.
void compareVmAt(std::vector<Violation>& out, const VmComparison& how, const VmName& name,
                 const HostState& before, const HostState& after) {
  const VmSnapshot* was = vmAt(before, name);
  const VmSnapshot* is = vmAt(after, name);
  if (was == nullptr || is == nullptr) {
    out.push_back({how.settingsInvariant, vmSubject(name, ""),
                   std::string{was != nullptr ? kPresentVm : kAbsentVm},
                   std::string{is != nullptr ? kPresentVm : kAbsentVm}});
    return;
  }
  compareVm(out, how, name, *was, *is);
}

/// Rejected, unchanged and rolled-back steps: the host exactly as before.
void compareExactly(std::vector<Violation>& out, const std::string& invariant,
                    const HostState& before, const HostState& after) {
  compareGpusExactly(out, invariant, before, after);
  const VmComparison how{invariant, invariant, true};
  for (const auto& name : vmNames(before, after)) {
    compareVmAt(out, how, name, before, after);
  }
}

/// What a deploy configures: MMIO never shrinks, cache types on, stop action turn-off.
bool deployMmio(MmioSpace before, MmioSpace after) {
  return after.low >= before.low && after.high >= before.high;
}

/// Where a finished step may have put this GPU, besides leaving it where it was.
bool movedAsRequested(const GpuPlacement& was, const GpuPlacement& is, const StepRecord& step) {
  if (step.kind == StepRecord::Kind::Teardown) {
    return was.assignedTo == step.vm && is.onHost && is.enabled && !is.assignedTo;
  }
  const bool dda = step.technique == Technique::DirectDeviceAssignment;
  const bool requested =
      std::find(step.gpus.begin(), step.gpus.end(), was.location) != step.gpus.end();
  // Off the host the PnP device's enabled flag means nothing; a GPU of another VM is not ours.
  return dda && requested && (!was.assignedTo || was.assignedTo == step.vm) && !is.onHost &&
         is.assignedTo == step.vm;
}

void checkDoneGpus(std::vector<Violation>& out, const HostState& before, const HostState& after,
                   const StepRecord& step) {
  for (const auto& gpu : before.gpus) {
    const GpuPlacement* now = after.gpuAt(gpu.location);
    if (now == nullptr) {
      out.push_back({"gpu-misplaced", gpuSubject(gpu), gpu.describe(), std::string{kAbsentGpu}});
    } else if (!samePlace(gpu, *now) && !movedAsRequested(gpu, *now, step)) {
      auto [was, is] = placementTexts(gpu, *now);
      out.push_back({"gpu-misplaced", gpuSubject(*now), std::move(was), std::move(is)});
    }
  }
  for (const auto& gpu : after.gpus) {
    if (before.gpuAt(gpu.location) == nullptr) {
      out.push_back({"gpu-misplaced", gpuSubject(gpu), std::string{kAbsentGpu}, gpu.describe()});
    }
  }
}

/// The step's own VM after it finished: each setting as before or as the step configures it.
void checkDoneVm(std::vector<Violation>& out, const HostState& original, const VmSnapshot& before,
                 const VmSnapshot& after, const StepRecord& step) {
  const bool deploy = step.kind == StepRecord::Kind::Deploy;
  const bool dda = deploy && step.technique == Technique::DirectDeviceAssignment;
  const bool gpuPv = deploy && step.technique == Technique::ParaVirtualization;
  const VmSnapshot* first = vmAt(original, step.vm);
  const VmConfig& restored = first != nullptr ? first->config : before.config;
  const VmConfig& a = before.config;
  const VmConfig& b = after.config;
  const auto& name = step.vm;

  if (a.name != b.name) {
    out.push_back({"vm-settings", vmSubject(name, "name"), a.name, b.name});
  }
  const StopAction stopTarget = deploy ? StopAction::TurnOff : restored.automaticStopAction;
  if (b.automaticStopAction != a.automaticStopAction && b.automaticStopAction != stopTarget) {
    out.push_back({"vm-settings", vmSubject(name, "automatic stop action"),
                   std::string{platform::toString(a.automaticStopAction)},
                   std::string{platform::toString(b.automaticStopAction)}});
  }
  const bool mmioOk =
      deploy ? deployMmio(a.mmio, b.mmio) : b.mmio == a.mmio || b.mmio == restored.mmio;
  if (!mmioOk) {
    auto [was, is] = mmioTexts(a.mmio, b.mmio);
    out.push_back({"vm-settings", vmSubject(name, "MMIO"), std::move(was), std::move(is)});
  }
  const bool cacheTarget = deploy ? true : restored.guestControlledCacheTypes;
  if (b.guestControlledCacheTypes != a.guestControlledCacheTypes &&
      b.guestControlledCacheTypes != cacheTarget) {
    out.push_back({"vm-settings", vmSubject(name, "guest-controlled cache types"),
                   flagText(a.guestControlledCacheTypes), flagText(b.guestControlledCacheTypes)});
  }

  std::vector<LocationPath> added;
  bool assignedOk = false;
  if (dda) {
    // Only the requested GPUs may join, each once.
    assignedOk = growsFrom(before.assigned, after.assigned, added) &&
                 std::all_of(added.begin(), added.end(), [&](const LocationPath& location) {
                   return std::count(step.gpus.begin(), step.gpus.end(), location) > 0 &&
                          std::count(added.begin(), added.end(), location) == 1;
                 });
  } else if (deploy) {
    assignedOk = sameEntries(before.assigned, after.assigned);
  } else {
    assignedOk = growsFrom(after.assigned, before.assigned, added);
  }
  if (!assignedOk) {
    out.push_back({"gpu-misplaced", vmSubject(name, "assigned devices"), listText(before.assigned),
                   listText(after.assigned)});
  }

  std::vector<std::string> extra;
  bool adaptersOk = false;
  if (gpuPv) {
    adaptersOk = growsFrom(before.adapterGpus, after.adapterGpus, extra) && extra.size() <= 1;
  } else if (deploy) {
    adaptersOk = sameEntries(before.adapterGpus, after.adapterGpus);
  } else {
    adaptersOk = sameEntries(before.adapterGpus, after.adapterGpus) || after.adapterGpus.empty();
  }
  if (!adaptersOk) {
    out.push_back({"vm-settings", vmSubject(name, "partition adapters"),
                   listText(before.adapterGpus), listText(after.adapterGpus)});
  }
}

void checkDone(std::vector<Violation>& out, const HostState& original, const HostState& before,
               const HostState& after, const StepRecord& step) {
  checkDoneGpus(out, before, after, step);
  // Other VMs keep everything but their run state, which no step's invariant covers.
  const VmComparison others{"vm-settings", "gpu-misplaced", false};
  for (const auto& name : vmNames(before, after)) {
    const VmSnapshot* was = vmAt(before, name);
    const VmSnapshot* is = vmAt(after, name);
    if (name == step.vm && was != nullptr && is != nullptr) {
      checkDoneVm(out, original, *was, *is, step);
    } else {
      compareVmAt(out, others, name, before, after);
    }
  }
}

std::string_view exactInvariant(StepRecord::Ending ending) {
  switch (ending) {
  case StepRecord::Ending::Rejected:
    return "rejected-changed-host";
  case StepRecord::Ending::Unchanged:
    return "not-idempotent";
  case StepRecord::Ending::RolledBack:
    return "not-rolled-back";
  case StepRecord::Ending::Done:
    break;
  }
  return {};
}

void checkCleanVm(std::vector<Violation>& out, const VmName& name, const VmSnapshot* original,
                  const VmSnapshot& after) {
  const VmConfig& b = after.config;
  if (original != nullptr) {
    const VmConfig& a = original->config;
    if (b.automaticStopAction != a.automaticStopAction &&
        b.automaticStopAction != StopAction::TurnOff) {
      out.push_back({"not-clean", vmSubject(name, "automatic stop action"),
                     std::string{platform::toString(a.automaticStopAction)},
                     std::string{platform::toString(b.automaticStopAction)}});
    }
    if (!deployMmio(a.mmio, b.mmio)) {
      auto [was, is] = mmioTexts(a.mmio, b.mmio);
      out.push_back({"not-clean", vmSubject(name, "MMIO"), std::move(was), std::move(is)});
    }
    if (b.guestControlledCacheTypes != a.guestControlledCacheTypes &&
        !b.guestControlledCacheTypes) {
      out.push_back({"not-clean", vmSubject(name, "guest-controlled cache types"),
                     flagText(a.guestControlledCacheTypes), flagText(b.guestControlledCacheTypes)});
    }
  }
  if (!after.assigned.empty()) {
    out.push_back({"not-clean", vmSubject(name, "assigned devices"),
                   original != nullptr ? listText(original->assigned) : std::string{},
                   listText(after.assigned)});
  }
  if (!after.adapterGpus.empty()) {
    out.push_back({"not-clean", vmSubject(name, "partition adapters"),
                   original != nullptr ? listText(original->adapterGpus) : std::string{},
                   listText(after.adapterGpus)});
  }
}

} // namespace

std::string Violation::describe() const {
  if (before.empty()) {
    return fmt::format("{}: {}: after {}", invariant, subject, after);
  }
  return fmt::format("{}: {}: before {}; after {}", invariant, subject, before, after);
}

std::vector<Violation> checkHost(const HostState& state) { return hostViolations(state, nullptr); }

std::vector<Violation> checkStep(const HostState& original, const HostState& before,
                                 const HostState& after, const StepRecord& step) {
  auto out = hostViolations(after, &before);
  if (step.ending == StepRecord::Ending::Done) {
    checkDone(out, original, before, after, step);
  } else {
    compareExactly(out, std::string{exactInvariant(step.ending)}, before, after);
  }
  return out;
}

std::vector<Violation> checkClean(const HostState& original, const HostState& after) {
  auto out = hostViolations(after, &original);
  for (const auto& gpu : original.gpus) {
    if (after.gpuAt(gpu.location) == nullptr) {
      out.push_back({"not-clean", gpuSubject(gpu), gpu.describe(), std::string{kAbsentGpu}});
    }
  }
  for (const auto& gpu : after.gpus) {
    const GpuPlacement* was = original.gpuAt(gpu.location);
    const bool enabled = was != nullptr ? was->enabled : true;
    if (!gpu.onHost || gpu.assignedTo || gpu.enabled != enabled) {
      out.push_back({"not-clean", gpuSubject(gpu),
                     was != nullptr ? was->describe() : std::string{kAbsentGpu}, gpu.describe()});
    }
  }
  for (const auto& name : vmNames(original, after)) {
    const VmSnapshot* is = vmAt(after, name);
    if (is == nullptr) {
      out.push_back(
          {"not-clean", vmSubject(name, ""), std::string{kPresentVm}, std::string{kAbsentVm}});
    } else {
      checkCleanVm(out, name, vmAt(original, name), *is);
    }
  }
  return out;
}

} // namespace hil::flows
