# shellcheck shell=bash
# The lab guests: diskless TCG domains (KVM does not work on this machine, pitfall P1) booting the Debian cloud
# kernel with the busybox initramfs. Kernel and initrd sit at the same absolute path on every host, which is all
# the "shared storage" a diskless guest needs.

serial_log() { printf '/var/log/libvirt/qemu/%s-serial.log' "$1"; }

# The kernel command line the guest's /init reads (dirty=N, and rate=R only when set: without it /init runs the
# canonical loop).
guest_cmdline() {
  local vm=$1 line
  line="console=ttyS0 panic=-1 dirty=${VM_DIRTY[$vm]}"
  ((${VM_RATE[$vm]:-0} > 0)) && line+=" rate=${VM_RATE[$vm]}"
  printf '%s' "$line"
}

# The command line of the guest as it runs now (live XML), empty when it cannot be read.
live_cmdline() {
  local out
  out=$(virsh_on "$1" dumpxml "$2" 2>/dev/null) || return 0
  [[ $out =~ \<cmdline\>([^<]*)\</cmdline\> ]] && printf '%s' "${BASH_REMATCH[1]}"
  return 0
}

guest_xml() {
  local vm=$1
  cat <<XML
<domain type='qemu'>
  <name>$vm</name>
  <uuid>${VM_UUID[$vm]}</uuid>
  <memory unit='MiB'>${VM_MEM[$vm]}</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$GUEST_DIR/vmlinuz</kernel>
    <initrd>$GUEST_DIR/initrd.gz</initrd>
    <cmdline>$(guest_cmdline "$vm")</cmdline>
  </os>
  <features><acpi/></features>
  <cpu mode='custom' match='exact'><model fallback='forbid'>qemu64</model></cpu>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>$QEMU_BIN</emulator>
    <serial type='pty'><log file='$(serial_log "$vm")' append='on'/></serial>
    <console type='pty'/>
    <memballoon model='none'/>
  </devices>
</domain>
XML
}

# Output is captured before it is matched: under pipefail, `virsh ... | grep -q` fails whenever grep exits first
# and virsh gets SIGPIPE.
first_line() { printf '%s\n' "${1%%$'\n'*}"; }
dom_state() {
  local out
  out=$(virsh_on "$1" domstate "$2" 2>/dev/null) || return 1
  first_line "$out"
}
dom_persistent() {
  local out
  out=$(virsh_on "$1" dominfo "$2" 2>/dev/null) || return 1
  [[ $out =~ Persistent:\ +yes ]]
}

# A half of a post-copy migration that broke (`paused (post-copy failed)` on the source, `running (post-copy
# failed)` on the destination) keeps its migration job: `domjobabort` and `resume` each waited libvirt's 30 s job
# lock timeout and failed (lab, libvirt 9.0), so such a half is destroyed straight away.
postcopy_failed() {
  local out
  out=$(virsh_on "$1" domstate --reason "$2" 2>/dev/null) || return 1
  [[ $(first_line "$out") == *'(post-copy failed)' ]]
}

# Remove every trace of VM from host H: abort its job, destroy it if active, undefine it if persistent.
dom_remove() {
  local h=$1 vm=$2 state
  state=$(dom_state "$h" "$vm") || return 0
  [[ -n $state ]] || return 0
  postcopy_failed "$h" "$vm" || virsh_on "$h" domjobabort "$vm" >/dev/null 2>&1 || true
  [[ $state != 'shut off' ]] && virsh_on "$h" destroy "$vm" >/dev/null 2>&1
  dom_persistent "$h" "$vm" && virsh_on "$h" undefine "$vm" >/dev/null 2>&1
  say "vm-reset: removed $vm from $h (was $state)"
}

# libvirt 9.0 can leak a broken post-copy migration's job: once the destination's Finish3 hung after the break,
# the source's Perform3 kept 'migration out' on the domain even after it was destroyed, and every start failed with
# "cannot acquire state change lock (held by monitor=remoteDispatchDomainMigratePerform3Params)". Only a restart of
# that host's libvirtd clears it (the guests keep running); then the start is tried once more.
restart_start() {
  local h=$1 vm=$2
  say "vm-reset: $h could not start $vm (a leaked migration job?): restarting its libvirtd"
  stop_daemon "$h" libvirtd
  start_daemon "$h" libvirtd
  virsh_on "$h" start "$vm" >/dev/null
}

