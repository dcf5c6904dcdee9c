# shellcheck shell=bash
# One "hypervisor host": its state directory, configuration, keys, persistent mount + UTS namespaces, and its
# own sshd and libvirtd.
#
# Per-host state in $LAB_DIR/hosts/<h>/, bind-mounted inside the host over:
#   etc-libvirt -> /etc/libvirt      etc-ssh -> /etc/ssh        hosts -> /etc/hosts
#   run         -> /run/libvirt      lib     -> /var/lib/libvirt
#   log         -> /var/log/libvirt  cache   -> /var/cache/libvirt (QEMU capabilities cache survives down/up)
#   home        -> /root             (its own home, not only .ssh: the machine's /root/.bashrc costs ~100 ms/exec)
# Keys, host UUIDs and the capabilities cache persist across down/up; `purge` removes them.

BIND_DIRS=(etc-libvirt:/etc/libvirt etc-ssh:/etc/ssh run:/run/libvirt lib:/var/lib/libvirt log:/var/log/libvirt
  cache:/var/cache/libvirt home:/root)

write_if_changed() { # FILE MODE: content on stdin
  local file=$1 mode=$2 tmp
  tmp=$(mktemp "$file.XXXX")
  cat >"$tmp"
  chmod "$mode" "$tmp"
  if cmp -s "$tmp" "$file"; then rm -f "$tmp"; else mv "$tmp" "$file"; fi
}

client_key() {
  mkdir -p "$LAB_DIR/keys"
  chmod 700 "$LAB_DIR/keys"
  [[ -s $CLIENT_KEY ]] || ssh-keygen -q -t ed25519 -N '' -C ferry-lab-client -f "$CLIENT_KEY"
}

host_keys() {
  local h=$1 d t
  d=$(host_dir "$h")
  for t in ed25519 rsa; do
    [[ -s $d/etc-ssh/ssh_host_${t}_key ]] && continue
    if [[ $t == rsa ]]; then
      ssh-keygen -q -t rsa -b 3072 -N '' -C "root@$h" -f "$d/etc-ssh/ssh_host_rsa_key"
    else
      ssh-keygen -q -t ed25519 -N '' -C "root@$h" -f "$d/etc-ssh/ssh_host_ed25519_key"
    fi
  done
  # The host's own root identity, used by its libvirtd for outgoing qemu+ssh:// (p2p migration).
  [[ -s $d/home/.ssh/id_ed25519 ]] || ssh-keygen -q -t ed25519 -N '' -C "root@$h" -f "$d/home/.ssh/id_ed25519"
}

host_config() {
  local h=$1 d
  d=$(host_dir "$h")
  mkdir -p "$d"/{etc-libvirt,etc-ssh,run,lib,log/qemu,cache,home/.ssh,pki}
  chmod 700 "$d/home" "$d/home/.ssh"
  host_keys "$h"
  [[ -s $d/host_uuid ]] || cat /proc/sys/kernel/random/uuid >"$d/host_uuid"

  write_if_changed "$d/etc-ssh/sshd_config" 644 <<CONF
# sshd of lab host $h (written by test/lab/lab.sh)
Port 22
ListenAddress 0.0.0.0
HostKey /etc/ssh/ssh_host_ed25519_key
HostKey /etc/ssh/ssh_host_rsa_key
PidFile /run/libvirt/sshd.pid
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
AuthorizedKeysFile .ssh/authorized_keys
PrintMotd no
PrintLastLog no
# OpenSSH's default, kept on purpose: a real hypervisor allows 10 channels per connection and Ferry's pool must
# queue the 11th.
MaxSessions 10
# Generous: parallel test files open many connections at once.
MaxStartups 100:30:200
Subsystem sftp /usr/lib/openssh/sftp-server
AcceptEnv LANG LC_*
CONF
  [[ -e $d/etc-ssh/moduli || ! -e /etc/ssh/moduli ]] || cp /etc/ssh/moduli "$d/etc-ssh/moduli"
  write_if_changed "$d/etc-ssh/ssh_config" 644 <<'CONF'
Host *
  SendEnv LANG LC_*
  HashKnownHosts no
CONF

  write_if_changed "$d/home/.ssh/config" 600 <<'CONF'
Host *
  IdentityFile ~/.ssh/id_ed25519
  UserKnownHostsFile ~/.ssh/known_hosts
  StrictHostKeyChecking yes
CONF

  {
    printf '127.0.0.1 localhost\n'
    local o
    for o in "${HOSTS[@]}"; do printf '%s %s\n' "${HOST_IP[$o]}" "$o"; done
  } | write_if_changed "$d/hosts" 644

  write_if_changed "$d/etc-libvirt/libvirtd.conf" 644 <<CONF
# libvirtd of lab host $h (monolithic libvirtd; there is no SMBIOS here, so the UUID is set)
host_uuid = "$(cat "$d/host_uuid")"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
CONF
  write_if_changed "$d/etc-libvirt/qemu.conf" 644 <<CONF
# QEMU driver of lab host $h. QEMU runs as root without cgroups, namespaces or a security driver: the lab host
# is itself a namespace on a machine without systemd.
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
cgroup_controllers = [ ]
namespaces = [ ]
stdio_handler = "file"
migration_port_min = 49152
migration_port_max = 49215
migrate_tls_x509_cert_dir = "$d/pki"
CONF
}

