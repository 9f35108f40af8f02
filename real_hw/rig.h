#pragma once

#include <optional>
#include <string>
#include <vector>

#include "framework/core/diagnostic.h"
#include "framework/data/catalog.h"
#include "framework/platform/types.h"
#include "framework/scenario/scenario.h"

namespace hil::real_hw {

/// How gpu-hil configures the GPU on a rig.
enum class RigMode {
  HyperV, // our own DDA and GPU-PV flows drive the Hyper-V and PnP cmdlets
  Eflow,  // EFLOW's Set-EflowVM configures it; gpu-hil checks prerequisites and the result
};

/// A stand-in rig: a real PowerShell with gpu-hil's stand-in module (simulators/powershell)
/// instead of a Windows host. Its host is set up from each scenario's <host> (faults included),
/// so every scenario runs, as on the simulator, but through real PowerShell.
///   <standin module="../simulators/powershell/HilStandIn/HilStandIn.psd1" hil="..." state="..."/>
/// Relative paths are relative to the rig file's folder; the paths are the stand-in machine's
/// (the controller's own when the shell is local or reaches this machine).
struct StandIn {
  std::string module; // the module manifest, HilStandIn.psd1
  std::string hil;    // the hil that keeps the host (default: the one running)
  std::string state;  // the host's state folder (default: a new temporary folder per run)
};

/// A real rig (XML file): how to reach its host, its VM, and what it has.
///   <rig name="t4-lab-01" class="t4-server" mode="hyperv">
///     <shell><arg>ssh</arg><arg>-T</arg><arg>admin@t4-lab-01</arg><arg>pwsh</arg>...</shell>
///     <vm name="EFLOW"/>
///     <windows edition="server" build="17763"/>
///     <gpu model="tesla-t4" count="1"/>
///     <deadline seconds="300"/>
///   </rig>
struct Rig {
  std::string name;
  std::string rigClass; // what a certification policy names: t4-server, geforce-workstation
  RigMode mode = RigMode::HyperV;
  std::vector<std::string> shell; // argv of the long-lived PowerShell (default: powershell.exe)
  std::string vm = "EFLOW";
  std::optional<platform::Edition> edition;
  std::vector<std::pair<std::string, int>> gpus; // catalog id, count
  int deadlineSeconds = 300;
  std::optional<StandIn> standin;
  std::string file;
};

/// Parses a rig file strictly (file:line errors, GPU ids checked against the catalog).
[[nodiscard]] Parsed<Rig> parseRig(std::string text, std::string file,
                                   const data::GpuCatalog& catalog);

/// Why the rig cannot run the scenario ("needs tesla-t4 on server; rig t4-lab-01 has ..."), or
/// nothing when it can. A scenario without <rig> describes a simulated host only.
[[nodiscard]] std::optional<std::string> rigMismatch(const Rig& rig,
                                                     const scenario::Scenario& scenario);

/// The default shell on a Windows controller.
[[nodiscard]] std::vector<std::string> defaultPowerShell();

/// The default shell of a stand-in rig: the PowerShell 7 this build found (HIL_PWSH), reading
/// commands on its standard input.
[[nodiscard]] std::vector<std::string> defaultStandInPowerShell();

} // namespace hil::real_hw
