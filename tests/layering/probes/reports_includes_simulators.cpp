// tests/layering: compiled with the include path of hil::reports.
// Reports read results, not simulated hosts; expected: the include is not found.
#include "simulators/sim_backend.h"
