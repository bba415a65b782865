# Python calls for tests/e2e/python-calls.sh, counted through CPython's USDT
# markers. The run waits until proftop has raised the semaphore SEM (the
# last it raises), so every call is probed:
#   pycalls.py calls N SEM LOAD0 [K]  (waits for SEM >= K, default 1: each
#                                  probed function raises it once)
#                                  f N times, rec 10 x 200 deep (2000 calls),
#                                  g 3000 + 4000 times from two threads
#   pycalls.py nap K SEM LOAD0     nap() sleeps 30 ms, K times
#   pycalls.py loop 0 SEM LOAD0    f forever (no wait)
# SEM: the semaphore's ELF address (readelf -n); LOAD0: the executable's
# first PT_LOAD address, to find where it is loaded (PIE or not).
import os
import sys
import threading
import time


def f(x):
    return x + 1


def rec(n):
    return 0 if n == 0 else rec(n - 1) + 1


def g(x):
    return x * 2


def worker(k):
    for i in range(k):
        g(i)


def nap():
    time.sleep(0.03)


def semaphore_address(sem, load0):
    exe = os.path.realpath(sys.executable)
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split()
            if len(fields) >= 6 and fields[5] == exe and int(fields[2], 16) == 0:
                return sem + int(fields[0].split("-")[0], 16) - load0
    raise SystemExit("cannot find %s in /proc/self/maps" % exe)


def semaphore(addr):
    with open("/proc/self/mem", "rb") as mem:
        mem.seek(addr)
        return int.from_bytes(mem.read(2), "little")


def wait_raised(addr, need):
    for _ in range(6000):  # 60 s
        if semaphore(addr) >= need:
            return
        time.sleep(0.01)
    raise SystemExit("the semaphore was never raised")


def main():
    mode, n = sys.argv[1], int(sys.argv[2])
    addr = semaphore_address(int(sys.argv[3], 0), int(sys.argv[4], 0))
    if mode == "loop":
        print("pid %d" % os.getpid(), flush=True)
        while True:
            for i in range(1000):
                f(i)
            time.sleep(0.001)
    wait_raised(addr, int(sys.argv[5]) if len(sys.argv) > 5 else 1)
    if mode == "nap":
        for _ in range(n):
            t0 = time.monotonic()
            nap()
            print("nap took %.6f" % (time.monotonic() - t0))
        return
    for i in range(n):
        f(i)
    for _ in range(10):
        rec(199)
    threads = [threading.Thread(target=worker, args=(k,)) for k in (3000, 4000)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("done", flush=True)


main()
