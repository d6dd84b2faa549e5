/**
 * Every package README shows its smallest use: each ```ts block of
 * packages/<name>/README.md is a complete module that type-checks with the
 * workspace settings, and those that need no checkpoint and no long training
 * run. The cli's README shows the command (```sh).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const generated = join(root, 'test', '.generated');
const packages = readdirSync(join(root, 'packages')).filter((p) => existsSync(join(root, 'packages', p, 'README.md')));
const readme = (p: string) => readFileSync(join(root, 'packages', p, 'README.md'), 'utf8');
const blocks = (markdown: string, lang: string): string[] => [...markdown.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, 'g'))].map((m) => m[1]!);

/** The snippets that read a checkpoint (eval) or train (pipeline) are type-checked only. */
const typecheckOnly = new Set(['eval', 'pipeline']);

const snippets = packages.flatMap((p) =>
  blocks(readme(p), 'ts').map((code, i) => ({ pkg: p, file: join(generated, `readme-${p}${i === 0 ? '' : `-${i}`}.ts`), code })),
);

describe('packages/*/README.md', () => {
  it.each(packages)('%s shows its smallest use', (p) => {
    expect(blocks(readme(p), p === 'cli' ? 'sh' : 'ts').length, `packages/${p}/README.md has no code block`).toBeGreaterThan(0);
  });

  it('every ```ts block type-checks as a module of its own', () => {
    mkdirSync(generated, { recursive: true });
    for (const s of snippets) writeFileSync(s.file, s.code);
    const config = ts.readConfigFile(join(root, 'tsconfig.base.json'), ts.sys.readFile);
    const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
    const program = ts.createProgram(
      snippets.map((s) => s.file),
      { ...parsed.options, noEmit: true, noUnusedLocals: false },
    );
    const problems = ts
      .getPreEmitDiagnostics(program)
      .map((d) => `${d.file === undefined ? '' : `${d.file.fileName.replace(`${generated}/`, '')}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}: `}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(problems).toEqual([]);
  }, 120_000);

  it.each(snippets.filter((s) => !typecheckOnly.has(s.pkg)).map((s) => [s.pkg, s] as const))('the %s snippet runs', async (_, s) => {
    mkdirSync(generated, { recursive: true });
    writeFileSync(s.file, s.code);
    await import(pathToFileURL(s.file).href);
  });
});
