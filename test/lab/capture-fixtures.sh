#!/usr/bin/env bash
# Captures the parser fixtures in test/fixtures/<tool>/ from the real lab (test/lab/lab.sh; it must be up).
#
#   bash test/lab/capture-fixtures.sh [GROUP...]      (root; default: every group, in the order below)
#
# Groups: virsh-host virsh-domains net ping tracepath jobs-idle jobs-stall jobs-nonconv jobs-autoconverge
#         jobs-postcopy postcopy-split rootns inventory virsh-help
#
# For each case it writes
#   <case>.txt   what the command printed: stdout, then stderr, byte for byte (the parsers take exactly this)
#   <case>.cmd   the command line, host, date (UTC), exit status, stdout/stderr sizes, tool version, a note
# A re-captured case gets new numbers, so its old <case>.expected.json is deleted (the fixture test then fails until
# it is rewritten): write missing ones with `npx tsx test/fixtures/write-expected.ts` and review every value by hand
# against the .txt before committing.
#
# Every command runs inside a lab host's namespaces (lab.sh hx HOST env LC_ALL=C CMD...). The migration groups move
# vm1/vmd between hvA and hvB: each checks that no other job is running first, aborts its own migration within 40 s
# (a lab.sh watchdog is the safety net), turns any black hole / MTU change off again, and puts the guests back
# (migrate back, or lab.sh vm-reset). The lab is shared: keep runs short.
set -euo pipefail
shopt -s inherit_errexit

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAB=(bash "$ROOT/test/lab/lab.sh")
FIX=$ROOT/test/fixtures
WORK=$(mktemp -d /tmp/ferry-capture.XXXXXX)
declare -A IP=([hvA]=10.77.0.11 [hvB]=10.77.0.12 [hvC]=10.77.1.13)
VIRSH=(virsh --connect qemu:///system)
WATCHDOG=''
CLEANUPS=()

say() { printf 'capture: %s\n' "$*" >&2; }
die() {
  say "$*"
  exit 1
}

cleanup() {
  local c
  for c in "${CLEANUPS[@]}"; do eval "$c" || true; done
  [[ -n $WATCHDOG ]] && "${LAB[@]}" watchdog cancel "$WATCHDOG" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# ---- running and keeping --------------------------------------------------------------------------------------

# run HOST NAME CMD... -> $WORK/NAME.{out,err,rc,date,host,argv}
run() {
  local h=$1 n=$2
  shift 2
  date -u +%FT%T.%3NZ >"$WORK/$n.date"
  printf '%s\n' "$h" >"$WORK/$n.host"
  printf '%s\n' "$*" >"$WORK/$n.argv"
  local rc=0
  "${LAB[@]}" hx "$h" env LC_ALL=C "$@" >"$WORK/$n.out" 2>"$WORK/$n.err" || rc=$?
  printf '%s\n' "$rc" >"$WORK/$n.rc"
}

declare -A VERSION_CACHE=()
tool_version() { # HOST|root-ns PROGRAM
  local key="$1/$2" v
  if [[ -z ${VERSION_CACHE[$key]:-} ]]; then
    if [[ $1 == root-ns ]]; then
      case $2 in
        ethtool) v=$(ethtool --version) ;;
        *) v=unknown ;;
      esac
      VERSION_CACHE[$key]=$v
    fi
  fi
  if [[ -z ${VERSION_CACHE[$key]:-} ]]; then
    case $2 in
      virsh) v="virsh $("${LAB[@]}" hx "$1" virsh --version) (libvirtd $("${LAB[@]}" hx "$1" libvirtd --version | awk '{print $NF}'))" ;;
      ip) v=$("${LAB[@]}" hx "$1" ip -V) ;;
      ethtool) v=$("${LAB[@]}" hx "$1" ethtool --version) ;;
      ping | tracepath) v=$("${LAB[@]}" hx "$1" "$2" -V | head -n1) ;;
      sysctl) v=$("${LAB[@]}" hx "$1" sysctl --version) ;;
      *) v=unknown ;;
    esac
    VERSION_CACHE[$key]=$v
  fi
  printf '%s' "${VERSION_CACHE[$key]}"
}

# keep DIR NAME TOOL CASE NOTE: DIR/NAME.{out,err,rc,date,host,argv} -> test/fixtures/TOOL/CASE.{txt,cmd}
keep() {
  local dir=$1 n=$2 tool=$3 case=$4 note=$5 h argv
  h=$(<"$dir/$n.host")
  argv=$(<"$dir/$n.argv")
  mkdir -p "$FIX/$tool"
  if [[ -e $FIX/$tool/$case.expected.json ]]; then
    rm -f "$FIX/$tool/$case.expected.json"
    say "re-captured $tool/$case: its expected.json is gone, write and review it again"
  fi
  cat "$dir/$n.out" "$dir/$n.err" >"$FIX/$tool/$case.txt"
  {
    printf 'command: %s\n' "$argv"
    if [[ -e $dir/$n.via ]]; then
      printf 'host: %s\n' "$(<"$dir/$n.via")"
    elif [[ $h == root-ns ]]; then
      printf 'host: the development machine'"'"'s root network namespace (not a lab host)\n'
    else
      printf 'host: %s (%s), inside the lab host'"'"'s namespaces: lab.sh hx %s env LC_ALL=C <command>\n' "$h" "${IP[$h]}" "$h"
    fi
    printf 'date: %s\n' "$(<"$dir/$n.date")"
    printf 'exit: %s\n' "$(<"$dir/$n.rc")"
    printf 'stdout-bytes: %s\n' "$(stat -c %s "$dir/$n.out")"
    printf 'stderr-bytes: %s\n' "$(stat -c %s "$dir/$n.err")"
    printf 'tool: %s\n' "$(tool_version "$h" "${argv%% *}")"
    printf 'file: %s.txt is stdout followed by stderr\n' "$case"
    printf 'note: %s\n' "$note"
  } >"$FIX/$tool/$case.cmd"
  say "kept $tool/$case (exit $(<"$dir/$n.rc"))"
}

# capture HOST TOOL CASE NOTE -- CMD...
capture() {
  local h=$1 tool=$2 case=$3 note=$4
  shift 4
  [[ $1 == -- ]] && shift
  run "$h" "$tool-$case" "$@"
  keep "$WORK" "$tool-$case" "$tool" "$case" "$note"
}

