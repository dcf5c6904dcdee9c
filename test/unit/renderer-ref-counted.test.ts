import { describe, expect, it } from 'vitest';
import { refCounted } from '../../renderer/src/store/refCounted';

describe('refCounted (one subscription shared by every watcher)', () => {
  it('starts with the first holder, stops with the last, counts each release once, and starts again after', () => {
    const log: string[] = [];
    const watch = refCounted(() => {
      log.push('start');
      return () => log.push('stop');
    });
    const a = watch();
    const b = watch();
    expect(log).toEqual(['start']);
    a();
    a(); // a second cleanup of the same holder (React strict mode) must not release b's share
    expect(log).toEqual(['start']);
    b();
    expect(log).toEqual(['start', 'stop']);
    const c = watch();
    expect(log).toEqual(['start', 'stop', 'start']);
    c();
    expect(log).toEqual(['start', 'stop', 'start', 'stop']);
  });
});
