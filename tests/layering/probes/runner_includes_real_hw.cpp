// tests/layering: compiled with the include path of hil::runner.
// framework/ does not see the real backend; expected: the include is not found.
#include "real_hw/real_backend.h"
