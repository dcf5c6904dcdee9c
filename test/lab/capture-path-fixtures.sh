#!/usr/bin/env bash
# Captures the path check's own fixtures (test/fixtures/{ping,tracepath,ip}/path-*) from the real lab, in the format
# of test/lab/capture-fixtures.sh (<case>.txt = stdout then stderr, <case>.cmd = command, host, date, exit, sizes,
# tool, note). The argv are exactly what shared/commands/network.ts pmtuProbe / tracepathNamed / ipRouteGet build.
#
#   flock /var/tmp/ferry-lab.lock bash test/lab/capture-path-fixtures.sh [GROUP...]   (root; the lab must be up)
#
# Groups: routed direct blackhole mismatch facts (default: all, in that order).
#
# It flushes hvA's route cache (so a frag-needed is seen, not a cached PMTU), sets hvB's eth0 to 1500 and turns a
# black hole on at sw-hvB for a few probes each; both are undone on exit whatever happens. Then write the
# expectations (npx tsx test/fixtures/write-expected.ts) and review them by hand.
set -euo pipefail
shopt -s inherit_errexit

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAB=(bash "$ROOT/test/lab/lab.sh")
FIX=$ROOT/test/fixtures
WORK=$(mktemp -d /tmp/ferry-capture-path.XXXXXX)
declare -A IP=([hvA]=10.77.0.11 [hvB]=10.77.0.12 [hvC]=10.77.1.13)

say() { printf 'capture-path: %s\n' "$*" >&2; }
cleanup() {
  "${LAB[@]}" blackhole off sw-hvB || true
  "${LAB[@]}" mtu hvB eth0 9000 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# capture HOST TOOL CASE NOTE -- CMD...
capture() {
  local h=$1 tool=$2 case=$3 note=$4 rc=0 date
  shift 4
  [[ $1 == -- ]] && shift
  date=$(date -u +%FT%T.%3NZ)
  "${LAB[@]}" hx "$h" env LC_ALL=C "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
  mkdir -p "$FIX/$tool"
  rm -f "$FIX/$tool/$case.expected.json"
  cat "$WORK/out" "$WORK/err" >"$FIX/$tool/$case.txt"
  local version
  case $1 in
    ip) version=$("${LAB[@]}" hx "$h" ip -V) ;;
    *) version=$("${LAB[@]}" hx "$h" "$1" -V | head -n1) ;;
  esac
  {
    printf 'command: %s\n' "$*"
    printf 'host: %s (%s), inside the lab host'"'"'s namespaces: lab.sh hx %s env LC_ALL=C <command>\n' "$h" "${IP[$h]}" "$h"
    printf 'date: %s\n' "$date"
    printf 'exit: %s\n' "$rc"
    printf 'stdout-bytes: %s\n' "$(stat -c %s "$WORK/out")"
    printf 'stderr-bytes: %s\n' "$(stat -c %s "$WORK/err")"
    printf 'tool: %s\n' "$version"
    printf 'file: %s.txt is stdout followed by stderr\n' "$case"
    printf 'note: %s\n' "$note"
  } >"$FIX/$tool/$case.cmd"
  say "kept $tool/$case (exit $rc)"
}

[[ $EUID -eq 0 ]] || { say "needs root (the lab does)"; exit 1; }
"${LAB[@]}" status >/dev/null 2>&1 || { say "the lab is not up"; exit 1; }

# hvA -> hvC across lab-rt (10.77.0.1), whose leg to hvC is 1500.
group_routed() {
"${LAB[@]}" hx hvA ip route flush cache
capture hvA ping path-probe-routed-frag-needed 'hvA (9000) to hvC across lab-rt, route cache flushed first: the router announces 1500' -- ping -n -M do -s 8972 -c 2 -i 0.05 -W 0.250 -- 10.77.1.13
capture hvA ping path-probe-routed-cached 'right after: the cached PMTU 1500 refuses 1501 locally' -- ping -n -M do -s 1473 -c 2 -i 0.05 -W 0.250 -- 10.77.1.13
capture hvA ping path-probe-routed-1500 'the largest size that passes to hvC' -- ping -n -M do -s 1472 -c 2 -i 0.05 -W 0.250 -- 10.77.1.13
capture hvA ping path-probe-ttl-exceeded 'TTL 1: lab-rt (hop 1) answers Time to live exceeded' -- ping -n -M do -s 1472 -c 2 -i 0.05 -W 0.250 -t 1 -- 10.77.1.13
capture hvA ip route-get-path-routed-cached 'after the probes: the learnt PMTU in metrics, via lab-rt' -- ip -j route get to 10.77.1.13
capture hvA tracepath path-named-routed-cached '-b names what /etc/hosts knows (hvC), ??? for lab-rt; starts at 1500 after the probes' -- tracepath -b -l 1500 -m 10 -- 10.77.1.13
"${LAB[@]}" hx hvA ip route flush cache
capture hvA tracepath path-named-routed 'route cache flushed first: the drop to 1500 at hop 2 (lab-rt answers), names with -b' -- tracepath -b -l 9000 -m 10 -- 10.77.1.13
}

