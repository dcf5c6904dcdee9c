/**
 * Pre-flight's rules for the network a migration's data crosses: the migration ports, the MTU of both ends with the
 * path measured between them, and the TLS material. Pure: facts in (preflight-facts.ts), a verdict out.
 */
import { countOf } from '../count';
import { migrationTlsDir, type PortProbe } from '../parsers/preflight-probes';
import { portRanges } from '../network/path-analysis';
import { verdict, type Verdict } from './preflight-verdict';
import {
  LIBVIRT_PORTS,
  portPlan,
  tlsChosen,
  tlsMissing,
  TLS_CLIENT_FILES,
  TLS_SERVER_FILES,
  type LinkSide,
  type MeasuredPath,
  type MtuFacts,
  type PortsFacts,
  type PreflightPlace,
  type PreflightSetting,
  type TlsFacts,
} from './preflight-facts';

const SEMANTICS =
  'Nothing listens on a migration port until QEMU opens it for a migration, so "refused" (the destination answered with a reset) means reachable and not filtered; a timeout means a firewall drops the packets.';

export function portsRule(s: PreflightSetting, f: PortsFacts): Verdict {
  const { source, destination, options: o } = s;
  const { min, max, target } = portPlan(f.conf, s);
  const probes = f.probes;
  const show = (ps: readonly PortProbe[]) => {
    const byState = new Map<string, number[]>();
    for (const p of ps) byState.set(p.state, [...(byState.get(p.state) ?? []), p.port]);
    return [...byState].map(([state, ports]) => `${portRanges(ports)} ${state}`).join('; ');
  };
  const mig = probes.filter((p) => !LIBVIRT_PORTS.includes(p.port));
  const lib = probes.filter((p) => LIBVIRT_PORTS.includes(p.port));
  const blocked = (p: PortProbe) => p.state === 'timeout' || p.state === 'unreachable' || p.state === 'error';
  const facts = `From ${source.name} to ${target}: migration ports (${min}-${max}) ${show(mig)}; libvirt TCP/TLS ${show(lib)}.`;
  const detail = probes.map((p) => `${p.port} ${p.state}${p.message ? ` (${p.message})` : ''}`).join('\n');
  const migBlocked = mig.filter(blocked);
  const fix = `Allow TCP ${min}-${max} from ${source.address} to ${target} in the firewalls between them (and on ${destination.name}).`;
  if (migBlocked.length > 0 && o.tunnelled !== true) {
    // Timeouts only: a 2-s probe that got no answer (a firewall, or a loaded host) is not a certain "no".
    const overridable = migBlocked.every((p) => p.state === 'timeout');
    return verdict(migBlocked.length === mig.length ? 'fail' : 'warn', `${facts} ${SEMANTICS}`, { fix, detail, overridable });
  }
  if (migBlocked.length > 0) {
    return verdict('warn', `${facts} With --tunnelled the data goes through libvirt's own connection, so these ports are not needed. ${SEMANTICS}`, { fix, detail });
  }
  if (lib.some(blocked)) {
    return verdict('warn', `${facts} 16509/16514 are only used by qemu+tcp:// and qemu+tls:// connections (Ferry connects over ssh). ${SEMANTICS}`, {
      fix: `Only if you use qemu+tcp/qemu+tls: allow TCP 16509/16514 to ${destination.name}.`,
      detail,
    });
  }
  return verdict('pass', `${facts} ${SEMANTICS}`, { detail });
}

export function pathSentence(p: MeasuredPath): string {
  if (p.unavailable !== undefined) return ` (The path itself could not be probed: ${p.unavailable})`;
  const pm = p.route?.pmtu;
  if (pm?.largestPassing === undefined) return ` ${p.flags[0]?.facts ?? ''}`.trimEnd();
  const hop = p.route?.clip ? ` ${p.route.clip.where}.` : '';
  return ` The largest DF packet that passes is ${pm.largestPassing} bytes (${countOf(pm.probes.length, 'probe')}).${hop}`;
}

export function pathDetail(p: MeasuredPath): string | undefined {
  if (p.route?.pmtu === undefined) return undefined;
  const probes = p.route.pmtu.probes.map((x) => `${x.packetBytes}${x.ttl !== undefined ? ` ttl ${x.ttl}` : ''}: ${x.outcome}${x.from ? ` from ${x.from}` : ''}${x.mtu !== undefined ? ` (mtu ${x.mtu})` : ''}`);
  const hops = p.route.hops.map((h) => `hop ${h.hop}: ${h.name ? `${h.name} (${h.address ?? '?'})` : (h.address ?? 'no reply')}${h.linkMtu !== undefined ? `, link ${h.linkMtu}` : ''}`);
  return [...probes, ...hops].join('\n');
}

