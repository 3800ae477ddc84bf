// A fixture for the include-rule check (cmake/check_layers.cmake): codec/ may not include eval/,
// so checking this tree must fail.
#include "codec/codec.h"
#include "eval/mig.h"
