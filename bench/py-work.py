# A fixed amount of Python work (the bench's target): plain loops,
# recursion, a generator and zlib. Usage: py-work.py [SCALE]
import sys
import zlib

SCALE = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0


def plain(n):
    t = 0
    for i in range(n):
        t += i * i
    return t


def recurse(d, n):
    return plain(n) if d == 0 else recurse(d - 1, n)


def squares(n):
    for i in range(n):
        yield i * i


def generate(n):
    return sum(v for v in squares(n))


data = bytes(range(256)) * 1024
for _ in range(int(20 * SCALE)):
    plain(200000)
    recurse(30, 100000)
    generate(100000)
    zlib.compress(data, 9)
