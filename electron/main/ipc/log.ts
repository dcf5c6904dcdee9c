/** Main's log, as the IPC layer needs it. Fields never carry payloads (a payload may hold a passphrase). */
export interface IpcLogger {
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
}

export const silentIpcLogger: IpcLogger = { warn: () => undefined, error: () => undefined };

/** One line per event on stderr: what the web server and the desktop app's main process use. */
export function stderrLogger(write: (line: string) => void = (line) => process.stderr.write(line)): IpcLogger {
  const log = (level: string) => (event: string, fields?: Record<string, unknown>) =>
    write(`${new Date().toISOString()} ${level} ${event}${fields ? ' ' + JSON.stringify(fields) : ''}\n`);
  return { warn: log('warn'), error: log('error') };
}

/** An exception as main's log keeps it: its stack (which holds its message), never sent to a renderer. */
export function describeThrown(thrown: unknown): string {
  if (thrown instanceof Error) return thrown.stack ?? `${thrown.name}: ${thrown.message}`;
  return `non-Error thrown: ${typeof thrown}`;
}