export function mtuRule(s: PreflightSetting, f: MtuFacts): Verdict {
  const { source, destination } = s;
  const { source: a, destination: b, path } = f;
  const describe = (h: PreflightPlace, x: LinkSide, to: string) =>
    `${h.name} reaches ${to} through ${x.dev} (MTU ${x.mtu}${x.gateway ? `, via ${x.gateway}` : ''}${x.pmtu !== undefined ? `, cached path MTU ${x.pmtu}` : ''})`;
  const facts = `${describe(source, a, f.toward)}; ${describe(destination, b, f.back)}.`;
  const measured = pathSentence(path);
  const worst = path.flags[0];
  const detail = pathDetail(path);
  if (worst?.id === 'black-hole' && worst.severity === 'error') {
    // Inferred from lost probes, not seen: the admin may know the path (e.g. the data takes another route).
    return verdict('fail', `${facts} ${worst.facts}`, { fix: worst.fix, detail, overridable: true });
  }
  if (a.mtu !== b.mtu) {
    return verdict('warn', `${facts} The MTUs differ (${a.mtu} vs ${b.mtu}): packets of the larger size need the path to fragment or PMTU discovery to work, and a switch in between that drops them silently stalls the migration.${measured}`, {
      fix: `Use the same MTU on both ends (${Math.min(a.mtu, b.mtu)} unless every hop carries ${Math.max(a.mtu, b.mtu)}); ${path.flags.find((x) => x.id === 'path-mtu-drop')?.fix ?? 'the network path view locates the hop that clips it.'}`,
      detail,
    });
  }
  if (worst !== undefined && (worst.id === 'black-hole' || worst.id === 'path-mtu-drop')) {
    return verdict('warn', `${facts} ${worst.facts}`, { fix: worst.fix, detail });
  }
  return verdict('pass', `${facts} Both ends use MTU ${a.mtu}.${measured}`, detail !== undefined ? { detail } : {});
}

export function tlsRule(s: PreflightSetting, f: TlsFacts): Verdict {
  const { source, destination } = s;
  if (!f.chosen || !tlsChosen(s.options)) return verdict('skipped', 'TLS is not chosen for this migration.');
  const srcDir = migrationTlsDir(f.sourceConf);
  const dstDir = migrationTlsDir(f.destinationConf);
  const missing = tlsMissing(s, f);
  const dirs = `migrate_tls_x509_cert_dir: ${source.name} ${srcDir}, ${destination.name} ${dstDir}`;
  if (missing.length > 0 || f.certificates === undefined) {
    return verdict('fail', `${missing.join('; ')}.`, {
      fix: `Put the CA certificate, ${destination.name}'s server certificate and key (${TLS_SERVER_FILES.join(', ')}) in ${dstDir} on ${destination.name}, and ${source.name}'s client certificate and key (${TLS_CLIENT_FILES.join(', ')}) in ${srcDir} on ${source.name}; the directory is migrate_tls_x509_cert_dir in /etc/libvirt/qemu.conf (default /etc/pki/qemu).`,
      detail: dirs,
    });
  }
  const found = f.certificates;
  if (found.problems.length > 0) {
    return verdict('fail', found.problems.join(' '), {
      fix: `Re-issue the certificates from one CA: ${destination.name}'s server certificate with subjectAltName DNS:${destination.name},IP:${destination.address}; copy that CA's ca-cert.pem to both hosts.`,
      detail: dirs,
    });
  }
  if (found.warnings.length > 0) {
    return verdict('warn', found.warnings.join(' '), { fix: `Add the missing name to the certificate's subjectAltName, or pass --tls-destination with a name it carries.`, detail: dirs });
  }
  return verdict('pass', `All TLS files present (${dirs}); ${found.facts.join('; ')}; issued by the CA both hosts trust.`);
}

/** The names the destination's server certificate must carry: --tls-destination, else its name and address. */
export function tlsExpectedNames(s: PreflightSetting): { readonly names: readonly string[]; readonly explicit: boolean } {
  const explicit = s.options.tlsDestination !== undefined;
  return { names: explicit ? [s.options.tlsDestination ?? ''] : [s.destination.name, s.destination.address], explicit };
}
