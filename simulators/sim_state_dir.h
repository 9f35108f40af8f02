#pragma once

#include <functional>
#include <string>

#include "framework/core/crash.h"
#include "framework/runner/backend.h"
#include "simulators/sim_backend.h"

namespace hil::simulators {

/// Simulated hosts that live in a state folder (`hil run --state DIR`): DIR/host.xml is created
/// from the first scenario's <host> and used as it is by later runs (the scenario's <host> is
/// then ignored, with a note in the log; its faults still apply). The host is saved when a
/// scenario ends and when a crash fault fires; then `died` runs (the command line exits there,
/// as a power loss would, leaving the journal for `hil recover`).
class StateDirSimFactory : public runner::BackendFactory {
public:
  StateDirSimFactory(const data::GpuCatalog& catalog, std::string dir,
                     std::function<void(const SimulatedCrash&)> died);
  std::string name() const override { return "sim"; }
  int maxJobs() const override { return 1; } // one host, kept in the folder
  Result<std::unique_ptr<runner::Backend>>
  create(const scenario::Scenario& scenario, std::uint64_t seed,
         const std::vector<scenario::FaultSpec>& extraFaults) const override;

  /// DIR/host.xml
  [[nodiscard]] static std::string hostFile(const std::string& dir);
  /// The host kept in DIR, or nullptr when there is none; a damaged file is an error.
  [[nodiscard]] static Result<std::unique_ptr<SimHost>>
  loadHost(const std::string& dir, const data::GpuCatalog& catalog, std::uint64_t seed);
  [[nodiscard]] static Result<void> saveHost(const std::string& dir, const SimHost& host);

private:
  const data::GpuCatalog& catalog_;
  std::string dir_;
  std::function<void(const SimulatedCrash&)> died_;
};

} // namespace hil::simulators
