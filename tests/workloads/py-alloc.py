# Python functions that allocate known amounts (tests/e2e/alloc-python.sh):
#   make_big    100 bytearrays of 1 MiB each (1 MiB + 1 byte each, malloc'd)
#   make_small  7680 bytes objects of 4096 bytes (4129 bytes each with the
#               object's header, malloc'd: above pymalloc's 512)
# each into a list made at its final size, all kept until main returns,
# then freed. Every line of it runs with the GIL held, in one thread.
import sys


def make_big(n):
    keep = [None] * n
    for i in range(n):
        keep[i] = bytearray(1 << 20)  # the allocating line of make_big
    return keep


def make_small(n):
    keep = [None] * n
    for i in range(n):
        keep[i] = bytes(4096)  # the allocating line of make_small
    return keep


def main():
    big = make_big(100)
    small = make_small(7680)
    print("kept", len(big) + len(small))


main()
sys.stdout.flush()
