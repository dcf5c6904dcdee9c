// The evacuation planner over stand-in runners answering with real lab captures (dumpxml of the TCG guest, the
// hosts' hypervisor-cpu-compare answers): one CPU comparison per distinct CPU per destination, verdicts and refusals
// carried into the rows, hosts that cannot receive never asked, and the channels' answers.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evacuationPlanHandlers } from '../../electron/main/evacuation/plan-handlers';
import { cpuKey, estimate, planEvacuation, rowPrediction, type PlannerDeps } from '../../electron/main/evacuation/planner';
import type { CommandRunner } from '../../electron/main/remote/run-command';
import { ferryError } from '../../shared/errors';
import { evacuationPlanSchema, type PlanRow } from '../../shared/evacuation/schema';
import type { HostView, VmSummary } from '../../shared/inventory/types';
import { evacuationPlan, setMaintenance } from '../../shared/ipc/evacuation-contract';
import { BUILT_IN_PROFILES } from '../../shared/migration/options';
import { parseDumpxml } from '../../shared/parsers/virsh-dumpxml';
import { err, ok } from '../../shared/result';
import { out } from './engine-fakes';
import { hostView } from './ipc-harness';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const fixture = (path: string) => readFileSync(join(__dirname, '..', 'fixtures', path), 'utf8');
const XML_VM1 = fixture('virsh/dumpxml-migratable-vm1.txt');
const xmlOf = (vm: string) => XML_VM1.replace('<name>vm1</name>', `<name>${vm}</name>`);
const DOMINFO = fixture('virsh/dominfo-running.txt');
const SUPERSET = fixture('virsh/hypervisor-cpu-compare-superset.txt');
const INCOMPATIBLE = fixture('virsh/hypervisor-cpu-compare-incompatible-kvm.txt');
const IDENTICAL = fixture('virsh/hypervisor-cpu-compare-identical.txt');
const INCOMPATIBLE_TCG = fixture('virsh/hypervisor-cpu-compare-incompatible-tcg.txt');
const NO_CPU_ERROR = fixture('virsh/hypervisor-cpu-compare-error-no-cpu.txt');

function host(id: string, vms: VmSummary[] = [], patch: Partial<HostView> = {}): HostView {
  const v = hostView(id);
  return {
    ...v,
    record: { ...v.record, name: id, address: `10.0.0.${id.length}` },
    facts: { hostname: id, libvirtVersion: '9.0.0', hypervisor: 'QEMU 7.2.22', cpuModel: 'x', cpuCount: 2, memoryBytes: 8 * GiB, nics: [], collectedAt: '' },
    vms,
    ...patch,
  };
}
const running = (name: string, persistent = true): VmSummary => ({ name, state: 'running', memoryBytes: 128 * MiB, persistent });

/** Per host: what it was asked (virsh verb and the domain or stdin's first line), and its answers. */
function runners(answers: Record<string, (verb: string, argv: readonly string[], stdin?: string) => string | undefined>) {
  const asked: Record<string, string[]> = {};
  const runner = (h: HostView): CommandRunner => ({
    run: async (argv, o) => {
      const words = argv.filter((w) => w !== 'env' && !w.startsWith('LC_ALL='));
      const verb = words.includes('hypervisor-cpu-compare') ? 'hypervisor-cpu-compare' : (words[0] === 'virsh' ? words[3] : words[0]) ?? '';
      (asked[h.record.id] ??= []).push(verb);
      const text = answers[h.record.id]?.(verb, words, o.stdin);
      return text === undefined ? ok(out('', `error: unexpected ${verb}\n`, 1)) : ok(out(text));
    },
  });
  return { asked, runner };
}

const sourceAnswers = (verb: string, argv: readonly string[]) => {
  const vm = argv[argv.indexOf('--domain') + 1] ?? '';
  if (verb === 'dumpxml') return xmlOf(vm);
  if (verb === 'dominfo') return DOMINFO.replace('vm1', vm);
  return undefined;
};

function deps(hosts: HostView[], answers: Parameters<typeof runners>[0]): PlannerDeps & { asked: Record<string, string[]> } {
  const { asked, runner } = runners(answers);
  return {
    asked,
    hosts: () => hosts,
    runner,
    history: { heads: async () => [], readRecord: async () => undefined },
    profiles: () => BUILT_IN_PROFILES,
    now: () => 1_800_000_000_000,
  };
}

const row = (rows: readonly PlanRow[], vm: string): PlanRow => {
  const r = rows.find((x) => x.vm === vm);
  if (!r) throw new Error(`no row for ${vm}`);
  return r;
};

