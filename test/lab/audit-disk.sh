#!/usr/bin/env bash
# A scratch disk for the host-audit tests: the lab's guests are diskless (kernel + initrd), so the storage-latency
# check has nothing to measure on them. This hot-plugs a 16 MiB raw file as a USB disk (sdb) into a running guest,
# live only (the persistent definition is not touched), and takes it out again. USB, because unplugging a USB disk
# needs no cooperation from the guest (a virtio disk's ACPI eject would wait on the busybox guest).
#
#   bash test/lab/audit-disk.sh attach|detach|status [HOST] [VM]     (root; default hvA vm1; hold the lab lock)
#
# The file lives in the lab's directory (the same path on every host, as the hosts share the machine's filesystem).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAB=(bash "$ROOT/test/lab/lab.sh")
LAB_DIR=${FERRY_LAB_DIR:-/var/tmp/ferry-lab}
IMG=$LAB_DIR/audit-disk.img
TARGET=sdb
action=${1:-status}
host=${2:-hvA}
vm=${3:-vm1}
VIRSH=(virsh --connect qemu:///system)

attached() { "${LAB[@]}" hx "$host" "${VIRSH[@]}" domblklist --domain "$vm" | awk -v t="$TARGET" '$1 == t { found = 1 } END { exit !found }'; }

case $action in
  attach)
    if attached; then
      echo "audit-disk: $vm on $host already has $TARGET"
      exit 0
    fi
    [[ -e $IMG ]] || truncate -s 16M "$IMG"
    "${LAB[@]}" hx "$host" "${VIRSH[@]}" attach-disk --domain "$vm" --source "$IMG" --target "$TARGET" --targetbus usb \
      --driver qemu --subdriver raw --live >/dev/null
    echo "audit-disk: attached $IMG to $vm on $host as $TARGET"
    ;;
  detach)
    if attached; then
      "${LAB[@]}" hx "$host" "${VIRSH[@]}" detach-disk --domain "$vm" --target "$TARGET" --live >/dev/null
      echo "audit-disk: detached $TARGET from $vm on $host"
    fi
    rm -f "$IMG"
    ;;
  status)
    if attached; then echo "attached"; else echo "detached"; fi
    ;;
  *)
    echo "usage: audit-disk.sh attach|detach|status [HOST] [VM]" >&2
    exit 2
    ;;
esac
