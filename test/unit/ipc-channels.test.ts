import { describe, expect, it } from 'vitest';
import { REQUEST_CHANNELS, STREAM_CHANNELS } from '../../shared/ipc/channels';
import { REQUEST_IDS, REQUESTS, STREAM_IDS, STREAMS } from '../../shared/ipc/contract';
import { CHANNEL_ID } from '../../shared/ipc/define';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

describe('channel id lists (what the preload checks without loading schemas)', () => {
  it('name exactly the channels of the contract', () => {
    const requestsMatch: Same<(typeof REQUESTS)[number]['id'], (typeof REQUEST_CHANNELS)[number]> = true;
    const streamsMatch: Same<(typeof STREAMS)[number]['id'], (typeof STREAM_CHANNELS)[number]> = true;
    expect(requestsMatch && streamsMatch).toBe(true);
    expect(new Set(REQUEST_CHANNELS)).toEqual(REQUEST_IDS);
    expect(new Set(STREAM_CHANNELS)).toEqual(STREAM_IDS);
  });

  it('are namespaced and unique across requests and streams', () => {
    const all = [...REQUEST_CHANNELS, ...STREAM_CHANNELS];
    expect(new Set(all).size).toBe(all.length);
    expect(all.every((id) => CHANNEL_ID.test(id))).toBe(true);
  });
});