describe('planEvacuation', () => {
  it('compares each distinct CPU once per destination and carries the verdicts into the rows', async () => {
    const A = host('hvA', [running('vm1'), running('vmd'), running('vmt', false)]);
    const d = deps([A, host('hvB'), host('hvCC')], {
      hvA: sourceAnswers,
      hvB: (verb, _argv, stdin) => (verb === 'hypervisor-cpu-compare' && stdin?.includes('qemu64') ? SUPERSET : undefined),
      hvCC: (verb) => (verb === 'hypervisor-cpu-compare' ? INCOMPATIBLE : undefined),
    });
    const r = await planEvacuation('hvA', undefined, d);
    if (!r.ok) throw new Error(r.error.message);
    expect(evacuationPlanSchema.safeParse(r.value).success).toBe(true);
    // Three VMs share one CPU definition: one comparison on each destination, none on the source.
    expect(d.asked['hvB']?.filter((v) => v === 'hypervisor-cpu-compare')).toHaveLength(1);
    expect(d.asked['hvCC']?.filter((v) => v === 'hypervisor-cpu-compare')).toHaveLength(1);
    expect(d.asked['hvA']).not.toContain('hypervisor-cpu-compare');
    for (const vm of ['vm1', 'vmd', 'vmt']) {
      const x = row(r.value.rows, vm);
      expect(x.destinationId).toBe('hvB');
      expect(x.candidates.map((c) => [c.hostId, c.refusal])).toEqual([
        ['hvB', undefined],
        ['hvCC', 'CPU incompatible: Host CPU does not provide required features: pni, svm'],
      ]);
    }
    // No history: the model cannot time them, which the rows say.
    expect(row(r.value.rows, 'vm1').problem?.kind).toBe('not-predictable');
    expect(r.value.limits).toEqual({ perSource: 2, perDestination: 2 });
    expect(r.value.estimateMs).toBeUndefined();
    expect(r.value.estimateText).toBe('No time can be predicted for the 3 VMs to move.');
  });

  it('asks nothing of a host in maintenance or unreachable, and a failed comparison is an unknown verdict', async () => {
    const hvB = host('hvB', [], { record: { ...host('hvB').record, maintenance: { since: '2026-12-08T00:00:00Z' } } });
    const hvD = host('hvD', [], { connection: { state: 'unreachable', reason: 'connection refused' } });
    const d = deps([host('hvA', [running('vm1')]), hvB, host('hvC'), hvD], { hvA: sourceAnswers, hvC: () => undefined });
    const r = await planEvacuation('hvA', { perSource: 1, perDestination: 1 }, d);
    if (!r.ok) throw new Error(r.error.message);
    expect(d.asked['hvB']).toBeUndefined();
    expect(d.asked['hvD']).toBeUndefined();
    const x = row(r.value.rows, 'vm1');
    expect(x.destinationId).toBe('hvC');
    expect(x.problem?.kind).toBe('cpu-unknown');
    expect(x.candidates.find((c) => c.hostId === 'hvB')?.refusal).toBe('in maintenance');
    expect(r.value.limits).toEqual({ perSource: 1, perDestination: 1 });
  });

  it('reads identical as compatible, an incompatible CPU as a refusal, and an error as an unknown verdict', async () => {
    const cpuAnswer = (text: string) => (verb: string) => (verb === 'hypervisor-cpu-compare' ? text : undefined);
    // hvE is roomier than hvB, so only the verdicts keep vm1 off it; hvC's comparison failed, so it stays unknown.
    const roomy = host('hvE', [], { facts: { ...host('hvE').facts!, memoryBytes: 64 * GiB } });
    const d = deps([host('hvA', [running('vm1')]), host('hvB'), host('hvC'), roomy], {
      hvA: sourceAnswers,
      hvB: cpuAnswer(IDENTICAL),
      hvC: cpuAnswer(NO_CPU_ERROR),
      hvE: cpuAnswer(INCOMPATIBLE_TCG),
    });
    const r = await planEvacuation('hvA', undefined, d);
    if (!r.ok) throw new Error(r.error.message);
    const x = row(r.value.rows, 'vm1');
    expect(x.destinationId).toBe('hvB');
    expect(x.problem?.kind).not.toBe('cpu-unknown');
    expect(x.candidates.find((c) => c.hostId === 'hvC')?.refusal).toBeUndefined();
    expect(x.candidates.find((c) => c.hostId === 'hvE')?.refusal).toMatch(/^CPU incompatible: Host CPU does not provide required features: vme, pcid, /);
  });

  it('refuses to plan for an unknown or unreachable host, with the reason', async () => {
    const down = host('hvA', [running('vm1')], { connection: { state: 'unreachable', reason: 'no route to host' } });
    const d = deps([down, host('hvB')], {});
    expect(await planEvacuation('nope', undefined, d)).toMatchObject({ ok: false, error: { code: 'inventory.not-found' } });
    const r = await planEvacuation('hvA', undefined, d);
    expect(r).toMatchObject({ ok: false, error: { code: 'ssh.unreachable' } });
    expect(!r.ok && r.error.message).toBe('hvA is not connected (unreachable: no route to host); Ferry cannot read its VMs to plan the evacuation.');
  });
});

