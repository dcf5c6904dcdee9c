/**
 * The page bench/chart-render.ts builds (never part of the app's bundle: the app's entry does not import it): renders MigrationChart with N synthetic samples and measures, with
 * performance marks, the time from root.render() to the lines being in the DOM (the render) and to the next frame
 * (the paint). Sample generation happens before the first mark; LTTB runs inside the component, so it is counted.
 */
import { createRoot, type Root } from 'react-dom/client';
import { MigrationChart } from '../MigrationChart';
import { fakeRun } from '../../../dev/fakeMigration';

declare global {
  interface Window {
    bench: (n: number, maxPoints: number, rep: number) => Promise<{ renderMs: number; paintMs: number; paths: number; points: number }>;
  }
}

const frame = () => new Promise<void>((r) => requestAnimationFrame(() => r()));
let root: Root | undefined;
const container = document.getElementById('root') as HTMLElement;

window.bench = async (n, maxPoints, rep) => {
  root?.unmount();
  container.replaceChildren();
  await frame();
  const points = fakeRun(n, { kind: 'not-converging', hz: 10, capMiBps: 16, seed: rep + 1 });
  const tag = `${n}-${maxPoints}-${rep}`;
  performance.mark(`start-${tag}`);
  root = createRoot(container);
  root.render(<MigrationChart points={points} bandwidthCapMiBps={16} maxDowntimeMs={300} maxPoints={maxPoints} width={900} height={360} />);
  // Wait for the four lines to be drawn (recharts 3 lays out over a couple of commits), checking every microtask
  // turn via a MessageChannel so the wait itself costs little.
  const ready = () => {
    const ds = [...container.querySelectorAll('path.recharts-line-curve')].map((p) => p.getAttribute('d') ?? '');
    return ds.length === 4 && ds.every((d) => d.length > 10);
  };
  const channel = new MessageChannel();
  await new Promise<void>((resolve) => {
    channel.port1.onmessage = () => (ready() ? resolve() : channel.port2.postMessage(0));
    channel.port2.postMessage(0);
  });
  performance.mark(`drawn-${tag}`);
  await frame();
  performance.mark(`painted-${tag}`);
  const renderMs = performance.measure(`render-${tag}`, `start-${tag}`, `drawn-${tag}`).duration;
  const paintMs = performance.measure(`paint-${tag}`, `start-${tag}`, `painted-${tag}`).duration;
  const section = container.querySelector('[aria-label="Migration chart"]');
  return { renderMs, paintMs, paths: container.querySelectorAll('path.recharts-line-curve').length, points: Number(section?.getAttribute('data-points') ?? 0) };
};
