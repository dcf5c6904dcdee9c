/** What the SSH layer logs through (never secrets: details pass through `redact` first). */
export interface SshLogger {
  debug(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: SshLogger = { debug: () => undefined, warn: () => undefined };
