// The evacuation plan for hvA on the lab: the hosts' facts and VMs collected as the inventory collects them, the CPU
// verdicts from the real hosts' `virsh hypervisor-cpu-compare` (TCG: `--virttype qemu`), predictions from an empty
// journal. vm1 and vmd get hvB or hvC, hvA is never a candidate; with hvB in maintenance every row goes to hvC.
// Reads only: nothing on the lab changes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lab } from '../lab/use-lab';
import { virsh, vmReset } from '../lab/lab';
import { labHostView, labPool, must } from './lab-network';
import { collectFacts, collectVms } from '../../electron/main/inventory/collect';
import { planEvacuation, type PlannerDeps } from '../../electron/main/evacuation/planner';
import { execRunner } from '../../electron/main/remote/ssh-runner';
import type { SshPool } from '../../electron/main/ssh/pool';
import type { HostView } from '../../shared/inventory/types';
import { BUILT_IN_PROFILES } from '../../shared/migration/options';

describe.skipIf(!lab)('evacuation plan on the lab', () => {
  let pool: SshPool;
  let hosts: HostView[] = [];
  const runner = (h: HostView) => execRunner(pool, { host: h.record.address, user: h.record.user, port: h.record.port });
  const deps = (views: readonly HostView[]): PlannerDeps => ({
    hosts: () => views,
    runner,
    history: { heads: async () => [], readRecord: async () => undefined },
    profiles: () => BUILT_IN_PROFILES,
    now: Date.now,
  });

  beforeAll(async () => {
    const onA = await virsh('hvA', ['list', '--name']).catch(() => '');
    if (!['vm1', 'vmd'].every((vm) => onA.split('\n').includes(vm))) await vmReset();
    pool = labPool();
    hosts = await Promise.all(
      (['hvA', 'hvB', 'hvC'] as const).map(async (name) => {
        const view = labHostView(name);
        const r = { exec: runner(view), virsh: runner(view) };
        const facts = must(await collectFacts(r, { now: () => new Date().toISOString() }));
        const vms = must(await collectVms(r, {})).vms;
        return { ...view, facts, vms };
      }),
    );
  });

  afterAll(async () => {
    await pool?.dispose();
  });

  it('sends vm1 and vmd to hvB or hvC with the real hosts’ CPU verdicts, and never offers hvA', async () => {
    const plan = must(await planEvacuation('lab-hvA', undefined, deps(hosts)));
    expect(plan.rows.map((r) => r.vm).sort()).toEqual(['vm1', 'vmd']);
    for (const row of plan.rows) {
      expect(['lab-hvB', 'lab-hvC']).toContain(row.destinationId);
      expect(row.candidates.map((c) => c.hostId).sort()).toEqual(['lab-hvB', 'lab-hvC']);
      // Both hosts answer "superset" for the qemu64 TCG guests: no refusal, no unknown verdict.
      expect(row.candidates.every((c) => c.refusal === undefined), JSON.stringify(row.candidates)).toBe(true);
      expect(row.problem?.kind).not.toBe('cpu-unknown');
      expect(row.action).toBe('live');
    }
  });

  it('with hvB in maintenance, every row goes to hvC and hvB says why', async () => {
    const views = hosts.map((h) => (h.record.name === 'hvB' ? { ...h, record: { ...h.record, maintenance: { since: new Date().toISOString() } } } : h));
    const plan = must(await planEvacuation('lab-hvA', undefined, deps(views)));
    expect(plan.rows).toHaveLength(2);
    for (const row of plan.rows) {
      expect(row.destinationId).toBe('lab-hvC');
      expect(row.candidates.find((c) => c.hostId === 'lab-hvB')?.refusal).toBe('in maintenance');
    }
  });
});
