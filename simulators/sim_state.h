#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "framework/core/diagnostic.h"
#include "framework/data/catalog.h"
#include "simulators/sim_host.h"

namespace hil::simulators {

/// The simulated host as a file (XML, versioned: <gpu-hil-sim-host version="1">): Windows,
/// Hyper-V, every GPU (catalog id, ids, placement, drivers, BAR needs) and every VM (settings,
/// assigned devices, partition adapters). Faults, counters and the clock are not part of it:
/// they belong to a run, not to the host.
[[nodiscard]] std::string formatSimHost(const SimHost& host);

/// Reads it back strictly (file:line errors; unknown GPU ids are errors). The seed is the new
/// run's.
[[nodiscard]] Parsed<std::unique_ptr<SimHost>> parseSimHost(std::string text, std::string file,
                                                            const data::GpuCatalog& catalog,
                                                            std::uint64_t seed);

} // namespace hil::simulators
