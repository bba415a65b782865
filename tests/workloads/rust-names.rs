// Two hot functions, half the time each (tests/e2e/rust-names.sh builds it
// with rustc, legacy and v0 mangling): a free function in a module and a
// trait method (whose legacy-mangled name has $LT$ / $u20$ escapes).
use std::hint::black_box;

mod hot {
    #[inline(never)]
    pub fn spin(n: u64) -> u64 {
        let mut s: u64 = 1;
        for i in 0..n {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(i ^ (s >> 7));
        }
        s
    }
}

trait Worker {
    fn work(&self, n: u64) -> u64;
}

struct Pair(u64);

impl Worker for Pair {
    #[inline(never)]
    fn work(&self, n: u64) -> u64 {
        let mut s: u64 = self.0;
        for i in 0..n {
            s = s.wrapping_mul(2862933555777941757).wrapping_add(i ^ (s >> 9));
        }
        s
    }
}

fn main() {
    let p = Pair(black_box(3));
    let mut sink: u64 = 0;
    loop {
        sink = sink.wrapping_add(hot::spin(black_box(1_000_000)));
        sink = sink.wrapping_add(p.work(black_box(1_000_000)));
        black_box(sink);
    }
}
