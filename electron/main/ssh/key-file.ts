/**
 * Reading a private key file the way OpenSSH does: a key that group or others can read (mode & 0o077) is refused,
 * with OpenSSH's own words, so an admin sees the message they know and fixes it the way they know (chmod 600).
 * The mode is taken from the open file (fstat), not from the path, so the file checked is the file read.
 */
import { open } from 'node:fs/promises';

export class KeyFileTooOpenError extends Error {
  override readonly name = 'KeyFileTooOpenError';
  readonly code = 'ssh.key-too-open';
  constructor(readonly path: string, readonly mode: number) {
    super(
      `Permissions 0${(mode & 0o777).toString(8).padStart(3, '0')} for '${path}' are too open. ` +
        'It is required that your private key files are NOT accessible by others. This private key will be ignored.',
    );
  }
}

/** The key file's bytes; throws KeyFileTooOpenError, or the fs error (ENOENT, EACCES...) as it came. */
export async function readPrivateKeyFile(path: string, platform: NodeJS.Platform = process.platform): Promise<Buffer> {
  const file = await open(path, 'r');
  try {
    // Windows has no POSIX modes (stat reports 0o666 for every file); OpenSSH for Windows checks ACLs instead.
    if (platform !== 'win32') {
      const { mode } = await file.stat();
      if ((mode & 0o077) !== 0) throw new KeyFileTooOpenError(path, mode);
    }
    return await file.readFile();
  } finally {
    await file.close();
  }
}
