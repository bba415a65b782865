#!/bin/bash
# speedscope JSON of a recorded session, read by a strict JSON parser and
# held to the invariants of speedscope's file format schema
# (https://www.speedscope.app/file-format-schema.json).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
. "$top_srcdir/tests/e2e/export-lib.sh"
ex_record

out=$PT_WORK/shares.speedscope.json
ex_export "$out" -f speedscope
# Prints "ok: ..." / "FAIL: ..." lines; exits 1 on any failure.
if python3 - "$out" "$EX_SAMPLES" "$EX_CPU_NS" <<'PY'; then
import json, sys

path, samples, cpu_ns = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
failed = False

def check(label, cond, seen=""):
    global failed
    if cond:
        print("ok: " + label)
    else:
        failed = True
        print("FAIL: %s (saw %s)" % (label, seen))

def no_dup_keys(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate key in %r" % keys)
    return dict(pairs)

def no_constants(name):
    raise ValueError("non-JSON constant " + name)

with open(path, encoding="utf-8", errors="strict") as f:
    doc = json.load(f, object_pairs_hook=no_dup_keys, parse_constant=no_constants)

num = lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
check("$schema", doc.get("$schema") == "https://www.speedscope.app/file-format-schema.json",
      doc.get("$schema"))
check("exporter names proftop", str(doc.get("exporter", "")).startswith("proftop "),
      doc.get("exporter"))
frames = doc["shared"]["frames"]
check("frames: a non-empty list", isinstance(frames, list) and frames, type(frames))
check("every frame has a string name, optional string file and numeric line",
      all(isinstance(fr, dict) and isinstance(fr.get("name"), str)
          and isinstance(fr.get("file", ""), str) and num(fr.get("line", 0)) for fr in frames))
names = [fr["name"] for fr in frames]
for fn in ("main", "run", "work_sixty", "work_thirty", "work_ten"):
    check("a frame named " + fn, fn in names)
profiles = doc["profiles"]
check("profiles: a non-empty list", isinstance(profiles, list) and profiles)
check("activeProfileIndex in range", 0 <= doc.get("activeProfileIndex", 0) < len(profiles),
      doc.get("activeProfileIndex"))
total_w = 0
nsamples = 0
for p in profiles:
    name = p.get("name")
    check("profile %s: sampled, in nanoseconds" % name,
          p.get("type") == "sampled" and p.get("unit") == "nanoseconds",
          (p.get("type"), p.get("unit")))
    check("profile %s: named 'comm (tid)'" % name,
          isinstance(name, str) and name.endswith(")") and " (" in name, name)
    s, w = p["samples"], p["weights"]
    check("profile %s: samples.length == weights.length" % name, len(s) == len(w),
          (len(s), len(w)))
    check("profile %s: every frame index in range" % name,
          all(isinstance(st, list) and st and
              all(isinstance(i, int) and 0 <= i < len(frames) for i in st) for st in s))
    check("profile %s: weights are positive numbers" % name, all(num(x) and x > 0 for x in w))
    check("profile %s: startValue <= endValue" % name,
          num(p["startValue"]) and num(p["endValue"]) and p["startValue"] <= p["endValue"])
    check("profile %s: sum of weights == endValue - startValue" % name,
          sum(w) == p["endValue"] - p["startValue"], (sum(w), p["endValue"] - p["startValue"]))
    total_w += sum(w)
    nsamples += len(s)
# Stacks are root first: the first frame of the workload's samples is the
# entry point, not a leaf.
check("stacks are root first (work_sixty is never a root)",
      all(names[st[0]] != "work_sixty" for p in profiles for st in p["samples"]))
check("the weights sum to the session's CPU time (±1 us)", abs(total_w - cpu_ns) <= 1000,
      (total_w, cpu_ns))
check("no more sample entries than samples", 0 < nsamples <= samples, (nsamples, samples))
sys.exit(1 if failed else 0)
PY
	pt_ok "speedscope file checked"
else
	pt_fail "the speedscope file breaks the format (see above)"
fi
pt_finish
