#include "tests/contract/contract_host.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <stdlib.h>

#include <fmt/format.h>

#include "framework/data/rules.h"
#include "framework/flows/deployer.h"
#include "real_hw/real_seams.h"
#include "real_hw/rig.h"
#include "real_hw/standin_rig.h"
#include "real_hw/transcript.h"
#include "simulators/sim_backend.h"
#include "storage/state_dir.h"

namespace hil::contract {
namespace {

using namespace std::chrono_literals;

constexpr auto kDeadline = std::chrono::milliseconds{5min};
const platform::VmName kVm = "EFLOW";

scenario::HostSpec specOf(Machine machine) {
  scenario::HostSpec spec;
  scenario::GpuSpec gpu;
  if (machine == Machine::T4Server2019) {
    spec.edition = platform::Edition::Server;
    spec.build = {17763, 0};
    gpu.model = "tesla-t4";
  } else {
    spec.edition = platform::Edition::Professional;
    spec.build = {22631, 0};
    gpu.model = "geforce-rtx-3060";
    gpu.wslDriver = true;
  }
  spec.gpus.push_back(gpu);
  spec.vm.name = kVm;
  spec.vm.state = platform::VmState::Running;
  return spec;
}

std::string readAll(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// The simulator's own seams.
class SimContractHost final : public ContractHost {
public:
  explicit SimContractHost(Machine machine)
      : spec_(specOf(machine)), backend_(spec_, data::GpuCatalog::builtin(), 1),
        gpu_(*data::GpuCatalog::builtin().find(spec_.gpus.front().model)) {}
  platform::Platform platform() override { return backend_.platform(); }
  const data::GpuModel& gpu() const override { return gpu_; }
  platform::Edition edition() const override { return spec_.edition; }
  const platform::VmName& vm() const override { return kVm; }
  Result<void> finish(bool) override { return {}; }

private:
  scenario::HostSpec spec_;
  simulators::SimBackend backend_;
  const data::GpuModel& gpu_;
};

/// A folder of its own, removed with it.
class TemporaryFolder {
public:
  TemporaryFolder() {
    std::error_code ec;
    std::string pattern =
        (std::filesystem::temp_directory_path(ec) / "hil-contract-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) {
      path_ = pattern;
    }
  }
  ~TemporaryFolder() {
    std::error_code ec;
    if (!path_.empty()) {
      std::filesystem::remove_all(path_, ec);
    }
  }
  TemporaryFolder(const TemporaryFolder&) = delete;
  TemporaryFolder& operator=(const TemporaryFolder&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }

private:
  std::string path_;
};

/// The Real* seams over real PowerShell and the stand-in module (simulators/powershell), whose
/// host is the machine's; recording what they exchange when asked to.
class PowerShellHost final : public ContractHost {
public:
  PowerShellHost(Machine machine, const std::string& test, std::string path)
      : spec_(specOf(machine)),
        shell_(real_hw::openPersistentShell(real_hw::defaultStandInPowerShell(),
                                            real_hw::ShellDialect::PowerShell, marker())),
        standin_(*shell_, real_hw::StandIn{HIL_STANDIN_MODULE, HIL_STANDIN_HIL, state_.path()}),
        recorder_(standin_, transcript_),
        seams_(recording() ? static_cast<real_hw::ShellSession&>(recorder_) : standin_,
               real_hw::RealOptions{kDeadline, kVm}),
        gpu_(*data::GpuCatalog::builtin().find(spec_.gpus.front().model)), path_(std::move(path)),
        hostFile_((std::filesystem::path{HIL_CONTRACT_HOSTS_DIR} /
                   (machine == Machine::T4Server2019 ? "t4-server-2019.xml" : "geforce-win11.xml"))
                      .string()) {
    transcript_.scenario = test;
    transcript_.source = "documentation";
    transcript_.rig = "standin";
    transcript_.note =
        "Contract test " + test +
        ": recorded from real PowerShell " HIL_PWSH_VERSION_TEXT " and gpu-hil's stand-in module "
        "(simulators/powershell) over a simulated host, by HIL_RECORD_CONTRACT=1 "
        "build/tests/hyperv_contract_test; no Windows host was involved. To be replaced by a "
        "recording from a rig.";
  }

  /// The stand-in's host set up as the machine (tests/contract/hosts).
  Result<void> reset() {
    auto text = storage::readFileIfExists(hostFile_);
    if (!text || !*text) {
      return fail(ErrorCode::InvalidRequest, fmt::format("cannot read {}", hostFile_));
    }
    auto file =
        scenario::parseScenarioFile(std::move(**text), hostFile_, data::GpuCatalog::builtin());
    if (!file) {
      return fail(ErrorCode::InvalidRequest, toString(file.error()));
    }
    return real_hw::resetStandIn(standin_, kDeadline, file->scenarios.front(), 1, {},
                                 std::string{data::RulesProfile::kDefault});
  }

  platform::Platform platform() override { return seams_.platform(); }
  const data::GpuModel& gpu() const override { return gpu_; }
  platform::Edition edition() const override { return spec_.edition; }
  const platform::VmName& vm() const override { return kVm; }
  Result<void> finish(bool testFailed) override {
    if (!recording()) {
      return {};
    }
    if (testFailed) {
      return fail(ErrorCode::InvalidRequest, fmt::format("the test failed: {} not written", path_));
    }
    std::ofstream out{path_, std::ios::binary | std::ios::trunc};
    out << real_hw::formatTranscript(transcript_);
    if (!out) {
      return fail(ErrorCode::OperationFailed, fmt::format("cannot write {}", path_));
    }
    return {};
  }

private:
  static std::string marker() {
    std::random_device entropy;
    return fmt::format("__hil_{:08x}{:08x}", entropy(), entropy());
  }

  scenario::HostSpec spec_;
  TemporaryFolder state_;
  std::unique_ptr<real_hw::ShellSession> shell_;
  real_hw::StandInShell standin_;
  real_hw::Transcript transcript_;
  real_hw::RecordingShellSession recorder_;
  real_hw::RealSeams seams_;
  const data::GpuModel& gpu_;
  std::string path_;
  std::string hostFile_;
};

/// The Real* seams over a transcript the powershell backend recorded.
class ReplayHost final : public ContractHost {
public:
  ReplayHost(Machine machine, real_hw::Transcript transcript)
      : spec_(specOf(machine)), replay_(std::move(transcript)),
        seams_(replay_, real_hw::RealOptions{kDeadline, kVm}),
        gpu_(*data::GpuCatalog::builtin().find(spec_.gpus.front().model)) {}
  platform::Platform platform() override { return seams_.platform(); }
  const data::GpuModel& gpu() const override { return gpu_; }
  platform::Edition edition() const override { return spec_.edition; }
  const platform::VmName& vm() const override { return kVm; }
  Result<void> finish(bool) override {
    if (replay_.mismatch()) {
      return fail(ErrorCode::InvalidRequest, *replay_.mismatch());
    }
    if (replay_.leftover() > 0) {
      return fail(ErrorCode::InvalidRequest,
                  fmt::format("the test sent fewer commands than recorded ({} left over): "
                              "re-record with HIL_RECORD_CONTRACT=1",
                              replay_.leftover()));
    }
    return {};
  }

private:
  scenario::HostSpec spec_;
  real_hw::ReplayShellSession replay_;
  real_hw::RealSeams seams_;
  const data::GpuModel& gpu_;
};

/// A rig's own PowerShell.
class RigHost final : public ContractHost {
public:
  RigHost(const real_hw::Rig& rig, std::unique_ptr<real_hw::ShellSession> shell,
          const data::GpuModel& gpu)
      : shell_(std::move(shell)),
        seams_(*shell_, real_hw::RealOptions{std::chrono::seconds{rig.deadlineSeconds}, rig.vm}),
        gpu_(gpu), edition_(*rig.edition), vm_(rig.vm) {}
  platform::Platform platform() override { return seams_.platform(); }
  const data::GpuModel& gpu() const override { return gpu_; }
  platform::Edition edition() const override { return edition_; }
  const platform::VmName& vm() const override { return vm_; }
  Result<void> finish(bool testFailed) override {
    if (!testFailed) {
      return {};
    }
    // Best effort: a test that failed midway may have left the GPU dismounted, disabled or
    // assigned, or the VM off. Put the rig back the way the flows' teardown does.
    auto p = platform();
    Log log;
    const auto rules = *data::RulesProfile::builtin(data::RulesProfile::kDefault);
    flows::Deployer deployer{p, data::GpuCatalog::builtin(), rules, log};
    const auto outcome = deployer.teardown(vm_);
    if (auto devices = p.pnp.displayDevices()) {
      for (const auto& d : *devices) {
        if (d.pci == gpu_.pci && d.status == platform::DeviceStatus::Disabled) {
          (void)p.pnp.enableDevice(d.instanceId);
        }
      }
    }
    if (auto config = p.hyperv.vmConfig(vm_); config && config->state == platform::VmState::Off) {
      (void)p.hyperv.startVm(vm_);
    }
    return outcome.status;
  }

private:
  std::unique_ptr<real_hw::ShellSession> shell_;
  real_hw::RealSeams seams_;
  const data::GpuModel& gpu_;
  platform::Edition edition_;
  platform::VmName vm_;
};

/// The rig's GPU that can stand for the machine's: the same model for the T4 server, any
/// partitionable GeForce for the workstation.
const data::GpuModel* rigGpuFor(Machine machine, const real_hw::Rig& rig) {
  for (const auto& [id, count] : rig.gpus) {
    const auto* model = data::GpuCatalog::builtin().find(id);
    if (model == nullptr) {
      continue;
    }
    if (machine == Machine::T4Server2019 && id == "tesla-t4") {
      return model;
    }
    if (machine == Machine::GeForceWin11 && model->family == "geforce" && model->partitionable) {
      return model;
    }
  }
  return nullptr;
}

Result<Opened> openRig(Machine machine) {
  const char* file = std::getenv("HIL_RIG");
  if (file == nullptr || *file == '\0') {
    return Opened{nullptr, "set HIL_RIG=FILE (a rig file) to run the contract on a real host"};
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    return fail(ErrorCode::InvalidRequest, fmt::format("HIL_RIG={}: no such file", file));
  }
  auto rig = real_hw::parseRig(readAll(file), file, data::GpuCatalog::builtin());
  if (!rig) {
    return fail(ErrorCode::InvalidRequest, toString(rig.error()));
  }
  const auto* gpu = rigGpuFor(machine, *rig);
  const auto wanted =
      machine == Machine::T4Server2019
          ? std::vector{platform::Edition::Server}
          : std::vector{platform::Edition::Professional, platform::Edition::Enterprise};
  const bool edition =
      rig->edition && std::find(wanted.begin(), wanted.end(), *rig->edition) != wanted.end();
  if (gpu == nullptr || !edition) {
    return Opened{nullptr, fmt::format("rig {} is no {}", rig->name,
                                       machine == Machine::T4Server2019
                                           ? "Windows Server with a Tesla T4"
                                           : "Windows 11 Professional/Enterprise with a GeForce")};
  }
  // The frame marker only has to be unlikely in the output: a real host's session.
  std::random_device entropy;
  const auto marker = fmt::format("__hil_{:08x}{:08x}", entropy(), entropy());
  auto shell = real_hw::openPersistentShell(rig->shell, real_hw::ShellDialect::PowerShell, marker);
  return Opened{std::make_unique<RigHost>(*rig, std::move(shell), *gpu), ""};
}

} // namespace

bool recording() {
  const char* value = std::getenv("HIL_RECORD_CONTRACT");
  return value != nullptr && std::string_view{value} == "1";
}

Result<Opened> open(std::string_view backend, Machine machine, const std::string& test,
                    const std::string& transcripts) {
  const auto path = (std::filesystem::path{transcripts} / (test + ".xml")).string();
  if (backend == "sim") {
    return Opened{std::make_unique<SimContractHost>(machine), ""};
  }
  if (backend == "powershell") {
    auto host = std::make_unique<PowerShellHost>(machine, test, path);
    HIL_TRY(host->reset());
    return Opened{std::move(host), ""};
  }
  if (backend == "replay") {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
      return fail(ErrorCode::InvalidRequest,
                  fmt::format("no transcript {}: record it with HIL_RECORD_CONTRACT=1 "
                              "build/tests/hyperv_contract_test (see tests/contract/README.md)",
                              path));
    }
    auto transcript = real_hw::parseTranscript(readAll(path), path);
    if (!transcript) {
      return fail(ErrorCode::InvalidRequest, toString(transcript.error()));
    }
    return Opened{std::make_unique<ReplayHost>(machine, std::move(*transcript)), ""};
  }
  if (backend == "real") {
    return openRig(machine);
  }
  return fail(ErrorCode::InvalidRequest, fmt::format("no backend {}", backend));
}

} // namespace hil::contract
