#!/usr/bin/env bash
# Captures the `virsh hypervisor-cpu-compare` fixtures the evacuation plan's CPU verdicts are tested on, in the
# format of capture-fixtures.sh (<case>.txt = stdout then stderr, <case>.cmd = command, host, date, exit, sizes).
# The command is the argv Ferry builds (shared/commands/preflight.ts hypervisorCpuCompare), the domain XML on stdin:
# vm1's migratable definition (test/fixtures/virsh/dumpxml-migratable-vm1.txt) with its <cpu> changed per case.
# Reads only; nothing on the lab changes.
#
#   flock /var/tmp/ferry-lab.lock bash test/lab/capture-cpu-compare.sh      (root; the lab must be up)
#
# Afterwards: npx tsx test/fixtures/write-expected.ts, and review each new .expected.json against its .txt.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAB=(bash "$ROOT/test/lab/lab.sh")
FIX=$ROOT/test/fixtures/virsh
BASE=$FIX/dumpxml-migratable-vm1.txt
WORK=$(mktemp -d /tmp/ferry-cpu-compare.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
HOST=hvB
IP=10.77.0.12
CMD=(sh -c 'cat | "$@"' ferry-stdin virsh --connect qemu:///system hypervisor-cpu-compare --file /dev/stdin --error --virttype qemu --arch x86_64 --machine pc-i440fx-7.2)

# capture CASE NOTE STDIN-FILE
capture() {
  local case=$1 note=$2 input=$3 rc=0 date
  date=$(date -u +%FT%T.%3NZ)
  "${LAB[@]}" hx "$HOST" env LC_ALL=C "${CMD[@]}" <"$input" >"$WORK/out" 2>"$WORK/err" || rc=$?
  rm -f "$FIX/$case.expected.json"
  cat "$WORK/out" "$WORK/err" >"$FIX/$case.txt"
  {
    printf 'command: %s < (stdin, see note)\n' "sh -c 'cat | \"\$@\"' ferry-stdin ${CMD[*]:4}"
    printf "host: %s (%s), inside the lab host's namespaces: lab.sh hx %s env LC_ALL=C <command>\n" "$HOST" "$IP" "$HOST"
    printf 'date: %s\n' "$date"
    printf 'exit: %s\n' "$rc"
    printf 'stdout-bytes: %s\n' "$(stat -c %s "$WORK/out")"
    printf 'stderr-bytes: %s\n' "$(stat -c %s "$WORK/err")"
    printf 'tool: virsh %s (libvirtd %s)\n' "$("${LAB[@]}" hx "$HOST" virsh --version)" "$("${LAB[@]}" hx "$HOST" libvirtd --version | awk '{print $NF}')"
    printf 'file: %s.txt is stdout followed by stderr\n' "$case"
    printf 'note: %s\n' "$note"
  } >"$FIX/$case.cmd"
  printf 'capture: kept virsh/%s (exit %s)\n' "$case" "$rc" >&2
}

# The host-model CPU TCG offers on this host (domcapabilities), written as the guest's custom CPU: "identical".
"${LAB[@]}" hx "$HOST" virsh --connect qemu:///system domcapabilities --virttype qemu --arch x86_64 --machine pc-i440fx-7.2 >"$WORK/caps.xml"
python3 - "$BASE" "$WORK/caps.xml" "$WORK/identical.xml" <<'EOF'
import re, sys
xml, caps = open(sys.argv[1]).read(), open(sys.argv[2]).read()
body = re.search(r"<mode name='host-model' supported='yes'>(.*?)</mode>", caps, re.S).group(1)
open(sys.argv[3], 'w').write(re.sub(r"<cpu mode=.*?</cpu>", "<cpu mode='custom' match='exact' check='none'>" + body + "</cpu>", xml, flags=re.S))
EOF
capture hypervisor-cpu-compare-identical "stdin: virsh/dumpxml-migratable-vm1.txt with <cpu> replaced by the host-model CPU of hvB's domcapabilities --virttype qemu (model, vendor and features as a custom CPU)" "$WORK/identical.xml"

sed 's/>qemu64</>Icelake-Server</' "$BASE" >"$WORK/icelake.xml"
capture hypervisor-cpu-compare-incompatible-tcg "stdin: virsh/dumpxml-migratable-vm1.txt with model Icelake-Server instead of qemu64: TCG on this host cannot provide its features" "$WORK/icelake.xml"

sed '/<cpu /,/<\/cpu>/d' "$BASE" >"$WORK/nocpu.xml"
capture hypervisor-cpu-compare-error-no-cpu "stdin: virsh/dumpxml-migratable-vm1.txt without its <cpu> element" "$WORK/nocpu.xml"