# hvA <-> hvB on the 9000-byte segment, and their migration network.
group_direct() {
capture hvA ping path-probe-jumbo '9000 end to end on one L2' -- ping -n -M do -s 8972 -c 2 -i 0.05 -W 0.250 -- 10.77.0.12
capture hvA ping path-probe-small 'the reachability probe (84-byte packet)' -- ping -n -M do -s 56 -c 2 -i 0.05 -W 0.250 -- 10.77.0.12
capture hvA tracepath path-named-direct 'same L2; the name from hvA /etc/hosts' -- tracepath -b -l 9000 -m 10 -- 10.77.0.12
capture hvA ip route-get-path-migration 'toward hvB migration address (mig0, br1)' -- ip -j route get to 10.77.2.12
capture hvB ip route-get-path-back 'hvB back toward hvA' -- ip -j route get to 10.77.0.11
capture hvB ip addr-path-hvB 'every address of hvB: eth0 management, mig0 migration network' -- ip -j addr show
capture hvA ip link-path-hvA 'every link of hvA' -- ip -j -d link show
}

# A faithful black hole at hvB's switch port: frames over 1514 bytes vanish, no ICMP.
group_blackhole() {
"${LAB[@]}" blackhole on sw-hvB
capture hvA ping path-probe-blackhole-lost 'black hole at sw-hvB (L2 limit 1514): 9000 vanishes without frag-needed' -- ping -n -M do -s 8972 -c 2 -i 0.05 -W 0.250 -- 10.77.0.12
capture hvA ping path-probe-blackhole-1501 'black hole at sw-hvB: one byte over 1500 vanishes too' -- ping -n -M do -s 1473 -c 2 -i 0.05 -W 0.250 -- 10.77.0.12
capture hvA ping path-probe-blackhole-ttl1 'black hole at sw-hvB, TTL 1: hvB is hop 1, nothing answers' -- ping -n -M do -s 1473 -c 2 -i 0.05 -W 0.250 -t 1 -- 10.77.0.12
capture hvA tracepath path-named-blackhole-1500 'black hole at sw-hvB; started at the largest size that passed' -- tracepath -b -l 1500 -m 10 -- 10.77.0.12
"${LAB[@]}" blackhole off sw-hvB
}

# hvB's NIC at 1500 while hvA is 9000 on the same segment.
group_mismatch() {
"${LAB[@]}" mtu hvB eth0 1500
capture hvA ping path-probe-mismatch-lost 'hvB eth0 1500, hvA 9000: hvB drops the big frame silently' -- ping -n -M do -s 8972 -c 2 -i 0.05 -W 0.250 -- 10.77.0.12
capture hvB ip link-path-hvB-1500 'hvB links with eth0 at 1500' -- ip -j -d link show dev eth0
"${LAB[@]}" mtu hvB eth0 9000
}

# What each end's route and interfaces look like (read-only).
group_facts() {
  "${LAB[@]}" hx hvA ip route flush cache
  capture hvA ip route-get-path-hvC 'hvA toward hvC, route cache flushed first: via lab-rt, no learnt MTU' -- ip -j route get to 10.77.1.13
  capture hvB ip route-get-path-migration-back 'hvB back toward hvA migration address' -- ip -j route get to 10.77.2.11
  capture hvB ip link-path-hvB 'every link of hvB' -- ip -j -d link show
  capture hvC ip route-get-path-hvC-back 'hvC back toward hvA: via lab-rt 10.77.1.1' -- ip -j route get to 10.77.0.11
  capture hvC ip addr-path-hvC 'every address of hvC: eth0 only (no migration network)' -- ip -j addr show
  capture hvC ip link-path-hvC 'every link of hvC' -- ip -j -d link show
}

groups=("$@")
((${#groups[@]})) || groups=(routed direct blackhole mismatch facts)
for g in "${groups[@]}"; do "group_$g"; done
