#!/usr/bin/env node
/**
 * The `equissl` command.
 *
 * @since 0.1.0
 */
import { type BackendPreference, type EquisslError, type Registry, normaliseSlot, pluginKinds } from '@equissl/core';
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { Command, Option } from 'commander';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { drawPaths } from './commands/paths.js';
import { catchCrashes, interruptible, runTask, useBackend } from './cli-support.js';
import { standardRegistry } from '@equissl/pipeline';
import * as E from 'fp-ts/lib/Either.js';
import { applyOverrides, readConfigFile } from './config-input.js';
import { runPretrain } from './commands/pretrain.js';
import { runBench } from './commands/bench.js';
import { evalDefaults, runEval } from './commands/eval.js';
import { runReproduce } from './commands/reproduce.js';
import { exportEncoder } from './commands/export.js';
import { type SystemName, presetSteps, systemNames } from './commands/reproduce-preset.js';
import { type Readout, allReadouts, allSuites, headlineReadout, type Suite } from '@equissl/eval';
import YAML from 'yaml';

const backendOption = () =>
  new Option('--backend <name>', 'TensorFlow.js backend (default: auto = tensorflow → wasm → cpu, or $EQUISSL_BACKEND)').choices([
    'auto',
    'tensorflow',
    'wasm',
    'cpu',
  ]);

const registryTask: TE.TaskEither<EquisslError, Registry> = TE.fromEither(standardRegistry());

catchCrashes();

// a closed pipe (`equissl plugins | head`) ends the command quietly
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

const program = new Command()
  .name('equissl')
  .description('Self-supervised learning of equivariance-coherent image features (Wang et al., AAAI 2026) on TensorFlow.js')
  .version('0.1.0');

program
  .command('paths')
  .description('draw every transformation family along its path as PNG strips (one row per image, t = 0 … 1)')
  .option('--out <dir>', 'output folder', 'out/paths')
  .option('--family <names...>', 'families to draw (default: all)')
  .option('--images <n>', 'images (rows) per strip', (v) => Number.parseInt(v, 10), 4)
  .option('--steps <n>', 'points along the path (columns)', (v) => Number.parseInt(v, 10), 6)
  .option('--seed <n>', 'seed of the drawn parameters', (v) => Number.parseInt(v, 10), 0)
  .addOption(backendOption())
  .action(async (o: { out: string; family?: string[]; images: number; steps: number; seed: number; backend?: BackendPreference }) => {
    await runTask(
      pipe(
        useBackend(o.backend),
        TE.flatMap(() => registryTask),
        TE.flatMap((registry) =>
          drawPaths(registry, { out: o.out, images: o.images, steps: Math.max(2, o.steps), seed: o.seed, ...(o.family ? { families: o.family } : {}) }),
        ),
      ),
      (strips) => {
        for (const s of strips) {
          const first = s.thetas[0] ?? [];
          const shown = s.paramNames.map((n, i) => `${n}=${(first[i] ?? 0).toFixed(2)}`).filter((p) => !p.endsWith('=0.00'));
          process.stdout.write(`wrote ${s.file}  (first row: ${shown.join(', ') || 'identity'})\n`);
        }
      },
    );
  });

const collect = (value: string, previous: string[]) => [...previous, value];

