/**
 * Web mode's TLS material: the certificate (chain) and key files given with --tls-cert/--tls-key, checked before the
 * server starts so a wrong file is a sentence at start, not a browser error later. The key file is read as SSH keys
 * are (readPrivateKeyFile: refused when group or others can read it). No certificate is ever generated here.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { err, ok, type Result } from '../../../shared/result';
import { KeyFileTooOpenError, readPrivateKeyFile } from '../ssh/key-file';

export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** SHA-256 of the leaf certificate, AA:BB:..., as browsers show it: what to compare on the first visit. */
  readonly fingerprint256: string;
  readonly validTo: string;
}

function reason(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' ? code : e instanceof Error ? e.message : String(e);
}

export async function loadTls(certFile: string, keyFile: string, now: () => number = Date.now): Promise<Result<TlsMaterial, string>> {
  let cert: Buffer;
  let key: Buffer;
  try {
    cert = await readFile(certFile);
  } catch (e) {
    return err(`Cannot read the TLS certificate ${certFile} (${reason(e)}).`);
  }
  try {
    key = await readPrivateKeyFile(keyFile);
  } catch (e) {
    return err(e instanceof KeyFileTooOpenError ? e.message : `Cannot read the TLS key ${keyFile} (${reason(e)}).`);
  }
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert); // the first certificate of a chain: the server's own
  } catch (e) {
    return err(`${certFile} is not a PEM certificate (${reason(e)}).`);
  }
  try {
    if (!x509.checkPrivateKey(createPrivateKey(key))) return err(`${keyFile} is not the private key of the certificate ${certFile}.`);
  } catch (e) {
    return err(`${keyFile} is not a PEM private key without a passphrase (${reason(e)}).`);
  }
  if (Date.parse(x509.validTo) < now()) return err(`The TLS certificate ${certFile} expired on ${x509.validTo}.`);
  return ok({ cert, key, fingerprint256: x509.fingerprint256, validTo: x509.validTo });
}
