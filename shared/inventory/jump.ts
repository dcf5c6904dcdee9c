/**
 * The text of a jump chain as OpenSSH's ProxyJump writes it: `[user@]host[:port]` (or `ssh://[user@]host[:port]`),
 * comma-separated, first hop first; an IPv6 address in brackets (`[fd00::1]:22`). Used by the add-host form and the
 * ~/.ssh/config import, so both read `ProxyJump` text the same way.
 */
import { err, ok, type Result } from '../result';
import { MAX_JUMP_HOPS, type JumpHop } from './types';

export interface JumpSpec {
  readonly host: string;
  /** Absent: whatever the caller's default is (the host's own user, or the hop's User in the config). */
  readonly user?: string;
  readonly port?: number;
}

const HOST = /^[A-Za-z0-9.:_\-%]+$/;

function parseOne(raw: string): Result<JumpSpec, string> {
  let s = raw.trim();
  if (s === '') return err('A jump host is empty (two commas, or a comma at an end).');
  if (/^ssh:\/\//i.test(s)) s = s.slice('ssh://'.length).replace(/\/$/, '');
  let user: string | undefined;
  const at = s.lastIndexOf('@');
  if (at >= 0) {
    user = s.slice(0, at);
    s = s.slice(at + 1);
    if (user === '') return err(`"${raw.trim()}": the user before "@" is empty.`);
  }
  let host = s;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(s);
  if (bracketed) {
    host = bracketed[1] ?? '';
    portText = bracketed[2];
  } else if ((s.match(/:/g) ?? []).length === 1) {
    const colon = s.indexOf(':');
    host = s.slice(0, colon);
    portText = s.slice(colon + 1);
  }
  if (host === '' || !HOST.test(host) || host.startsWith('-')) return err(`"${raw.trim()}" is not user@host:port.`);
  let port: number | undefined;
  if (portText !== undefined) {
    port = /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
    if (Number.isNaN(port) || port < 1 || port > 65535) return err(`"${raw.trim()}": the port is a number from 1 to 65535.`);
  }
  return ok({ host, ...(user !== undefined ? { user } : {}), ...(port !== undefined ? { port } : {}) });
}

/** The hops of a ProxyJump value, first to last; an empty text is no chain. */
export function parseJumpText(text: string): Result<JumpSpec[], string> {
  if (text.trim() === '') return ok([]);
  const out: JumpSpec[] = [];
  for (const part of text.split(',')) {
    const r = parseOne(part);
    if (!r.ok) return r;
    out.push(r.value);
  }
  if (out.length > MAX_JUMP_HOPS) return err(`At most ${MAX_JUMP_HOPS} jump hosts.`);
  return ok(out);
}

/** `user@host:port`, IPv6 bracketed: one hop as ProxyJump writes it. */
export function formatJumpHop(h: { readonly user: string; readonly address: string; readonly port: number }): string {
  const host = h.address.includes(':') ? `[${h.address}]` : h.address;
  return `${h.user}@${host}:${h.port}`;
}

/** The whole chain as ProxyJump text; '' when there is none. */
export function formatJumpText(jump: readonly JumpHop[] | undefined): string {
  return (jump ?? []).map(formatJumpHop).join(',');
}
