# Code that runs once and is gone before proftop reads its allocations:
# 20 modules made from source (as an import makes them), each defining
# fill_K and calling it at its top level to allocate 256 bytes objects of
# 4096 bytes (1 MiB), then dropped with its namespace. Their code objects
# are freed at once, and the next module's take their memory: proftop
# must name each allocation by the code that ran it then (tests/e2e/
# alloc-python-import.sh), not by what is at that address when it reads.
# Then half a second of work, so that proftop reads them late.
import time

SRC = """
def fill_%d():
    return [bytes(4096) for _ in range(256)]

held = len(fill_%d())
"""

for k in range(20):
    ns = {}
    exec(compile(SRC % (k, k), "gen_mod%d.py" % k, "exec"), ns)
    del ns

end = time.time() + 0.5
x = 0
while time.time() < end:
    x += 1
