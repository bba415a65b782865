// Three C++ functions without linkage names in DWARF, a third of the time
// each: two lambdas of main (inlined into drive<>'s clones) and a method of
// a class in an anonymous namespace (inlined into mix). Their rows must be
// three, named as the demangler names them:
//   main::{lambda(unsigned long)#1}::operator()(unsigned long) const
//   main::{lambda(unsigned long)#2}::operator()(unsigned long) const
//   (anonymous namespace)::Mixer::churn(unsigned long)
#include <cstdlib>

namespace {
struct Mixer {
	unsigned long state;
	inline unsigned long churn(unsigned long n)
	{
		for (unsigned long i = 0; i < n; i++)
			state = state * 6364136223846793005UL + (i ^ (state >> 7));
		return state;
	}
};
} // namespace

volatile unsigned long sink;

template <typename F> __attribute__((noinline)) unsigned long drive(F f, unsigned long n)
{
	return f(n);
}

__attribute__((noinline)) unsigned long mix(unsigned long n)
{
	Mixer m{sink};
	return m.churn(n);
}

int main(int argc, char **argv)
{
	unsigned long k = argc > 1 ? strtoul(argv[1], nullptr, 0) : 0;
	auto first = [k](unsigned long n) {
		unsigned long s = k;
		for (unsigned long i = 0; i < n; i++)
			s = s * 6364136223846793005UL + (i ^ (s >> 5));
		return s;
	};
	auto second = [k](unsigned long n) {
		unsigned long s = k;
		for (unsigned long i = 0; i < n; i++)
			s = s * 6364136223846793005UL + (i ^ (s >> 9));
		return s;
	};
	for (;;) {
		sink += drive(first, 1000000);
		sink += drive(second, 1000000);
		sink += mix(1000000);
	}
}
