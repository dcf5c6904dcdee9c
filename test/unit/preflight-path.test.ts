/**
 * The migrate dialog's `mtu` pre-flight check with the path measured (electron/main/migration/preflight-gather.ts runs the
 * network path view's check toward the address migrated to): the hop that clips the path is named, a black hole
 * between two jumbo NICs fails the check, a clean path says how large a packet passed. Lab captures answer every
 * command (test/unit/path-fakes.ts).
 */
import { describe, expect, it } from 'vitest';
import { runPreflight, type PreflightDeps, type PreflightHost } from '../../electron/main/migration/preflight';
import { hvA, hvB, hvC, type FakeHost, type PathModel } from './path-fakes';

const host = (name: string, ip: string): PreflightHost => ({ target: { host: ip, user: 'root' }, name, address: ip });

async function mtuCheck(model: PathModel, dest: 'hvB' | 'hvC') {
  const hosts: Record<string, FakeHost> = { '10.77.0.11': hvA(model), '10.77.0.12': hvB(), '10.77.1.13': hvC() };
  const access: PreflightDeps['hosts'] = {
    exec: ({ target }) => {
      const h = hosts[target.host];
      if (!h) throw new Error(`no host ${target.host}`);
      return { run: (argv) => h.run(argv) };
    },
  };
  const destination = dest === 'hvB' ? host('hvB', '10.77.0.12') : host('hvC', '10.77.1.13');
  const results = await runPreflight({ vm: 'vm1', source: host('hvA', '10.77.0.11'), destination, options: { p2p: true } }, { hosts: access, now: () => 0 });
  const mtu = results.find((r) => r.check === 'mtu');
  if (!mtu) throw new Error('no mtu check');
  return mtu;
}

describe('the mtu pre-flight check with the path measured', () => {
  it('passes hvA -> hvB and says 9000-byte packets pass', async () => {
    const r = await mtuCheck({ mtu: 9000, above: 'lost' }, 'hvB');
    expect(r.status).toBe('pass');
    expect(r.message).toMatch(/Both ends use MTU 9000\. The largest DF packet that passes is 9000 bytes \(3 probes\)\.$/);
  });

  it('warns hvA -> hvC with the MTUs and names the router that clips the path to 1500', async () => {
    const r = await mtuCheck({ mtu: 1500, above: 'frag-needed' }, 'hvC');
    expect(r.status).toBe('warn');
    expect(r.message).toMatch(/The MTUs differ \(9000 vs 1500\)/);
    expect(r.message).toContain('The largest DF packet that passes is 1500 bytes (4 probes). 10.77.0.1 (hop 1) forwards toward hvC (10.77.1.13) over a link of MTU 1500');
    expect(r.fix).toContain("raise the MTU to 9000 on 10.77.0.1's interface toward hvC (10.77.1.13)");
    expect(r.detail).toContain('9000: frag-needed from 10.77.0.1 (mtu 1500)');
  });

  it('fails when two 9000-byte ends lose everything above 1500 without a word (black hole)', async () => {
    const r = await mtuCheck({ mtu: 1500, above: 'lost' }, 'hvB');
    expect(r.status).toBe('fail');
    expect(r.message).toContain('vanish with no ICMP "fragmentation needed"');
    expect(r.fix).toMatch(/^Raise the MTU to 9000 on the switch ports between hvA and hvB/);
  });
});
