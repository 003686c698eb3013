#!/usr/bin/env bash
# Profiles `endring serve` under each workload of the load benchmark: runs `cargo bench
# --bench load` (one round each) and, while wrk drives Endring with a workload, records
# the server with `perf` for four seconds. Then prints, for each workload, the functions
# that took the largest share of the CPU, counted with what they call.
#
#   bash bench/profile.sh                    # SQLite; call graphs of the server (perf --call-graph dwarf)
#   PROFILE_WIDE=1 bash bench/profile.sh     # the whole machine, flat (PostgreSQL's processes too)
#   ENDRING_BENCH_PG_URL=postgres://… PROFILE_WIDE=1 bash bench/profile.sh
#
# Writes bench/results/profile/<workload>.data (perf's files; open one with `perf report -i`)
# and bench/results/profile/summary.txt. The figures of a profiled run are not the
# benchmark's: perf costs the server a share of its time.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v perf >/dev/null || { echo "perf is needed (Debian: linux-perf)"; exit 1; }
out=bench/results/profile
rm -rf "$out" && mkdir -p "$out"
wide=${PROFILE_WIDE:-0}

watch() {
    local seen=""
    while true; do
        local wrk_pid; wrk_pid=$(pgrep -x wrk | head -1 || true)
        if [ -n "$wrk_pid" ]; then
            local args script port server key
            args=$(tr '\0' ' ' < "/proc/$wrk_pid/cmdline" 2>/dev/null || true)
            script=$(grep -o '\S*script.lua' <<< "$args" || true)
            port=$(awk '{print $NF}' <<< "$args"); port=${port##*:}; port=${port%%/*}
            # Only Endring's server: the baseline is another binary.
            server=$(pgrep -f "endring serve" | while read -r p; do
                grep -qa "ENDRING_BIND=127.0.0.1:$port" "/proc/$p/environ" 2>/dev/null && echo "$p"; done | head -1 || true)
            if [ -n "$server" ] && [ -f "$script" ]; then
                key=$(md5sum "$script" | cut -c1-8)
                if ! grep -q "$key" <<< "$seen"; then
                    seen="$seen $key"
                    # A name from the requests the script makes.
                    local name
                    name=$(grep -oE '"(GET|POST)", "[^"]*"|wrk.path = "[^"]*"' "$script" | tr -dc 'a-zA-Z/ \n' \
                        | sed 's#/api/v1##; s#[/ ]#_#g' | sort -u | tr '\n' '-' | cut -c1-60)
                    cp "$script" "$out/$key.lua"
                    sleep 1
                    if [ "$wide" = 1 ]; then
                        perf record -F 999 -a -o "$out/$key$name.data" -- sleep 4 >/dev/null 2>&1 || true
                    else
                        perf record -F 250 --call-graph dwarf,16384 -p "$server" -o "$out/$key$name.data" -- sleep 4 >/dev/null 2>&1 || true
                    fi
                fi
            fi
        fi
        sleep 0.1
    done
}

watch &
watcher=$!
trap 'kill $watcher 2>/dev/null || true' EXIT
ENDRING_LOAD_ROUNDS=1 cargo bench --bench load
kill $watcher 2>/dev/null || true

{
    for data in "$out"/*.data; do
        echo "== $(basename "$data" .data)"
        if [ "$wide" = 1 ]; then
            perf report -i "$data" --sort comm,dso --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' | sed -E 's/ {2,}/ /g' | head -12
        else
            perf report -i "$data" --children --sort symbol --stdio --no-call-graph 2>/dev/null \
                | grep -v '^#' | grep -v '^$' | sed -E 's/ {2,}/ /g; s/ - - *$//' | cut -c1-140 \
                | grep -E 'endring::|sqlite3Prepare|sqlite3_step|fsync' | head -30
        fi
    done
} | tee "$out/summary.txt"
