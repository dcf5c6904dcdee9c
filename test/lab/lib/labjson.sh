# shellcheck shell=bash
# $LAB_DIR/lab.json: what tests need to know about the running lab (read by test/lab/lab.ts). Written by `up`,
# removed by `down`, so its presence means "the lab was brought up".

write_lab_json() {
  local h vm sep='' out=$LAB_DIR/lab.json
  {
    printf '{\n  "dir": %s,\n  "clientKey": %s,\n  "knownHosts": %s,\n' \
      "$(json_str "$LAB_DIR")" "$(json_str "$CLIENT_KEY")" "$(json_str "$KNOWN_HOSTS")"
    printf '  "script": %s,\n' "$(json_str "$LAB_SRC/lab.sh")"
    printf '  "hosts": ['
    for h in "${HOSTS[@]}"; do
      printf '%s\n    { "name": "%s", "ip": "%s", "port": 22, "user": "root",\n' "$sep" "$h" "${HOST_IP[$h]}"
      printf '      "hostKeys": { "ed25519": %s, "rsa": %s },\n' \
        "$(json_str "$(host_pub "$h" ed25519)")" "$(json_str "$(host_pub "$h" rsa)")"
      printf '      "netns": "lab-%s", "iface": "eth0", "mtu": %s, "uuid": "%s"' \
        "$h" "${HOST_MTU[$h]}" "$(cat "$(host_dir "$h")/host_uuid")"
      if [[ ${HOST_PEER[$h]} == sw-* ]]; then
        printf ',\n      "switchPort": "%s"' "${HOST_PEER[$h]}"
      else
        printf ',\n      "routerPort": "%s"' "${HOST_PEER[$h]}"
      fi
      if [[ -n ${MIG_IP[$h]:-} ]]; then
        printf ',\n      "migration": { "ip": "%s", "iface": "mig0", "switchPort": "sw2-%s" }' "${MIG_IP[$h]}" "$h"
      fi
      printf ' }'
      sep=,
    done
    printf '\n  ],\n  "vms": ['
    sep=''
    for vm in "${VMS[@]}"; do
      printf '%s\n    { "name": "%s", "home": "%s", "memoryMiB": %s, "dirtyMiB": %s, "uuid": "%s", "serialLog": "%s" }' \
        "$sep" "$vm" "${VM_HOME[$vm]}" "${VM_MEM[$vm]}" "${VM_DIRTY[$vm]}" "${VM_UUID[$vm]}" "$(serial_log "$vm")"
      sep=,
    done
    printf '\n  ],\n'
    printf '  "switch": { "netns": "%s", "bridge": "br0", "mtu": %s },\n' "$SW_NS" "$BR_MTU"
    printf '  "router": { "netns": "%s", "ips": ["%s", "%s"], "ports": [{ "iface": "r0", "ip": "%s", "mtu": %s }, { "iface": "r1", "ip": "%s", "mtu": %s }] },\n' \
      "$RT_NS" "$RT_IP0" "$RT_IP1" "$RT_IP0" "$BR_MTU" "$RT_IP1" "${HOST_MTU[hvC]}"
    printf '  "migrationNet": { "bridge": "br1", "subnet": "10.77.2.0/24", "mtu": %s, "hosts": { ' "$MIG_MTU"
    sep=''
    for h in "${MIG_HOSTS[@]}"; do
      printf '%s"%s": "%s"' "$sep" "$h" "${MIG_IP[$h]}"
      sep=', '
    done
    printf ' } },\n'
    printf '  "management": { "iface": "%s", "ip": "%s" }\n}\n' "$MGMT_IF" "$MGMT_IP"
  } >"$out.new"
  mv "$out.new" "$out"
}
