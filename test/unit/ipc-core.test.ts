import { describe, expect, it, vi } from 'vitest';
import { createIpcCore, type StreamSink } from '../../electron/main/ipc/core';
import type { Caller, IpcHandlers } from '../../electron/main/ipc/handlers';
import { appInfo, hostsAdd, hostsList, inventoryWatch, settingsSet } from '../../shared/ipc/contract';
import type { FerryError } from '../../shared/errors';
import { ok } from '../../shared/result';
import { draft, fakeMain, hostView, recordingLogger } from './ipc-harness';

const alice: Caller = { clientId: 'alice', transport: 'web' };
const bob: Caller = { clientId: 'bob', transport: 'electron' };

function sink() {
  const events: unknown[] = [];
  const ends: (FerryError | undefined)[] = [];
  const s: StreamSink = { event: (e) => events.push(e), end: (e) => ends.push(e) };
  return { s, events, ends };
}

describe('IPC core: requests', () => {
  it('runs the handler with the validated input and answers its Result', async () => {
    const main = fakeMain();
    const core = createIpcCore(main.handlers);
    const answer = await core.invoke(hostsAdd.id, { draft: { ...draft, name: '  hvA  ' } }, alice);
    expect(answer).toMatchObject({ ok: true, value: { id: 'h2' } });
    // The handler saw the schema's output (trimmed), not the raw payload.
    expect(main.calls).toEqual([{ channel: hostsAdd.id, input: { draft } }]);
    expect(await core.invoke(appInfo.id, {}, bob)).toMatchObject({ ok: true, value: { mode: 'electron' } });
  });

  it('rejects a bad payload with a message naming the offending field, without calling the handler', async () => {
    const main = fakeMain();
    const core = createIpcCore(main.handlers);
    const answer = await core.invoke(hostsAdd.id, { draft: { ...draft, port: 'twenty-two' } }, alice);
    expect(answer.ok).toBe(false);
    if (answer.ok) return;
    expect(answer.error.code).toBe('ipc.bad-payload');
    expect(answer.error.message).toContain('ferry.hosts.add');
    expect(answer.error.message).toContain('draft.port');
    expect(main.calls).toEqual([]);
  });

  it('names an unexpected key in a strict payload', async () => {
    const core = createIpcCore(fakeMain().handlers);
    const answer = await core.invoke(settingsSet.id, { refreshIntervalSec: 5, sneaky: true });
    expect(answer).toMatchObject({ ok: false, error: { code: 'ipc.bad-payload' } });
    expect(JSON.stringify(answer)).toContain('sneaky');
  });

  it('refuses an unknown channel, a stream id and a non-string id as unknown channels', async () => {
    const core = createIpcCore(fakeMain().handlers);
    for (const channel of ['ferry.hosts.nuke', inventoryWatch.id, 42, undefined]) {
      expect(await core.invoke(channel, {})).toMatchObject({ ok: false, error: { code: 'ipc.unknown-channel' } });
    }
    const answer = await core.invoke('ferry.x.y\u0000' + 'z'.repeat(500), {});
    expect(!answer.ok && answer.error.message.length).toBeLessThan(150);
  });

  it('catches a handler answering outside the contract: ipc.internal to the caller, the problem in the log', async () => {
    const logger = recordingLogger();
    const core = createIpcCore(fakeMain({ [hostsList.id]: async () => ok([{ record: { name: 'hvA' } }] as never) }).handlers, { logger });
    const answer = await core.invoke(hostsList.id, {});
    expect(answer).toMatchObject({ ok: false, error: { code: 'ipc.internal' } });
    expect(logger.lines).toEqual([expect.objectContaining({ level: 'error', event: 'ipc.bad-answer' })]);
    expect(logger.text()).toContain('record.id');
  });

  it('answers only the fields the contract declares (an extra field in an answer never leaves main)', async () => {
    const leaky = async () => ok({ version: '1', mode: 'web' as const, dataDir: '/d', platform: 'linux', problems: [], sshKey: 'PRIVATE' });
    const core = createIpcCore(fakeMain({ [appInfo.id]: leaky }).handlers);
    const answer = await core.invoke(appInfo.id, {});
    expect(answer.ok).toBe(true);
    expect(JSON.stringify(answer)).not.toContain('PRIVATE');
  });

  it('turns an exception into a generic ipc.internal; the secret-bearing message and stack stay in the log', async () => {
    const logger = recordingLogger();
    const throwing = async () => {
      throw new Error('key /root/.ssh/id_ed25519 passphrase "hunter2" rejected');
    };
    const core = createIpcCore(fakeMain({ [hostsAdd.id]: throwing }).handlers, { logger });
    const answer = await core.invoke(hostsAdd.id, { draft, passphrase: 'hunter2' });
    expect(answer).toMatchObject({ ok: false, error: { code: 'ipc.internal' } });
    expect(JSON.stringify(answer)).not.toMatch(/hunter2|id_ed25519/);
    expect(logger.text()).toContain('ipc-core.test.ts'); // the stack
    const thrownNonError = createIpcCore(fakeMain({ [hostsList.id]: () => Promise.reject('hunter2') }).handlers, { logger });
    expect(JSON.stringify(await thrownNonError.invoke(hostsList.id, {}))).not.toContain('hunter2');
  });

  it('never logs a request payload', async () => {
    const logger = recordingLogger();
    const core = createIpcCore(fakeMain({ [hostsAdd.id]: () => Promise.reject(new Error('boom')) }).handlers, { logger });
    await core.invoke(hostsAdd.id, { draft, passphrase: 'correct horse' });
    expect(logger.lines.length).toBe(1);
    expect(logger.text()).not.toContain('correct horse');
  });

  it('refuses to start with a channel left without a handler', () => {
    const { [inventoryWatch.id]: _dropped, ...rest } = fakeMain().handlers;
    expect(() => createIpcCore(rest as IpcHandlers)).toThrow(/ferry\.inventory\.watch/);
  });
});

