/**
 * The page's bundle: built from page/ into a folder (index.html, explore.css
 * and one script with TensorFlow.js inside and no import left to resolve),
 * and rebuilt on demand only when missing or older than a source.
 */
import { mkdtempSync, readFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPage } from '../src/build-page.js';
import { siteFormat } from '../src/manifest.js';
import { pageIsStale, pageSources } from '../src/page-assets.js';

describe('the page bundle', () => {
  it('is one self-contained script beside the HTML and CSS; stale when missing or older than a source', async () => {
    const out = mkdtempSync(join(tmpdir(), 'equissl-explore-page-'));
    expect(pageIsStale(pageSources, out)).toBe(true);
    const r = await buildPage(pageSources, out)();
    if (r._tag === 'Left') throw new Error(r.left.message);
    expect(r.right.map((f) => f.slice(out.length + 1)).sort()).toEqual(['explore.css', 'explore.js', 'index.html']);
    const script = readFileSync(join(out, 'explore.js'), 'utf8');
    // nothing for a browser (or a packer) to resolve: no import statements, no dynamic imports, no require
    expect(script.match(/(?:\bfrom\s*|\bimport\s*\(\s*|^import\s+)['"]([^'"]+)['"]/gm)).toBeNull();
    expect(script).not.toMatch(/\brequire\(\s*['"]/);
    expect(script).toContain(siteFormat);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('<script src="explore.js"></script>');
    expect(pageIsStale(pageSources, out)).toBe(false);
    // a source edited after the build
    const past = new Date(Date.now() - 60_000);
    for (const f of ['explore.js', 'explore.css', 'index.html']) utimesSync(join(out, f), past, past);
    const main = join(pageSources, 'main.ts');
    const now = new Date();
    utimesSync(main, now, now);
    expect(pageIsStale(pageSources, out)).toBe(true);
  });
});
