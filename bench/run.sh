#!/usr/bin/env bash
# The performance suite, one command: installs wrk when missing, builds the release
# binaries, runs the load benchmark (Endring against its baselines, alternated) and the
# latency benchmark (10,000, 100,000 and 1,000,000 changes), the criterion microbenchmarks of the
# domain (bench/domain.rs), and writes bench/RESULTS.md with this
# run above the previous one.
#
#   bash bench/run.sh                      # the whole suite (about 12 minutes on 2 cores)
#   ENDRING_LOAD_SECONDS=4 ENDRING_BENCH_CHANGES=20000 ENDRING_BENCH_EVENTS=200000 bash bench/run.sh
#
# Knobs: ENDRING_LOAD_CHANGES, ENDRING_LOAD_WAITING, ENDRING_LOAD_ROUNDS, ENDRING_LOAD_SECONDS
# (bench/load.rs); ENDRING_BENCH_CHANGES, ENDRING_BENCH_EVENTS, ENDRING_BENCH_PG_URL
# (bench/api.rs). BENCH_SKIP_LATENCY=1 runs the load part alone.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null; then
    echo "== installing wrk (Debian's package)"
    if [ "$(id -u)" = 0 ]; then apt-get install -y -q wrk >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; }
    else sudo apt-get install -y -q wrk >/dev/null; fi
fi

started=$(date +%s)
echo "== cargo bench --bench load (release)"
cargo bench --bench load
if [ "${BENCH_SKIP_LATENCY:-}" != 1 ]; then
    echo "== cargo bench --bench api (release)"
    cargo bench --bench api
fi
echo "== cargo bench --bench domain (criterion, release)"
mkdir -p bench/results
cargo bench --bench domain -- --quick | tee bench/results/domain.txt
# criterion prints each benchmark's name, then `time: [low estimate high]`.
awk 'BEGIN { print "| microbenchmark | time (criterion estimate, its 95 % interval) |"; print "|---|---|" }
     /time:/ && name != "" { sub(/^ *time: *\[/, ""); sub(/\]$/, ""); split($0, t, " ");
                             printf "| %s | %s %s (%s %s – %s %s) |\n", name, t[3], t[4], t[1], t[2], t[5], t[6]; name = ""; next }
     /^[a-z].*: / && !/^Benchmarking/ { name = $0 }' bench/results/domain.txt > bench/results/domain.md
took=$(( $(date +%s) - started ))

machine="$(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr), $(rustc --version)"
previous=""
if [ -f bench/RESULTS.md ]; then
    # Everything from the first heading on is kept below this run (earlier runs, notes).
    previous=$(awk '/^## /{n++} n>=1' bench/RESULTS.md)
fi
{
    cat <<'EOF'
# Benchmark results

Written by `bash bench/run.sh` (bench/README.md says what each part measures); the newest
run first. Every Endring figure sits next to its baseline from the same run.

EOF
    echo "## Run $(date -u '+%Y-%m-%d %H:%M UTC') — ${took} s"
    echo
    commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    git diff --quiet HEAD -- src bench Cargo.toml 2>/dev/null || commit="$commit with uncommitted changes"
    echo "Machine: ${machine}. Commit: ${commit}."
    echo
    echo "### Under load (bench/load.rs)"
    echo
    cat bench/results/load.md
    if [ "${BENCH_SKIP_LATENCY:-}" != 1 ]; then
        echo
        echo "### Latency at scale (bench/api.rs)"
        echo
        sed '1,/^$/d' bench/results/latest.md | sed 's/^## /#### /'
    fi
    echo
    echo "### The domain and the policy (bench/domain.rs, criterion)"
    echo
    cat bench/results/domain.md
    if [ -n "$previous" ]; then
        echo
        echo "$previous"
    fi
} > bench/RESULTS.md.new
mv bench/RESULTS.md.new bench/RESULTS.md
echo "== bench/RESULTS.md written (${took} s)"
