#include "real_hw/real_backend.h"

#include <filesystem>

#include <stdlib.h>

#include <fmt/format.h>

#include "framework/flows/deployer.h"
#include "framework/flows/eflow_configurator.h"
#include "real_hw/standin_rig.h"
#include "storage/state_dir.h"

namespace hil::real_hw {

RealBackend::RealBackend(ShellSession& shell, RealOptions options, RigMode mode, const Clock& clock,
                         std::function<Result<void>()> onFinish)
    : seams_(shell, options), options_(std::move(options)), mode_(mode), clock_(clock),
      onFinish_(std::move(onFinish)) {}

platform::HostState RealBackend::snapshot() {
  // Read through the query seams, as any backend can: present display devices, devices
  // dismounted and parked, and what the VM holds.
  platform::HostState state;
  auto p = platform();
  auto note = [&](const Error& error) {
    if (log_ != nullptr) {
      log_->add(fmt::format("host state: {}", error.describe()));
    }
  };
  if (auto devices = p.pnp.displayDevices()) {
    for (const auto& d : *devices) {
      auto location = p.pnp.locationPath(d.instanceId);
      if (!location) {
        note(location.error());
        continue;
      }
      state.gpus.push_back({*location, d.friendlyName, true,
                            d.status != platform::DeviceStatus::Disabled, std::nullopt});
    }
  } else {
    note(devices.error());
  }
  if (auto parked = p.hyperv.hostAssignableDevices()) {
    for (const auto& location : *parked) {
      state.gpus.push_back({location, location, false, false, std::nullopt});
    }
  } else {
    note(parked.error());
  }
  auto vm = p.hyperv.vmConfig(options_.vm);
  if (!vm) {
    note(vm.error());
    return state;
  }
  platform::VmSnapshot snap{*vm, {}, {}};
  if (auto assigned = p.hyperv.assignableDevices(options_.vm)) {
    for (const auto& d : *assigned) {
      snap.assigned.push_back(d.location);
      state.gpus.push_back({d.location, d.instanceId, false, false, options_.vm});
    }
  } else {
    note(assigned.error());
  }
  if (auto adapters = p.hyperv.gpuPartitionAdapters(options_.vm)) {
    for (const auto& a : *adapters) {
      snap.adapterGpus.push_back(a.instancePath);
    }
  } else {
    note(adapters.error());
  }
  state.vms.emplace(options_.vm, std::move(snap));
  return state;
}

Result<runner::Observation> RealBackend::observe(const platform::VmName& vm) {
  const auto state = snapshot();
  runner::Observation seen;
  if (const auto it = state.vms.find(vm); it != state.vms.end()) {
    if (!it->second.assigned.empty()) {
      seen.vmGpu = scenario::VmGpu::Dda;
    } else if (!it->second.adapterGpus.empty()) {
      seen.vmGpu = scenario::VmGpu::GpuPv;
    }
  }
  for (const auto& gpu : state.gpus) {
    if (!gpu.onHost) {
      seen.hostGpu = scenario::HostGpu::Dismounted;
    }
  }
  return seen;
}

std::unique_ptr<flows::Configurator> RealBackend::configurator(const data::GpuCatalog& catalog,
                                                               const data::RulesProfile& rules,
                                                               Log& log, flows::FlowStore* store) {
  if (mode_ == RigMode::Eflow) {
    return std::make_unique<flows::EflowConfigurator>(platform(), seams_.eflow(), catalog, rules,
                                                      log, store);
  }
  return std::make_unique<flows::Deployer>(platform(), catalog, rules, log, store);
}

RealBackendFactory::RealBackendFactory(Rig rig, std::unique_ptr<ShellSession> shell,
                                       const Clock& clock, std::string recordDir)
    : rig_(std::move(rig)), shell_(std::move(shell)), clock_(clock),
      recordDir_(std::move(recordDir)) {
  if (!rig_.standin) {
    return;
  }
  auto& standin = *rig_.standin;
  std::error_code ec;
  if (standin.hil.empty()) {
    standin.hil = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  }
  if (standin.state.empty()) {
    // A host of its own for this run, removed when the run ends.
    std::string pattern =
        (std::filesystem::temp_directory_path(ec) / "hil-standin-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) {
      temporaryState_ = standin.state = pattern;
    }
  }
  standinShell_ = std::make_unique<StandInShell>(*shell_, standin);
}

RealBackendFactory::~RealBackendFactory() {
  if (!temporaryState_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(temporaryState_, ec);
  }
}

namespace {

/// The session a recording run hands out: passes through, keeps the transcript, writes it.
class Recorder {
public:
  Recorder(ShellSession& shell, Transcript transcript, std::string path)
      : transcript_(std::move(transcript)), session_(shell, transcript_), path_(std::move(path)) {}
  ShellSession& session() { return session_; }
  Result<void> write() { return storage::writeFileDurably(path_, formatTranscript(transcript_)); }

private:
  Transcript transcript_;
  RecordingShellSession session_;
  std::string path_;
};

/// Owns what a backend borrows (a recorder or a replayed transcript) for the scenario's life.
template <class Owned, class Base = RealBackend> class Owning : public Base {
public:
  Owning(std::unique_ptr<Owned> owned, ShellSession& shell, RealOptions options, RigMode mode,
         const Clock& clock, std::function<Result<void>()> onFinish)
      : Base(shell, std::move(options), mode, clock, std::move(onFinish)),
        owned_(std::move(owned)) {}

private:
  std::unique_ptr<Owned> owned_;
};

} // namespace

Result<std::unique_ptr<runner::Backend>>
RealBackendFactory::create(const scenario::Scenario& scenario, std::uint64_t seed,
                           const std::vector<scenario::FaultSpec>& extraFaults) const {
  const bool standin = rig_.standin.has_value();
  if (!standin && (!extraFaults.empty() || !scenario.host.faults.empty())) {
    return fail(ErrorCode::InvalidRequest,
                "faults are injected on the simulator only; a real rig fails by itself");
  }
  RealOptions options;
  options.vm = rig_.vm;
  options.deadline = std::chrono::seconds(rig_.deadlineSeconds);
  ShellSession& shell = standin ? *standinShell_ : *shell_;
  if (standin) {
    // The stand-in's host is the scenario's own, faults and all; its VM is the scenario's.
    options.vm = scenario.host.vm.name;
    HIL_TRY(resetStandIn(shell, options.deadline, scenario, seed, extraFaults,
                         scenario.rules.empty() ? standinRules_ : scenario.rules));
  }
  if (recordDir_.empty()) {
    if (standin) {
      return std::make_unique<StandInBackend>(shell, options, rig_.mode, clock_);
    }
    return std::make_unique<RealBackend>(shell, options, rig_.mode, clock_);
  }
  Transcript transcript;
  transcript.scenario = scenario.name;
  transcript.source = standin ? "documentation" : "hardware";
  transcript.rig = rig_.name;
  transcript.note =
      standin
          ? fmt::format("Recorded from real PowerShell and gpu-hil's stand-in module (rig {}): "
                        "the cmdlets' documented signatures, answering in their documented output "
                        "shapes from a simulated host, by hil run --record; no Windows host was "
                        "involved.",
                        rig_.name)
          : fmt::format("Recorded on rig {} ({}) by hil run --record.", rig_.name, rig_.rigClass);
  auto recorder = std::make_unique<Recorder>(
      shell, std::move(transcript),
      (std::filesystem::path{recordDir_} / (scenario.name + ".xml")).string());
  auto* raw = recorder.get();
  // Recorded as a rig is: the host state read through the query cmdlets, which the transcript
  // keeps, so that the replay backend can answer them.
  return std::make_unique<Owning<Recorder>>(std::move(recorder), raw->session(), options, rig_.mode,
                                            clock_, [raw] { return raw->write(); });
}

std::unique_ptr<runner::Backend> RealBackendFactory::attach(const platform::VmName& vm) const {
  RealOptions options;
  options.vm = vm;
  options.deadline = std::chrono::seconds(rig_.deadlineSeconds);
  if (rig_.standin) {
    return std::make_unique<StandInBackend>(*standinShell_, options, rig_.mode, clock_);
  }
  return std::make_unique<RealBackend>(*shell_, options, rig_.mode, clock_);
}

std::string ReplayBackendFactory::transcriptPath(const scenario::Scenario& scenario) const {
  return (std::filesystem::path{dir_} / (scenario.name + ".xml")).string();
}

std::optional<std::string> ReplayBackendFactory::skipReason(const scenario::Scenario& s) const {
  std::error_code ec;
  if (!std::filesystem::exists(transcriptPath(s), ec)) {
    return fmt::format("skipped: no transcript {} to replay", transcriptPath(s));
  }
  return std::nullopt;
}

Result<std::unique_ptr<runner::Backend>>
ReplayBackendFactory::create(const scenario::Scenario& scenario, std::uint64_t /*seed*/,
                             const std::vector<scenario::FaultSpec>& extraFaults) const {
  if (!extraFaults.empty()) {
    return fail(ErrorCode::InvalidRequest, "faults are injected on the simulator only");
  }
  const auto path = transcriptPath(scenario);
  auto text = storage::readFileIfExists(path);
  if (!text) {
    return std::unexpected(text.error());
  }
  if (!*text) {
    return fail(ErrorCode::InvalidRequest, fmt::format("no transcript {}", path));
  }
  auto transcript = parseTranscript(std::move(**text), path);
  if (!transcript) {
    return fail(ErrorCode::InvalidRequest, toString(transcript.error()));
  }
  RealOptions options;
  auto replay = std::make_unique<ReplayShellSession>(std::move(*transcript));
  auto* raw = replay.get();
  return std::make_unique<Owning<ReplayShellSession>>(
      std::move(replay), *raw, options, RigMode::HyperV, clock_, [raw]() -> Result<void> {
        if (raw->mismatch()) {
          return fail(ErrorCode::InvalidRequest, *raw->mismatch());
        }
        if (raw->leftover() > 0) {
          return fail(ErrorCode::InvalidRequest,
                      fmt::format("the flow sent fewer commands than recorded ({} left over): "
                                  "the flow changed, re-record it",
                                  raw->leftover()));
        }
        return {};
      });
}

} // namespace hil::real_hw
