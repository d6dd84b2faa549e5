/// <reference lib="dom" />
/**
 * `equissl explore` as a person uses it, in Debian's Chromium (headless,
 * driven by playwright-core; no downloaded browser): a checkpoint pretrained
 * for three steps is served, the page loads, the slider is moved through five
 * angles — the true θ shown follows it, a predicted θ is shown each time,
 * g_θ(x) and the reconstructions change on the canvases — no request leaves
 * 127.0.0.1 and the console shows no error; the page is saved as a
 * screenshot (into docs/explore.png with EQUISSL_UPDATE_SCREENSHOTS=1, else
 * into a temporary folder, so a test run leaves the tree as it was). Then a baseline (reconstruction off) beside the method:
 * its panel says why it has no reconstructions, a file that is not an image
 * and a PNG cut short give a message (and the page stays), a PNG dropped on
 * the page is taken as the image. A path the page cannot warp (Gaussian
 * blur, drawn by the command) steps through its points, and a photo
 * switches to one it warps. A site with a corrupt model file (the first
 * case's, damaged) says so. Skipped, with the reason in the name, where Chromium is not installed.
 */
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing, chromiumPath, named } from '../../../tools/test-data.js';
import { serveSite } from '../src/server.js';
import { type Explore, root, startExplore, tinyCheckpoint } from './run-explore.js';

const work = mkdtempSync(join(tmpdir(), 'equissl-explore-browser-'));
/** Where a screenshot goes: the docs' picture when asked to update it, else the test's temporary folder. */
const screenshotPath = (name: string): string => join(process.env.EQUISSL_UPDATE_SCREENSHOTS === '1' ? join(root, 'docs') : work, name);
let method = '';
let baseline = '';
let browser: Browser | undefined;
const running: Explore[] = [];

/** A page that records every request and every console error or uncaught exception. */
const openPage = async (url: string): Promise<{ page: Page; requests: string[]; errors: string[] }> => {
  const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset['state'] !== 'loading', undefined, { timeout: 60_000 });
  expect(await page.textContent('#message')).toBe('');
  expect(await page.getAttribute('body', 'data-state')).toBe('ready');
  return { page, requests, errors };
};

/** Waits until the page has drawn after `before` draws and nothing is pending. */
const drawn = (page: Page, before: number) =>
  page.waitForFunction((n) => Number(document.body.dataset['renders'] ?? 0) > n && document.body.dataset['busy'] === 'false', before, { timeout: 30_000 });

const renders = async (page: Page) => Number(await page.getAttribute('body', 'data-renders'));

/** The RGBA pixels of a canvas, as a string to compare. */
const pixels = (page: Page, id: string) =>
  page.evaluate((canvasId) => {
    const c = document.getElementById(canvasId) as HTMLCanvasElement;
    return Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data).join(',');
  }, id);

/** Moves the slider to `value` as a user does (the input event), and waits for the drawing. */
const slide = async (page: Page, value: number) => {
  const before = await renders(page);
  await page.locator('#theta').fill(String(value));
  await drawn(page, before);
};

beforeAll(async () => {
  if (chromiumMissing !== undefined) return;
  method = await tinyCheckpoint(join(work, 'method'), 'method');
  baseline = await tinyCheckpoint(join(work, 'baseline'), 'baseline');
  browser = await chromium.launch({ executablePath: chromiumPath, headless: true });
});

afterAll(async () => {
  for (const e of running) await e.stop();
  await browser?.close();
});

