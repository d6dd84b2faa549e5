/**
 * Builds the page into a folder: the script {@link bundlePage} makes (page/
 * with TensorFlow.js, from the workspace's sources in a checkout, from the
 * dependencies' dist/ when installed) beside index.html and explore.css.
 * Files are written to temporary names and renamed; the script last, so a
 * reader that sees it sees the others.
 *
 * @since 0.1.0
 */
import { type EquisslError, ioError, writeFileAtomic } from '@equissl/core';
import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BundleOptions, bundlePage } from './bundle-page.js';

/** The page's files besides the script, copied as they are. */
export const pageStatics = ['index.html', 'explore.css'] as const;

/** The bundled script's name. */
export const pageScript = 'explore.js';

/** Bundles `pageDir` (page/main.ts, index.html, explore.css) into `out`. */
export const buildPage = (pageDir: string, out: string, o: BundleOptions = {}): TE.TaskEither<EquisslError, string[]> =>
  pipe(
    bundlePage(pageDir, o),
    TE.flatMap(({ script }) => {
      const statics = pageStatics.map((f) =>
        pipe(
          TE.fromEither(E.tryCatch(() => readFileSync(join(pageDir, f)), (e): EquisslError => ioError(join(pageDir, f), `cannot read the page (${e instanceof Error ? e.message : String(e)})`))),
          TE.flatMap((bytes) => writeFileAtomic(join(out, f), bytes)),
        ),
      );
      return pipe(
        TE.sequenceSeqArray(statics),
        TE.flatMap(() => writeFileAtomic(join(out, pageScript), script)),
        TE.map(() => [...pageStatics, pageScript].map((f) => join(out, f))),
      );
    }),
  );
