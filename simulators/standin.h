#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "framework/core/error.h"
#include "framework/data/catalog.h"
#include "framework/scenario/scenario.h"

namespace hil::simulators {

/// The host behind the stand-in cmdlets (simulators/powershell/HilStandIn): one SimHost kept in
/// a state folder, changed one operation at a time by `hil standin call`, which the stand-in
/// cmdlets run. Every operation goes through the Sim* seams, so Hyper-V's rules and the
/// scenario's injected faults apply exactly as on the simulator; there is no second model of
/// Hyper-V. The folder holds DIR/host.xml (the host, as `hil run --state` keeps it),
/// DIR/standin.xml (what the run has counted: calls per operation, a pending crash, the fault
/// plan, the VM sizes Set-EflowVM set, the rules EFLOW applies) and DIR/eflow/flow-state.xml
/// (what the stand-in's EFLOW keeps between Set-EflowVM calls).
///
/// Replies are XML on stdout, for the module to turn into PowerShell objects and errors:
///   <reply status="ok"><object><p n="Name">EFLOW</p><p n="Data"><i>..</i></p></object></reply>
///   <reply status="error" code="device-busy" op="pnp.disable-device">message</reply>
///   <reply status="hang" op="..." occurrence="1">message</reply>     (the cmdlet never returns)
///   <reply status="crash" op="..." occurrence="1" when="before|after"/> (the controller dies)
class StandIn {
public:
  /// A new host from the scenario's <host>, with `faults` injected before the scenario's own.
  /// `rules` is the profile EFLOW's Set-EflowVM applies.
  [[nodiscard]] static Result<void> reset(const std::string& dir,
                                          const scenario::Scenario& scenario, std::uint64_t seed,
                                          const std::vector<scenario::FaultSpec>& faults,
                                          const std::string& rules,
                                          const data::GpuCatalog& catalog);

  /// Runs one operation (`hil standin ops` lists them) with its arguments; the reply XML. Bad
  /// arguments are a reply with code invalid-request; a missing or damaged folder too.
  [[nodiscard]] static std::string call(const std::string& dir, const std::string& operation,
                                        const std::map<std::string, std::string>& args,
                                        const data::GpuCatalog& catalog);

  /// The host as the invariants see it (platform::formatHostState), read without entering any
  /// operation: no fault fires and nothing is counted.
  [[nodiscard]] static Result<std::string> hostState(const std::string& dir,
                                                     const data::GpuCatalog& catalog);

  /// The operations `call` takes, each with its arguments (for `hil standin ops`).
  [[nodiscard]] static std::vector<std::string> operations();
};

} // namespace hil::simulators
