/**
 * The page's server: a folder's files on 127.0.0.1 with their content types,
 * `/` as index.html, 404 for what is not there or lies outside the folder,
 * 405 for writes, and a port in use as an error value naming it.
 */
import * as E from 'fp-ts/lib/Either.js';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, fileFor, serveSite } from '../src/server.js';

const root = mkdtempSync(join(tmpdir(), 'equissl-explore-server-'));
const site = join(root, 'site');
let server: RunningServer;

/** A raw request (no URL normalisation, unlike fetch). */
const get = (path: string, method = 'GET') =>
  new Promise<{ status: number; type: string; body: string }>((done, fail) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => done({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body }));
    });
    req.on('error', fail);
    req.end();
  });

beforeAll(async () => {
  mkdirSync(join(site, 'models', '0'), { recursive: true });
  writeFileSync(join(site, 'index.html'), '<p>page</p>');
  writeFileSync(join(site, 'models', '0', 'model.json'), '{}');
  writeFileSync(join(root, 'secret.txt'), 'outside');
  const s = await serveSite(site, 0)();
  if (E.isLeft(s)) throw new Error(s.left.message);
  server = s.right;
});

afterAll(async () => {
  await server.close();
});

describe('serveSite', () => {
  it('serves the folder on 127.0.0.1 with content types; / is index.html', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(await get('/')).toEqual({ status: 200, type: 'text/html; charset=utf-8', body: '<p>page</p>' });
    expect(await get('/models/0/model.json?v=1')).toMatchObject({ status: 200, type: 'application/json; charset=utf-8', body: '{}' });
    expect((await get('/', 'HEAD')).body).toBe('');
  });

  it('answers 404 for missing files and paths that leave the folder, 405 for writes', async () => {
    expect((await get('/nope.js')).status).toBe(404);
    expect((await get('/../secret.txt')).status).toBe(404);
    expect((await get('/%2e%2e/secret.txt')).status).toBe(404);
    expect((await get('/models')).status).toBe(404);
    expect((await get('/', 'POST')).status).toBe(405);
    expect(fileFor(site, '/%E0%A4%A')).toBeUndefined();
  });

  it('a port in use is an error naming it', async () => {
    const again = await serveSite(site, server.port)();
    expect(E.isLeft(again) && again.left.message).toBe(`127.0.0.1:${server.port}: port ${server.port} is in use; pass another --port (0 picks a free one)`);
  });
});