# ---- lab state ------------------------------------------------------------------------------------------------

lab_up() { "${LAB[@]}" status >/dev/null 2>&1 || die "the lab is not up (bash test/lab/lab.sh up)"; }

where_is() { # VM -> the host where it runs, or nothing
  local h out
  for h in hvA hvB hvC; do
    # captured first: under pipefail, `virsh | grep -q` fails when grep exits early and virsh gets SIGPIPE
    out=$("${LAB[@]}" hx "$h" "${VIRSH[@]}" domstate "$1" 2>/dev/null || true)
    if [[ ${out%%$'\n'*} == running ]]; then
      printf '%s' "$h"
      return 0
    fi
  done
}

# Waits (up to 90 s) until VM runs on hvA with no job: another engineer's test may be using it.
wait_idle_on_hvA() {
  local vm=$1 deadline=$((SECONDS + 90)) out
  while ((SECONDS < deadline)); do
    if [[ $(where_is "$vm") == hvA ]]; then
      out=$("${LAB[@]}" hx hvA env LC_ALL=C "${VIRSH[@]}" domjobinfo --domain "$vm" 2>&1 || true)
      [[ $out =~ Job\ type:\ +None ]] && return 0
    fi
    sleep 2
  done
  die "$vm is not idle on hvA (someone else's test may be using it; run lab.sh vm-reset when the lab is free)"
}

# Runs inside a host: poll domjobinfo of VM into DIR every INTERVAL s until DIR/stop exists (at most 120 s);
# every 4th sample also --rawstats. File names: NNNN[-raw].{out,err,rc,date}.
POLLER='
dir=$1 vm=$2 interval=$3 i=0 end=$((SECONDS + 120))
while [[ ! -e $dir/stop ]] && ((SECONDS < end)); do
  n=$(printf %04d "$i")
  date -u +%FT%T.%3NZ >"$dir/$n.date"
  LC_ALL=C virsh --connect qemu:///system domjobinfo --domain "$vm" >"$dir/$n.out" 2>"$dir/$n.err"
  echo $? >"$dir/$n.rc"
  if ((i % 4 == 2)); then
    date -u +%FT%T.%3NZ >"$dir/$n-raw.date"
    LC_ALL=C virsh --connect qemu:///system domjobinfo --domain "$vm" --rawstats >"$dir/$n-raw.out" 2>"$dir/$n-raw.err"
    echo $? >"$dir/$n-raw.rc"
  fi
  i=$((i + 1))
  sleep "$interval"
done
'

# start_migration TAG HOST VM ARGS... : background virsh migrate on HOST plus a poller of HOST's domjobinfo.
start_migration() {
  local tag=$1 h=$2 vm=$3
  shift 3
  local dir=$WORK/$tag
  mkdir -p "$dir"
  "${LAB[@]}" hx "$h" bash -c "$POLLER" poller "$dir" "$vm" 0.25 &
  printf '%s\n' "$!" >"$dir/poller.pid"
  sleep 0.05
  # migrate.{out,err,date,host,argv} (+ .rc from finish_migration): keep() can make a fixture of its output.
  date -u +%FT%T.%3NZ >"$dir/migrate.date"
  printf '%s\n' "$h" >"$dir/migrate.host"
  printf '%s\n' "${VIRSH[*]} migrate $*" >"$dir/migrate.argv"
  "${LAB[@]}" hx "$h" env LC_ALL=C "${VIRSH[@]}" migrate "$@" >"$dir/migrate.out" 2>"$dir/migrate.err" &
  printf '%s\n' "$!" >"$dir/migrate.pid"
  date +%s.%N >"$dir/t0"
  WATCHDOG=$("${LAB[@]}" watchdog "$h" "$vm" 45 | tail -n1)
  say "$tag: migrating $vm from $h ($*), watchdog $WATCHDOG"
}

elapsed() { awk -v a="$(<"$WORK/$1/t0")" -v b="$(date +%s.%N)" 'BEGIN { printf "%d", b - a }'; }
migration_running() { kill -0 "$(<"$WORK/$1/migrate.pid")" 2>/dev/null; }

# finish_migration TAG: wait for virsh migrate to return, stop the poller and the watchdog.
finish_migration() {
  local tag=$1 dir=$WORK/$1 rc=0
  wait "$(<"$dir/migrate.pid")" || rc=$?
  printf '%s\n' "$rc" >"$dir/migrate.rc"
  touch "$dir/stop"
  wait "$(<"$dir/poller.pid")" || true
  if [[ -n $WATCHDOG ]]; then
    "${LAB[@]}" watchdog cancel "$WATCHDOG" >/dev/null 2>&1 || true
    WATCHDOG=''
  fi
  say "$tag: virsh migrate returned $rc after $(elapsed "$tag") s: $(cat "$dir/migrate.out" "$dir/migrate.err" | tr '\r\n' '  ' | tail -c 300)"
}

abort_job() { # HOST VM
  "${LAB[@]}" hx "$1" "${VIRSH[@]}" domjobabort --domain "$2" >/dev/null 2>&1 || true
}

# pick TAG TEST: the first poll sample (in time order) for which TEST NAME succeeds; TEST reads $WORK/TAG/NAME.out
pick() {
  local tag=$1 test=$2 f n
  for f in "$WORK/$tag"/[0-9][0-9][0-9][0-9]*.out; do
    [[ -e $f ]] || continue
    n=$(basename "$f" .out)
    if "$test" "$WORK/$tag/$n.out" "$WORK/$tag/$n.err"; then
      printf '%s' "$n"
      return 0
    fi
  done
  return 1
}
# pick_last TAG TEST: the last one
pick_last() {
  local tag=$1 test=$2 f n found=''
  for f in "$WORK/$tag"/[0-9][0-9][0-9][0-9]*.out; do
    [[ -e $f ]] || continue
    n=$(basename "$f" .out)
    "$test" "$WORK/$tag/$n.out" "$WORK/$tag/$n.err" && found=$n
  done
  [[ -n $found ]] && printf '%s' "$found"
}

