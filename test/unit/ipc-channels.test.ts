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
