/** Dotted version numbers (`9.0.0`, `7.2.22`) compared part by part; a missing part counts as 0. */
export function compareVersions(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** A version string virsh printed: digits and dots only. */
export function isVersion(v: string | undefined): v is string {
  return v !== undefined && /^\d+(\.\d+)*$/.test(v);
}
