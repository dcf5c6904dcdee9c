# shellcheck shell=bash
# Shared by every lab.sh subcommand: the topology (one table, the only place names and addresses are spelled),
# logging, locking, and the pid checks that let `down` kill exactly the lab's own processes and nothing else.

LAB_DIR=${FERRY_LAB_DIR:-/var/tmp/ferry-lab}
LAB_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# ---- topology -------------------------------------------------------------------------------------------------
HOSTS=(hvA hvB hvC)
declare -A HOST_IP=([hvA]=10.77.0.11 [hvB]=10.77.0.12 [hvC]=10.77.1.13)
declare -A HOST_MTU=([hvA]=9000 [hvB]=9000 [hvC]=1500)
# Switch port (in lab-sw) or router port (in lab-rt) on the other end of each host's eth0.
declare -A HOST_PEER=([hvA]=sw-hvA [hvB]=sw-hvB [hvC]=r1)
# Dedicated migration network (br1): only hvA and hvB have a mig0.
MIG_HOSTS=(hvA hvB)
declare -A MIG_IP=([hvA]=10.77.2.11 [hvB]=10.77.2.12)
MIG_MTU=9000
SW_NS=lab-sw
RT_NS=lab-rt
RT_IP0=10.77.0.1   # router leg on br0 (r0, MTU 9000)
RT_IP1=10.77.1.1   # router leg towards hvC (r1, MTU 1500)
MGMT_IF=labmgmt0
MGMT_IP=10.77.0.254
BR_MTU=9000

# Guests: name -> home host, memory (MiB), dirty (MiB rewritten per loop), fixed UUID (so redefinitions never clash).
VMS=(vm1 vmd)
declare -A VM_HOME=([vm1]=hvA [vmd]=hvA)
declare -A VM_MEM=([vm1]=128 [vmd]=256)
declare -A VM_DIRTY=([vm1]=0 [vmd]=20)
# Write speed of the dirty loop, MiB/s; 0 = the canonical loop (rewrite the hot set, sleep 1 s). Only `lab.sh guest`
# sets another one, for one run of lab.sh.
declare -A VM_RATE=([vm1]=0 [vmd]=0)
declare -A VM_UUID=([vm1]=f3e7a001-0000-4000-8000-000000000001 [vmd]=f3e7a001-0000-4000-8000-000000000002)

# Debian packages the lab needs. Only the missing ones are ever named to apt (pitfall P18: naming an installed
# package such as openssl can upgrade it and its libraries).
APT_PACKAGES=(openssh-server libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 ethtool
  iputils-ping iputils-tracepath busybox-static)

QEMU_BIN=/usr/bin/qemu-system-x86_64
SSHD_BIN=/usr/sbin/sshd
LIBVIRTD_BIN=/usr/sbin/libvirtd
DAEMON_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# ---- paths ----------------------------------------------------------------------------------------------------
host_dir() { printf '%s/hosts/%s' "$LAB_DIR" "$1"; }
netns_of() {
  case $1 in
    sw | lab-sw) echo "$SW_NS" ;;
    rt | lab-rt) echo "$RT_NS" ;;
    *) echo "lab-$1" ;;
  esac
}
CLIENT_KEY=$LAB_DIR/keys/client_ed25519
KNOWN_HOSTS=$LAB_DIR/keys/known_hosts
RUN_DIR=$LAB_DIR/run          # watchdog pid files and logs
NS_DIR=$LAB_DIR/ns            # persistent mount/uts namespace files (a private bind mount)
GUEST_DIR=$LAB_DIR/guest      # vmlinuz, initrd.gz, domain XML: same absolute path on every host
CACHE_DIR=$LAB_DIR/cache      # downloaded kernel .deb, initramfs staging

# ---- output ---------------------------------------------------------------------------------------------------
say() { printf '%s\n' "$*"; }
warn() { printf 'lab: %s\n' "$*" >&2; }
die() {
  printf 'lab: error: %s\n' "$*" >&2
  exit 1
}
now() { printf '%s' "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f s", b - a }'; }

