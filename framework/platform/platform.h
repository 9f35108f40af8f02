#pragma once

#include "framework/platform/drivers.h"
#include "framework/platform/guest.h"
#include "framework/platform/host_os.h"
#include "framework/platform/hyperv.h"
#include "framework/platform/pnp.h"

namespace hil::platform {

/// Every seam a flow may use, borrowed from a backend that outlives the flow.
struct Platform {
  HostOs& host;
  Pnp& pnp;
  HyperV& hyperv;
  Drivers& drivers;
  Guest& guest;
};

} // namespace hil::platform