# keep_sample TAG NAME HOST VM TOOLCASE NOTE: a poll sample becomes a fixture
keep_sample() {
  local tag=$1 n=$2 h=$3 vm=$4 case=$5 note=$6 raw=''
  [[ $n == *-raw ]] && raw=' --rawstats'
  printf '%s\n' "$h" >"$WORK/$tag/$n.host"
  printf '%s\n' "${VIRSH[*]} domjobinfo --domain $vm$raw" >"$WORK/$tag/$n.argv"
  keep "$WORK/$tag" "$n" virsh "$case" "$note (sample $n of a 0.25 s poll during: virsh migrate $(<"$WORK/$tag/args"))"
}

has() { grep -q "$1" "$2"; }
lacks() { ! grep -q "$1" "$2"; }
is_early() { has '^Job type: *Unbounded' "$1" && has '^Time elapsed:' "$1" && lacks '^Data processed:' "$1"; }
is_running_bw() { has '^Memory bandwidth:' "$1" && has '^Expected downtime:' "$1" && lacks '^Auto converge' "$1"; }
is_first_pass() { is_running_bw "$1" && has '^Iteration: *1 *$' "$1" && lacks '^Data remaining: *0.000 B' "$1"; }
is_raw_running() { has '^Job type: 2$' "$1" && has '^memory_bps: [1-9]' "$1"; }
is_not_running_err() { has 'domain is not running' "$2"; }
is_stalled() { has '^Job type: *Unbounded' "$1" && has '^Data processed:' "$1" && lacks '^Memory bandwidth:' "$1"; }
is_raw_stalled() { has '^Job type: 2$' "$1" && lacks '^memory_bps:' "$1" && has '^memory_processed: [1-9]' "$1"; }
is_nonconv() {
  has '^Expected downtime:' "$1" || return 1
  local it dt
  it=$(awk -F: '/^Iteration:/ { print $2 + 0 }' "$1")
  dt=$(awk -F: '/^Expected downtime:/ { print $2 + 0 }' "$1")
  ((${it:-0} >= 3 && ${dt:-0} > 1000)) && has '^Memory bandwidth:' "$1" && lacks '^Auto converge' "$1"
}
is_throttled() { has '^Auto converge throttle: *[1-9]' "$1" && has '^Memory bandwidth:' "$1"; }
is_postcopy() { has '^Postcopy requests: *[1-9]' "$1"; }
is_raw_postcopy() { has '^memory_postcopy_requests: [1-9]' "$1"; }

# ---- groups ---------------------------------------------------------------------------------------------------

group_virsh_host() {
  capture hvA virsh version 'libvirt 9.0.0 on QEMU 7.2 (TCG)' -- "${VIRSH[@]}" version
  capture hvA virsh nodeinfo '' -- "${VIRSH[@]}" nodeinfo
  capture hvA virsh capabilities-hvA 'host_uuid set per lab host in libvirtd.conf' -- "${VIRSH[@]}" capabilities
  capture hvA virsh list-all-hvA 'vm1 and vmd running on their home host' -- "${VIRSH[@]}" list --all
  capture hvB virsh list-all-empty 'hvB with no domains' -- "${VIRSH[@]}" list --all
  capture hvA virsh dominfo-running 'vm1, running (QEMU runs as root, hence the taint message)' -- "${VIRSH[@]}" dominfo --domain vm1
  capture hvA virsh dominfo-error-no-domain '' -- "${VIRSH[@]}" dominfo --domain nosuchvm
  capture hvA virsh domjobinfo-none 'vm1 idle' -- "${VIRSH[@]}" domjobinfo --domain vm1
  capture hvA virsh domjobinfo-none-raw 'vm1 idle' -- "${VIRSH[@]}" domjobinfo --domain vm1 --rawstats
  capture hvA virsh domjobinfo-error-no-domain '' -- "${VIRSH[@]}" domjobinfo --domain nosuchvm
}

# A throw-away domain on hvC (never one of the lab's guests) to show the states list/dominfo print.
FX=ferryfx
fx_xml() {
  cat <<XML
<domain type='qemu'>
  <name>$FX</name>
  <memory unit='MiB'>96</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>/var/tmp/ferry-lab/guest/vmlinuz</kernel>
    <initrd>/var/tmp/ferry-lab/guest/initrd.gz</initrd>
    <cmdline>console=ttyS0 panic=-1 dirty=0</cmdline>
  </os>
  <features><acpi/></features>
  <cpu mode='custom' match='exact'><model fallback='forbid'>qemu64</model></cpu>
  <on_poweroff>destroy</on_poweroff>
  <devices><emulator>/usr/bin/qemu-system-x86_64</emulator><memballoon model='none'/></devices>
</domain>
XML
}
fx_remove() {
  "${LAB[@]}" hx hvC "${VIRSH[@]}" destroy "$FX" >/dev/null 2>&1 || true
  "${LAB[@]}" hx hvC "${VIRSH[@]}" undefine "$FX" >/dev/null 2>&1 || true
}

