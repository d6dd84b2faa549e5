/**
 * Optional system data the tests read when it is installed, and why a test
 * that needs it is skipped when it is not. The suite never needs any of it:
 * a test that does names its data here and is skipped, with the reason in its
 * name, which the skips reporter (tools/vitest-skips.ts) lists at the end of
 * the run.
 *
 * `EQUISSL_FASHION_MNIST` moves the folder the `idx` dataset reads by default
 * (Debian's `dataset-fashion-mnist`, `/usr/share/datasets/fashion-mnist`);
 * pointing it at an empty folder shows what a machine without the package
 * runs: `EQUISSL_FASHION_MNIST=/nonexistent npm test`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Where the `idx` dataset looks for Fashion-MNIST by default. */
export const fashionMnistDir = process.env['EQUISSL_FASHION_MNIST'] ?? '/usr/share/datasets/fashion-mnist';

/** Why Fashion-MNIST tests are skipped here, or undefined when the data is there. */
export const fashionMnistMissing: string | undefined = ['train', 't10k'].every((p) =>
  ['images-idx3', 'labels-idx1'].every((k) => existsSync(join(fashionMnistDir, `${p}-${k}-ubyte.gz`)) || existsSync(join(fashionMnistDir, `${p}-${k}-ubyte`))),
)
  ? undefined
  : `needs Fashion-MNIST in ${fashionMnistDir}: apt-get install dataset-fashion-mnist, or set EQUISSL_FASHION_MNIST`;

/** A test or suite name that says why it was skipped, when it is. */
export const named = (name: string, missing: string | undefined): string => (missing === undefined ? name : `${name} (skipped: ${missing})`);

/** Why a comparison with PyTorch through `reference` (a script) cannot run here, or undefined when it can. */
export const torchMissing = (reference: string): string | undefined => {
  if (!existsSync(reference)) return `needs the PyTorch reference script ${reference}`;
  const r = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : 'needs /usr/bin/python3 with torch: apt-get install python3-torch libopenblas0-openmp';
};

/** The photos of Debian's Lomiri wallpaper packages (the natural-photo preset's source). */
export const lomiriPhotos = (): string[] => {
  const r = spawnSync('dpkg', ['-L', 'lomiri-wallpapers-16.04', 'lomiri-wallpapers-20.04'], { encoding: 'utf8' });
  return (r.stdout ?? '').split('\n').filter((f) => /\.jpg$/i.test(f) && existsSync(f));
};

/** Why natural-photo tests are skipped here, or undefined when the photos are there. */
export const photosMissing: string | undefined =
  lomiriPhotos().length > 0 ? undefined : 'needs natural photos: apt-get install lomiri-wallpapers-16.04 lomiri-wallpapers-20.04';

/** Debian's Chromium, which the browser tests drive through playwright-core (never a downloaded browser). */
export const chromiumPath = '/usr/bin/chromium';

/** Why browser tests are skipped here, or undefined when Chromium is there. */
export const chromiumMissing: string | undefined = existsSync(chromiumPath) ? undefined : `needs Debian's Chromium at ${chromiumPath}: apt-get install chromium`;
