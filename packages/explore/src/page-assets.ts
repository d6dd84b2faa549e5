/**
 * Where the bundled page is: `dist/page/` of this package. An installed
 * package ships it (its `build` step made it); in a checkout it is built on
 * demand, when missing or older than any file of `page/` (or the sources
 * it bundles from other packages), from the workspace's sources — no
 * package's dist/ is needed — so `npm ci` and the command are enough.
 *
 * @since 0.1.0
 */
import { type EquisslError, ioError } from '@equissl/core';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPage, pageScript, pageStatics } from './build-page.js';

/** This package's folder (this module lives in src/ or dist/). */
export const packageRoot = fileURLToPath(new URL('..', import.meta.url));

/** The page's sources (a checkout only) and its bundle. */
export const pageSources = join(packageRoot, 'page');
export const pageBundle = join(packageRoot, 'dist', 'page');

const mtime = (file: string): number => {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return -1;
  }
};

/** Sources outside page/ that the page bundles in a checkout: the manifest's types, and the warp of @equissl/transforms. */
export const pageDependencies = [join(packageRoot, 'src', 'manifest.ts'), join(packageRoot, '..', 'transforms', 'src', 'affine-row.ts')];

/** Whether the bundle is missing or older than a source of the page (including {@link pageDependencies} that exist). */
export const pageIsStale = (sources = pageSources, bundle = pageBundle): boolean => {
  const built = Math.min(...[pageScript, ...pageStatics].map((f) => mtime(join(bundle, f))));
  if (built < 0) return true;
  if (!existsSync(sources)) return false;
  const inputs = [...readdirSync(sources).map((f) => join(sources, f)), ...pageDependencies];
  return inputs.some((f) => mtime(f) > built);
};

/** The folder of the bundled page, built first where needed and possible. */
export const pageAssets = (): TE.TaskEither<EquisslError, string> => {
  if (!pageIsStale()) return TE.right(pageBundle);
  if (!existsSync(join(pageSources, 'main.ts'))) {
    return TE.left(ioError(pageBundle, 'the page is not built (this copy of @equissl/explore has no dist/page/); reinstall the package'));
  }
  return pipe(
    buildPage(pageSources, pageBundle),
    TE.map(() => pageBundle),
  );
};
