# Python functions doing known shares of the CPU time, by construction:
# each spends its own thread-CPU budget (time.thread_time), so the shares
# are the budgets' (plain 30%, recursion 20%, generator 20%, zlib 15%, a
# second thread 15%) whatever the machine's speed.
# Usage: py-shares.py [SCALE]  (seconds of CPU time in all, default 2)
import sys
import threading
import time
import zlib

SCALE = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0


def plain(budget):
    end = time.thread_time() + budget
    total = 0
    while time.thread_time() < end:
        for i in range(2000):
            total += i * i  # the hot line of plain
    return total


def rec_leaf(n):
    t = 0
    for i in range(n):
        t += i
    return t


def recurse(depth, end):
    if depth == 0:
        t = 0
        while time.thread_time() < end:
            t += rec_leaf(2000)
        return t
    return recurse(depth - 1, end)


def squares(n):
    for i in range(n):
        yield i * i


def generate(budget):
    end = time.thread_time() + budget
    t = 0
    while time.thread_time() < end:
        for v in squares(2000):
            t += v
    return t


def compress(budget):
    end = time.thread_time() + budget
    data = bytes(range(256)) * 2048
    while time.thread_time() < end:
        zlib.compress(data, 9)


def side(budget):
    end = time.thread_time() + budget
    t = 0
    while time.thread_time() < end:
        for i in range(2000):
            t ^= i
    return t


worker = threading.Thread(target=side, args=(0.15 * SCALE,), name="side-worker")
worker.start()
for _ in range(5):
    plain(0.30 * SCALE / 5)
    recurse(30, time.thread_time() + 0.20 * SCALE / 5)
    generate(0.20 * SCALE / 5)
    compress(0.15 * SCALE / 5)
worker.join()
