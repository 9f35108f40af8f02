// tests/layering: compiled with the include path of hil::flows.
// framework/ does no I/O: it does not see storage/; expected: the include is not found.
#include "storage/state_dir.h"
