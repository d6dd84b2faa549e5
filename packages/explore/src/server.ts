/**
 * The page's HTTP server: the site folder as static files over node:http,
 * bound to 127.0.0.1 only (nothing else on the network can reach it, and the
 * page asks nothing of any other host). GET and HEAD; paths are resolved
 * inside the folder (`..` cannot leave it); no caching, so a rebuilt site
 * shows at the next reload.
 *
 * @since 0.1.0
 */
import { type EquisslError, ioError } from '@equissl/core';
import * as E from 'fp-ts/lib/Either.js';
import type * as TE from 'fp-ts/lib/TaskEither.js';
import { createReadStream, statSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';

/** The only address the server listens on. */
export const host = '127.0.0.1';

/** Content types of the site's files. */
export const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.bin': 'application/octet-stream',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** A running server. */
export interface RunningServer {
  /** `http://127.0.0.1:<port>/`. */
  readonly url: string;
  readonly port: number;
  readonly close: () => Promise<void>;
}

/** The file under `root` that `urlPath` names (`/` is index.html), or undefined when it leaves `root` or is not a file. */
export const fileFor = (root: string, urlPath: string): string | undefined => {
  let path: string;
  try {
    path = decodeURIComponent(urlPath.split('?')[0]!.split('#')[0]!);
  } catch {
    return undefined;
  }
  const base = resolve(root);
  const file = resolve(join(base, path.endsWith('/') ? `${path}index.html` : path));
  if (file !== base && !file.startsWith(base + sep)) return undefined;
  try {
    return statSync(file).isFile() ? file : undefined;
  } catch {
    return undefined;
  }
};

const handler = (root: string) => (req: IncomingMessage, res: ServerResponse) => {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('only GET and HEAD\n');
    return;
  }
  const file = fileFor(root, req.url ?? '/');
  if (file === undefined) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`not found: ${req.url ?? ''}\n`);
    return;
  }
  res.writeHead(200, { 'content-type': contentTypes[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store', 'content-length': statSync(file).size });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file)
    .on('error', () => res.destroy())
    .pipe(res);
};

/** Serves `root` on 127.0.0.1:`port` (0: a free port); a port in use is an error naming it. */
export const serveSite = (root: string, port: number): TE.TaskEither<EquisslError, RunningServer> => () =>
  new Promise((done) => {
    const server: Server = createServer(handler(root));
    server.once('error', (e: NodeJS.ErrnoException) => {
      const why = e.code === 'EADDRINUSE' ? `port ${port} is in use; pass another --port (0 picks a free one)` : e.code === 'EACCES' ? `port ${port} needs privileges; pass a port above 1023` : e.message;
      done(E.left(ioError(`${host}:${port}`, why)));
    });
    server.listen(port, host, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : port;
      done(
        E.right({
          url: `http://${host}:${bound}/`,
          port: bound,
          close: () =>
            new Promise<void>((closed) => {
              server.close(() => closed());
              server.closeAllConnections();
            }),
        }),
      );
    });
  });
