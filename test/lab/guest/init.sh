#!/bin/sh
# /init of the lab guests' busybox initramfs (PID 1 in the guest).
# Kernel command line `dirty=N`: rewrite N MiB of NON-ZERO data in a tmpfs, sleep 1 s, repeat. Non-zero on purpose:
# QEMU sends an all-zero page as a tiny "constant page", so zeros would not load the migration link.
# Under TCG the loop runs slower than nominal (pitfall P24): read the real rate from domjobinfo's "Dirty rate".
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
dirty=0
for word in $(cat /proc/cmdline); do
  case "$word" in dirty=*) dirty=${word#dirty=} ;; esac
done
case "$dirty" in '' | *[!0-9]*) dirty=0 ;; esac
mem=$(grep MemTotal /proc/meminfo)
echo "GUEST UP kernel=$(uname -r) dirty=${dirty}MiB ${mem}"
if [ "$dirty" -eq 0 ]; then
  while :; do sleep 3600; done
fi
mount -t tmpfs -o size=$((dirty * 2 + 8))m tmpfs /tmp
# One random source block, written once; each loop copies it over the whole working set.
dd if=/dev/urandom of=/tmp/src bs=1M count="$dirty" 2>/dev/null
loop=0
while :; do
  dd if=/tmp/src of=/tmp/work bs=1M count="$dirty" conv=notrunc 2>/dev/null
  loop=$((loop + 1))
  [ $((loop % 10)) -eq 0 ] && echo "dirty loop iteration $loop"
  sleep 1
done
