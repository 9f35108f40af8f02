// Deploys a Tesla T4 with passthrough auto on a simulated Windows Server host, with the flows
// and the simulators of an installed gpu-hil; prints what the flows chose and exits 0 when the
// deploy succeeded.
#include <cstdio>

#include "framework/core/log.h"
#include "framework/data/catalog.h"
#include "framework/data/rules.h"
#include "framework/flows/deployer.h"
#include "simulators/sim_backend.h"

int main() {
  using namespace hil;
  const auto& catalog = data::GpuCatalog::builtin();
  const auto rules = data::RulesProfile::builtin(data::RulesProfile::kDefault);
  if (!rules) {
    std::puts("no built-in rules profile");
    return 1;
  }
  scenario::HostSpec host;
  host.edition = platform::Edition::Server;
  host.build = {17763, 0};
  scenario::GpuSpec gpu;
  gpu.model = "tesla-t4";
  gpu.mitigationDriver = true;
  host.gpus.push_back(gpu);
  simulators::SimBackend sim{host, catalog, 1};

  Log log;
  flows::Deployer deployer{sim.platform(), catalog, *rules, log};
  flows::DeployRequest request;
  request.gpuName = "NVIDIA Tesla T4";
  const auto outcome = deployer.deploy(request);
  if (!outcome.status) {
    std::printf("deploy failed: %s\n", outcome.status.error().describe().c_str());
    return 1;
  }
  std::printf("deployed by %s, %zu GPU(s) assigned\n", outcome.method.value_or("None").c_str(),
              outcome.gpus.size());
  return 0;
}
