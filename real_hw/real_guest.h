#pragma once

#include <string>
#include <vector>

#include "framework/platform/guest.h"
#include "real_hw/real_runner.h"

namespace hil::real_hw {

/// The EFLOW VM's Linux guest through EFLOW's Invoke-EflowVmCommand.
class RealGuest : public platform::Guest {
public:
  explicit RealGuest(RealRunner& runner) : runner_(runner) {}

  /// guest.run: Invoke-EflowVmCommand -command (argv quoted for bash) -ignoreError
  [[nodiscard]] Result<platform::GuestOutput> run(const std::vector<std::string>& argv) override;

private:
  RealRunner& runner_;
};

/// The bash command line Invoke-EflowVmCommand runs for argv: each argument a POSIX
/// single-quoted literal, then `; echo __hil_exit=$?` so that the exit status comes back.
[[nodiscard]] std::string guestCommandLine(const std::vector<std::string>& argv);

} // namespace hil::real_hw
