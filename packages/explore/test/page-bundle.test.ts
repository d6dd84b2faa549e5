/**
 * The page bundles from a fresh clone, where `npm ci` has built no dist/.
 *
 * "Remove dist/ first, then bundle" is done without touching the
 * workspace's own dist/ folders (other tests, and people, use them while
 * this runs), in two ways:
 *
 * - on the workspace itself, the bundle made as the command makes it here
 *   (this package runs from src/, so with the `@equissl/source` condition)
 *   reads, by esbuild's metafile, no file of any package's dist/, and reads
 *   @equissl/transforms' affine-row from its src/: it would be the same
 *   bundle whether dist/ exists or not;
 * - on a copy of the two packages the page bundles from the workspace
 *   (explore's page/ and src/, transforms' package.json and src/), laid out
 *   as in the checkout under a temporary folder with no dist/ at all and
 *   only TensorFlow.js linked in: it bundles with the source condition, and
 *   without it (as an installed copy would) it fails with esbuild's whole
 *   message — the file, line and text of the import it cannot resolve.
 *
 * Which conditions apply follows from this package's own module URL: from
 * sources (`.ts`, or under src/) the source condition, from dist/*.js none.
 */
import * as E from 'fp-ts/lib/Either.js';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleConditions, bundlePage, describeBuildFailure, runsFromSources, sourceCondition } from '../src/bundle-page.js';
import { packageRoot, pageSources } from '../src/page-assets.js';

const workspace = join(packageRoot, '..', '..');

/** Whether `file` lies in a dist/ folder of a package of the checkout under `root`. */
const inPackageDist = (root: string, file: string): boolean => {
  const rel = relative(join(root, 'packages'), file);
  return !rel.startsWith('..') && rel.split(sep)[1] === 'dist';
};

describe('the bundle conditions', () => {
  it('are the source condition when this package runs from its sources, none when installed', () => {
    expect(bundleConditions()).toEqual([sourceCondition]);
    expect(runsFromSources('file:///home/me/equissl/packages/explore/src/bundle-page.ts')).toBe(true);
    expect(bundleConditions('file:///app/node_modules/@equissl/explore/dist/bundle-page.js')).toEqual([]);
    expect(bundleConditions('file:///app/node_modules/@equissl/explore/src/bundle-page.js')).toEqual([sourceCondition]);
    expect(bundleConditions('file:///home/me/src/app/node_modules/@equissl/explore/dist/bundle-page.js')).toEqual([]);
  });
});

describe('the page bundle without dist/', () => {
  it("reads no package's dist/ in the workspace: affine-row comes from transforms' src/", async () => {
    const r = await bundlePage(pageSources)();
    if (E.isLeft(r)) throw new Error(r.left.message);
    const inputs = r.right.inputs;
    expect(inputs.filter((f) => inPackageDist(workspace, f))).toEqual([]);
    expect(inputs).toContain(join(workspace, 'packages', 'transforms', 'src', 'affine-row.ts'));
    expect(inputs).toContain(join(pageSources, 'main.ts'));
    expect(inputs.some((f) => f.includes(`${sep}@tensorflow${sep}tfjs-core${sep}`))).toBe(true);
  });

  it('bundles a copy of the packages that has no dist/ at all; without the source condition the error names the file, line and import', async () => {
    const clone = mkdtempSync(join(tmpdir(), 'equissl-explore-clone-'));
    const explore = join(clone, 'packages', 'explore');
    const transforms = join(clone, 'packages', 'transforms');
    cpSync(join(workspace, 'tsconfig.base.json'), join(clone, 'tsconfig.base.json'));
    for (const f of ['package.json', 'page', 'src']) cpSync(join(packageRoot, f), join(explore, f), { recursive: true });
    for (const f of ['package.json', 'src']) cpSync(join(workspace, 'packages', 'transforms', f), join(transforms, f), { recursive: true });
    mkdirSync(join(clone, 'node_modules', '@equissl'), { recursive: true });
    symlinkSync(join('..', '..', 'packages', 'transforms'), join(clone, 'node_modules', '@equissl', 'transforms'));
    symlinkSync(join(workspace, 'node_modules', '@tensorflow'), join(clone, 'node_modules', '@tensorflow'));
    expect(JSON.parse(readFileSync(join(transforms, 'package.json'), 'utf8')).exports['./affine-row'].default).toBe('./dist/affine-row.js');

    const fromSources = await bundlePage(join(explore, 'page'), { conditions: [sourceCondition] })();
    if (E.isLeft(fromSources)) throw new Error(fromSources.left.message);
    expect(fromSources.right.inputs).toContain(join(transforms, 'src', 'affine-row.ts'));
    expect(fromSources.right.inputs.filter((f) => inPackageDist(clone, f))).toEqual([]);
    expect(Buffer.from(fromSources.right.script).toString('utf8')).toContain('equissl-explore/');

    const asInstalled = await bundlePage(join(explore, 'page'), { conditions: [] })();
    expect(E.isLeft(asInstalled)).toBe(true);
    const message = E.isLeft(asInstalled) ? asInstalled.left.message : '';
    expect(message).toContain(`${join(explore, 'page', 'main.ts')}: cannot bundle the page (1 error:\n`);
    expect(message).toMatch(/page\/paths\.ts:\d+:\d+: Could not resolve "@equissl\/transforms\/affine-row"/);
    expect(message).toContain("import { affineRow } from '@equissl/transforms/affine-row';");
    expect(message).toContain('dist/affine-row.js');
  });

  it('lists every error of a failure, each with its place and text', () => {
    const failure = Object.assign(new Error('Build failed with 2 errors:\n…'), {
      errors: [
        { text: 'Could not resolve "a"', location: { file: 'page/x.ts', line: 3, column: 7, lineText: "import 'a';" }, notes: [] },
        { text: 'Unexpected "}"', location: { file: 'page/y.ts', line: 9, column: 0, lineText: '}' }, notes: [{ text: 'here' }] },
      ],
    });
    expect(describeBuildFailure(failure)).toBe(`2 errors:\npage/x.ts:3:7: Could not resolve "a"\n    import 'a';\npage/y.ts:9:0: Unexpected "}"\n    }\n    note: here`);
    expect(describeBuildFailure(new Error('plain'))).toBe('plain');
  });
});