program
  .command('pretrain')
  .description('pretrain an encoder with the method (default: a short run on procedural images, a few minutes on a CPU)')
  .option('--config <file>', 'YAML or JSON config (see docs/pretraining.md); defaults fill every missing field')
  .option('--set <key=value>', 'override one field, e.g. --set optimizer.lr=1e-3 --set loss.name=simclr (repeatable)', collect, [])
  .option('--steps <n>', 'number of steps (same as --set steps=N)')
  .option('--out <dir>', 'output folder', 'out/pretrain')
  .option('--resume', 'continue from <out>/checkpoint.safetensors; --steps, optimizer.* and other run-control fields may change, anything else is refused', false)
  .option('--overwrite', 'replace a run already in <out> (default: refuse, so a finished run is never lost by accident)', false)
  .addOption(backendOption())
  .action(async (o: { config?: string; set: string[]; steps?: string; out: string; resume: boolean; overwrite: boolean; backend?: BackendPreference }) => {
    const interrupt = interruptible();
    const given = pipe(
      o.config === undefined ? E.right({}) : readConfigFile(o.config),
      E.flatMap((c) => applyOverrides(c, [...o.set, ...(o.steps !== undefined ? [`steps=${o.steps}`] : [])])),
    );
    await runTask(
      pipe(
        TE.fromEither(given),
        TE.flatMap((config) =>
          pipe(
            useBackend(o.backend),
            TE.flatMap(() => registryTask),
            TE.flatMap((registry) => runPretrain(registry, config, { out: o.out, resume: o.resume, overwrite: o.overwrite, backend: tf.getBackend(), shouldStop: interrupt.shouldStop })),
          ),
        ),
      ),
      (r) => {
        const { result } = r;
        const last = result.last;
        if (result.interrupted) {
          process.stdout.write(`interrupted after step ${result.stepsDone}; checkpoint: ${result.checkpoint}\ncontinue with: equissl pretrain --out ${o.out} --resume\n`);
          process.exitCode = 130;
        } else {
          process.stdout.write(`done: ${result.stepsDone} steps${last ? `, final loss ${last.loss.toFixed(4)}` : ''}\n`);
        }
        if (result.skippedImages > 0) process.stdout.write(`skipped ${result.skippedImages} corrupt image(s) of ${result.dataset.source} (skipCorrupt)\n`);
        for (const f of [result.checkpoint, result.metricsFile, r.lossPlot, r.previewGrid]) process.stdout.write(`wrote ${f}\n`);
        result.model.dispose();
      },
    );
    interrupt.release();
  });

const parseSlot = (value: string): unknown => {
  const parsed: unknown = YAML.parse(value);
  return normaliseSlot(parsed);
};

program
  .command('eval')
  .description('evaluate a checkpoint: equivariance suite (R² of θ), linear probe, k-NN; writes report.md, results.json and PNG charts')
  .argument('<checkpoint>', 'a checkpoint.safetensors written by equissl pretrain')
  .addOption(new Option('--suite <name>', 'which evaluation').choices(['equivariance', 'linear', 'knn', 'all']).default('all'))
  .option('--data <slot>', "dataset as YAML, e.g. '{name: idx}' or '{name: cifar-binary, dir: data/cifar-10-batches-bin}' (default: the checkpoint's training data); its train split trains the heads, its test split scores them")
  .addOption(new Option('--features <readout>', 'readout of every suite: <cls|clsmean|tokens>-<full|inv|equi> (tokens: patch tokens flattened; inv/equi: after the neck)').choices([...allReadouts]).default(headlineReadout))
  .addOption(new Option('--readouts <names...>', 'further readouts scored on rotation, to show where θ is kept (e.g. cls-full tokens-equi)').choices([...allReadouts]))
  .option('--out <dir>', 'report folder (default: eval/ beside the checkpoint)')
  .option('--seed <n>', 'seed of θ draws and heads', (v) => Number.parseInt(v, 10), 0)
  .addOption(backendOption())
  .action(async (checkpoint: string, o: { suite: string; data?: string; features: Readout; readouts?: Readout[]; out?: string; seed: number; backend?: BackendPreference }) => {
    const out = o.out ?? join(dirname(checkpoint), 'eval');
    const suites: Suite[] = o.suite === 'all' ? [...allSuites] : [o.suite as Suite];
    await runTask(
      pipe(
        useBackend(o.backend),
        TE.flatMap(() => registryTask),
        TE.flatMap((registry) =>
          runEval(registry, checkpoint, out, {
            ...evalDefaults,
            suites,
            part: o.features,
            readouts: o.readouts ?? [],
            seed: o.seed,
            ...(o.data !== undefined ? { data: parseSlot(o.data) } : {}),
            log: (line) => process.stderr.write(`${line}\n`),
          }),
        ),
      ),
      ({ results, files }) => {
        for (const f of results.equivariance ?? []) process.stdout.write(`R²(${f.task}) = ${f.r2.toFixed(3)}\n`);
        if (results.meanR2 !== undefined) process.stdout.write(`mean R² = ${results.meanR2.toFixed(3)}\n`);
        if (results.linearAccuracy !== undefined) process.stdout.write(`linear probe top-1 = ${(100 * results.linearAccuracy).toFixed(1)} %\n`);
        if (results.knnAccuracy !== undefined) process.stdout.write(`k-NN top-1 = ${(100 * results.knnAccuracy).toFixed(1)} %\n`);
        for (const f of files) process.stdout.write(`wrote ${f}\n`);
      },
    );
  });

