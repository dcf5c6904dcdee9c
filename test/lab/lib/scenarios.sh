# shellcheck shell=bash
# Scenario helpers for tests: MTUs, a faithful MTU black hole, bandwidth shaping, stopping daemons, a migration
# watchdog and host-key changes. `lab.sh reset` (and `up` on a running lab) undoes all of them.

cmd_mtu() { # HOST IFACE MTU   (HOST: hvA|hvB|hvC|sw|rt)
  (($# == 3)) || die "usage: lab.sh mtu HOST IFACE MTU"
  [[ $3 =~ ^[0-9]+$ ]] || die "MTU must be a number"
  local ns
  ns=$(netns_of "$1")
  [[ -e /run/netns/$ns ]] || die "no namespace $ns (is the lab up?)"
  ip -n "$ns" link set "$2" mtu "$3"
  ip -n "$ns" route flush cache 2>/dev/null || true
}

switch_port_exists() { ip -n "$SW_NS" link show "$1" >/dev/null 2>&1; }

# An MTU black hole at switch port PORT: frames longer than LIMIT bytes (L2, 1514 = a 1500-byte IP packet) vanish
# in both directions with no ICMP. Lowering the port's MTU is NOT faithful: GSO/TSO super-packets skip the MTU
# check and bulk TCP leaks through (91 MB crossed a 1500 port with 54 drops). Instead, a clsact qdisc with a classic-BPF `len > LIMIT` filter
# redirects such frames into bh0, whose peer is down, so they are dropped. This kernel has no gact/police/u32.
cmd_blackhole() { # on|off PORT [LIMIT]
  (($# >= 2)) || die "usage: lab.sh blackhole on|off SWITCHPORT [L2_LIMIT=1514]"
  local action=$1 port=$2 limit=${3:-1514} dir
  switch_port_exists "$port" || die "no switch port '$port' in $SW_NS (e.g. sw-hvB, sw2-hvB)"
  case $action in
    on)
      [[ $limit =~ ^[0-9]+$ ]] || die "limit must be a number"
      # ld len; jgt limit ? match : no match
      local prog="4,128 0 0 0,37 0 1 $limit,6 0 0 4294967295,6 0 0 0"
      tc -n "$SW_NS" qdisc del dev "$port" clsact 2>/dev/null || true
      tc -n "$SW_NS" qdisc add dev "$port" clsact
      for dir in ingress egress; do
        tc -n "$SW_NS" filter add dev "$port" "$dir" protocol all prio 1 bpf bytecode "$prog" \
          action mirred egress redirect dev bh0
      done
      ;;
    off) tc -n "$SW_NS" qdisc del dev "$port" clsact 2>/dev/null || true ;;
    *) die "usage: lab.sh blackhole on|off SWITCHPORT [L2_LIMIT]" ;;
  esac
}

# Token-bucket shaping at switch port PORT: it limits what the switch sends TO the host behind the port (e.g.
# sw2-hvB shapes a migration into hvB). There is no netem in this kernel: no delay or loss (pitfall P12).
cmd_shape() { # on|off PORT [RATE]
  (($# >= 2)) || die "usage: lab.sh shape on|off SWITCHPORT RATE   (RATE as tc spells it, e.g. 80mbit)"
  local action=$1 port=$2
  switch_port_exists "$port" || die "no switch port '$port' in $SW_NS"
  case $action in
    on)
      (($# == 3)) || die "usage: lab.sh shape on SWITCHPORT RATE"
      tc -n "$SW_NS" qdisc replace dev "$port" root tbf rate "$3" burst 256kb latency 50ms
      ;;
    off) tc -n "$SW_NS" qdisc del dev "$port" root 2>/dev/null || true ;;
    *) die "usage: lab.sh shape on|off SWITCHPORT RATE" ;;
  esac
}

cmd_daemon() { # stop|start sshd|libvirtd HOST
  (($# == 3)) || die "usage: lab.sh stop|start sshd|libvirtd HOST"
  need_host "$3"
  host_ns_ready "$3" || die "$3 is not up"
  case $1 in
    stop) stop_daemon "$3" "$2" ;;
    start) start_daemon "$3" "$2" ;;
  esac
}

# ---- watchdog -------------------------------------------------------------------------------------------------
# `watchdog HOST VM SECONDS` prints the watchdog's pid and returns at once. After SECONDS, if VM on HOST still
# has a job (a migration that never ends on its own, e.g. through a black hole), it runs `virsh domjobabort`.
# Each watchdog is its own process group with a pid file in $RUN_DIR; `watchdog cancel PID|all` and `down` end it.
watchdog_pid() { # FILE -> pid when the file names a live watchdog of ours
  local pid=''
  read -r pid <"$1" 2>/dev/null || true
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  local cmdline
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmdline == *"lab.sh _watchdog "* ]] || return 1
  printf '%s' "$pid"
}

