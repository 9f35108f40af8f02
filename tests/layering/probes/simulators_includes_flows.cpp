// tests/layering: compiled with the include path of hil::simulators.
// The simulators do not see the flows they check, not even through the runner or the storage they
// link; expected: the include is not found.
#include "framework/flows/deployer.h"