describe('IPC core: handler map types', () => {
  it('does not compile without a handler for every channel, or with a handler of the wrong shape', () => {
    const { [inventoryWatch.id]: _dropped, ...rest } = fakeMain().handlers;
    // @ts-expect-error the inventory stream has no handler
    const missing: IpcHandlers = rest;
    const wrongOutput: IpcHandlers = {
      ...fakeMain().handlers,
      // @ts-expect-error appInfo answers { version: string, ... }, not a number
      [appInfo.id]: async () => ok({ version: 1 }),
    };
    const wrongInput: IpcHandlers = {
      ...fakeMain().handlers,
      // @ts-expect-error the hosts.add input has a draft, not a hostname
      [hostsAdd.id]: async (input: { hostname: string }) => ok(hostView(input.hostname).record),
    };
    expect([missing, wrongOutput, wrongInput].length).toBe(3);
  });
});

describe('IPC core: streams', () => {
  it('starts the work on subscribe, delivers validated events, stops the work on unsubscribe', () => {
    const main = fakeMain();
    const core = createIpcCore(main.handlers);
    const { s, events, ends } = sink();
    core.subscribe(alice, 's1', inventoryWatch.id, {}, s);
    expect(main.watch).toMatchObject({ started: 1, live: 1 });
    main.push({ type: 'removed', id: 'h1' });
    expect(events).toEqual([{ type: 'snapshot', hosts: [hostView('h1')] }, { type: 'removed', id: 'h1' }]);
    core.unsubscribe('alice', 's1');
    expect(main.watch).toMatchObject({ stopped: 1, live: 0 });
    main.push({ type: 'removed', id: 'h1' });
    expect(events.length).toBe(2);
    expect(ends).toEqual([]);
    core.unsubscribe('alice', 's1'); // twice is harmless
    expect(main.watch.stopped).toBe(1);
  });

  it('ends every subscription of a client that goes away, and only that client', () => {
    const main = fakeMain();
    const core = createIpcCore(main.handlers);
    core.subscribe(alice, 'a1', inventoryWatch.id, {}, sink().s);
    core.subscribe(alice, 'a2', inventoryWatch.id, {}, sink().s);
    const b = sink();
    core.subscribe(bob, 'a1', inventoryWatch.id, {}, b.s);
    expect(core.subscriptionCount()).toBe(3);
    core.dropClient('alice');
    expect(main.watch).toMatchObject({ started: 3, stopped: 2, live: 1 });
    expect(core.subscriptionCount('alice')).toBe(0);
    main.push({ type: 'removed', id: 'h9' });
    expect(b.events.at(-1)).toEqual({ type: 'removed', id: 'h9' });
    core.dispose();
    expect(main.watch.live).toBe(0);
  });

  it('refuses unknown streams and bad params through end(), without starting any work', () => {
    const main = fakeMain();
    const core = createIpcCore(main.handlers);
    const unknown = sink();
    core.subscribe(alice, 's1', 'ferry.hosts.list', {}, unknown.s);
    expect(unknown.ends).toEqual([expect.objectContaining({ code: 'ipc.unknown-channel' })]);
    const bad = sink();
    core.subscribe(alice, 's2', inventoryWatch.id, { hostId: 'h1' }, bad.s);
    expect(bad.ends).toEqual([expect.objectContaining({ code: 'ipc.bad-payload' })]);
    expect(bad.ends[0]?.message).toContain('hostId');
    expect(main.watch.started).toBe(0);
    expect(core.subscriptionCount()).toBe(0);
  });

  it('ends a subscription whose handler emits an event outside the contract, and stops its work', () => {
    const logger = recordingLogger();
    const main = fakeMain();
    const core = createIpcCore(main.handlers, { logger });
    const { s, events, ends } = sink();
    core.subscribe(alice, 's1', inventoryWatch.id, {}, s);
    main.push({ type: 'host', host: { record: {} } } as never);
    expect(ends).toEqual([expect.objectContaining({ code: 'ipc.internal' })]);
    expect(events.length).toBe(1); // the snapshot only
    expect(main.watch.live).toBe(0);
    expect(logger.lines[0]?.event).toBe('ipc.bad-event');
  });

  it('stops the work at once when the very first event is invalid', () => {
    const stop = vi.fn();
    const core = createIpcCore(fakeMain({ [inventoryWatch.id]: (_p, emit) => (emit({ type: 'bogus' } as never), stop) }).handlers);
    const { s, ends } = sink();
    core.subscribe(alice, 's1', inventoryWatch.id, {}, s);
    expect(ends.length).toBe(1);
    expect(stop).toHaveBeenCalledTimes(1);
    expect(core.subscriptionCount()).toBe(0);
  });

  it('lets the handler end its stream with an error the client sees', () => {
    let end: ((e?: FerryError) => void) | undefined;
    const stop = vi.fn();
    const core = createIpcCore(fakeMain({ [inventoryWatch.id]: (_p, _emit, ctx) => ((end = ctx.end), stop) }).handlers);
    const { s, ends } = sink();
    core.subscribe(alice, 's1', inventoryWatch.id, {}, s);
    end?.({ code: 'inventory.io', message: 'The inventory cannot be read.' });
    expect(ends).toEqual([{ code: 'inventory.io', message: 'The inventory cannot be read.' }]);
    expect(stop).toHaveBeenCalledTimes(1);
  });

  it('turns a stream handler that throws into end(ipc.internal) without its message', () => {
    const logger = recordingLogger();
    const throwing = () => {
      throw new Error('token=s3cret');
    };
    const core = createIpcCore(fakeMain({ [inventoryWatch.id]: throwing }).handlers, { logger });
    const { s, ends } = sink();
    core.subscribe(alice, 's1', inventoryWatch.id, {}, s);
    expect(ends).toEqual([expect.objectContaining({ code: 'ipc.internal' })]);
    expect(JSON.stringify(ends)).not.toContain('s3cret');
    expect(logger.text()).toContain('s3cret');
  });

  it('caps the live subscriptions one client may hold, and ignores a duplicate subscription id', () => {
    const main = fakeMain();
    const core = createIpcCore(main.handlers, { maxSubscriptionsPerClient: 2 });
    core.subscribe(alice, 's1', inventoryWatch.id, {}, sink().s);
    core.subscribe(alice, 's1', inventoryWatch.id, {}, sink().s);
    core.subscribe(alice, 's2', inventoryWatch.id, {}, sink().s);
    const third = sink();
    core.subscribe(alice, 's3', inventoryWatch.id, {}, third.s);
    expect(third.ends).toEqual([expect.objectContaining({ code: 'ipc.bad-payload' })]);
    expect(main.watch.started).toBe(2);
  });

  it('keeps serving other subscribers when one sink throws', () => {
    const main = fakeMain();
    const core = createIpcCore(main.handlers);
    core.subscribe(alice, 's1', inventoryWatch.id, {}, { event: () => { throw new Error('gone'); }, end: () => undefined });
    const b = sink();
    core.subscribe(bob, 's1', inventoryWatch.id, {}, b.s);
    main.push({ type: 'removed', id: 'h1' });
    expect(b.events.length).toBe(2);
  });
});
