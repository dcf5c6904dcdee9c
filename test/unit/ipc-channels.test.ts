import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REQUEST_CHANNELS, REQUEST_ID, STREAM_CHANNELS, STREAM_ID } from '../../shared/ipc/channels';
import * as contract from '../../shared/ipc/contract';
import * as audit from '../../shared/ipc/audit-contract';
import * as path from '../../shared/ipc/path-contract';
import * as reports from '../../shared/ipc/reports-contract';
import * as tuning from '../../shared/ipc/tuning-contract';
import * as evacuation from '../../shared/ipc/evacuation-contract';
import { CHANNEL_ID } from '../../shared/ipc/define';
import { evacuationUnavailable } from '../../electron/main/evacuation/unavailable';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

const ipcDir = join(__dirname, '../../shared/ipc');

describe('channel ids (what the preload checks without loading schemas)', () => {
  it('name exactly the channels of the contract', () => {
    const requestsMatch: Same<(typeof contract.REQUESTS)[number]['id'], (typeof REQUEST_CHANNELS)[number]> = true;
    const streamsMatch: Same<(typeof contract.STREAMS)[number]['id'], (typeof STREAM_CHANNELS)[number]> = true;
    expect(requestsMatch && streamsMatch).toBe(true);
    expect(new Set(REQUEST_CHANNELS)).toEqual(contract.REQUEST_IDS);
    expect(new Set(STREAM_CHANNELS)).toEqual(contract.STREAM_IDS);
  });

  it('are each the id of the contract constant of the same name', () => {
    const defs: Record<string, unknown> = { ...contract, ...audit, ...path, ...reports, ...tuning, ...evacuation };
    for (const [name, id] of Object.entries({ ...REQUEST_ID, ...STREAM_ID })) expect({ name, id: (defs[name] as { id?: string } | undefined)?.id }).toEqual({ name, id });
  });

  it('are spelled once: no contract file writes a channel id of its own', () => {
    const files = readdirSync(ipcDir).filter((f) => f.endsWith('contract.ts'));
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const f of files) expect({ f, literals: readFileSync(join(ipcDir, f), 'utf8').match(/['"]ferry\.[a-zA-Z]+\.[a-zA-Z]+['"]/g) ?? [] }).toEqual({ f, literals: [] });
  });

  it('are namespaced and unique across requests and streams', () => {
    const all = [...REQUEST_CHANNELS, ...STREAM_CHANNELS];
    expect(new Set(all).size).toBe(all.length);
    expect(all.every((id) => CHANNEL_ID.test(id))).toBe(true);
  });
});

describe('the evacuation channels in a build without evacuation', () => {
  it('answer every request with an error a person understands, and show no evacuation', async () => {
    const h = evacuationUnavailable();
    const ctx = { clientId: 'c', transport: 'web' as const };
    const answers = [
      await h[evacuation.setMaintenance.id]({ hostId: 'h1', on: true }, ctx),
      await h[evacuation.evacuationPlan.id]({ hostId: 'h1' }, ctx),
      await h[evacuation.evacuationControl.id]({ id: 'e1', action: 'pause' }, ctx),
      await h[evacuation.evacuationExport.id]({ id: 'e1', format: 'json' }, ctx),
    ];
    for (const a of answers) expect(a).toMatchObject({ ok: false, error: { message: 'Host evacuation is not available in this build.' } });
    const events: unknown[] = [];
    h[evacuation.evacuationsWatch.id]({}, (e) => events.push(e), { ...ctx, subscription: 's', end: () => undefined })();
    expect(events).toEqual([{ evacuations: [] }]);
  });
});
