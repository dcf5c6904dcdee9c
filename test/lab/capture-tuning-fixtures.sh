#!/usr/bin/env bash
# Captures the tuning fixtures in test/fixtures/tuning/ from the real lab (hvB). Run as root under the lab lock:
#
#   flock /var/tmp/ferry-lab.lock bash test/lab/capture-tuning-fixtures.sh
#
# Every case leaves the host as it found it: writes either set the value a setting already has (a no-op), are
# refused by the kernel or the tool (read-only sysctl in a network namespace, a fixed offload, an MTU above the
# device's maximum, rings on veth), or are undone at once (gro on mig0 is turned on and back off).
# Nothing is written outside hvB's network namespace and its private home (/root inside the host's mount namespace).
# Same file layout as capture-fixtures.sh: <case>.txt (stdout then stderr), <case>.cmd; write the .expected.json
# files with the tuning fixture test (FERRY_WRITE_EXPECTED=1) and review them by hand.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAB=(bash "$ROOT/test/lab/lab.sh")
FIX=$ROOT/test/fixtures/tuning
H=hvB
mkdir -p "$FIX"

# capture CASE NOTE -- CMD...
capture() {
  local case=$1 note=$2 out err rc=0 date
  shift 3
  out=$(mktemp) err=$(mktemp)
  date=$(date -u +%FT%T.%3NZ)
  "${LAB[@]}" hx "$H" env LC_ALL=C "$@" >"$out" 2>"$err" || rc=$?
  cat "$out" "$err" >"$FIX/$case.txt"
  rm -f "$FIX/$case.expected.json"
  {
    printf 'command:'
    printf ' %q' "$@"
    printf '\nhost: %s (10.77.0.12), inside the lab host'"'"'s namespaces: lab.sh hx %s env LC_ALL=C <command>\n' "$H" "$H"
    printf 'date: %s\nexit: %s\n' "$date" "$rc"
    printf 'stdout-bytes: %s\nstderr-bytes: %s\n' "$(stat -c %s "$out")" "$(stat -c %s "$err")"
    printf 'file: %s.txt is stdout followed by stderr\nnote: %s\n' "$case" "$note"
  } >"$FIX/$case.cmd"
  rm -f "$out" "$err"
  printf 'capture: kept tuning/%s (exit %s)\n' "$case" "$rc" >&2
}

hx() { "${LAB[@]}" hx "$H" "$@"; }

rmem=$(hx sysctl -n net.ipv4.tcp_rmem | tr '\t' ' ')
core=$(hx sysctl -n net.core.rmem_max)
mtu=$(hx cat /sys/class/net/mig0/mtu)
gro=$(hx ethtool -k mig0 | awk '/^generic-receive-offload:/ {print $2}')
[[ $gro == off ]] || { echo "capture: gro on hvB mig0 is not off; this script expects the lab default" >&2; exit 1; }

PROBE='id -u; for f do if [ -w "$f" ]; then echo "writable $f"; else echo "read-only $f"; fi; done'
capture sysctl-write-tcp-rmem 'writes the value it already has: a no-op' -- sysctl -w "net.ipv4.tcp_rmem=$rmem"
capture sysctl-write-core-readonly-netns 'net.core.rmem_max is read-only (0444) inside a network namespace on kernel 6.18; procps exits 0 all the same' -- sysctl -w "net.core.rmem_max=$core"
capture writable-probe 'which of the buffer sysctls this user can write here' -- sh -c "$PROBE" ferry-writable /proc/sys/net/core/rmem_max /proc/sys/net/core/wmem_max /proc/sys/net/ipv4/tcp_rmem /proc/sys/net/ipv4/tcp_wmem
capture ethtool-set-gro-on 'turns gro on (the line after this one in the script turns it off again)' -- ethtool -K mig0 gro on
hx ethtool -K mig0 gro off
capture ethtool-set-fixed 'tx-lockless is [fixed] on veth: nothing changes' -- ethtool -K mig0 tx-lockless off
capture ethtool-set-rings-unsupported 'veth has no ring settings' -- ethtool -G mig0 rx 256 tx 256
capture ip-set-mtu-same 'sets the MTU mig0 already has: a no-op' -- ip link set dev mig0 mtu "$mtu"
capture ip-set-mtu-too-big 'above veth max_mtu 65535: refused' -- ip link set dev mig0 mtu 70000
capture ip-set-mtu-no-device 'no such interface' -- ip link set dev nosuch0 mtu 9000

READ='if [ -e "$1" ]; then echo present; cat -- "$1"; else echo absent; fi'
WRITE='umask 022 && printf %s "$1" > "$2.ferry-tmp" && mv -f -- "$2.ferry-tmp" "$2"'
P=/root/ferry-capture-sysctl.conf
capture file-read-absent 'the persist file does not exist yet' -- sh -c "$READ" ferry-read "$P"
capture file-write 'writes a sysctl.d-style file in the lab host'"'"'s private home' -- sh -c "$WRITE" ferry-write $'# Written by Ferry\nnet.ipv4.tcp_rmem = 4096 131072 33554432\n' "$P"
capture file-read-present 'reads it back' -- sh -c "$READ" ferry-read "$P"
capture file-remove 'removes it again' -- rm -f -- "$P"
capture file-write-no-dir 'a directory that does not exist' -- sh -c "$WRITE" ferry-write 'x' /root/no-such-dir/x.conf

after_rmem=$(hx sysctl -n net.ipv4.tcp_rmem | tr '\t' ' ')
after_mtu=$(hx cat /sys/class/net/mig0/mtu)
after_gro=$(hx ethtool -k mig0 | awk '/^generic-receive-offload:/ {print $2}')
[[ $after_rmem == "$rmem" && $after_mtu == "$mtu" && $after_gro == "$gro" ]] || { echo "capture: hvB changed: $after_rmem/$after_mtu/$after_gro" >&2; exit 1; }
echo "capture: hvB as before (tcp_rmem $rmem, mig0 mtu $mtu, gro $gro)" >&2