# A host's canonical public host key: while `rekey` is in effect, the original one (which clients must keep trusting).
host_pub() { # HOST TYPE
  local d
  d=$(host_dir "$1")/etc-ssh
  if [[ -d $d/original ]]; then d=$d/original; fi
  tr -d '\n' <"$d/ssh_host_$2_key.pub"
}
is_rekeyed() { [[ -d $(host_dir "$1")/etc-ssh/original ]]; }

# Everyone's keys, once all hosts have them: the client's known_hosts, each host's authorized_keys (client key
# plus every host's root key, for p2p) and each host's known_hosts (verified, StrictHostKeyChecking yes).
trust_config() {
  local h t d names
  {
    for h in "${HOSTS[@]}"; do
      names="${HOST_IP[$h]},$h"
      [[ -n ${MIG_IP[$h]:-} ]] && names+=",${MIG_IP[$h]}"
      for t in ed25519 rsa; do
        printf '%s %s\n' "$names" "$(host_pub "$h" "$t" | cut -d' ' -f1,2)"
      done
    done
  } | write_if_changed "$KNOWN_HOSTS" 644
  for h in "${HOSTS[@]}"; do
    d=$(host_dir "$h")
    install -m 600 "$KNOWN_HOSTS" "$d/home/.ssh/known_hosts"
    {
      cat "$CLIENT_KEY.pub"
      for t in "${HOSTS[@]}"; do cat "$(host_dir "$t")/home/.ssh/id_ed25519.pub"; done
    } | write_if_changed "$d/home/.ssh/authorized_keys" 600
  done
}

