// The migration view of a run whose post-copy broke, rendered from the store over the dev fake (`?fake=1` seeds
// "db-split": interrupted after one failed resume): the split said in the verdict, one "Resume post-copy" button and
// no abort, libvirt's words of the failed resume, the post-copy timeline; the resume through the store; the switch's
// risk sentence beside "Switch to post-copy" for hosts the inventory knows run libvirt 9.0.0, and for one that runs
// 8.0.0. (The migrate dialog's note is checked end to end: its components need the DOM's types, which the node
// typecheck of the tests does not have.)
import { createElement, type ReactElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { createFakeApi } from '../../renderer/src/dev/fakeApi';
import { MigrationView } from '../../renderer/src/features/migrate/MigrationView';
import { MigrationTray } from '../../renderer/src/features/migrate/MigrationTray';
import { createFerryStore, type FerryStore } from '../../renderer/src/store';
import { StoreProvider } from '../../renderer/src/store/react';

const tick = () => new Promise((r) => setTimeout(r, 0));

async function setup() {
  const api = createFakeApi({ latencyMs: 0, tickMs: 0 });
  const store = createFerryStore(api);
  store.getState().watchInventory();
  store.getState().watchMigrations();
  await tick();
  const runs = Object.values(store.getState().migration.runs);
  const split = runs.find((r) => r.vmName === 'db-split');
  const busy = runs.find((r) => r.vmName === 'db-busy');
  if (split === undefined || busy === undefined) throw new Error('the fake seeds db-split and db-busy');
  // Opening the run view fetches the samples of a run that is not running (the stream sends only new ones).
  store.getState().openRun(split.id);
  await tick();
  return { store, split, busy };
}

/** Server rendering reads a store's initial state: this one answers with the current state instead. */
function render(store: FerryStore, element: ReactElement): string {
  const now: FerryStore = { ...store, getInitialState: () => store.getState() };
  return renderToStaticMarkup(createElement(StoreProvider, { store: now, children: element }));
}
const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&#x27;/g, "'").replace(/\s+/g, ' ');
const buttons = (html: string) => [...html.matchAll(/<button[^>]*>([^<]*)<\/button>/g)].map((m) => m[1]);

describe('the migration view of an interrupted post-copy', () => {
  it('says the VM is split and where each half is, offers only "Resume post-copy", and shows libvirt’s words of the failed resume', async () => {
    const { store, split } = await setup();
    expect(split.state).toBe('post-copy-interrupted');
    const html = render(store, createElement(MigrationView, { id: split.id }));
    const verdict = /<p role="status" aria-label="Migration verdict"[^>]*>(.*?)<\/p>/.exec(html)?.[1] ?? '';
    expect(text(verdict)).toContain('Post-copy interrupted. ');
    expect(text(verdict)).toContain(`db-split runs on ${split.destinationName} (running (post-copy failed)); part of its memory is still on ${split.sourceName} (paused (post-copy failed))`);
    expect(html).toContain('role="alert" aria-label="The last resume failed"');
    expect(text(html)).toContain("Migrate recover can only be run when postcopy is paused");
    expect(buttons(html).filter((b) => b !== 'Back to inventory')).toEqual(['Resume post-copy']);
    expect(html).not.toMatch(/Abort/);
    expect(html).toContain('aria-label="Post-copy timeline"');
    expect(text(html)).toMatch(/Post-copy interrupted .*Resume started .*Resume failed/);
    expect(html).toContain('aria-label="Last sample before the interruption"');
    expect(html).toMatch(/aria-label="Migration chart"[^>]*data-marks="interrupted@[\d.]+ resumed@[\d.]+"/);
  });

  it('keeps an interrupted run in the tray, in the error tone', async () => {
    const { store } = await setup();
    const html = render(store, createElement(MigrationTray));
    expect(html).toMatch(/class="tray__item tone-error"[^>]*><strong>db-split<\/strong>.*?<span class="tray__verdict">Post-copy interrupted<\/span>/);
  });

  it('resumes through the store: the run runs again, resumed, and the view offers no abort', async () => {
    const { store, split } = await setup();
    await store.getState().controlMigration(split.id, { action: 'resumePostcopy' });
    await tick();
    const r = store.getState().migration.runs[split.id];
    expect(r?.state).toBe('post-copy');
    expect(r?.interruption?.resumedAt).toBeDefined();
    expect(r?.events?.at(-1)?.kind).toBe('post-copy-resume');
    const html = render(store, createElement(MigrationView, { id: split.id }));
    expect(html).not.toMatch(/Abort/);
    expect(text(html)).toMatch(/Resume failed .*Resume started/);
  });

  it('shows the post-copy risk beside "Switch to post-copy" (both hosts run libvirt 9.0.0: no confirmation)', async () => {
    const { store, busy } = await setup();
    const html = render(store, createElement(MigrationView, { id: busy.id }));
    expect(buttons(html)).toContain('Switch to post-copy');
    expect(html).toMatch(/<p id="[^"]+" role="note" aria-label="Post-copy risk"[^>]*>If the migration connection breaks during post-copy, the VM is split: .*so Ferry can resume it\.<\/p>/);
    const describedBy = /<button[^>]*aria-describedby="([^"]+)"[^>]*>Switch to post-copy<\/button>/.exec(html)?.[1];
    expect(describedBy).toBeDefined();
    expect(html).toContain(`id="${describedBy}" role="note"`);
  });

  it('marks the switch as dangerous and says why where a host’s libvirt cannot resume a broken post-copy', async () => {
    const { store, busy } = await setup();
    const hosts = store.getState().inventory.hosts;
    const dst = hosts[busy.destinationHostId];
    if (dst?.facts === undefined) throw new Error('the fake reads host facts');
    store.setState({ inventory: { ...store.getState().inventory, hosts: { ...hosts, [dst.record.id]: { ...dst, facts: { ...dst.facts, libvirtVersion: '8.0.0' } } } } });
    const html = render(store, createElement(MigrationView, { id: busy.id }));
    expect(html).toMatch(/class="button button--danger"[^>]*>Switch to post-copy<\/button>/);
    expect(text(html)).toContain(`and it cannot be resumed: ${dst.record.name} runs libvirt 8.0.0 (resuming needs 8.5.0 or later on both), so the VM would be lost.`);
  });
});