# Put lab guests (default: all) back on their home host, defined from the canonical XML and running, whatever
# state they are in: an unfinished migration is aborted, copies elsewhere are destroyed and undefined, a paused
# guest is resumed and anything else is restarted. Guests it starts are listed in STARTED_VMS, for wait_guests_up.
STARTED_VMS=()
vm_reset() {
  local vm home h state live
  (($#)) || set -- "${VMS[@]}"
  STARTED_VMS=()
  mkdir -p "$GUEST_DIR"
  for vm in "$@"; do
    home=${VM_HOME[$vm]}
    # An outgoing migration from home: abort it first, so the destination's incoming copy goes away cleanly. A split
    # VM cannot be aborted: its home half is destroyed, and started again below.
    if postcopy_failed "$home" "$vm"; then
      virsh_on "$home" destroy "$vm" >/dev/null 2>&1 || true
    else
      virsh_on "$home" domjobabort "$vm" >/dev/null 2>&1 || true
    fi
    for h in "${HOSTS[@]}"; do
      [[ $h == "$home" ]] || dom_remove "$h" "$vm"
    done
    guest_xml "$vm" >"$GUEST_DIR/$vm.xml"
    virsh_on "$home" define "$GUEST_DIR/$vm.xml" >/dev/null || die "$home: virsh define $vm failed"
    state=$(virsh_on "$home" domstate --reason "$vm" 2>/dev/null) || state=''
    state=$(first_line "$state")
    case $state in
      # A half of a broken post-copy run: part of its memory was on the other host (just destroyed), and resume
      # waits 30 s for the job lock, then fails. Only a restart makes it whole.
      *'(post-copy failed)') virsh_on "$home" destroy "$vm" >/dev/null 2>&1 || true ;;
      # Redefining does not change a running guest: one started with other settings (`lab.sh guest`) is restarted.
      # Anything else running is left alone, also when its live XML cannot be read.
      'running ('*)
        live=$(live_cmdline "$home" "$vm")
        [[ -z $live || $live == "$(guest_cmdline "$vm")" ]] && continue
        virsh_on "$home" destroy "$vm" >/dev/null 2>&1 || true
        ;;
      'paused ('*)
        virsh_on "$home" resume "$vm" >/dev/null 2>&1 || true
        [[ $(dom_state "$home" "$vm") == running ]] && continue
        virsh_on "$home" destroy "$vm" >/dev/null 2>&1 || true
        ;;
      'shut off'* | '') ;;
      *) virsh_on "$home" destroy "$vm" >/dev/null 2>&1 || true ;;
    esac
    : >"$(host_dir "$home")/log/qemu/$vm-serial.log"
    virsh_on "$home" start "$vm" >/dev/null || restart_start "$home" "$vm" || die "$home: virsh start $vm failed"
    STARTED_VMS+=("$vm")
  done
}

# `up` on a running lab must not undo someone's test: a guest active on any host (running, or paused in the middle
# of a migration) is left where it is; only guests active nowhere go through vm_reset.
ensure_guests() {
  local vm h state idle=()
  for vm in "${VMS[@]}"; do
    for h in "${HOSTS[@]}"; do
      state=$(dom_state "$h" "$vm") || continue
      [[ -n $state && $state != 'shut off' && $state != crashed ]] && continue 2
    done
    idle+=("$vm")
  done
  STARTED_VMS=()
  ((${#idle[@]} == 0)) || vm_reset "${idle[@]}"
}

# Bounded wait for "GUEST UP" in the serial log of each guest just started (about 3 s under TCG).
wait_guests_up() {
  local vm log deadline=$((SECONDS + 90))
  for vm in "${STARTED_VMS[@]}"; do
    log=$(host_dir "${VM_HOME[$vm]}")/log/qemu/$vm-serial.log
    until grep -q 'GUEST UP' "$log" 2>/dev/null; do
      ((SECONDS < deadline)) || die "$vm did not print GUEST UP within 90 s (see $log)"
      sleep 0.2
    done
  done
}

# Destroy every running domain of host H (used by down), all at once: a TCG QEMU takes 1-2 s to exit. Domains stay
# defined. Bounded by timeouts: a wedged libvirtd must not hang down (its pid file takes care of it next).
destroy_all() {
  local h=$1 vm names pids=()
  libvirtd_pid "$h" >/dev/null || return 0
  names=$(timeout 10 nsenter --net="/run/netns/lab-$h" --mount="$NS_DIR/$h.mnt" --uts="$NS_DIR/$h.uts" \
    -- virsh -q -c qemu:///system list --name 2>/dev/null) || return 0
  for vm in $names; do
    timeout 20 nsenter --net="/run/netns/lab-$h" --mount="$NS_DIR/$h.mnt" --uts="$NS_DIR/$h.uts" \
      -- virsh -q -c qemu:///system destroy "$vm" >/dev/null 2>&1 &
    pids+=($!)
  done
  ((${#pids[@]} == 0)) || wait "${pids[@]}" || true
}
