"""proftop's Python wall-clock workload (tests/e2e/python-wall*.sh).

Usage: py-waits.py SECONDS [gil]

The main thread alternates for about SECONDS: computing in crunch, sleeping
in snooze (time.sleep: clock_nanosleep) and reading a pipe in wait_pipe
(os.read: read) that a helper thread, asked through another pipe, writes
10 ms later (a wait in select or poll would count as idle, hidden by
default). It prints its native thread id and each phase's wall time, measured around the calls:
  py-waits: main TID
  py-waits: wall crunch C snooze S read P main M
With "gil", a second thread, named hasher, hashes a large buffer with
hashlib (which releases the GIL for buffers over 2 KiB) meanwhile, and the
main thread computes only: it prints
  py-waits: hasher TID
"""
import hashlib
import os
import sys
import threading
import time


def crunch(sec):
    end = time.monotonic() + sec
    total = 0
    while time.monotonic() < end:
        for i in range(2000):
            total += i * i  # the hot line of crunch
    return total


def snooze(sec):
    time.sleep(sec)  # the wait of snooze


def wait_pipe(ask, answer):
    os.write(ask, b"?")
    os.read(answer, 1)  # the wait of wait_pipe


def answerer(ask, answer, sec):
    while os.read(ask, 1) == b"?":
        time.sleep(sec)
        os.write(answer, b"!")


def hasher(stop):
    data = b"x" * (8 << 20)
    while not stop.is_set():
        hashlib.sha256(data).digest()  # the C call of hasher


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    gil = len(sys.argv) > 2 and sys.argv[2] == "gil"
    print("py-waits: main %d" % threading.get_native_id(), flush=True)
    if gil:
        stop = threading.Event()
        t = threading.Thread(target=hasher, args=(stop,), name="hasher")
        t.start()
        print("py-waits: hasher %d" % t.native_id, flush=True)
        crunch(seconds)
        stop.set()
        t.join()
        return
    ask_r, ask_w = os.pipe()
    answer_r, answer_w = os.pipe()
    helper = threading.Thread(target=answerer, args=(ask_r, answer_w, 0.02), name="answerer")
    helper.start()
    spent = {"crunch": 0.0, "snooze": 0.0, "read": 0.0}
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        t0 = time.monotonic()
        crunch(0.02)
        t1 = time.monotonic()
        snooze(0.03)
        t2 = time.monotonic()
        wait_pipe(ask_w, answer_r)
        t3 = time.monotonic()
        spent["crunch"] += t1 - t0
        spent["snooze"] += t2 - t1
        spent["read"] += t3 - t2
    elapsed = time.monotonic() - start
    os.write(ask_w, b".")
    helper.join()
    print("py-waits: wall crunch %.4f snooze %.4f read %.4f main %.4f"
          % (spent["crunch"], spent["snooze"], spent["read"], elapsed), flush=True)


main()
