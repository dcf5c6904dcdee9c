# shellcheck shell=bash
# The lab's wiring: a switch namespace (br0 for everything, br1 for the dedicated migration network), one
# namespace per host, a router namespace in front of hvC's 1500-byte link, and a management veth from the root
# namespace so Node, running where the tests run, reaches every host's port 22.
#
#  root ns  labmgmt0 10.77.0.254 ──┐
#  lab-sw   br0 (9000) ── sw-hvA ── lab-hvA eth0 10.77.0.11      br1 (9000) ── sw2-hvA ── lab-hvA mig0 10.77.2.11
#                      ── sw-hvB ── lab-hvB eth0 10.77.0.12                 ── sw2-hvB ── lab-hvB mig0 10.77.2.12
#                      ── sw-rt  ── lab-rt  r0 10.77.0.1  (forwarding)  r1 10.77.1.1 ── lab-hvC eth0 10.77.1.13 (1500)
#                      ── sw-mgmt ─ labmgmt0

LAB_NETNS=("$SW_NS" "$RT_NS")
for _h in "${HOSTS[@]}"; do LAB_NETNS+=("lab-$_h"); done
unset _h

net_exists() {
  local ns
  for ns in "${LAB_NETNS[@]}"; do [[ -e /run/netns/$ns ]] || return 1; done
  ip link show "$MGMT_IF" >/dev/null 2>&1
}

# PORT (in lab-sw) <-> IFACE in namespace NS, enslaved to BRIDGE.
switch_port() {
  local port=$1 ns=$2 iface=$3 bridge=$4 mtu=$5
  ip link add "$port" netns "$SW_NS" type veth peer name "$iface" netns "$ns"
  ip -n "$SW_NS" link set "$port" mtu "$BR_MTU" master "$bridge" up
  ip -n "$ns" link set "$iface" mtu "$mtu" up
}

net_up() {
  local ns h
  for ns in "${LAB_NETNS[@]}"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
  done
  for ns in br0 br1; do
    ip -n "$SW_NS" link add "$ns" type bridge
    ip -n "$SW_NS" link set "$ns" mtu "$BR_MTU" up
  done
  # A veth whose peer stays down: frames redirected into bh0 are dropped (the MTU black hole, see scenarios.sh).
  ip -n "$SW_NS" link add bh0 type veth peer name bh1
  ip -n "$SW_NS" link set bh0 up

  for h in hvA hvB; do
    switch_port "sw-$h" "lab-$h" eth0 br0 "${HOST_MTU[$h]}"
    ip -n "lab-$h" addr add "${HOST_IP[$h]}/24" dev eth0
    ip -n "lab-$h" route add 10.77.1.0/24 via "$RT_IP0"
  done
  for h in "${MIG_HOSTS[@]}"; do
    switch_port "sw2-$h" "lab-$h" mig0 br1 "$MIG_MTU"
    ip -n "lab-$h" addr add "${MIG_IP[$h]}/24" dev mig0
  done

  switch_port sw-rt "$RT_NS" r0 br0 "$BR_MTU"
  ip -n "$RT_NS" addr add "$RT_IP0/24" dev r0
  ip link add r1 netns "$RT_NS" type veth peer name eth0 netns lab-hvC
  ip -n "$RT_NS" link set r1 mtu "${HOST_MTU[hvC]}" up
  ip -n "$RT_NS" addr add "$RT_IP1/24" dev r1
  ip -n lab-hvC link set eth0 mtu "${HOST_MTU[hvC]}" up
  ip -n lab-hvC addr add "${HOST_IP[hvC]}/24" dev eth0
  ip -n lab-hvC route add default via "$RT_IP1"
  # net.* sysctls are per network namespace; nothing global is touched (vm.* and kernel.* are global: writing them would change the real machine).
  ip netns exec "$RT_NS" sysctl -qw net.ipv4.ip_forward=1

  ip link add "$MGMT_IF" type veth peer name sw-mgmt netns "$SW_NS"
  ip -n "$SW_NS" link set sw-mgmt mtu "$BR_MTU" master br0 up
  ip link set "$MGMT_IF" mtu 1500 up
  ip addr add "$MGMT_IP/24" dev "$MGMT_IF"
  ip route add 10.77.1.0/24 via "$RT_IP0" dev "$MGMT_IF"
}

# Put every MTU back, drop every tc qdisc a scenario added and forget cached PMTUs.
net_reset() {
  local h p
  for h in "${HOSTS[@]}"; do
    ip -n "lab-$h" link set eth0 mtu "${HOST_MTU[$h]}"
    ip -n "lab-$h" route flush cache 2>/dev/null || true
  done
  for h in "${MIG_HOSTS[@]}"; do ip -n "lab-$h" link set mig0 mtu "$MIG_MTU"; done
  ip -n "$RT_NS" link set r0 mtu "$BR_MTU"
  ip -n "$RT_NS" link set r1 mtu "${HOST_MTU[hvC]}"
  for p in sw-hvA sw-hvB sw-rt sw-mgmt sw2-hvA sw2-hvB; do
    ip -n "$SW_NS" link set "$p" mtu "$BR_MTU" up
    tc -n "$SW_NS" qdisc del dev "$p" clsact 2>/dev/null || true
    tc -n "$SW_NS" qdisc del dev "$p" root 2>/dev/null || true
  done
  for p in eth0 mig0; do
    for h in "${HOSTS[@]}"; do tc -n "lab-$h" qdisc del dev "$p" root 2>/dev/null || true; done
  done
  tc -n "$RT_NS" qdisc del dev r1 root 2>/dev/null || true
  ip link set "$MGMT_IF" mtu 1500 2>/dev/null || true
}

net_down() {
  local ns
  for ns in "${LAB_NETNS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  # Normally gone with its peer in lab-sw; not if lab-sw was never made.
  ip link del "$MGMT_IF" 2>/dev/null || true
}