describe.skipIf(chromiumMissing !== undefined)(named('equissl explore in Chromium', chromiumMissing), () => {
  it('follows the slider through five angles: true and predicted θ, changing images and reconstructions, only 127.0.0.1, no console error', async () => {
    const explore = await startExplore(method);
    running.push(explore);
    expect(explore.stdout()).toMatch(/^method \(step 3\): R²\(rotation\) = -?\d+\.\d{3}, R²\(se2\) = -?\d+\.\d{3}, R²\(translation\) = -?\d+\.\d{3}, .*R²\(gaussianBlur\) = -?\d+\.\d{3}$/m);
    const { page, requests, errors } = await openPage(explore.url);
    expect(await page.locator('.panel').count()).toBe(1);
    expect(await page.locator('#family').inputValue()).toBe('rotation');
    expect(await page.locator('[data-role=reconstruction]').count()).toBe(2);
    expect(await page.locator('[data-role=target]').count()).toBe(2);

    const seen: { transformed: string; recs: string[] }[] = [];
    for (const angle of [-40, -20, 0, 15, 35]) {
      await slide(page, angle);
      expect(Number(await page.getAttribute('#true-theta', 'data-value'))).toBe(angle);
      expect(await page.textContent('#true-theta')).toContain(`${Math.abs(angle).toFixed(1)}°`);
      const predicted = await page.getAttribute('#m0-panel [data-role=predicted-theta]', 'data-value');
      expect(Number.isFinite(Number(predicted)) && predicted !== '').toBe(true);
      expect(await page.textContent('#m0-panel [data-role=predicted-theta]')).toMatch(/^angleDeg = −?\d+\.\d°$/);
      seen.push({ transformed: await pixels(page, 'm0-gx'), recs: [await pixels(page, 'm0-rec-1'), await pixels(page, 'm0-rec-2')] });
    }
    // every angle draws another g_θ(x) and other reconstructions
    expect(new Set(seen.map((s) => s.transformed)).size).toBe(5);
    for (const k of [0, 1]) expect(new Set(seen.map((s) => s.recs[k])).size).toBeGreaterThan(1);
    // θ = 0 leaves the image as it is
    expect(seen[2]!.transformed).toBe(await pixels(page, 'm0-x'));
    expect(await page.textContent('#m0-panel [data-role=r2]')).toMatch(/^R² = -?\d\.\d{3} \(ridge/);

    for (const url of requests) expect(url.startsWith(explore.url), url).toBe(true);
    expect(errors).toEqual([]);
    await page.screenshot({ path: screenshotPath('explore.png'), fullPage: true });
    await page.close();
  });

  it('a baseline beside the method shows no reconstructions and says why; a non-image or corrupt upload gives a message, a dropped PNG is taken', async () => {
    const explore = await startExplore(baseline, method);
    running.push(explore);
    const { page, errors } = await openPage(explore.url);
    expect(await page.locator('.panel h2').allTextContents()).toEqual(['baseline', 'method']);
    expect(await page.locator('#m0-panel [data-role=reconstruction]').count()).toBe(0);
    expect(await page.textContent('#m0-panel [data-role=no-decoders]')).toContain('trained with reconstruction: off');
    expect(await page.locator('#m0-panel [data-role=target]').count()).toBe(2);
    expect(await page.locator('#m1-panel [data-role=reconstruction]').count()).toBe(2);
    await slide(page, 30);
    expect(await page.getAttribute('#m0-panel [data-role=predicted-theta]', 'data-value')).not.toBe('');

    const before = await pixels(page, 'm0-x');
    const notes = join(work, 'notes.txt');
    writeFileSync(notes, 'these are notes, not a photo\n');
    await page.setInputFiles('#file', notes);
    await page.waitForFunction(() => !(document.getElementById('message') as HTMLElement).hidden);
    expect(await page.textContent('#message')).toContain('Could not read “notes.txt” as an image');
    expect(await pixels(page, 'm0-x')).toBe(before);
    expect(await page.locator('.panel').count()).toBe(2);

    // a 24×12 photo (a gradient the browser encodes as PNG), fitted to 16×16 by a centre crop
    const dataUrl = await page.evaluate(() => {
      const c = document.createElement('canvas');
      c.width = 24;
      c.height = 12;
      const ctx = c.getContext('2d')!;
      const g = ctx.createLinearGradient(0, 0, 24, 12);
      g.addColorStop(0, '#203080');
      g.addColorStop(1, '#f0c020');
      ctx.fillStyle = g;
      ctx.fillRect(0, 0, 24, 12);
      return c.toDataURL('image/png');
    });
    // a PNG cut short: a message too
    await page.evaluate(() => {
      (document.getElementById('message') as HTMLElement).hidden = true;
    });
    await page.setInputFiles('#file', { name: 'cut.png', mimeType: 'image/png', buffer: Buffer.from(dataUrl.split(',')[1]!, 'base64').subarray(0, 40) });
    await page.waitForFunction(() => !(document.getElementById('message') as HTMLElement).hidden);
    expect(await page.textContent('#message')).toContain('Could not read “cut.png” as an image');
    expect(await pixels(page, 'm0-x')).toBe(before);

    // dropped on the page, as a user drags a file from elsewhere
    const drawnBefore = await renders(page);
    const dropped = await page.evaluateHandle((base64) => {
      const bytes = Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], 'photo.png', { type: 'image/png' }));
      return transfer;
    }, dataUrl.split(',')[1]!);
    await page.dispatchEvent('#drop', 'drop', { dataTransfer: dropped });
    await drawn(page, drawnBefore);
    expect(await page.textContent('#message')).toContain('Showing “photo.png”, fitted to 16×16 (cover)');
    expect(await pixels(page, 'm0-x')).not.toBe(before);
    expect(errors).toEqual([]);
    await page.screenshot({ path: screenshotPath('explore-baseline.png'), fullPage: true });
    await page.close();
  });

  it('a path the page cannot warp (gaussianBlur) steps through the points the command drew; a photo switches to a path the page warps, and back to a sample', async () => {
    const server = await serveSite(join(work, 'method', 'explore'), 0)();
    if (server._tag === 'Left') throw new Error(server.left.message);
    const { page, errors } = await openPage(server.right.url);
    try {
      const options = await page.locator('#family option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
      expect(options.slice(0, 3)).toEqual(['rotation', 'se2', 'translation']);
      expect(options).toContain('gaussianBlur');
      const before = await renders(page);
      await page.selectOption('#family', 'gaussianBlur');
      await drawn(page, before);
      expect([await page.getAttribute('#theta', 'min'), await page.getAttribute('#theta', 'max'), await page.getAttribute('#theta', 'step')]).toEqual(['0', '8', '1']);
      const seen: string[] = [];
      for (const j of [0, 4, 8]) {
        await slide(page, j);
        expect(Number(await page.getAttribute('#true-theta', 'data-t'))).toBe(j / 8);
        expect(await page.textContent('#true-theta')).toMatch(/^t = \d\.\d{3}: sigmaPx = \d\.\d{3}$/);
        expect(await page.textContent('#m0-panel [data-role=predicted-theta]')).toMatch(/^sigmaPx = −?\d+\.\d{3}$/);
        seen.push(await pixels(page, 'm0-gx'));
      }
      // σ = 0 leaves the image as it is; the strip's end blurs it
      expect(seen[0]).toBe(await pixels(page, 'm0-x'));
      expect(new Set(seen).size).toBe(3);

      // a photo: the page switches to a path it warps itself
      const drawnBefore = await renders(page);
      const png = await page.evaluate(() => {
        const c = document.createElement('canvas');
        c.width = 16;
        c.height = 16;
        const ctx = c.getContext('2d')!;
        ctx.fillStyle = '#3060c0';
        ctx.fillRect(0, 0, 16, 8);
        return c.toDataURL('image/png').split(',')[1]!;
      });
      await page.setInputFiles('#file', { name: 'photo.png', mimeType: 'image/png', buffer: Buffer.from(png, 'base64') });
      await drawn(page, drawnBefore);
      expect(await page.locator('#family').inputValue()).toBe('rotation');
      expect(await page.textContent('#message')).toContain('gaussianBlur is computed by equissl explore for the first 8 sample images only: showing rotation.');

      // and back: the precomputed path shows a sample image
      const again = await renders(page);
      await page.selectOption('#family', 'gaussianBlur');
      await drawn(page, again);
      expect(await page.textContent('#message')).toContain('showing sample 1');
      expect(await page.getAttribute('[data-sample="0"]', 'aria-pressed')).toBe('true');
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      await server.right.close();
    }
  });

  it('a site whose model file is corrupt says which file and why, not a blank page', async () => {
    const site = join(work, 'broken-site');
    cpSync(join(work, 'method', 'explore'), site, { recursive: true });
    writeFileSync(join(site, 'models', '0', 'model.json'), '{"format": "equissl-encoder/1", "weightsManifest": [');
    const server = await serveSite(site, 0)();
    if (server._tag === 'Left') throw new Error(server.left.message);
    const page = await browser!.newPage();
    try {
      await page.goto(server.right.url);
      await page.waitForFunction(() => document.body.dataset['state'] === 'error', undefined, { timeout: 30_000 });
      expect(await page.textContent('#message')).toMatch(/^The page could not start: cannot load models\/0\/model\.json \(/);
    } finally {
      await page.close();
      await server.right.close();
    }
  });
});
