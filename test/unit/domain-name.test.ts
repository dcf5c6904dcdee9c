import { describe, expect, it } from 'vitest';
import { checkDomainName, domainNameProblem, isDomainName } from '../../shared/commands/domain-name';
import { dumpxmlMigratable } from '../../shared/commands/preflight';
import { checkVmName } from '../../shared/commands/audit';
import { migrationsStart } from '../../shared/ipc/contract';
import { validateMigrationOptions } from '../../shared/migration/options';

describe('one rule for domain names: what libvirt 9.0 accepts', () => {
  // Each accepted by `virsh define` on the lab; each refused one refused by it, with the reason quoted.
  const accepted = ['-x', '--live', '.dot', ' lead', 'tab\tx', 'ünï', 'vm 1; rm -rf ~', 'x'.repeat(251)];
  const refused: readonly [string, RegExp][] = [
    ['', /empty/],
    ['a/b', /'\/'/],
    ['x\ny', /line break/],
    ['x'.repeat(252), /251 bytes/],
    ['é'.repeat(126), /251 bytes/],
  ];

  it('accepts a name starting with "-" or ".", spaces and Unicode', () => {
    for (const n of accepted) expect(domainNameProblem(n), JSON.stringify(n)).toBeUndefined();
  });

  it('refuses a name libvirt refuses, saying why', () => {
    for (const [n, why] of refused) {
      const r = checkDomainName(n);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.message).toMatch(why);
    }
  });

  it('is the same rule for the migrate, pre-flight and audit commands, the contract and --dname', () => {
    for (const n of [...accepted, ...refused.map(([x]) => x)]) {
      const want = isDomainName(n);
      expect(dumpxmlMigratable(n).ok, n).toBe(want);
      expect(checkVmName(n).ok, n).toBe(want);
      expect(migrationsStart.input.safeParse({ vm: n, sourceHostId: 'a', destinationHostId: 'b', options: {} }).success, n).toBe(want);
      expect(validateMigrationOptions({ live: true, dname: n }).length === 0, n).toBe(want);
    }
  });

  it('puts "-x" after --domain in pre-flight', () => {
    const r = dumpxmlMigratable('-x');
    expect(r.ok && r.value.argv.slice(-3)).toEqual(['--domain', '-x', '--migratable']);
  });
});
