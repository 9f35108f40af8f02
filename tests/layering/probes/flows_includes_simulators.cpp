// tests/layering: compiled with the include path of hil::flows.
// framework/ does not see the simulators; expected: the include is not found.
#include "simulators/sim_host.h"