# TLS for `virsh migrate --tls`: a lab CA and, per host, server and client certificates (EC P-256) in the
# directory qemu.conf names. Made once.
pki() {
  local ca=$LAB_DIR/pki h d role eku ip
  mkdir -p "$ca"
  if [[ ! -s $ca/ca-cert.pem ]]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 -subj /CN=ferry-lab-ca \
      -keyout "$ca/ca-key.pem" -out "$ca/ca-cert.pem" -addext basicConstraints=critical,CA:TRUE \
      -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
  fi
  for h in "${HOSTS[@]}"; do
    d=$(host_dir "$h")/pki
    ip=${HOST_IP[$h]}
    [[ -s $d/client-cert.pem && $d/ca-cert.pem -nt $ca/ca-key.pem ]] && continue
    for role in server client; do
      [[ $role == server ]] && eku=serverAuth || eku=clientAuth
      openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$h" \
        -keyout "$d/$role-key.pem" -out "$d/$role.csr" 2>/dev/null
      openssl x509 -req -in "$d/$role.csr" -CA "$ca/ca-cert.pem" -CAkey "$ca/ca-key.pem" -CAcreateserial \
        -days 3650 -out "$d/$role-cert.pem" 2>/dev/null -extfile <(printf '%s\n' \
          "subjectAltName=DNS:$h,IP:$ip${MIG_IP[$h]:+,IP:${MIG_IP[$h]}}" "extendedKeyUsage=$eku" \
          keyUsage=critical,digitalSignature,keyEncipherment basicConstraints=CA:FALSE)
      rm -f "$d/$role.csr"
    done
    cp "$ca/ca-cert.pem" "$d/ca-cert.pem"
    chmod 600 "$d"/*-key.pem
  done
}

# The persistent mount and UTS namespaces are made from the root mount namespace (only the network namespace is
# entered), and their files live under a private bind mount, so they outlive the command (pitfall P5).
host_ns_up() {
  local h=$1 d b src dst
  d=$(host_dir "$h")
  mkdir -p "$NS_DIR"
  if ! mountpoint -q "$NS_DIR"; then
    mount --bind "$NS_DIR" "$NS_DIR"
    mount --make-private "$NS_DIR"
  fi
  : >"$NS_DIR/$h.mnt"
  : >"$NS_DIR/$h.uts"
  local script="set -e; hostname $h"
  # sysfs of this network namespace, so /sys/class/net shows the host's own NICs.
  script+="; umount -l /sys; mount -t sysfs sysfs /sys"
  for b in "${BIND_DIRS[@]}"; do
    src=$d/${b%%:*}
    dst=${b#*:}
    # Only libvirt's own directories may be missing on a fresh machine; they belong to installed packages.
    [[ -d $dst ]] || mkdir -p "$dst"
    script+="; mount --bind '$src' '$dst'"
  done
  script+="; mount --bind '$d/hosts' /etc/hosts"
  mkdir -p /run/sshd # sshd's privilege-separation directory (no systemd to make it)
  nsenter --net="/run/netns/lab-$h" unshare --mount="$NS_DIR/$h.mnt" --uts="$NS_DIR/$h.uts" --propagation private \
    sh -c "$script"
}

host_ns_down() {
  local h=$1 f
  for f in "$NS_DIR/$h.mnt" "$NS_DIR/$h.uts"; do
    mountpoint -q "$f" 2>/dev/null && umount "$f"
    rm -f "$f"
  done
  return 0
}

# ---- daemons --------------------------------------------------------------------------------------------------
sshd_pid() { lab_pid "$(host_dir "$1")/run/sshd.pid" "$SSHD_BIN"; }
libvirtd_pid() { lab_pid "$(host_dir "$1")/run/libvirtd.pid" "$LIBVIRTD_BIN"; }

wait_for() { # TENTHS_OF_SECONDS COMMAND...
  local n=$1 i
  shift
  for ((i = 0; i < n; i++)); do
    "$@" && return 0
    sleep 0.1
  done
  return 1
}

# Daemons start with a clean environment: whatever called lab.sh (vitest, an engineer's shell) must not leak in.
start_daemon() {
  local h=$1 which=$2
  case $which in
    sshd)
      sshd_pid "$h" >/dev/null && return 0
      rm -f "$(host_dir "$h")/run/sshd.pid"
      in_host "$h" "$SSHD_BIN" -t -f /etc/ssh/sshd_config || die "$h: sshd_config rejected"
      spawn in_host "$h" env -i PATH="$DAEMON_PATH" LANG=C.UTF-8 \
        "$SSHD_BIN" -f /etc/ssh/sshd_config -E /var/log/libvirt/sshd.log
      wait_for 50 sshd_pid "$h" >/dev/null || die "$h: sshd did not start (see $(host_dir "$h")/log/sshd.log)"
      ;;
    libvirtd)
      libvirtd_pid "$h" >/dev/null && return 0
      rm -f "$(host_dir "$h")/run/libvirtd.pid"
      spawn in_host "$h" env -i PATH="$DAEMON_PATH" HOME=/root LANG=C.UTF-8 \
        "$LIBVIRTD_BIN" -d -p /run/libvirt/libvirtd.pid
      wait_for 100 test -S "$(host_dir "$h")/run/libvirt-sock" &&
        wait_for 50 libvirtd_pid "$h" >/dev/null ||
        die "$h: libvirtd did not start (see $(host_dir "$h")/log/libvirtd.log)"
      ;;
    *) die "unknown daemon '$which' (sshd or libvirtd)" ;;
  esac
}

stop_daemon() {
  local h=$1 which=$2 pid
  case $which in
    sshd) pid=$(sshd_pid "$h") || return 0 ;;
    libvirtd) pid=$(libvirtd_pid "$h") || return 0 ;;
    *) die "unknown daemon '$which' (sshd or libvirtd)" ;;
  esac
  stop_pid "$pid"
  # libvirtd leaves its socket behind; a stale one would make virsh hang instead of fail fast.
  [[ $which == libvirtd ]] && rm -f "$(host_dir "$h")/run/libvirt-sock" "$(host_dir "$h")/run/libvirt-sock-ro" \
    "$(host_dir "$h")/run/libvirt-admin-sock"
  return 0
}

# The first use of libvirt's QEMU driver probes QEMU's capabilities (~8 s under TCG). Doing it here, for every
# host at once, keeps that cost out of the first migration (pitfall P6). The cache persists across down/up.
warm_caps() {
  local h pids=()
  for h in "${HOSTS[@]}"; do
    virsh_on "$h" domcapabilities --virttype qemu >/dev/null 2>&1 &
    pids+=($!)
  done
  wait "${pids[@]}" || warn "capabilities probe failed on a host (see its libvirtd.log)"
}

host_ssh_ok() {
  ssh -F /dev/null -i "$CLIENT_KEY" -o UserKnownHostsFile="$KNOWN_HOSTS" -o GlobalKnownHostsFile=/dev/null \
    -o StrictHostKeyChecking=yes -o BatchMode=yes -o ConnectTimeout=3 "root@${HOST_IP[$1]}" true 2>/dev/null
}
