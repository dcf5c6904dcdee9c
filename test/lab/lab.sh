#!/usr/bin/env bash
# Ferry's lab: three real libvirt/QEMU hypervisor hosts (hvA, hvB, hvC) in network namespaces on this machine,
# each with its own sshd and libvirtd, plus a switch, a router and a dedicated migration network.
# See test/lab/README.md for the topology and timings. Needs root for everything except `help`.
set -euo pipefail
shopt -s inherit_errexit

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
for _lib in prereq net host guests scenarios labjson; do
  # shellcheck disable=SC1090
  source "$LAB_SRC/lib/$_lib.sh"
done
unset _lib

usage() {
  cat <<'TXT'
usage: lab.sh COMMAND [ARGS]
  prereq                      install missing Debian packages, the libvirt-qemu account, guest kernel + initramfs
  up                          bring the lab up; idempotent, and on a running lab it only starts what is missing
  down                        take everything down, also after a crash or a half-done up
  status                      show the lab; exit 0 up, 1 partly up, 2 down
  reset                       undo every scenario on a running lab (MTUs, tc, daemons, keys, watchdogs) + vm-reset
  purge                       down, then delete the lab's state (keys, host state); keeps the downloaded kernel
  hx HOST CMD...              run CMD inside HOST's namespaces (net, mount, uts)
  ssh HOST [CMD...]           ssh from the root namespace with the lab's client key
  mtu HOST|sw|rt IFACE MTU    set an interface's MTU
  blackhole on|off PORT [LIM] drop frames longer than LIM (1514) at switch PORT, both ways, silently
  shape on|off PORT RATE      tbf shaping of traffic the switch sends out of PORT (e.g. 80mbit)
  stop|start sshd|libvirtd HOST
  watchdog HOST VM SECONDS    domjobabort VM on HOST after SECONDS if its job still runs; prints the pid
  watchdog cancel [PID|all]
  vm-reset                    lab guests back on their home host, defined and running; strays removed
  guest VM [dirty=N] [rate=R] restart VM at home with another hot set (MiB) / write speed (MiB/s); vm-reset undoes
  rekey HOST [--restore]      new ssh host keys for HOST (clients must refuse it), or the original ones back
Hosts: hvA 10.77.0.11, hvB 10.77.0.12 (MTU 9000, br0), hvC 10.77.1.13 (behind lab-rt, 1500).
Switch ports (lab-sw): sw-hvA sw-hvB sw-rt sw-mgmt (br0), sw2-hvA sw2-hvB (br1, migration network).
State: ${FERRY_LAB_DIR:-/var/tmp/ferry-lab}
TXT
}

