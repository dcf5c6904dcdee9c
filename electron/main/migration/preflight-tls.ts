/**
 * The certificate facts of the TLS pre-flight check, in Node (node:crypto's X509Certificate): no openssl needed on
 * the hosts, the PEM files are read with cat. Pure apart from the crypto library: takes the PEM texts and a clock.
 */
import { X509Certificate } from 'node:crypto';
import type { CertFindings } from '../../../shared/migration/preflight-facts';

export type { CertFindings } from '../../../shared/migration/preflight-facts';

export interface TlsPems {
  readonly destinationHost: string;
  readonly sourceHost: string;
  readonly serverCert: string;
  readonly destinationCa: string;
  readonly sourceCa: string;
  readonly clientCert: string;
  /** Names the server certificate must carry: --tls-destination, else the destination's name and address. */
  readonly expectedNames: readonly string[];
  /** True when expectedNames came from --tls-destination (then one match is all it takes). */
  readonly explicitName: boolean;
}

const isIp = (s: string): boolean => /^[\d.]+$/.test(s) || s.includes(':');

function load(pem: string, what: string, problems: string[]): X509Certificate | undefined {
  try {
    return new X509Certificate(pem);
  } catch (e) {
    problems.push(`${what} is not a readable X.509 certificate (${e instanceof Error ? e.message : String(e)}).`);
    return undefined;
  }
}

function validity(cert: X509Certificate, what: string, nowMs: number, problems: string[]): void {
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  if (nowMs < from) problems.push(`${what} is not valid yet (valid from ${cert.validFrom}).`);
  if (nowMs > to) problems.push(`${what} expired on ${cert.validTo}.`);
}

function issuedBy(cert: X509Certificate, ca: X509Certificate): boolean {
  try {
    return cert.checkIssued(ca) && cert.verify(ca.publicKey);
  } catch {
    return false;
  }
}

export function examineTlsCertificates(p: TlsPems, nowMs: number): CertFindings {
  const problems: string[] = [];
  const facts: string[] = [];
  const warnings: string[] = [];
  const server = load(p.serverCert, `server-cert.pem on ${p.destinationHost}`, problems);
  const destCa = load(p.destinationCa, `ca-cert.pem on ${p.destinationHost}`, problems);
  const srcCa = load(p.sourceCa, `ca-cert.pem on ${p.sourceHost}`, problems);
  const client = load(p.clientCert, `client-cert.pem on ${p.sourceHost}`, problems);
  if (server) {
    validity(server, `server-cert.pem on ${p.destinationHost}`, nowMs, problems);
    const matches = p.expectedNames.filter((n) => (isIp(n) ? server.checkIP(n) : server.checkHost(n)) !== undefined);
    const san = server.subjectAltName ?? 'no subjectAltName';
    if (matches.length === 0) {
      problems.push(
        `server-cert.pem on ${p.destinationHost} is not valid for ${p.expectedNames.join(' or ')} (it names ${san}); the source's QEMU will refuse it.`,
      );
    } else if (!p.explicitName && matches.length < p.expectedNames.length) {
      const missing = p.expectedNames.filter((n) => !matches.includes(n));
      warnings.push(`server-cert.pem on ${p.destinationHost} covers ${matches.join(', ')} but not ${missing.join(', ')} (${san}).`);
    } else {
      facts.push(`server certificate valid until ${server.validTo} for ${san}`);
    }
    if (destCa && !issuedBy(server, destCa)) {
      problems.push(`server-cert.pem on ${p.destinationHost} was not issued by the CA in its own ca-cert.pem (QEMU: "certificate hasn't got a known issuer").`);
    }
    if (srcCa && !issuedBy(server, srcCa)) {
      problems.push(`server-cert.pem on ${p.destinationHost} was not issued by the CA in ca-cert.pem on ${p.sourceHost}, so the source will not trust it.`);
    }
  }
  if (client) {
    validity(client, `client-cert.pem on ${p.sourceHost}`, nowMs, problems);
    if (destCa && !issuedBy(client, destCa)) {
      problems.push(`client-cert.pem on ${p.sourceHost} was not issued by the CA in ca-cert.pem on ${p.destinationHost}, so the destination will refuse it.`);
    }
  }
  if (destCa) validity(destCa, `ca-cert.pem on ${p.destinationHost}`, nowMs, problems);
  return { problems, facts, warnings };
}
