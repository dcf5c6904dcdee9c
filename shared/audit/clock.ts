/**
 * Clock synchronisation. A live migration carries the guest's clock state to the destination: a destination whose
 * clock is off makes the guest's time jump, and TLS migration refuses certificates that are "not yet valid". The
 * verdict comes from what the host itself has: `timedatectl show`, `chronyc tracking`, `ntpq -p`; none of them
 * answering is "no time sync service found", a warning with the fix.
 */
import type { Result } from '../result';
import type { FerryError } from '../errors';
import type { ClockProbe, ClockToolAnswer } from '../parsers/clock';
import { errorFinding, finding, type Finding } from './types';

const INSTALL = 'Install and enable a time sync service: `apt-get install chrony` (Debian; it starts chronyd), or `timedatectl set-ntp true` where systemd-timesyncd is installed; then check `chronyc tracking` says "Leap status : Normal".';

function describe(a: ClockToolAnswer): string {
  switch (a.state) {
    case 'absent':
      return `${a.tool} is not installed`;
    case 'failed':
      return `${a.tool} failed (${a.reason})`;
    case 'ok':
      if (a.tool === 'timedatectl') return `timedatectl: NTP service ${a.timedatectl.ntpEnabled ? 'enabled' : 'not enabled'}, clock ${a.timedatectl.synchronized ? 'synchronised' : 'not synchronised'}`;
      if (a.tool === 'chronyc') {
        const off = a.chrony.offsetSeconds === undefined ? '' : `, offset ${(a.chrony.offsetSeconds * 1000).toFixed(3)} ms`;
        return `chronyc: leap status ${a.chrony.leapStatus ?? 'unknown'}${a.chrony.referenceId === undefined ? '' : `, reference ${a.chrony.referenceId}`}${off}`;
      }
      return a.ntpq.selected === undefined
        ? `ntpq: ${a.ntpq.peers} peer(s), none selected`
        : `ntpq: synchronised to ${a.ntpq.selected}${a.ntpq.selectedOffsetMs === undefined ? '' : `, offset ${a.ntpq.selectedOffsetMs} ms`}`;
  }
}

function synced(a: ClockToolAnswer): boolean | undefined {
  if (a.state !== 'ok') return undefined;
  if (a.tool === 'timedatectl') return a.timedatectl.synchronized;
  if (a.tool === 'chronyc') return a.chrony.leapStatus === undefined ? undefined : a.chrony.leapStatus !== 'Not synchronised';
  return a.ntpq.selected !== undefined;
}

export function clockFinding(probe: Result<ClockProbe, FerryError>): Finding {
  const title = 'Clock synchronisation';
  if (!probe.ok) return errorFinding('clock', 'host', title, probe.error);
  const answers = probe.value.answers;
  const facts = `${answers.map(describe).join('; ')}.`;
  const verdicts = answers.map(synced);
  if (verdicts.includes(true)) return finding('clock', 'host', 'pass', title, `The clock is synchronised: ${facts}`);
  if (verdicts.includes(false)) {
    return finding('clock', 'host', 'warn', title, `A time sync service answers but the clock is not synchronised: ${facts}`, {
      fix: 'Check that the NTP servers are reachable from this host (`chronyc sources -v` or `ntpq -p`), and wait for synchronisation before migrating onto it.',
    });
  }
  return finding('clock', 'host', 'warn', title, `No time sync service found: ${facts}`, { fix: INSTALL });
}
