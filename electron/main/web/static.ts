/**
 * Serves the built renderer, read-only: GET/HEAD of regular files under one directory, `/` as index.html, no
 * directory listing, and no way out of the directory (dot segments, encoded separators, symlinks are refused).
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The relative file a request path names, or undefined when it is not a plain path inside the root. Segments are
 * decoded one by one, so `%2e%2e`, `..%2f` and `%5c` are seen for what they are.
 */
export function safeRelativePath(requestUrl: string): string | undefined {
  const rawPath = requestUrl.split(/[?#]/, 1)[0] ?? '';
  if (!rawPath.startsWith('/')) return undefined;
  const segments: string[] = [];
  for (const raw of rawPath.slice(1).split('/')) {
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (seg === '') continue;
    if (seg.startsWith('.') || /[/\\\0:]/.test(seg)) return undefined;
    segments.push(seg);
  }
  return segments.length === 0 ? 'index.html' : segments.join('/');
}

function send(res: ServerResponse, status: number, text: string, headers: Record<string, string>): void {
  res.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export async function serveStatic(req: IncomingMessage, res: ServerResponse, root: string, headers: Record<string, string>): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'Method not allowed\n', { ...headers, Allow: 'GET, HEAD' });
  const rel = safeRelativePath(req.url ?? '');
  if (rel === undefined) return send(res, 400, 'Bad path\n', headers);
  let file: string;
  let size: number;
  try {
    const realRoot = await realpath(root);
    file = await realpath(path.join(realRoot, rel));
    if (!file.startsWith(realRoot + path.sep)) return send(res, 404, 'Not found\n', headers);
    const st = await stat(file);
    if (!st.isFile()) return send(res, 404, 'Not found\n', headers);
    size = st.size;
  } catch {
    return send(res, 404, 'Not found\n', headers);
  }
  const type = TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
  res.writeHead(200, {
    ...headers,
    'Content-Type': type,
    'Content-Length': size,
    // The page is tiny and its asset names are content-hashed; never cache index.html (it changes per build).
    'Cache-Control': rel === 'index.html' ? 'no-store' : 'no-cache',
  });
  if (req.method === 'HEAD') return void res.end();
  createReadStream(file)
    .on('error', () => res.destroy())
    .pipe(res);
}