is_host() {
  local h
  for h in "${HOSTS[@]}"; do [[ $1 == "$h" ]] && return 0; done
  return 1
}
need_host() { is_host "$1" || die "unknown host '$1' (expected one of: ${HOSTS[*]})"; }
is_vm() {
  local v
  for v in "${VMS[@]}"; do [[ $1 == "$v" ]] && return 0; done
  return 1
}

require_root() { [[ $EUID -eq 0 ]] || die "the lab needs root (network namespaces, mounts, daemons)"; }

# Serialise the commands that change the lab (up, down, reset, vm-reset, prereq): tests and engineers share it.
# fd 9 must never reach a daemon, or the daemon would hold the lock for ever: spawn() closes it.
take_lock() {
  mkdir -p "$LAB_DIR"
  exec 9>"$LAB_DIR/.lock"
  flock -w 600 9 || die "another lab.sh has held $LAB_DIR/.lock for 10 minutes"
}

# Run a command detached from our stdio and from every other inherited fd (a daemon that kept a pipe to the caller
# open would make Node's child_process wait for ever). Not only lab.sh's own lock (fd 9): a caller's
# `flock /var/tmp/ferry-lab.lock lab.sh ...` hands its lock fd down too, and a libvirtd started under it held the
# shared lab lock for as long as it ran, so every other user of the lab waited.
close_inherited_fds() {
  local fd
  for fd in /proc/"$BASHPID"/fd/*; do
    fd=${fd##*/}
    if ((fd > 2)); then eval "exec $fd>&-" 2>/dev/null || true; fi
  done
}
spawn() {
  (
    exec </dev/null >/dev/null 2>&1
    close_inherited_fds
    "$@" # not exec: callers pass shell functions (in_host)
  )
}
# For a process that lives on in the background (a watchdog): the subshell becomes the process itself (exec), so
# no waiting shell is left holding the caller's stdout (Node waits for it to close) or the lock.
spawn_bg() {
  (
    exec </dev/null >/dev/null 2>&1
    close_inherited_fds
    exec "$@"
  ) &
}

# ---- process identity -----------------------------------------------------------------------------------------
# A pid from a pid file is trusted only if the process still runs the expected binary and lives outside the root
# network namespace: a stale file whose pid was reused by an unrelated process is ignored.
root_netns=$(readlink /proc/self/ns/net) # lab.sh runs in the root namespace (PID 1 is not readable here)
exe_of() {
  local e
  e=$(readlink "/proc/$1/exe" 2>/dev/null) || return 1
  printf '%s' "${e% (deleted)}"
}
lab_pid() { # FILE EXE -> prints the pid when it is ours
  local file=$1 exe=$2 pid=''
  [[ -r $file ]] || return 1
  read -r pid <"$file" 2>/dev/null || true
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ $(exe_of "$pid") == "$exe" ]] || return 1
  [[ $(readlink "/proc/$pid/ns/net" 2>/dev/null) != "$root_netns" ]] || return 1
  printf '%s' "$pid"
}
# TERM, wait up to 5 s, then KILL.
stop_pid() {
  local pid=$1 i
  kill "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    # A zombie waiting for the (slow) init to reap it counts as gone (pitfall P22).
    [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) == Z ]] && return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

# ---- entering a host ------------------------------------------------------------------------------------------
host_ns_ready() {
  local h=$1
  [[ -e /run/netns/lab-$h ]] && mountpoint -q "$NS_DIR/$h.mnt" 2>/dev/null && mountpoint -q "$NS_DIR/$h.uts" 2>/dev/null
}
# Run a command inside host H: its network, mount and UTS namespaces. The working directory is kept (nsenter
# would otherwise switch to /, pitfall P23), which is the same path in the host's mount namespace.
in_host() {
  local h=$1
  shift
  local wd=/
  [[ -d $PWD ]] && wd=$PWD
  nsenter --net="/run/netns/lab-$h" --mount="$NS_DIR/$h.mnt" --uts="$NS_DIR/$h.uts" --wd="$wd" -- "$@"
}
virsh_on() {
  local h=$1
  shift
  in_host "$h" env -u LIBVIRT_DEFAULT_URI virsh -q -c qemu:///system "$@"
}

# JSON string literal (keys and paths here hold no control characters).
json_str() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  printf '"%s"' "$s"
}
