#include "real_hw/real_seams.h"

#include "real_hw/real_drivers.h"
#include "real_hw/real_eflow.h"
#include "real_hw/real_guest.h"
#include "real_hw/real_host_os.h"
#include "real_hw/real_hyperv.h"
#include "real_hw/real_pnp.h"
#include "real_hw/real_runner.h"

namespace hil::real_hw {

struct RealSeams::Impl {
  Impl(ShellSession& shell, RealOptions options)
      : runner(shell, options.deadline), host(runner), pnp(runner), hyperv(runner), drivers(runner),
        guest(runner), eflow(runner, std::move(options.vm)) {}

  RealRunner runner;
  RealHostOs host;
  RealPnp pnp;
  RealHyperV hyperv;
  RealDrivers drivers;
  RealGuest guest;
  RealEflow eflow;
};

RealSeams::RealSeams(ShellSession& shell, RealOptions options)
    : impl_(std::make_unique<Impl>(shell, std::move(options))) {}

RealSeams::~RealSeams() = default;

platform::Platform RealSeams::platform() {
  return {impl_->host, impl_->pnp, impl_->hyperv, impl_->drivers, impl_->guest};
}

platform::Eflow& RealSeams::eflow() { return impl_->eflow; }

} // namespace hil::real_hw