cmd_watchdog() {
  if [[ ${1:-} == cancel ]]; then
    watchdog_cancel "${2:-all}"
    return
  fi
  (($# == 3)) || die "usage: lab.sh watchdog HOST VM SECONDS | watchdog cancel [PID|all]"
  need_host "$1"
  [[ $3 =~ ^[0-9]+$ ]] || die "SECONDS must be a whole number"
  mkdir -p "$RUN_DIR"
  local ready=$RUN_DIR/watchdog.$$.$RANDOM i
  spawn_bg setsid bash "$LAB_SRC/lab.sh" _watchdog "$1" "$2" "$3" "$ready"
  for ((i = 0; i < 50; i++)); do
    [[ -s $ready ]] && break
    sleep 0.05
  done
  [[ -s $ready ]] || die "watchdog did not start"
  cat "$ready"
  rm -f "$ready"
}

# The watchdog process itself (a session leader: setsid).
cmd__watchdog() {
  local h=$1 vm=$2 secs=$3 ready=$4 log
  mkdir -p "$RUN_DIR"
  printf '%s\n' "$$" >"$RUN_DIR/watchdog-$$.pid"
  log=$RUN_DIR/watchdog-$$.log
  printf '%s\n' "$$" >"$ready"
  trap 'rm -f "$RUN_DIR/watchdog-$$.pid"' EXIT
  sleep "$secs"
  local job
  job=$(virsh_on "$h" domjobinfo "$vm" 2>/dev/null) || job=''
  if [[ $job =~ Job\ type:\ +Unbounded ]]; then
    printf '%s watchdog: %s on %s still has a job after %ss: domjobabort\n' "$(date +%T)" "$vm" "$h" "$secs" >>"$log"
    virsh_on "$h" domjobabort "$vm" >>"$log" 2>&1 || true
  fi
}

watchdog_cancel() { # PID|all
  local f pid
  shopt -s nullglob
  for f in "$RUN_DIR"/watchdog-*.pid; do
    pid=$(watchdog_pid "$f") || {
      rm -f "$f"
      continue
    }
    [[ $1 == all || $1 == "$pid" ]] || continue
    kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
    rm -f "$f"
  done
  shopt -u nullglob
}

# ---- host keys ------------------------------------------------------------------------------------------------
# `rekey HOST` gives HOST new ssh host keys and restarts its sshd; known_hosts files and lab.json keep the old
# keys, so clients must now refuse the host. The original keys are kept and `rekey HOST --restore` (or `reset`,
# or `up`) puts them back.
cmd_rekey() {
  (($# >= 1)) || die "usage: lab.sh rekey HOST [--restore]"
  need_host "$1"
  host_ns_ready "$1" || die "$1 is not up"
  local h=$1 d t
  d=$(host_dir "$h")/etc-ssh
  if [[ ${2:-} == --restore ]]; then
    rekey_restore "$h"
    return
  fi
  [[ -z ${2:-} ]] || die "usage: lab.sh rekey HOST [--restore]"
  if [[ ! -d $d/original ]]; then
    mkdir -p "$d/original"
    cp -p "$d"/ssh_host_*_key "$d"/ssh_host_*_key.pub "$d/original/"
  fi
  for t in ed25519 rsa; do
    rm -f "$d/ssh_host_${t}_key" "$d/ssh_host_${t}_key.pub"
  done
  ssh-keygen -q -t ed25519 -N '' -C "root@$h-rekeyed" -f "$d/ssh_host_ed25519_key"
  ssh-keygen -q -t rsa -b 3072 -N '' -C "root@$h-rekeyed" -f "$d/ssh_host_rsa_key"
  stop_daemon "$h" sshd
  start_daemon "$h" sshd
  say "$h: new host keys ($(ssh-keygen -lf "$d/ssh_host_ed25519_key.pub" | cut -d' ' -f2))"
}

rekey_restore() {
  local h=$1 d
  d=$(host_dir "$h")/etc-ssh
  [[ -d $d/original ]] || return 0
  cp -p "$d"/original/* "$d/"
  rm -rf "$d/original"
  if host_ns_ready "$h"; then
    stop_daemon "$h" sshd
    start_daemon "$h" sshd
  fi
  say "$h: original host keys restored"
}
