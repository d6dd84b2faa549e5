/** The `equissl` command as a user runs it: listings, exit codes and error messages. */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { equissl } from './run-cli.js';


describe('equissl', () => {
  it('plugins lists every registered plugin by kind', () => {
    const r = equissl('plugins');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^transform:\n {2}all +one of rotation/m);
    expect(r.stdout).toMatch(/^dataset:\n {2}cifar-binary/m);
    for (const name of ['procedural', 'idx', 'image-folder', 'rotation', 'se2', 'gaussianBlur']) expect(r.stdout).toContain(`  ${name}`);
    // each loss with what it needs from the step
    expect(r.stdout).toMatch(/^ {2}ibot +iBOT.*\n {17}needs: patchTokens, teacher, tokenMasks$/m);
    expect(r.stdout).toMatch(/^ {2}dinov2 +DINOv2.*\n {17}needs: patchTokens, teacher, tokenMasks$/m);
    expect(r.stdout).toMatch(/^ {2}sie +SIE.*\n {17}needs: equivariantPart, transformParams$/m);
    expect(r.stdout).toMatch(/^ {2}stl +STL.*\n {17}needs: alignedPairs$/m);
    expect(r.stdout).toMatch(/^ {2}vicreg +VICReg.*\n {17}needs: \(the pooled invariant embeddings only\)$/m);
  });

  it('paths writes the requested strips and reports the backend', () => {
    const out = mkdtempSync(join(tmpdir(), 'equissl-cli-'));
    const r = equissl('paths', '--out', out, '--family', 'rotation', 'gaussianBlur', '--images', '2', '--steps', '3');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^backend wasm/m);
    expect(r.stdout).toMatch(/^wrote .*rotation\.png {2}\(first row: angleDeg=-?\d+\.\d\d\)$/m);
    expect(readdirSync(out).sort()).toEqual(['gaussianBlur.png', 'rotation.png']);
  });

  it('an unknown family exits 2 with the known names', () => {
    const r = equissl('paths', '--out', mkdtempSync(join(tmpdir(), 'equissl-cli-')), '--family', 'shear');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('equissl: [UnknownPlugin] paths.shear.name: unknown transform plugin "shear"; known transform plugins: all, allRot, colorJitter');
  });

  it('an unavailable backend exits 1 naming it', () => {
    const r = equissl('paths', '--backend', 'tensorflow');
    const native = r.code === 0;
    if (!native) {
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^equissl: \[BackendError\] backend "tensorflow": neither @tensorflow\/tfjs-node-gpu/m);
    } else expect(r.stderr).toMatch(/^backend tensorflow/m);
  });
});