group_virsh_domains() {
  fx_remove
  CLEANUPS+=(fx_remove)
  fx_xml >"$WORK/$FX.xml"
  "${LAB[@]}" hx hvC "${VIRSH[@]}" define "$WORK/$FX.xml" >/dev/null
  capture hvC virsh list-all-shut-off "$FX defined, never started" -- "${VIRSH[@]}" list --all
  capture hvC virsh dominfo-shut-off "$FX defined, never started" -- "${VIRSH[@]}" dominfo --domain "$FX"
  capture hvC virsh domjobinfo-error-not-running "$FX shut off" -- "${VIRSH[@]}" domjobinfo --domain "$FX"
  "${LAB[@]}" hx hvC "${VIRSH[@]}" start "$FX" >/dev/null
  "${LAB[@]}" hx hvC "${VIRSH[@]}" suspend "$FX" >/dev/null
  capture hvC virsh list-all-paused "$FX started then suspended" -- "${VIRSH[@]}" list --all
  capture hvC virsh dominfo-paused "$FX started then suspended" -- "${VIRSH[@]}" dominfo --domain "$FX"
  "${LAB[@]}" hx hvC "${VIRSH[@]}" resume "$FX" >/dev/null
  sleep 3
  # "in shutdown" lasts only while libvirt stops QEMU: list fast (in the host) while destroying.
  local dir=$WORK/fxpoll n
  mkdir -p "$dir"
  "${LAB[@]}" hx hvC bash -c '
    for i in $(seq 1000 1150); do
      date -u +%FT%T.%3NZ >"$1/$i.date"
      LC_ALL=C virsh --connect qemu:///system list --all >"$1/$i.out" 2>"$1/$i.err"
      echo $? >"$1/$i.rc"
    done' lister "$dir" &
  local lister=$!
  sleep 0.3
  "${LAB[@]}" hx hvC "${VIRSH[@]}" destroy "$FX" >/dev/null
  wait "$lister" || true
  n=$(grep -l 'in shutdown' "$dir"/*.out | head -n1 || true)
  if [[ -n $n ]]; then
    n=$(basename "$n" .out)
    echo hvC >"$dir/$n.host"
    echo "${VIRSH[*]} list --all" >"$dir/$n.argv"
    keep "$dir" "$n" virsh list-all-in-shutdown "$FX while virsh destroy stops it (listed in a tight loop)"
  else
    say "no list sample showed 'in shutdown'"
  fi
  fx_remove
}

group_net() {
  capture hvA ip link 'all links of hvA' -- ip -j link show
  capture hvA ip link-detail-eth0 'veth with -d (min/max mtu, kind)' -- ip -j -d link show dev eth0
  capture hvA ip addr 'all addresses of hvA' -- ip -j addr show
  capture hvA ip route-get-direct 'same L2 segment, no gateway' -- ip -j route get to 10.77.0.12
  "${LAB[@]}" hx hvA ip route flush cache
  "${LAB[@]}" hx hvA ping -n -M do -s 8972 -c 1 -W 1 10.77.1.13 >/dev/null 2>&1 || true
  capture hvA ip route-get-pmtu 'after a frag-needed from the router: cached mtu 1500 in metrics' -- ip -j route get to 10.77.1.13
  capture hvA ip route-get-error-unreachable 'no default route on a lab host' -- ip -j route get to 192.0.2.1
  capture hvA ip link-stats 'cumulative counters' -- ip -s -j link show
  capture hvA ip link-stats-eth0 '' -- ip -s -j link show dev eth0
  capture hvA ip link-error-no-device '' -- ip -j link show dev nosuch0
  capture hvA ethtool settings-veth 'veth' -- ethtool eth0
  capture hvA ethtool ring-veth-unsupported 'veth implements no ring query' -- ethtool -g eth0
  capture hvA ethtool features-veth '' -- ethtool -k eth0
  capture hvA ethtool driver-veth '' -- ethtool -i eth0
  capture hvA ethtool driver-error-no-device '' -- ethtool -i nosuch0
  capture hvA ethtool ring-error-no-device '' -- ethtool -g nosuch0
  capture hvA sysctl multi 'the socket-buffer keys Ferry checks' -- sysctl net.core.rmem_max net.core.wmem_max net.ipv4.tcp_rmem net.ipv4.tcp_wmem net.ipv4.tcp_mtu_probing
  capture hvA sysctl multi-missing-key 'one key does not exist' -- sysctl net.core.rmem_max net.ipv4.no_such_key net.ipv4.tcp_rmem
  capture hvA sysctl n-buffers 'values only, in the order asked' -- sysctl -n net.core.rmem_max net.core.wmem_max net.ipv4.tcp_rmem net.ipv4.tcp_wmem
}

group_ping() {
  capture hvA ping passed-jumbo '9000-byte packets between two 9000 hosts on one L2' -- ping -n -M do -s 8972 -c 2 -W 1 -- 10.77.0.12
  capture hvA ping passed-1500 '' -- ping -n -M do -s 1472 -c 2 -W 1 -- 10.77.1.13
  "${LAB[@]}" hx hvA ip route flush cache
  capture hvA ping frag-needed 'router 10.77.0.1 has a 1500 leg; route cache flushed first' -- ping -n -M do -s 8972 -c 2 -W 1 -- 10.77.1.13
  capture hvA ping too-big-cached-pmtu 'right after frag-needed: the cached PMTU refuses locally' -- ping -n -M do -s 8972 -c 2 -W 1 -- 10.77.1.13
  capture hvC ping too-big-local-mtu 'hvC eth0 is 1500' -- ping -n -M do -s 8972 -c 2 -W 1 -- 10.77.0.11
  CLEANUPS+=("${LAB[*]} mtu hvB eth0 9000")
  "${LAB[@]}" mtu hvB eth0 1500
  capture hvA ping lost-mtu-mismatch 'hvB eth0 set to 1500 while hvA is 9000 (silent drop)' -- ping -n -M do -s 8972 -c 2 -W 1 -- 10.77.0.12
  capture hvA tracepath too-many-hops 'hvB eth0 set to 1500 while hvA is 9000 (tracepath still exits 0)' -- tracepath -n -m 3 -- 10.77.0.12
  "${LAB[@]}" mtu hvB eth0 9000
  capture hvA ping lost-no-arp-yet 'nobody has 10.77.0.99; ARP gives up only after ~3 s, so 2 probes see silence' -- ping -n -M do -s 56 -c 2 -W 1 -- 10.77.0.99
  capture hvA ping unreachable-host 'nobody has 10.77.0.99 (ARP failed: the host itself answers unreachable)' -- ping -n -M do -s 56 -c 5 -W 2 -- 10.77.0.99
  capture hvA ping unreachable-no-route 'no route to 10.99.0.0/16 on a lab host' -- ping -n -M do -s 56 -c 2 -W 1 -- 10.99.0.1
  capture hvA ping unknown-host 'no resolver for this name' -- ping -n -M do -s 56 -c 1 -W 1 -- nosuch.invalid
}

group_tracepath() {
  "${LAB[@]}" hx hvA ip route flush cache
  capture hvA tracepath routed-pmtu-drop 'across the router to the 1500 leg; route cache flushed first' -- tracepath -n -m 10 -- 10.77.1.13
  capture hvA tracepath direct-jumbo 'same L2, 9000 end to end' -- tracepath -n -m 10 -- 10.77.0.12
  capture hvC tracepath from-hvC '1500 host back across the router' -- tracepath -n -m 10 -- 10.77.0.11
}

group_jobs_idle() {
  wait_idle_on_hvA vm1
  local tag=idle args="--live --p2p --persistent --undefinesource --bandwidth 20 vm1 qemu+ssh://10.77.0.12/system"
  mkdir -p "$WORK/$tag"
  printf '%s' "$args" >"$WORK/$tag/args"
  # shellcheck disable=SC2086
  start_migration "$tag" hvA vm1 $args
  sleep 1.5
  run hvB dest-during "${VIRSH[@]}" domjobinfo --domain vm1
  keep "$WORK" dest-during virsh domjobinfo-error-stats-on-destination "on hvB while hvA migrates vm1 to it ($args)"
  finish_migration "$tag"
  local n
  n=$(pick "$tag" is_early) && keep_sample "$tag" "$n" hvA vm1 domjobinfo-early-time-only 'job started, no data fields yet' ||
    say "no sample matched is_early for domjobinfo-early-time-only"
  n=$(pick_last "$tag" is_first_pass) && keep_sample "$tag" "$n" hvA vm1 domjobinfo-precopy-running 'pre-copy with --bandwidth 20, first pass over memory' ||
    say "no sample matched is_first_pass for domjobinfo-precopy-running"
  n=$(pick_last "$tag" is_running_bw) && keep_sample "$tag" "$n" hvA vm1 domjobinfo-precopy-last-iteration 'pre-copy with --bandwidth 20, last sample before the switch-over' ||
    say "no sample matched is_running_bw for domjobinfo-precopy-last-iteration"
  n=$(pick_last "$tag" is_raw_running) && keep_sample "$tag" "$n" hvA vm1 domjobinfo-precopy-running-raw 'pre-copy with --bandwidth 20' ||
    say "no sample matched is_raw_running for domjobinfo-precopy-running-raw"
  n=$(pick "$tag" is_not_running_err) && keep_sample "$tag" "$n" hvA vm1 domjobinfo-error-not-running-finishing 'source, at the switch-over' ||
    say "no sample matched is_not_running_err for domjobinfo-error-not-running-finishing"
  capture hvB virsh domjobinfo-completed-destination 'on the destination after the migration' -- "${VIRSH[@]}" domjobinfo --domain vm1 --completed --keep-completed
  capture hvB virsh domjobinfo-completed-destination-raw 'on the destination after the migration' -- "${VIRSH[@]}" domjobinfo --domain vm1 --completed --keep-completed --rawstats
  capture hvA virsh domjobinfo-completed-source-undefined 'source after --undefinesource (P7)' -- "${VIRSH[@]}" domjobinfo --domain vm1 --completed
  capture hvB virsh list-all-hvB-after-migration 'vm1 arrived' -- "${VIRSH[@]}" list --all
  # and back, unthrottled (the idle ~1 s case)
  local rc=0
  "${LAB[@]}" hx hvB "${VIRSH[@]}" migrate --live --p2p --persistent --undefinesource vm1 qemu+ssh://10.77.0.11/system || rc=$?
  ((rc == 0)) || die "vm1 did not migrate back to hvA (rc $rc): run lab.sh vm-reset"
  capture hvA virsh domjobinfo-completed-incoming 'on hvA after vm1 came back unthrottled (idle guest, ~1 s)' -- "${VIRSH[@]}" domjobinfo --domain vm1 --completed --keep-completed
  capture hvA virsh domjobinfo-completed-incoming-raw 'same job, --rawstats' -- "${VIRSH[@]}" domjobinfo --domain vm1 --completed --keep-completed --rawstats
  run hvA clear "${VIRSH[@]}" domjobinfo --domain vm1 --completed
  capture hvA virsh domjobinfo-completed-after-clear 'a --completed without --keep-completed cleared the stats just before (P7)' -- "${VIRSH[@]}" domjobinfo --domain vm1 --completed
}

group_jobs_stall() {
  wait_idle_on_hvA vm1
  local tag=stall args="--live --p2p vm1 qemu+ssh://10.77.0.12/system --migrateuri tcp://10.77.2.12"
  mkdir -p "$WORK/$tag"
  printf '%s' "$args" >"$WORK/$tag/args"
  CLEANUPS+=("${LAB[*]} blackhole off sw2-hvB")
  "${LAB[@]}" blackhole on sw2-hvB
  # shellcheck disable=SC2086
  start_migration "$tag" hvA vm1 $args
  while migration_running "$tag" && (($(elapsed "$tag") < 16)); do sleep 1; done
  abort_job hvA vm1
  finish_migration "$tag"
  "${LAB[@]}" blackhole off sw2-hvB
  local n
  n=$(pick_last "$tag" is_stalled) && keep_sample "$tag" "$n" hvA vm1 domjobinfo-stalled-no-bandwidth 'black hole on the migration network (lab.sh blackhole on sw2-hvB): stalled, so no Memory bandwidth line' ||
    say "no sample matched is_stalled for domjobinfo-stalled-no-bandwidth"
  n=$(pick_last "$tag" is_raw_stalled) && keep_sample "$tag" "$n" hvA vm1 domjobinfo-stalled-raw 'black hole on the migration network: stalled, memory_bps left out' ||
    say "no sample matched is_raw_stalled for domjobinfo-stalled-raw"
  capture hvA virsh domjobinfo-completed-after-abort 'after domjobabort of the stalled migration' -- "${VIRSH[@]}" domjobinfo --domain vm1 --completed --keep-completed
  [[ $(where_is vm1) == hvA ]] || die "vm1 is not running on hvA after the abort: run lab.sh vm-reset"
}

group_jobs_nonconv() {
  wait_idle_on_hvA vmd
  local tag=nonconv args="--live --p2p --persistent --undefinesource --bandwidth 5 vmd qemu+ssh://10.77.0.12/system"
  mkdir -p "$WORK/$tag"
  printf '%s' "$args" >"$WORK/$tag/args"
  # shellcheck disable=SC2086
  start_migration "$tag" hvA vmd $args
  while migration_running "$tag" && (($(elapsed "$tag") < 34)); do sleep 1; done
  abort_job hvA vmd
  finish_migration "$tag"
  local n
  n=$(pick_last "$tag" is_nonconv) && keep_sample "$tag" "$n" hvA vmd domjobinfo-precopy-not-converging 'vmd dirties ~5 MiB/s against a 5 MiB/s limit: expected downtime stays in seconds' ||
    say "no sample matched is_nonconv for domjobinfo-precopy-not-converging"
  capture hvA virsh domjobinfo-completed-after-abort-vmd 'after domjobabort of the non-converging migration' -- "${VIRSH[@]}" domjobinfo --domain vmd --completed --keep-completed
  [[ $(where_is vmd) == hvA ]] || die "vmd is not running on hvA after the abort: run lab.sh vm-reset"
}

group_jobs_autoconverge() {
  wait_idle_on_hvA vmd
  local tag=autoconv
  local args="--live --p2p --persistent --undefinesource --bandwidth 5 --auto-converge --auto-converge-initial 50 --auto-converge-increment 25 vmd qemu+ssh://10.77.0.12/system"
  mkdir -p "$WORK/$tag"
  printf '%s' "$args" >"$WORK/$tag/args"
  # shellcheck disable=SC2086
  start_migration "$tag" hvA vmd $args
  while migration_running "$tag" && (($(elapsed "$tag") < 38)); do sleep 1; done
  migration_running "$tag" && abort_job hvA vmd
  finish_migration "$tag"
  local n
  n=$(pick_last "$tag" is_throttled) && keep_sample "$tag" "$n" hvA vmd domjobinfo-autoconverge-throttle 'auto-converge throttling the guest' ||
    say "no sample matched is_throttled for domjobinfo-autoconverge-throttle"
  if [[ $(where_is vmd) != hvA ]]; then
    "${LAB[@]}" vm-reset >/dev/null
  fi
}

group_jobs_postcopy() {
  wait_idle_on_hvA vmd
  local tag=postcopy args="--live --p2p --persistent --undefinesource --bandwidth 5 --postcopy --postcopy-bandwidth 4 vmd qemu+ssh://10.77.0.12/system"
  mkdir -p "$WORK/$tag"
  printf '%s' "$args" >"$WORK/$tag/args"
  CLEANUPS+=("${LAB[*]} vm-reset >/dev/null")
  # shellcheck disable=SC2086
  start_migration "$tag" hvA vmd $args
  # Switch once the first pass is done (measured in the lab: iteration 1 ends ~20 s in at 5 MiB/s); post-copy cannot be aborted.
  local it=0
  while migration_running "$tag" && (($(elapsed "$tag") < 30)); do
    local last
    last=$(find "$WORK/$tag" -name '[0-9][0-9][0-9][0-9].out' | sort | tail -n1)
    [[ -n $last ]] && it=$(awk -F: '/^Iteration:/ { v = $2 + 0 } END { print v + 0 }' "$last")
    ((it >= 2)) && break
    sleep 1
  done
  if migration_running "$tag"; then
    say "$tag: migrate-postcopy at $(elapsed "$tag") s (iteration $it)"
    "${LAB[@]}" hx hvA "${VIRSH[@]}" migrate-postcopy --domain vmd >/dev/null
  fi
  while migration_running "$tag" && (($(elapsed "$tag") < 75)); do sleep 1; done
  finish_migration "$tag"
  local n
  n=$(pick_last "$tag" is_postcopy) && keep_sample "$tag" "$n" hvA vmd domjobinfo-postcopy 'after virsh migrate-postcopy: pages fetched on demand' ||
    say "no sample matched is_postcopy for domjobinfo-postcopy"
  n=$(pick_last "$tag" is_raw_postcopy) && keep_sample "$tag" "$n" hvA vmd domjobinfo-postcopy-raw 'after virsh migrate-postcopy' ||
    say "no sample matched is_raw_postcopy for domjobinfo-postcopy-raw"
  capture hvB virsh domjobinfo-completed-postcopy-destination 'on the destination after the post-copy migration' -- "${VIRSH[@]}" domjobinfo --domain vmd --completed --keep-completed
  "${LAB[@]}" vm-reset >/dev/null
}

# Runs inside a host: `virsh domstate --reason` of VM into DIR every 0.1 s until DIR/stop exists or DIR is gone (at
# most 300 s), to catch the states a migration passes through. File names as in POLLER.
STATE_POLLER='
dir=$1 vm=$2 i=0 end=$((SECONDS + 300))
while [[ -d $dir && ! -e $dir/stop ]] && ((SECONDS < end)); do
  n=$(printf %04d "$i")
  date -u +%FT%T.%3NZ >"$dir/$n.date"
  LC_ALL=C virsh --connect qemu:///system domstate --reason --domain "$vm" >"$dir/$n.out" 2>"$dir/$n.err"
  echo $? >"$dir/$n.rc"
  i=$((i + 1))
  sleep 0.1
done
'

# wait_sample TAG TEST SECONDS: until the newest domjobinfo sample of TAG passes TEST (1 when the time is up or
# virsh migrate returned).
wait_sample() {
  local tag=$1 test=$2 end=$((SECONDS + $3)) last
  while ((SECONDS < end)) && migration_running "$tag"; do
    last=$(find "$WORK/$tag" -name '[0-9][0-9][0-9][0-9].rc' | sort | tail -n1)
    [[ -n $last ]] && "$test" "${last%.rc}.out" "${last%.rc}.err" && return 0
    sleep 0.25
  done
  return 1
}
# wait_state HOST TEXT SECONDS: until the newest state sample of HOST is TEXT.
wait_state() {
  local h=$1 want=$2 end=$((SECONDS + $3)) last
  while ((SECONDS < end)); do
    last=$(find "$WORK/states-$h" -name '[0-9][0-9][0-9][0-9].rc' | sort | tail -n1)
    [[ -n $last && $(head -n1 "${last%.rc}.out") == "$want" ]] && return 0
    sleep 0.1
  done
  return 1
}
is_moving() { has '^Job type: *Unbounded' "$1" && has '^Memory processed:' "$1"; }

# keep_state HOST VM CASE NOTE TEXT: the first state sample of HOST that is TEXT becomes virsh/CASE.
keep_state() {
  local h=$1 vm=$2 case=$3 note=$4 want=$5 dir=$WORK/states-$1 f n
  for f in "$dir"/[0-9][0-9][0-9][0-9].rc; do
    [[ -e $f ]] || continue
    n=$(basename "$f" .rc)
    [[ $(head -n1 "$dir/$n.out") == "$want" ]] || continue
    printf '%s\n' "$h" >"$dir/$n.host"
    printf '%s\n' "${VIRSH[*]} domstate --reason --domain $vm" >"$dir/$n.argv"
    keep "$dir" "$n" virsh "$case" "$note (sample $n of a 0.1 s poll on $h during: virsh migrate $(<"$WORK/split/args"))"
    return 0
  done
  say "no $h sample said '$want' for $case"
}

# A post-copy run whose connection breaks, and its recovery. vmd hvA -> hvB with the argv Ferry's engine builds
# (shared/commands/migrate.ts) at a post-copy bandwidth of 1 MiB/s, so the phase lasts minutes; switched as soon as
# data flows; `domjobabort --postcopy` on the source breaks it. Both halves then say `post-copy failed` (libvirt >=
# 8.5 keeps them) and `virsh migrate --postcopy-resume` finishes the run. Pollers of `domstate --reason` on both hosts
# catch the states on the way.
group_postcopy_split() {
  capture hvA virsh domstate-error-no-domain '' -- "${VIRSH[@]}" domstate --reason --domain nosuchvm
  wait_idle_on_hvA vmd
  CLEANUPS+=("${LAB[*]} vm-reset >/dev/null")
  local tag=split h pollers=() to=(--domain vmd --desturi qemu+ssh://root@10.77.0.12/system)
  local flags=(--verbose --live --p2p --persistent --undefinesource --postcopy)
  local values=(--migrateuri tcp://10.77.2.12 --postcopy-bandwidth 1 --bandwidth 8)
  mkdir -p "$WORK/$tag"
  printf '%s' "${flags[*]} ${values[*]} ${to[*]}" >"$WORK/$tag/args"
  for h in hvA hvB; do
    mkdir -p "$WORK/states-$h"
    CLEANUPS+=("touch $WORK/states-$h/stop")
    "${LAB[@]}" hx "$h" bash -c "$STATE_POLLER" poller "$WORK/states-$h" vmd &
    pollers+=($!)
  done
  start_migration "$tag" hvA vmd "${flags[@]}" "${values[@]}" "${to[@]}"
  # Before data flows QEMU refuses the switch ("Enable postcopy with migrate_set_capability before the start of
  # migration", seen on the lab a few hundred ms after the job appeared).
  wait_sample "$tag" is_moving 30 || die "$tag: no data moved within 30 s"
  "${LAB[@]}" hx hvA "${VIRSH[@]}" migrate-postcopy --domain vmd >/dev/null
  wait_state hvB 'running (post-copy)' 20 || die "$tag: hvB never said 'running (post-copy)'"
  wait_sample "$tag" is_postcopy 20 || die "$tag: domjobinfo never showed post-copy requests"
  say "$tag: post-copy at $(elapsed "$tag") s: domjobabort --postcopy"
  "${LAB[@]}" hx hvA "${VIRSH[@]}" domjobabort --postcopy --domain vmd >/dev/null
  finish_migration "$tag"
  local broke=other
  grep -q 'End of file while reading data' "$WORK/$tag/migrate.err" && broke=eof
  grep -q 'failed in post-copy phase' "$WORK/$tag/migrate.err" && broke=job
  keep "$WORK/$tag" migrate virsh "migrate-error-postcopy-failed-$broke" "the engine's argv; domjobabort --postcopy on hvA during post-copy. Which error virsh prints is a race: the destination's 'job migration in failed in post-copy phase' or the EOF of the source libvirtd's connection to it (both seen on the lab for the same steps)"
  capture hvA virsh domstate-paused-postcopy-failed 'source half right after the broken post-copy run (domjobabort --postcopy)' -- "${VIRSH[@]}" domstate --reason --domain vmd
  capture hvB virsh domstate-running-postcopy-failed 'destination half right after the broken post-copy run: the guest runs here' -- "${VIRSH[@]}" domstate --reason --domain vmd
  capture hvA virsh domjobinfo-postcopy-failed-source 'source of a broken post-copy run: the job is still there (Unbounded, outgoing) and still shows a bandwidth, though nothing moves' -- "${VIRSH[@]}" domjobinfo --domain vmd
  capture hvA virsh domjobinfo-postcopy-failed-source-raw 'source of a broken post-copy run' -- "${VIRSH[@]}" domjobinfo --domain vmd --rawstats
  capture hvB virsh domjobinfo-postcopy-failed-destination 'destination of a broken post-copy run' -- "${VIRSH[@]}" domjobinfo --domain vmd
  # Which of the original options a resume takes: without --postcopy virsh itself refuses it (nothing is touched).
  run hvA refused "${VIRSH[@]}" migrate "${flags[@]/--postcopy/--postcopy-resume}" "${values[@]}" "${to[@]}"
  local refused
  refused=$(tr '\r\n' '  ' <"$WORK/refused.err" | sed 's/.*error: /error: /; s/ *$//')
  say "$tag: resume without --postcopy: exit $(<"$WORK/refused.rc"), $refused"
  run hvA resume "${VIRSH[@]}" migrate "${flags[@]}" --postcopy-resume "${values[@]}" "${to[@]}"
  keep "$WORK" resume virsh migrate-postcopy-resumed "the original argv plus --postcopy-resume, run on the source while both halves said post-copy failed: every original option is accepted (--persistent, --undefinesource, --migrateuri, --postcopy-bandwidth, --bandwidth) and --undefinesource is honoured (the source forgets vmd); without --postcopy the resume is refused (exit $(<"$WORK/refused.rc"): $refused)"
  [[ $(<"$WORK/resume.rc") == 0 ]] || die "$tag: the resume failed (see virsh/migrate-postcopy-resumed.txt)"
  capture hvB virsh domstate-running-migrated 'destination after the resumed post-copy run completed' -- "${VIRSH[@]}" domstate --reason --domain vmd
  capture hvA virsh domstate-error-no-domain-source-after-resume 'source after the resumed run completed: --undefinesource removed it' -- "${VIRSH[@]}" domstate --reason --domain vmd
  for h in hvA hvB; do touch "$WORK/states-$h/stop"; done
  wait "${pollers[@]}" || true
  keep_state hvB vmd domstate-paused-starting-up 'destination while libvirt starts the incoming QEMU' 'paused (starting up)'
  keep_state hvB vmd domstate-paused-migrating 'destination during pre-copy' 'paused (migrating)'
  keep_state hvB vmd domstate-running-postcopy 'destination after migrate-postcopy: the guest runs here while its memory is fetched' 'running (post-copy)'
  keep_state hvA vmd domstate-paused-postcopy 'source after migrate-postcopy' 'paused (post-copy)'
  "${LAB[@]}" vm-reset >/dev/null
  # vm-reset has just started vmd afresh on hvA (vm1 may say 'migrated': other tests move it and back).
  capture hvA virsh domstate-running-booted 'vmd restarted on its home host by lab.sh vm-reset' -- "${VIRSH[@]}" domstate --reason --domain vmd
}

# The lab's veth cannot show a ring query that works or an unknown link speed; the development machine's own
# virtio NIC can. Kept, labelled as such, because they are real ethtool 6.1 output of the other shape.
group_rootns() {
  local n
  for n in settings ring; do
    local flag=()
    [[ $n == ring ]] && flag=(-g)
    date -u +%FT%T.%3NZ >"$WORK/root-$n.date"
    echo root-ns >"$WORK/root-$n.host"
    printf '%s\n' "ethtool ${flag[*]:+${flag[*]} }eth0" >"$WORK/root-$n.argv"
    local rc=0
    env LC_ALL=C ethtool "${flag[@]}" eth0 >"$WORK/root-$n.out" 2>"$WORK/root-$n.err" || rc=$?
    echo "$rc" >"$WORK/root-$n.rc"
    keep "$WORK" "root-$n" ethtool "$n-virtio-rootns" 'virtio_net NIC of the development machine (not the lab)'
  done
}

# run_ssh HOST NAME SCRIPT: like run, but `sh -c SCRIPT` through the lab's OpenSSH client, so that sshd sets
# SSH_CONNECTION as it does for Ferry (hx runs commands without ssh).
run_ssh() {
  local h=$1 n=$2 script=$3
  date -u +%FT%T.%3NZ >"$WORK/$n.date"
  printf '%s\n' "$h" >"$WORK/$n.host"
  printf "sh -c '%s'\n" "${script//\'/\'\\\'\'}" >"$WORK/$n.argv"
  printf '%s (%s), through ssh from the root namespace: lab.sh ssh %s "env LC_ALL=C sh -c <script>"\n' "$h" "${IP[$h]}" "$h" >"$WORK/$n.via"
  local rc=0
  "${LAB[@]}" ssh "$h" "env LC_ALL=C sh -c $(printf %q "$script")" >"$WORK/$n.out" 2>"$WORK/$n.err" || rc=$?
  printf '%s\n' "$rc" >"$WORK/$n.rc"
}

# The inventory's commands (shared/commands/inventory.ts): host identity, domain flags, domstats for all domains.
# On hvC: a persistent domain ($FX, shut off, autostart on) and a transient running one ($FX-t), removed afterwards.
IDENTITY_SCRIPT='uname -n; printf '"'"'%s\n'"'"' "${SSH_CONNECTION-}"; sed -n '"'"'s/^model name[[:space:]]*: *//p'"'"' /proc/cpuinfo | head -n 1'
fxt_remove() { "${LAB[@]}" hx hvC "${VIRSH[@]}" destroy "$FX-t" >/dev/null 2>&1 || true; }
group_inventory() {
  run_ssh hvA identity-hvA "$IDENTITY_SCRIPT"
  keep "$WORK" identity-hvA host identity-hvA 'over ssh from the root namespace (10.77.0.254): SSH_CONNECTION names the server side'
  run_ssh hvC identity-hvC "$IDENTITY_SCRIPT"
  keep "$WORK" identity-hvC host identity-hvC 'over ssh, across the router'
  capture hvA host identity-no-ssh 'run without sshd (lab.sh hx): SSH_CONNECTION is empty' -- sh -c "$IDENTITY_SCRIPT"
  capture hvA virsh domstats-running-hvA 'vm1 (128 MiB) and vmd (256 MiB) running, memballoon none' -- "${VIRSH[@]}" domstats --balloon --vcpu
  capture hvB virsh domstats-empty 'hvB with no domains' -- "${VIRSH[@]}" domstats --balloon --vcpu
  capture hvA virsh names-persistent-hvA '' -- "${VIRSH[@]}" list --all --name --persistent
  capture hvA virsh names-transient-empty 'no transient domain on hvA' -- "${VIRSH[@]}" list --all --name --transient
  capture hvA virsh names-no-autostart-hvA '' -- "${VIRSH[@]}" list --all --name --no-autostart
  fx_remove
  fxt_remove
  CLEANUPS+=(fx_remove fxt_remove)
  fx_xml >"$WORK/$FX.xml"
  sed "s|<name>$FX</name>|<name>$FX-t</name>|" "$WORK/$FX.xml" >"$WORK/$FX-t.xml"
  "${LAB[@]}" hx hvC "${VIRSH[@]}" define "$WORK/$FX.xml" >/dev/null
  "${LAB[@]}" hx hvC "${VIRSH[@]}" autostart "$FX" >/dev/null
  "${LAB[@]}" hx hvC "${VIRSH[@]}" create "$WORK/$FX-t.xml" >/dev/null
  capture hvC virsh list-all-mixed-hvC "$FX shut off (persistent, autostart), $FX-t running (transient)" -- "${VIRSH[@]}" list --all
  capture hvC virsh domstats-mixed-hvC "$FX shut off (96 MiB, 1 vCPU), $FX-t running (transient)" -- "${VIRSH[@]}" domstats --balloon --vcpu
  capture hvC virsh names-persistent-hvC '' -- "${VIRSH[@]}" list --all --name --persistent
  capture hvC virsh names-transient-hvC '' -- "${VIRSH[@]}" list --all --name --transient
  capture hvC virsh names-autostart-hvC '' -- "${VIRSH[@]}" list --all --name --autostart
  capture hvC virsh names-no-autostart-hvC '' -- "${VIRSH[@]}" list --all --name --no-autostart
  fxt_remove
  fx_remove
}

# What virsh itself accepts: the migration command builders are checked against these (a typo cannot ship).
group_virsh_help() {
  capture hvA virsh help-migrate 'every option virsh migrate accepts; Ferry emits only these' -- "${VIRSH[@]}" help migrate
  local c
  for c in migrate-setspeed migrate-setmaxdowntime migrate-postcopy domjobabort; do
    capture hvA virsh "help-$c" 'a live migration control' -- "${VIRSH[@]}" help "$c"
  done
}

main() {
  [[ $EUID -eq 0 ]] || die "needs root (the lab does)"
  lab_up
  local groups=("$@") g
  ((${#groups[@]})) || groups=(virsh-host virsh-domains net ping tracepath jobs-idle jobs-stall jobs-nonconv jobs-autoconverge jobs-postcopy postcopy-split rootns inventory virsh-help)
  for g in "${groups[@]}"; do
    say "== $g"
    "group_${g//-/_}"
  done
}

main "$@"
