#pragma once

#include <string>
#include <vector>

#include "framework/core/error.h"

namespace hil::platform {

struct GuestOutput {
  int exitCode = 0;
  std::string out;
  std::string err;
};

/// The EFLOW VM's Linux guest. Real backend: Invoke-EflowVmCommand.
class Guest {
public:
  virtual ~Guest() = default;
  /// guest.run: Invoke-EflowVmCommand; argv[0] is the program, no shell in between
  [[nodiscard]] virtual Result<GuestOutput> run(const std::vector<std::string>& argv) = 0;
};

} // namespace hil::platform
