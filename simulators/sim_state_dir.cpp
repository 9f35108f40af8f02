#include "simulators/sim_state_dir.h"

#include <filesystem>

#include <fmt/format.h>

#include "simulators/sim_state.h"
#include "storage/state_dir.h"

namespace hil::simulators {
namespace {

/// A SimBackend whose host is kept in a state folder.
class StateDirSimBackend : public SimBackend {
public:
  StateDirSimBackend(std::unique_ptr<SimHost> host, platform::VmName vm, std::string dir,
                     std::string note)
      : SimBackend(std::move(host), std::move(vm)), dir_(std::move(dir)), note_(std::move(note)) {}

  void setLog(Log* log) override {
    SimBackend::setLog(log);
    if (log != nullptr && !note_.empty()) {
      log->add(note_);
      note_.clear();
    }
  }

  Result<void> finish() override { return StateDirSimFactory::saveHost(dir_, host()); }

private:
  std::string dir_;
  std::string note_;
};

} // namespace

StateDirSimFactory::StateDirSimFactory(const data::GpuCatalog& catalog, std::string dir,
                                       std::function<void(const SimulatedCrash&)> died)
    : catalog_(catalog), dir_(std::move(dir)), died_(std::move(died)) {}

std::string StateDirSimFactory::hostFile(const std::string& dir) {
  return (std::filesystem::path{dir} / "host.xml").string();
}

Result<std::unique_ptr<SimHost>> StateDirSimFactory::loadHost(const std::string& dir,
                                                              const data::GpuCatalog& catalog,
                                                              std::uint64_t seed) {
  const auto path = hostFile(dir);
  auto text = storage::readFileIfExists(path);
  if (!text) {
    return std::unexpected(text.error());
  }
  if (!*text) {
    return std::unique_ptr<SimHost>{};
  }
  auto host = parseSimHost(std::move(**text), path, catalog, seed);
  if (!host) {
    std::string problems;
    for (const auto& d : host.error()) {
      problems += problems.empty() ? "" : "; ";
      problems += d.toString();
    }
    return fail(ErrorCode::InvalidRequest, fmt::format("damaged simulated host: {}", problems));
  }
  return std::move(*host);
}

Result<void> StateDirSimFactory::saveHost(const std::string& dir, const SimHost& host) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return fail(ErrorCode::OperationFailed, fmt::format("{}: {}", dir, ec.message()));
  }
  return storage::writeFileDurably(hostFile(dir), formatSimHost(host));
}

Result<std::unique_ptr<runner::Backend>>
StateDirSimFactory::create(const scenario::Scenario& scenario, std::uint64_t seed,
                           const std::vector<scenario::FaultSpec>& extraFaults) const {
  auto host = loadHost(dir_, catalog_, seed);
  if (!host) {
    return std::unexpected(host.error());
  }
  std::string note;
  if (*host) {
    note = fmt::format("state: the host kept in {} is used; this scenario's <host> is ignored "
                       "(its faults still apply)",
                       dir_);
  } else {
    *host = std::make_unique<SimHost>(scenario.host, catalog_, seed);
    HIL_TRY(saveHost(dir_, **host));
    note = fmt::format("state: a new host from this scenario's <host>, kept in {}", dir_);
  }
  (*host)->setFaults(combineFaults(extraFaults, scenario.host.faults));
  SimHost* raw = host->get();
  (*host)->setCrashHandler([this, raw](const SimulatedCrash& crash) {
    // The world outlives the process: the host keeps whatever the operation did.
    if (auto saved = saveHost(dir_, *raw); !saved) {
      fmt::print(stderr, "hil: could not keep the host at the crash: {}\n",
                 saved.error().describe());
    }
    if (died_) {
      died_(crash);
    }
  });
  return std::make_unique<StateDirSimBackend>(std::move(*host), scenario.host.vm.name, dir_,
                                              std::move(note));
}

} // namespace hil::simulators
