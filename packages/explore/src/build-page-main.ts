/**
 * The package's build step for the page (`npm run build -w @equissl/explore`
 * runs it after tsc): bundles page/ into dist/page/, and exits 1 with the
 * message when it cannot.
 *
 * @since 0.1.0
 */
import { formatError } from '@equissl/core';
import { buildPage } from './build-page.js';
import { pageBundle, pageSources } from './page-assets.js';

const result = await buildPage(pageSources, pageBundle)();
if (result._tag === 'Left') {
  process.stderr.write(`${formatError(result.left)}\n`);
  process.exitCode = 1;
} else {
  for (const f of result.right) process.stdout.write(`wrote ${f}\n`);
}
