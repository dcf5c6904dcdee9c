#!/bin/sh
# /init of the lab guests' busybox initramfs (PID 1 in the guest).
# Kernel command line `dirty=N`: rewrite N MiB of NON-ZERO data in a tmpfs, sleep 1 s, repeat. Non-zero on purpose:
# QEMU sends an all-zero page as a tiny "constant page", so zeros would not load the migration link.
# Under TCG the loop runs slower than nominal (pitfall P24): read the real rate from domjobinfo's "Dirty rate".
# With `rate=R` as well (MiB/s), the hot set is instead rewritten 1 MiB block after block, paced on the guest's clock to
# R MiB/s (as far as the guest keeps up): a settable write speed for the prediction bench. Without it, the loop above.
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
dirty=0
rate=0
for word in $(cat /proc/cmdline); do
  case "$word" in
    dirty=*) dirty=${word#dirty=} ;;
    rate=*) rate=${word#rate=} ;;
  esac
done
case "$dirty" in '' | *[!0-9]*) dirty=0 ;; esac
case "$rate" in '' | *[!0-9]*) rate=0 ;; esac
mem=$(grep MemTotal /proc/meminfo)
if [ "$rate" -gt 0 ] && [ "$dirty" -gt 0 ]; then
  up="GUEST UP kernel=$(uname -r) dirty=${dirty}MiB rate=${rate}MiB/s ${mem}"
else
  up="GUEST UP kernel=$(uname -r) dirty=${dirty}MiB ${mem}"
fi
if [ "$dirty" -eq 0 ]; then
  echo "$up"
  while :; do sleep 3600; done
fi
mount -t tmpfs -o size=$((dirty * 2 + 8))m tmpfs /tmp
# One random source block, written once; each loop copies it over the whole working set. "GUEST UP" comes after this
# setup (and the paced loop's first copy): a migration started at "GUEST UP" must not race one-off writes of the
# setup, which a first pass would re-send and no earlier run could foresee.
dd if=/dev/urandom of=/tmp/src bs=1M count="$dirty" 2>/dev/null
# Guest clock in centiseconds, read without a fork.
now_cs() {
  read -r up _ </proc/uptime
  cs=${up%.*}${up#*.}
  cs=${cs#"${cs%%[!0]*}"}
  echo "${cs:-0}"
}
if [ "$rate" -gt 0 ]; then
  cp /tmp/src /tmp/work
  echo "$up"
  block=0
  sent=0
  t0=$(now_cs)
  while :; do
    # 64 KiB buffers: dd's own buffer is dirtied too, and at bs=1M it would double the rate.
    dd if=/tmp/src of=/tmp/work bs=64k count=16 skip=$((block * 16)) seek=$((block * 16)) conv=notrunc 2>/dev/null
    block=$(((block + 1) % dirty))
    sent=$((sent + 1))
    [ $((sent % (dirty * 10))) -eq 0 ] && echo "dirty loop iteration $((sent / dirty))"
    ahead=$((t0 + sent * 100 / rate - $(now_cs)))
    if [ "$ahead" -gt 0 ]; then
      sleep "$((ahead / 100)).$((ahead % 100 / 10))$((ahead % 10))"
    elif [ "$ahead" -lt -100 ]; then
      # More than 1 s behind (the guest was paused or throttled): pace from now, never burst to catch up.
      t0=$(now_cs)
      sent=0
    fi
  done
fi
echo "$up"
loop=0
while :; do
  dd if=/tmp/src of=/tmp/work bs=1M count="$dirty" conv=notrunc 2>/dev/null
  loop=$((loop + 1))
  [ $((loop % 10)) -eq 0 ] && echo "dirty loop iteration $loop"
  sleep 1
done
