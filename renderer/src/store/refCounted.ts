/**
 * One subscription shared by every caller: the first caller starts it, the last release ends it, and each release
 * counts once (a component may clean up twice under React's strict mode).
 */
export function refCounted(start: () => () => void): () => () => void {
  let holders = 0;
  let stop: (() => void) | undefined;
  return () => {
    holders++;
    if (holders === 1) stop = start();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      holders--;
      if (holders === 0) {
        stop?.();
        stop = undefined;
      }
    };
  };
}
