/**
 * A user's plugins in the command: module names as a user writes them, a
 * config file's `plugins:` list, `--plugins` on `plugins`, `pretrain`, `eval`
 * and `export`, the modules a checkpoint names, and the message that names
 * the module to pass when a checkpoint's plugin is missing.
 */
import { type AnyPlugin, Registry } from '@equissl/core';
import * as E from 'fp-ts/lib/Either.js';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configPlugins, importPluginModule, moduleUrl } from '../src/user-plugins.js';
import { equissl } from './run-cli.js';

const here = dirname(fileURLToPath(import.meta.url));
/** A user's loss module (test/user-app's), in a folder of the package so that its imports resolve to the workspace's packages. */
const userLoss = join(here, '..', '..', '..', 'test', 'user-app', 'src', 'my-loss.ts');
const scratch = join(here, '.generated');

describe('plugin modules as a user names them', () => {
  it('resolves paths against the base folder and leaves package names alone', () => {
    expect(moduleUrl('./a/loss.ts', '/home/me/project')).toBe('file:///home/me/project/a/loss.ts');
    expect(moduleUrl('../loss.js', '/home/me/project')).toBe('file:///home/me/loss.js');
    expect(moduleUrl('/abs/loss.ts', '/home/me')).toBe('file:///abs/loss.ts');
    expect(moduleUrl('my-loss.ts', dirname(userLoss))).toBe(pathToFileURL(userLoss).href);
    expect(moduleUrl('@me/equissl-losses', '/home/me/project')).toBe('@me/equissl-losses');
    expect(moduleUrl('file:///x/y.ts', '/elsewhere')).toBe('file:///x/y.ts');
  });

  it("takes a config file's plugins: list out of the config, resolved against the file's folder", () => {
    expect(configPlugins({ steps: 3, plugins: ['./loss.ts', 'some-package'] }, '/cfg')).toEqual(E.right({ config: { steps: 3 }, modules: ['file:///cfg/loss.ts', 'some-package'] }));
    expect(configPlugins({ steps: 3, plugins: './loss.ts' }, '/cfg')).toEqual(E.right({ config: { steps: 3 }, modules: ['file:///cfg/loss.ts'] }));
    expect(configPlugins({ steps: 3 }, '/cfg')).toEqual(E.right({ config: { steps: 3 }, modules: [] }));
    const bad = configPlugins({ plugins: [3] }, '/cfg');
    expect(E.isLeft(bad) && bad.left.message).toBe('plugins: expected a list of plugin modules (files or packages), got [3]');
  });

  it('imports a module, gives its plugins the module they came from, and names a module that cannot be imported or exports no plugin', async () => {
    const loaded = await importPluginModule(userLoss, '/')();
    if (E.isLeft(loaded)) throw new Error(loaded.left.message);
    expect(loaded.right.map((p) => [p.kind, p.name, p.module])).toEqual([['loss', 'my-cosine', pathToFileURL(userLoss).href]]);
    // a plugin that does not name its module gets the file it was loaded from
    mkdirSync(scratch, { recursive: true });
    const copy = join(scratch, 'no-module.ts');
    writeFileSync(copy, readFileSync(userLoss, 'utf8').replace('module: import.meta.url,', ''));
    const unnamed = await importPluginModule(copy, '/')();
    expect(E.map((ps: AnyPlugin[]) => ps.map((p) => p.module))(unnamed)).toEqual(E.right([pathToFileURL(copy).href]));
    expect(E.isRight(Registry.empty.registerAll(loaded.right))).toBe(true);
    const missing = await importPluginModule('./nowhere.ts', '/tmp')();
    expect(E.isLeft(missing) && missing.left.message).toMatch(/^plugins: cannot import plugin module \.\/nowhere\.ts \(file:\/\/\/tmp\/nowhere\.ts\): Cannot find module/);
    const none = await importPluginModule(join(here, 'run-cli.ts'), '/')();
    expect(E.isLeft(none) && none.left.message).toMatch(/exports no plugin; export the values made with definePlugin/);
  });
});

describe('equissl --plugins', () => {
  const tiny = ['--set', 'backbone={name: vit, dim: 16, depth: 1, heads: 2}', '--set', 'data={name: procedural, count: 32, size: 16}', '--set', 'batchSize=8', '--set', 'workers=1', '--set', 'reconstruction.decoder={name: conv4, channels: 8}'];

  it('lists a user plugin with its module, trains with it, and a checkpoint that names it loads it or names the module to pass', () => {
    const listed = equissl('plugins', '--plugins', userLoss);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^ {2}my-cosine +negative cosine similarity with a variance hinge \\(from ${userLoss.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)\n {17}needs: \\(the pooled invariant embeddings only\\)$`, 'm'));

    const unknown = equissl('pretrain', '--set', 'loss.name=my-cosine', '--steps', '2', '--out', mkdtempSync(join(tmpdir(), 'equissl-plugins-')), ...tiny);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('loss.name: unknown loss plugin "my-cosine"');

    // the module lives in a folder of its own, so that it can be moved away later
    mkdirSync(scratch, { recursive: true });
    const dir = mkdtempSync(join(scratch, 'plugins-'));
    const module = join(dir, 'my-loss.ts');
    copyFileSync(userLoss, module);
    const out = join(dir, 'run');
    const trained = equissl('pretrain', '--set', 'loss.name=my-cosine', '--steps', '2', '--out', out, ...tiny, '--plugins', module);
    expect(trained.stderr).toContain('loss my-cosine on 8 invariant channels');
    expect(trained.code).toBe(0);
    const checkpoint = join(out, 'checkpoint.safetensors');

    // the checkpoint names the module: export finds it without --plugins
    const exported = equissl('export', checkpoint, '--out', join(dir, 'encoder.safetensors'));
    expect(exported.code).toBe(0);
    expect(exported.stdout).toMatch(/^exported \d+ tensors/m);

    // moved away: the message names the plugin, the file that is gone and what to pass …
    const moved = join(dir, 'moved.ts');
    renameSync(module, moved);
    const refused = equissl('export', checkpoint, '--out', join(dir, 'again.safetensors'));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      `equissl: [ConfigError] loss: ${checkpoint} was trained with loss plugin "my-cosine" from ${pathToFileURL(module).href}, which is not registered here; ${module} no longer exists: pass the module's new place with --plugins FILE\n`,
    );
    // … and passing its new place works
    const again = equissl('export', checkpoint, '--out', join(dir, 'again.safetensors'), '--plugins', moved);
    expect(again.code).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  }, 240_000);
});
