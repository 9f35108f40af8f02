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

} // namespace hil::real_hw
