#!/bin/bash
# A launched shell script that runs two programs in sequence and one in the
# background: every process is followed through fork and exec, with either
# backend, and each program's hot function is charged to its own process
# (report --processes). The memory timeline sums the process tree.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
s=$(pt_workload shares)
t=$(pt_workload threads)
c=$(pt_workload cxx)
m=$(pt_workload memory)
PT_TIMEOUT=60
script="'$s' 0.5; '$t' 0.5 & '$c' 0.5; wait"

# row FILE COMMAND FIELD: FIELD (1 pid .. 8) of the process row of COMMAND.
row()
{
	awk -F, -v c="$2" -v f="$3" '$2 == c { print $f; exit }' "$1"
}

for b in perf ptrace; do
	out=$PT_WORK/$b.csv
	pt_proftop "$out" report --backend "$b" -F 499 --processes --format csv -- sh -c "$script"
	pt_eq "$b: exit status" "$PT_RC" 0
	if ! grep -q '^pid,command,threads,samples,cpu_s,pct,top_function' "$out"; then
		pt_fail "$b: expected the --processes CSV header; saw:"
		sed 's/^/#   /' "$out" "$out.err" | head -n 20
		continue
	fi
	pt_eq "$b: hottest function of the shares process" "$(row "$out" shares 7)" work_sixty
	pt_eq "$b: hottest function of the threads process" "$(row "$out" threads 7)" thread_a_work
	case $(row "$out" cxx 7) in
	*ns::Worker::spin* | *ns::crunch*) pt_ok "$b: hottest function of cxx: $(row "$out" cxx 7)" ;;
	*) pt_fail "$b: expected ns::Worker::spin or ns::crunch in cxx, saw '$(row "$out" cxx 7)'" ;;
	esac
	for p in shares threads cxx; do
		pt_near "$b: $p's share of the CPU" "$(row "$out" "$p" 6)" 33.3 7
	done
	# its two workers, and main if a sample caught it starting them
	pt_ge "$b: threads of the threads process" "$(row "$out" threads 3)" 2
	pt_le "$b: threads of the threads process" "$(row "$out" threads 3)" 3
	pids=$(awk -F, 'NR > 1 && $1 ~ /^[0-9]+$/ { print $1 }' "$out" | sort -u | wc -l)
	pt_ge "$b: processes with samples (shares, threads, cxx; sh if it was caught)" "$pids" 3
done

# The memory workload under a shell: the sum over the tree grows by ~200 MiB.
for b in perf ptrace; do
	pt_proftop "$PT_WORK/$b-mem.csv" report --backend "$b" --memory --format csv -- sh -c "'$m'"
	peak=$(awk -F, '$1 == "rss" { printf "%.0f", $3 / 1048576 }' "$PT_WORK/$b-mem.csv")
	pt_ge "$b: peak RSS of the process tree in MiB (the child's 200 MiB included)" "$peak" 150
done
pt_finish