describe('cpuKey', () => {
  it('is the same for two guests differing only in name and memory, different for another CPU model or virt type', () => {
    const key = (xml: string) => {
      const p = parseDumpxml(xml);
      if (!p.ok) throw new Error(p.error.message);
      return cpuKey(p.value);
    };
    expect(key(xmlOf('vmd').replace(/131072/g, '262144'))).toBe(key(XML_VM1));
    expect(key(XML_VM1.replace('qemu64', 'Haswell'))).not.toBe(key(XML_VM1));
    expect(key(XML_VM1.replace("<domain type='qemu'>", "<domain type='kvm'>"))).not.toBe(key(XML_VM1));
  });
});

describe('rowPrediction', () => {
  it('says when nothing can be predicted, with the model reason', () => {
    const p = rowPrediction({ vm: 'vm1', basisRunIds: [], notes: [] }, BUILT_IN_PROFILES);
    expect(p.converges).toBe('uncertain');
    expect(p.totalMs).toBeUndefined();
    expect(p.text).toMatch(/^Cannot predict: no history for vm1/);
  });
});

describe('estimate', () => {
  const live = (vm: string, dest: string, totalMs?: number): PlanRow => ({
    vm,
    state: 'running',
    persistent: true,
    destinationId: dest,
    candidates: [],
    action: 'live',
    options: {},
    ...(totalMs !== undefined ? { prediction: { converges: 'yes', totalMs, text: '' } } : {}),
  });
  it('simulates the queue under the limits, an unknown time counted as the slowest known', () => {
    // 2 per source: t=0 a (1 s) and b (4 s); t=1 u (unknown = 4 s) -> ends 5 s.
    const rows = [live('a', 'B', 1000), live('b', 'C', 4000), live('u', 'B'), { ...live('s', 'B'), action: 'skip' as const }];
    expect(estimate('A', rows, { perSource: 2, perDestination: 2 })).toEqual({
      estimateMs: 5000,
      estimateText: 'About 5 s for 3 VMs under 2 per source, 2 per destination; 1 VM cannot be predicted (counted as the slowest); 1 VM left on the host unless changed.',
    });
  });
});

describe('evacuationPlanHandlers', () => {
  it('answers setMaintenance with the host mark, and passes the inventory refusal through', async () => {
    const calls: [string, boolean][] = [];
    const h = evacuationPlanHandlers({
      ...deps([], {}),
      setMaintenance: async (id, on) => {
        calls.push([id, on]);
        if (id === 'nope') return err(ferryError('inventory.not-found', 'No such host.'));
        const rec = hostView(id).record;
        return ok(on ? { ...rec, maintenance: { since: '2026-12-08T01:00:00.000Z' } } : rec);
      },
    });
    const ctx = { clientId: 't', transport: 'web' as const };
    expect(await h[setMaintenance.id]({ hostId: 'hvA', on: true }, ctx)).toEqual({ ok: true, value: { hostId: 'hvA', maintenance: { since: '2026-12-08T01:00:00.000Z' } } });
    expect(await h[setMaintenance.id]({ hostId: 'hvA', on: false }, ctx)).toEqual({ ok: true, value: { hostId: 'hvA' } });
    expect(await h[setMaintenance.id]({ hostId: 'nope', on: true }, ctx)).toMatchObject({ ok: false, error: { code: 'inventory.not-found' } });
    expect(calls).toEqual([
      ['hvA', true],
      ['hvA', false],
      ['nope', true],
    ]);
    expect(await h[evacuationPlan.id]({ hostId: 'nope' }, ctx)).toMatchObject({ ok: false, error: { code: 'inventory.not-found' } });
  });
});
