#include "config.h"

/* C++ functions for test-symbols: overloads in a namespace, so that the
 * mangled names differ and demangling must keep the parameter types. */

#include <cstdint>

namespace ns
{
__attribute__((noipa)) int fn(int x)
{
	return x * 5 + 1;
}

__attribute__((noipa)) int fn(double x)
{
	return static_cast<int>(x * 2.5) - 3;
}
} // namespace ns

extern "C" uintptr_t symbols_cxx_fn_int(void)
{
	return reinterpret_cast<uintptr_t>(static_cast<int (*)(int)>(&ns::fn));
}

extern "C" uintptr_t symbols_cxx_fn_double(void)
{
	return reinterpret_cast<uintptr_t>(static_cast<int (*)(double)>(&ns::fn));
}
