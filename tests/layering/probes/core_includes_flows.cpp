// tests/layering: compiled with the include path of hil::core.
// A lower layer does not see a higher one; expected: the include is not found.
#include "framework/flows/deployer.h"
