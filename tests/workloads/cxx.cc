// C++ names: a method of a namespaced class and a function template, each
// doing half of the work, so proftop must show the demangled names
// "ns::Worker::spin(int)" (~50%) and "ns::crunch<unsigned long>(...)" (~50%).
#include <cstdio>

#include "workload.h"

volatile uint64_t workload_sink = 1;

namespace ns
{

class Worker
{
public:
	explicit Worker(uint64_t chunk) : chunk_(chunk) {}
	// rounds times chunk_ iterations of SPIN.
	__attribute__((noinline)) void spin(int rounds);

private:
	uint64_t chunk_;
};

void Worker::spin(int rounds)
{
	SPIN(rounds * chunk_);
}

template <typename T> __attribute__((noinline)) T crunch(T n)
{
	SPIN(n);
	return workload_sink;
}

} // namespace ns

#define ROUNDS 200
#define CHUNK (1000 * SPIN_PER_UNIT / ROUNDS / 2) // iterations per half

int main(int argc, char **argv)
{
	double scale = workload_scale(argc, argv);
	uint64_t n = (uint64_t)(CHUNK * scale);
	ns::Worker w(n);
	uint64_t acc = 0;
	for (int r = 0; r < ROUNDS; r++) {
		w.spin(1);
		acc += ns::crunch<unsigned long>(n);
	}
	std::printf("cxx: done, %016llx\n", (unsigned long long)acc);
	return 0;
}