program
  .command('reproduce')
  .description('the paper\'s comparison over seeds: untrained control, invariant baseline and the method (preset: Fashion-MNIST 32 px, vit-micro), evaluated and reported as mean ± std')
  .option('--out <dir>', 'output folder (a rerun into it reuses finished runs)', 'out/reproduce')
  .option('--steps <n>', `pretraining steps of each trained run (default: the preset's ${presetSteps})`, (v) => Number.parseInt(v, 10))
  .option('--seeds <n>', 'seeds 0 … n−1 for every row', (v) => Number.parseInt(v, 10), 3)
  .option('--data <slot>', "dataset as YAML (default: Fashion-MNIST padded to 32 px, grey), e.g. '{name: image-folder, dir: photos, size: 32}'; image folders are split into disjoint train/test parts")
  .addOption(new Option('--ablation <names...>', 'extra rows: k1 (the method with K = 1)').choices(['k1']))
  .option('--systems <names>', `comma-separated losses to add as baseline rows (${systemNames.join(', ')}; vicreg is the default baseline)`, (v) => v.split(',').map((s) => s.trim()).filter((s) => s !== ''))
  .option('--with-method', 'with --systems: also each system\'s Ours(X) row (X on z_inv plus the method\'s decoders)')
  .option('--workers <n>', 'data-parallel replicas (default: one per core, at most 2)', (v) => Number.parseInt(v, 10), Math.min(2, availableParallelism()))
  .option('--eval-scale <x>', 'scale of the evaluation set sizes', (v) => Number.parseFloat(v), 1)
  .option('--report-only', 'write the report from the runs already finished in --out, and run nothing')
  .addOption(backendOption())
  .action(async (o: { out: string; steps?: number; seeds: number; data?: string; ablation?: 'k1'[]; systems?: string[]; withMethod?: boolean; workers: number; evalScale: number; reportOnly?: boolean; backend?: BackendPreference }) => {
    const unknown = (o.systems ?? []).filter((s) => !(systemNames as ReadonlyArray<string>).includes(s));
    if (unknown.length > 0) {
      process.stderr.write(`equissl: --systems: unknown system ${unknown.map((s) => `"${s}"`).join(', ')}; choose from ${systemNames.join(', ')}\n`);
      process.exitCode = 2;
      return;
    }
    if (o.withMethod === true && (o.systems ?? []).length === 0) process.stderr.write('equissl: --with-method adds Ours(X) rows for the systems of --systems; none given, so it changes nothing\n');
    const interrupt = interruptible();
    await runTask(
      pipe(
        useBackend(o.backend),
        TE.flatMap(() => registryTask),
        TE.flatMap((registry) =>
          runReproduce(registry, {
            out: o.out,
            ...(o.steps !== undefined ? { steps: o.steps } : {}),
            seeds: o.seeds,
            workers: o.workers,
            backend: tf.getBackend(),
            evalScale: o.evalScale,
            ablations: o.ablation ?? [],
            systems: (o.systems ?? []) as SystemName[],
            withMethod: o.withMethod === true,
            reportOnly: o.reportOnly === true,
            ...(o.data !== undefined ? { data: parseSlot(o.data) } : {}),
            log: (line) => process.stderr.write(`${line}\n`),
            shouldStop: interrupt.shouldStop,
          }),
        ),
      ),
      ({ files }) => {
        const report = files.find((f) => f.endsWith('report.md'));
        if (report !== undefined) process.stdout.write(readFileSync(report, 'utf8'));
        for (const f of files) process.stdout.write(`wrote ${f}\n`);
      },
    );
    interrupt.release();
  });

