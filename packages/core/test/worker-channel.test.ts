/** The one worker handshake: the channel keeps every message in order (also those that arrive before anyone asks), and a start fails with the worker's reason. */
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { startWorkers } from '../src/index.js';

type From = { type: 'ready' } | { type: 'failed'; message: string } | { type: 'early' | 'reply'; n: number };
const url = new URL('./fixtures/echo-worker.ts', import.meta.url);

describe('startWorkers and the worker channel', () => {
  it('ready workers: messages in order, requests answered in order', async () => {
    const started = await startWorkers<{ n: number }, From>(url, [{ mode: 'ready' }, { mode: 'ready' }], 'echo worker');
    if (E.isLeft(started)) throw new Error(started.left.message);
    const [a, b] = started.right;
    // the two unasked messages wait in the inbox
    expect([await a!.next(), await a!.next()]).toEqual([{ type: 'early', n: 1 }, { type: 'early', n: 2 }]);
    expect(await a!.request({ n: 21 })).toEqual({ type: 'reply', n: 42 });
    await b!.next();
    await b!.next();
    expect(await Promise.all([b!.request({ n: 1 }), b!.request({ n: 2 })])).toEqual([{ type: 'reply', n: 2 }, { type: 'reply', n: 4 }]);
    await Promise.all(started.right.map((c) => c.worker.terminate()));
  });

  it("a worker that says failed: its reason, started; one that throws: the error, not started", async () => {
    const failed = await startWorkers<never, From>(url, [{ mode: 'ready' }, { mode: 'failed' }], 'echo worker');
    expect(failed).toEqual(E.left({ started: true, message: 'no model for this config' }));
    const thrown = await startWorkers<never, From>(url, [{ mode: 'throw' }], 'echo worker');
    expect(E.isLeft(thrown) && thrown.left.started).toBe(false);
    expect(E.isLeft(thrown) && thrown.left.message).toContain('cannot start');
  });
});
