/**
 * The page's script in memory: page/main.ts with TensorFlow.js as one IIFE
 * (esbuild, browser; no import left, nothing fetched at run time), and the
 * files it was made from.
 *
 * Where `@equissl/*` imports resolve depends on how this package runs: from
 * its TypeScript sources (a checkout, where `npm ci` builds no dist/), the
 * page bundles the workspace's sources too (the `@equissl/source` export
 * condition); installed (this module is dist/*.js), it bundles the
 * dependencies' dist/ as published. A failed build is an error value
 * carrying every esbuild error with its file:line:column and text.
 *
 * @since 0.1.0
 */
import { type EquisslError, ioError } from '@equissl/core';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The export condition that points every workspace package at its src/*.ts. */
export const sourceCondition = '@equissl/source';

/** Whether the module at `moduleUrl` runs from TypeScript sources: a `.ts` file, or one in the package's `src/` folder (not dist/). */
export const runsFromSources = (moduleUrl: string): boolean => {
  const path = moduleUrl.startsWith('file:') ? fileURLToPath(moduleUrl) : moduleUrl;
  return /\.[cm]?ts$/.test(path) || basename(dirname(path)) === 'src';
};

/** The export conditions the page is bundled with when this package runs from the module at `moduleUrl`. */
export const bundleConditions = (moduleUrl: string = import.meta.url): string[] => (runsFromSources(moduleUrl) ? [sourceCondition] : []);

/** How the page is bundled. */
export interface BundleOptions {
  /** Extra esbuild export conditions; default {@link bundleConditions} of this module. */
  readonly conditions?: ReadonlyArray<string>;
}

/** The bundled script and the absolute paths of the files esbuild read for it. */
export interface PageBundle {
  readonly script: Uint8Array;
  readonly inputs: ReadonlyArray<string>;
}

/** The esbuild module, loaded only when a page is built (it is an optional peer dependency). */
type Esbuild = typeof import('esbuild');

/** An esbuild message as it reports one. */
interface BuildMessage {
  readonly text: string;
  readonly location?: { readonly file: string; readonly line: number; readonly column: number; readonly lineText?: string } | null;
  readonly notes?: ReadonlyArray<{ readonly text: string }>;
}

/** One esbuild message: `file:line:column: text`, then its source line and notes, indented. */
export const formatBuildMessage = (m: BuildMessage): string => {
  const where = m.location === undefined || m.location === null ? '' : `${m.location.file}:${m.location.line}:${m.location.column}: `;
  const source = m.location?.lineText === undefined || m.location.lineText === '' ? [] : [`    ${m.location.lineText.trim()}`];
  return [`${where}${m.text}`, ...source, ...(m.notes ?? []).map((n) => `    note: ${n.text}`)].join('\n');
};

/** The whole of an esbuild failure: every error it lists, else its message. */
export const describeBuildFailure = (e: unknown): string => {
  const errors = (e as { errors?: unknown } | null)?.errors;
  if (Array.isArray(errors) && errors.length > 0) {
    return `${errors.length} error${errors.length === 1 ? '' : 's'}:\n${(errors as BuildMessage[]).map(formatBuildMessage).join('\n')}`;
  }
  return e instanceof Error ? e.message : String(e);
};

const loadEsbuild = (target: string): TE.TaskEither<EquisslError, Esbuild> =>
  TE.tryCatch(
    () => import('esbuild'),
    () => ioError(target, 'the page is not built and esbuild is not installed to build it: run `npm ci` in the repository, or `npm run build -w @equissl/explore`'),
  );

/** Bundles `pageDir`/main.ts in memory. */
export const bundlePage = (pageDir: string, o: BundleOptions = {}): TE.TaskEither<EquisslError, PageBundle> => {
  const entry = join(pageDir, 'main.ts');
  return pipe(
    loadEsbuild(entry),
    TE.flatMap((esbuild) =>
      TE.tryCatch(
        () =>
          esbuild.build({
            entryPoints: [entry],
            bundle: true,
            format: 'iife',
            platform: 'browser',
            target: 'es2020',
            minify: true,
            write: false,
            metafile: true,
            logLevel: 'silent',
            legalComments: 'none',
            conditions: [...(o.conditions ?? bundleConditions())],
            define: { 'process.env.NODE_ENV': '"production"' },
          }),
        (e): EquisslError => ioError(entry, `cannot bundle the page (${describeBuildFailure(e)})`),
      ),
    ),
    TE.flatMap((result) => {
      const script = result.outputFiles[0];
      if (script === undefined) return TE.left(ioError(entry, 'esbuild wrote no script'));
      const inputs = Object.keys(result.metafile.inputs).map((f) => (isAbsolute(f) ? f : resolve(f)));
      return TE.right({ script: script.contents, inputs });
    }),
  );
};
