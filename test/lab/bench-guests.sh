#!/usr/bin/env bash
# Extra small guests for benchmarks (bench/sampling-concurrency.ts): N diskless TCG domains like the lab's vm1 (the
# lab's kernel and busybox initramfs, `dirty=0`), named bench-gNN, started TRANSIENT on a host, so that wherever a
# migration leaves one, destroying it removes it. Never touches vm1/vmd; lab.sh is not edited (its libs are only read).
#
#   bench-guests.sh up N [MEM_MiB] [HOST]   define+start bench-g01..bench-gNN on HOST (default hvA, 128 MiB: at 64 the kernel resets before printing anything), wait for
#                                           "GUEST UP" in each serial log (90 s budget); prints their names
#   bench-guests.sh down                    destroy every bench-g* domain on every host (and undefine a persistent one)
#   bench-guests.sh list                    where each bench-g* runs
#
# Run it as root, under the lab lock (it changes lab state): flock /var/tmp/ferry-lab.lock bash test/lab/bench-guests.sh ...
set -euo pipefail
shopt -s inherit_errexit
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

PREFIX=bench-g

name_of() { printf '%s%02d' "$PREFIX" "$1"; }
# Fixed UUIDs outside the lab's own range (f3e7a001-...-0000000000NN): f3e7b001-...-0000000000NN.
uuid_of() { printf 'f3e7b001-0000-4000-8000-%012d' "$1"; }

guest_xml() {
  local vm=$1 uuid=$2 mem=$3
  cat <<XML
<domain type='qemu'>
  <name>$vm</name>
  <uuid>$uuid</uuid>
  <memory unit='MiB'>$mem</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$GUEST_DIR/vmlinuz</kernel>
    <initrd>$GUEST_DIR/initrd.gz</initrd>
    <cmdline>console=ttyS0 panic=-1 dirty=0</cmdline>
  </os>
  <features><acpi/></features>
  <cpu mode='custom' match='exact'><model fallback='forbid'>qemu64</model></cpu>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>$QEMU_BIN</emulator>
    <serial type='pty'><log file='/var/log/libvirt/qemu/$vm-serial.log' append='off'/></serial>
    <console type='pty'/>
    <memballoon model='none'/>
  </devices>
</domain>
XML
}

names_on() {
  local out
  out=$(virsh_on "$1" list --all --name 2>/dev/null) || return 0
  grep "^$PREFIX" <<<"$out" || true
}

cmd_up() {
  local n=${1:?usage: bench-guests.sh up N [MEM_MiB] [HOST]} mem=${2:-128} host=${3:-hvA} i vm xml deadline log
  [[ $n =~ ^[0-9]+$ && $n -ge 1 && $n -le 99 ]] || die "N must be 1..99"
  [[ $mem =~ ^[0-9]+$ && $mem -ge 32 ]] || die "MEM_MiB must be a number >= 32"
  [[ -n ${HOST_IP[$host]:-} ]] || die "no such host: $host"
  [[ -r $GUEST_DIR/vmlinuz && -r $GUEST_DIR/initrd.gz ]] || die "the lab's guest kernel/initramfs are missing (lab.sh up)"
  mkdir -p "$RUN_DIR"
  for ((i = 1; i <= n; i++)); do
    vm=$(name_of "$i")
    xml=$RUN_DIR/$vm.xml
    guest_xml "$vm" "$(uuid_of "$i")" "$mem" >"$xml"
    if [[ -n $(names_on "$host" | grep -x "$vm" || true) ]]; then continue; fi
    : >"$(host_dir "$host")/log/qemu/$vm-serial.log"
    virsh_on "$host" create "$xml" >/dev/null || die "$host: virsh create $vm failed"
  done
  deadline=$((SECONDS + 90))
  for ((i = 1; i <= n; i++)); do
    vm=$(name_of "$i")
    log=$(host_dir "$host")/log/qemu/$vm-serial.log
    until grep -q 'GUEST UP' "$log" 2>/dev/null; do
      ((SECONDS < deadline)) || die "$vm did not print GUEST UP within 90 s (see $log)"
      sleep 0.2
    done
    say "$vm"
  done
}

cmd_down() {
  local h vm
  for h in "${HOSTS[@]}"; do
    host_ns_ready "$h" || continue
    for vm in $(names_on "$h"); do
      virsh_on "$h" domjobabort "$vm" >/dev/null 2>&1 || true
    done
  done
  for h in "${HOSTS[@]}"; do
    host_ns_ready "$h" || continue
    for vm in $(names_on "$h"); do
      virsh_on "$h" destroy "$vm" >/dev/null 2>&1 || true
      virsh_on "$h" undefine "$vm" >/dev/null 2>&1 || true
      say "removed $vm from $h"
    done
  done
  rm -f "$RUN_DIR"/"$PREFIX"*.xml
}

cmd_list() {
  local h vm
  for h in "${HOSTS[@]}"; do
    host_ns_ready "$h" || continue
    for vm in $(names_on "$h"); do say "$vm $h $(virsh_on "$h" domstate "$vm" 2>/dev/null | head -1)"; done
  done
}

[[ $EUID -eq 0 ]] || die "bench-guests.sh needs root (the lab's namespaces)"
cmd=${1:-}
(($#)) && shift
case $cmd in
  up) cmd_up "$@" ;;
  down) cmd_down ;;
  list) cmd_list ;;
  *) die "usage: bench-guests.sh up N [MEM_MiB] [HOST] | down | list" ;;
esac
