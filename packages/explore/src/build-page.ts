/**
 * Bundles the page: page/main.ts with TensorFlow.js into one script
 * (esbuild, browser, IIFE: no imports left, nothing fetched at run time),
 * beside index.html and explore.css, into a folder. Files are written to
 * temporary names and renamed; the script last, so a reader that sees it
 * sees the others.
 *
 * @since 0.1.0
 */
import { type EquisslError, ioError, writeFileAtomic } from '@equissl/core';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The page's files besides the script, copied as they are. */
export const pageStatics = ['index.html', 'explore.css'] as const;

/** The bundled script's name. */
export const pageScript = 'explore.js';

/** The esbuild module, loaded only when a page is built (it is an optional peer dependency). */
type Esbuild = typeof import('esbuild');

const loadEsbuild = (out: string): TE.TaskEither<EquisslError, Esbuild> =>
  TE.tryCatch(
    () => import('esbuild'),
    () => ioError(out, 'the page is not built and esbuild is not installed to build it: run `npm ci` in the repository, or `npm run build -w @equissl/explore`'),
  );

/** Bundles `pageDir` (page/main.ts, index.html, explore.css) into `out`. */
export const buildPage = (pageDir: string, out: string): TE.TaskEither<EquisslError, string[]> =>
  pipe(
    loadEsbuild(out),
    TE.flatMap((esbuild) =>
      TE.tryCatch(
        () =>
          esbuild.build({
            entryPoints: [join(pageDir, 'main.ts')],
            bundle: true,
            format: 'iife',
            platform: 'browser',
            target: 'es2020',
            minify: true,
            write: false,
            logLevel: 'silent',
            legalComments: 'none',
            define: { 'process.env.NODE_ENV': '"production"' },
          }),
        (e): EquisslError => ioError(join(pageDir, 'main.ts'), `cannot bundle the page (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`),
      ),
    ),
    TE.flatMap((result) => {
      const script = result.outputFiles[0];
      if (script === undefined) return TE.left(ioError(out, 'esbuild wrote no script'));
      const statics = pageStatics.map((f) => writeFileAtomic(join(out, f), readFileSync(join(pageDir, f))));
      return pipe(
        TE.sequenceSeqArray(statics),
        TE.flatMap(() => writeFileAtomic(join(out, pageScript), script.contents)),
        TE.map(() => [...pageStatics, pageScript].map((f) => join(out, f))),
      );
    }),
  );