program
  .command('bench')
  .description('views/s of the reference training step (shared/bench/torch_reference.py) built from equissl, beside PyTorch when installed, and their ratio')
  .option('--batch <n>', 'images per view (each step has 2B views)', (v) => Number.parseInt(v, 10), 64)
  .option('--steps <n>', 'timed steps per repeat', (v) => Number.parseInt(v, 10), 3)
  .option('--repeats <n>', 'repeats (the median is reported)', (v) => Number.parseInt(v, 10), 3)
  .option('--warmup <n>', 'untimed steps first', (v) => Number.parseInt(v, 10), 1)
  .option('--reference <file>', 'path of torch_reference.py (default: ../shared/bench beside the repository)')
  .option('--python <exe>', 'Python with torch', '/usr/bin/python3')
  .option('--workers <n>', 'data-parallel replicas for equissl (default: one per core, at most 2 — the reference uses 2 threads)', (v) => Number.parseInt(v, 10), Math.min(2, availableParallelism()))
  .addOption(backendOption())
  .action(async (o: { batch: number; steps: number; repeats: number; warmup: number; reference?: string; python: string; workers: number; backend?: BackendPreference }) => {
    await runTask(
      pipe(
        useBackend(o.backend),
        TE.flatMap(() => registryTask),
        TE.flatMap((registry) => () =>
          runBench(registry, { ...o, backend: (tf.getBackend() as BackendPreference) ?? 'wasm', log: (line) => process.stderr.write(`${line}\n`) }),
        ),
      ),
      (r) => {
        process.stdout.write(`config: ${r.ours.description}; ${r.ours.parameters.toLocaleString('en')} parameters; backend ${tf.getBackend()}\n`);
        process.stdout.write(`equissl: ${r.ours.viewsPerSecond.toFixed(2)} views/s\n`);
        if (r.reference.ran) {
          process.stdout.write(`pytorch: ${r.reference.viewsPerSecond.toFixed(2)} views/s\n`);
          process.stdout.write(`ratio: ${r.ratio!.toFixed(3)}\n`);
        } else process.stdout.write(`pytorch: not run (${r.reference.reason})\n`);
      },
    );
  });

program
  .command('export')
  .description('write the pretrained backbone of a checkpoint (plus the neck, if any) as safetensors for PyTorch or TF.js weights for the browser; names and layout in docs/export.md')
  .argument('<checkpoint>', 'a checkpoint.safetensors written by equissl pretrain')
  .option('--format <format>', 'safetensors (one file) or tfjs (a folder: model.json + .bin shards)', 'safetensors')
  .option('--out <path>', 'output file (safetensors) or folder (tfjs); default: encoder.safetensors or encoder-tfjs/ beside the checkpoint')
  .addOption(backendOption())
  .action(async (checkpoint: string, o: { format: string; out?: string; backend?: BackendPreference }) => {
    await runTask(
      pipe(
        useBackend(o.backend),
        TE.flatMap(() => registryTask),
        TE.flatMap((registry) => exportEncoder(registry, checkpoint, { format: o.format, ...(o.out !== undefined ? { out: o.out } : {}) })),
      ),
      (r) => {
        const a = r.metadata.architecture;
        process.stdout.write(`exported ${r.tensors.length} tensors, ${r.parameters.toLocaleString('en')} parameters: ViT D=${a.dim} depth=${a.depth} heads=${a.heads} patch=${a.patchSize} image=${a.imageSize}, neck ${r.metadata.neck} (step ${r.metadata.source.step})\n`);
        for (const f of r.files) process.stdout.write(`wrote ${f}\n`);
      },
    );
  });

program
  .command('plugins')
  .description('list the registered plugins by kind')
  .action(async () => {
    await runTask(registryTask, (registry) => {
      for (const kind of pluginKinds) {
        const names = registry.names(kind);
        if (names.length === 0) continue;
        process.stdout.write(`${kind}:\n`);
        for (const n of names) {
          const p = registry.get(kind, n);
          process.stdout.write(`  ${n.padEnd(14)} ${p._tag === 'Right' ? p.right.description : ''}\n`);
          if (kind !== 'loss') continue;
          // a loss's needs are part of its instance: create it with its defaults to show them
          const loss = registry.create('loss', { name: n });
          if (E.isRight(loss)) process.stdout.write(`  ${''.padEnd(14)} needs: ${loss.right.needs.join(', ') || '(the pooled invariant embeddings only)'}\n`);
        }
      }
    });
  });

await program.parseAsync(process.argv);
