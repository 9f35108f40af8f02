// tests/layering: compiled with the include path of hil::simulators.
// A simulator implements the runner's Backend; expected: it compiles.
#include "framework/runner/backend.h"
