#pragma once

#include "framework/scenario/scenario.h"

namespace hil::test_hosts {

/// A host spec with one GPU, for tests that build hosts without a scenario file.
inline scenario::HostSpec hostWith(platform::Edition edition, platform::WindowsBuild build,
                                   scenario::GpuSpec gpu) {
  scenario::HostSpec spec;
  spec.edition = edition;
  spec.build = build;
  spec.gpus.push_back(std::move(gpu));
  return spec;
}

/// Windows Server 2019 with one Tesla T4.
inline scenario::HostSpec t4Server(bool mitigationDriver = false,
                                   platform::WindowsBuild build = {17763, 0}) {
  scenario::GpuSpec t4;
  t4.model = "tesla-t4";
  t4.mitigationDriver = mitigationDriver;
  return hostWith(platform::Edition::Server, build, t4);
}

/// Windows 11 Professional with one GeForce RTX 3060 and its WSL driver.
inline scenario::HostSpec geforceWorkstation() {
  scenario::GpuSpec gpu;
  gpu.model = "geforce-rtx-3060";
  gpu.wslDriver = true;
  return hostWith(platform::Edition::Professional, {22631, 0}, gpu);
}

} // namespace hil::test_hosts