# ---- down -----------------------------------------------------------------------------------------------------
# Kill whatever runs inside the lab's network namespaces. Nothing outside the lab can be in them, so this finds
# stragglers a pid file does not name (ssh sessions, libvirtd's ssh clients) without matching any name.
sweep_namespaces() {
  local ns ino inos=() p pids=() link
  for ns in "${LAB_NETNS[@]}"; do
    [[ -e /run/netns/$ns ]] && inos+=("net:[$(stat -L -c %i "/run/netns/$ns")]")
  done
  ((${#inos[@]})) || return 0
  for p in /proc/[0-9]*; do
    link=$(readlink "$p/ns/net" 2>/dev/null) || continue
    for ino in "${inos[@]}"; do
      [[ $link == "$ino" ]] && pids+=("${p#/proc/}")
    done
  done
  ((${#pids[@]})) || return 0
  for p in "${pids[@]}"; do stop_pid "$p"; done
}

# One host: its guests, sshd, libvirtd, and any QEMU left behind by a libvirtd that died.
teardown_host() {
  local h=$1 f pid
  if host_ns_ready "$h"; then destroy_all "$h"; fi
  stop_daemon "$h" sshd
  stop_daemon "$h" libvirtd
  for f in "$(host_dir "$h")"/run/qemu/*.pid; do
    [[ -e $f ]] || continue
    if pid=$(lab_pid "$f" "$QEMU_BIN"); then stop_pid "$pid"; fi
  done
}

teardown() {
  local h pids=()
  watchdog_cancel all
  for h in "${HOSTS[@]}"; do
    teardown_host "$h" &
    pids+=($!)
  done
  wait "${pids[@]}" || true
  sweep_namespaces
  for h in "${HOSTS[@]}"; do host_ns_down "$h"; done
  if mountpoint -q "$NS_DIR" 2>/dev/null; then umount "$NS_DIR"; fi
  net_down
  rm -f "$LAB_DIR/lab.json"
}

cmd_down() {
  require_root
  take_lock
  local t0
  t0=$(now)
  teardown
  say "lab down in $(since "$t0")"
}

cmd_purge() {
  require_root
  take_lock
  teardown
  rm -rf "$LAB_DIR/hosts" "$LAB_DIR/keys" "$LAB_DIR/pki" "$RUN_DIR" "$NS_DIR"
  say "lab purged (kept $GUEST_DIR and $CACHE_DIR)"
}

# ---- up -------------------------------------------------------------------------------------------------------
infra_ready() {
  local h
  net_exists || return 1
  for h in "${HOSTS[@]}"; do host_ns_ready "$h" || return 1; done
}

# Every host's root can reach the others over ssh with verified keys (what p2p migration does).
check_trust() {
  local h o pids=() bad=0
  for h in "${HOSTS[@]}"; do
    for o in "${HOSTS[@]}"; do
      if [[ $h == "$o" ]] || is_rekeyed "$o"; then continue; fi
      in_host "$h" ssh -o BatchMode=yes -o ConnectTimeout=5 "$o" true </dev/null >/dev/null 2>&1 &
      pids+=($!)
    done
  done
  for o in "${pids[@]}"; do wait "$o" || bad=1; done
  ((bad == 0)) || die "a lab host cannot ssh to another (check known_hosts / authorized_keys under $LAB_DIR/hosts)"
}

# MODE up:    build whatever is missing. On a running lab nothing is undone: someone's test may be using a black
#             hole or a migrated guest. Missing daemons are started, guests running nowhere are started at home.
# MODE reset: the lab must exist; every scenario is undone (MTUs, tc, host keys, watchdogs) and vm-reset runs.
bring_up() {
  local mode=$1 t0 t1 h warm
  t0=$(now)
  install_packages
  ensure_qemu_account
  fetch_kernel
  build_initramfs
  client_key
  for h in "${HOSTS[@]}"; do host_config "$h"; done
  trust_config
  pki
  if infra_ready; then
    if [[ $mode == reset ]]; then
      watchdog_cancel all
      for h in "${HOSTS[@]}"; do rekey_restore "$h"; done
      net_reset
    fi
  else
    [[ $mode == up ]] || die "the lab is not up (run: lab.sh up)"
    teardown
    for h in "${HOSTS[@]}"; do rekey_restore "$h"; done
    net_up
    for h in "${HOSTS[@]}"; do host_ns_up "$h"; done
  fi
  for h in "${HOSTS[@]}"; do
    start_daemon "$h" sshd
    start_daemon "$h" libvirtd
  done
  t1=$(now)
  warm_caps &
  warm=$!
  if [[ $mode == reset ]]; then vm_reset; else ensure_guests; fi
  wait "$warm"
  wait_guests_up
  say "$mode: capabilities + guests in $(since "$t1")"
  for h in "${HOSTS[@]}"; do
    if is_rekeyed "$h"; then
      warn "$h has rekeyed host keys (lab.sh rekey $h --restore, or lab.sh reset)"
      continue
    fi
    wait_for 50 host_ssh_ok "$h" || die "$h: ssh from the root namespace fails"
  done
  check_trust
  write_lab_json
  say "lab $mode in $(since "$t0") ($LAB_DIR/lab.json)"
}

cmd_up() {
  require_root
  take_lock
  bring_up up
}

cmd_reset() {
  require_root
  take_lock
  bring_up reset
}

cmd_vm_reset() {
  require_root
  take_lock
  infra_ready || die "the lab is not up (run: lab.sh up)"
  local h
  for h in "${HOSTS[@]}"; do start_daemon "$h" libvirtd; done
  vm_reset
  wait_guests_up
  say "vm-reset: ${VMS[*]} running on their home hosts"
}

# `guest VM [dirty=N] [rate=R]`: VM re-created at home (defined with the new command line, restarted, GUEST UP) with
# N MiB of hot set rewritten at R MiB/s. Unnamed settings take the canonical value (`guest vmd` = vm-reset of vmd);
# vm-reset and reset put the canonical ones back.
cmd_guest() {
  (($# >= 1)) || die "usage: lab.sh guest VM [dirty=N] [rate=R]"
  local vm=$1 arg max
  shift
  [[ -n ${VM_HOME[$vm]:-} ]] || die "unknown guest '$vm' (${VMS[*]})"
  for arg in "$@"; do
    case $arg in
      dirty=*) VM_DIRTY[$vm]=${arg#dirty=} ;;
      rate=*) VM_RATE[$vm]=${arg#rate=} ;;
      *) die "guest: '$arg' is neither dirty=N nor rate=R" ;;
    esac
  done
  # The hot set and its random source both live in the guest's RAM (a tmpfs of 2N+8 MiB): at most a third of it.
  max=$((VM_MEM[$vm] / 3))
  [[ ${VM_DIRTY[$vm]} =~ ^[0-9]{1,4}$ ]] && ((VM_DIRTY[$vm] <= max)) || die "guest: dirty must be 0..$max (MiB) for $vm"
  [[ ${VM_RATE[$vm]} =~ ^[0-9]{1,4}$ ]] && ((VM_RATE[$vm] <= 1000)) || die "guest: rate must be 0..1000 (MiB/s)"
  ((VM_RATE[$vm] == 0 || VM_DIRTY[$vm] > 0)) || die "guest: rate needs a hot set (dirty=N > 0)"
  take_lock
  infra_ready || die "the lab is not up (run: lab.sh up)"
  # The initramfs whose /init knows rate=R (it is shared by every host, and rebuilt only when init.sh changed).
  build_initramfs
  start_daemon "${VM_HOME[$vm]}" libvirtd
  vm_reset "$vm"
  wait_guests_up
  say "guest: $vm running on ${VM_HOME[$vm]} with $(guest_cmdline "$vm")"
}

# ---- status ---------------------------------------------------------------------------------------------------
cmd_status() {
  require_root
  local rc=0 any=0 ns h line pid vm
  for ns in "${LAB_NETNS[@]}"; do [[ -e /run/netns/$ns ]] && any=1; done
  if ((any == 0)); then
    say "lab: down ($LAB_DIR)"
    return 2
  fi
  net_exists || {
    rc=1
    say "network: incomplete"
  }
  for h in "${HOSTS[@]}"; do
    line="$h ${HOST_IP[$h]}"
    if ! host_ns_ready "$h"; then
      say "$line  namespaces missing"
      rc=1
      continue
    fi
    if pid=$(sshd_pid "$h"); then line+="  sshd $pid"; else
      line+="  sshd DOWN"
      rc=1
    fi
    if pid=$(libvirtd_pid "$h"); then
      line+="  libvirtd $pid  domains:"
      while read -r _ vm state; do
        [[ -n $vm ]] && line+=" $vm($state)"
      done < <(virsh_on "$h" list --all 2>/dev/null | sed 's/  */ /g; s/^ //')
    else
      line+="  libvirtd DOWN"
      rc=1
    fi
    say "$line"
  done
  if ((rc == 0)); then say "lab: up ($LAB_DIR)"; else say "lab: partly up ($LAB_DIR; run lab.sh up)"; fi
  return "$rc"
}

# ---- entering hosts -------------------------------------------------------------------------------------------
cmd_hx() {
  (($# >= 2)) || die "usage: lab.sh hx HOST CMD..."
  need_host "$1"
  host_ns_ready "$1" || die "$1 is not up (run: lab.sh up)"
  local h=$1 wd=/
  shift
  [[ -d $PWD ]] && wd=$PWD
  # exec: a signal sent to lab.sh (a test's timeout) reaches the command itself.
  exec nsenter --net="/run/netns/lab-$h" --mount="$NS_DIR/$h.mnt" --uts="$NS_DIR/$h.uts" --wd="$wd" -- "$@"
}

cmd_ssh() {
  (($# >= 1)) || die "usage: lab.sh ssh HOST [CMD...]"
  need_host "$1"
  local h=$1
  shift
  exec ssh -F /dev/null -i "$CLIENT_KEY" -o UserKnownHostsFile="$KNOWN_HOSTS" -o GlobalKnownHostsFile=/dev/null \
    -o StrictHostKeyChecking=yes -o BatchMode=yes "root@${HOST_IP[$h]}" "$@"
}

main() {
  local cmd=${1:-help}
  (($#)) && shift
  case $cmd in
    prereq) cmd_prereq "$@" ;;
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    reset) cmd_reset ;;
    purge) cmd_purge ;;
    vm-reset) cmd_vm_reset ;;
    guest) require_root && cmd_guest "$@" ;;
    hx) require_root && cmd_hx "$@" ;;
    ssh) cmd_ssh "$@" ;;
    mtu) require_root && cmd_mtu "$@" ;;
    blackhole) require_root && cmd_blackhole "$@" ;;
    shape) require_root && cmd_shape "$@" ;;
    stop | start) require_root && cmd_daemon "$cmd" "$@" ;;
    watchdog) require_root && cmd_watchdog "$@" ;;
    _watchdog) cmd__watchdog "$@" ;;
    rekey) require_root && cmd_rekey "$@" ;;
    help | -h | --help) usage ;;
    *)
      usage >&2
      exit 64
      ;;
  esac
}

main "$@"
