/**
 * `equissl export <checkpoint>`: the command around `exportEncoder` of
 * @equissl/export (formats, names and metadata in docs/export.md).
 *
 * @since 0.1.0
 */
import type { BackendPreference } from '@equissl/core';
import { exportEncoder } from '@equissl/export';
import type { Command } from 'commander';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { type CommandContext, backendOption, backendThenRegistry, pluginsOption, runTask } from '../cli-support.js';

/** `equissl export <checkpoint>`: its options, and the summary and files it prints. */
export const exportCommand = (program: Command, shared: CommandContext): Command =>
  program
    .command('export')
    .description('write the pretrained backbone of a checkpoint (plus the neck, if any) as safetensors for PyTorch or TF.js weights for the browser; names and layout in docs/export.md')
    .argument('<checkpoint>', 'a checkpoint.safetensors written by equissl pretrain')
    .option('--format <format>', 'safetensors (one file) or tfjs (a folder: model.json + .bin shards)', 'safetensors')
    .option('--out <path>', 'output file (safetensors) or folder (tfjs); default: encoder.safetensors or encoder-tfjs/ beside the checkpoint')
    .option('--decoders', 'also the K reconstruction decoders and the path they were trained on (what equissl explore runs in the browser)')
    .addOption(pluginsOption())
    .addOption(backendOption())
    .action(async (checkpoint: string, o: { format: string; out?: string; decoders?: boolean; plugins?: string[]; backend?: BackendPreference }) => {
      await runTask(
        pipe(
          backendThenRegistry(shared, o.backend, { plugins: o.plugins ?? [], checkpoints: [checkpoint] }),
          TE.flatMap((registry) => exportEncoder(registry, checkpoint, { format: o.format, decoders: o.decoders === true, ...(o.out !== undefined ? { out: o.out } : {}) })),
        ),
        (r) => {
          const a = r.metadata.architecture;
          const rec = r.metadata.path === undefined ? '' : r.metadata.reconstruction == null ? ', no decoders (reconstruction: off)' : `, ${r.metadata.reconstruction.k} decoders (${r.metadata.path.name} path)`;
          process.stdout.write(`exported ${r.tensors.length} tensors, ${r.parameters.toLocaleString('en')} parameters: ViT D=${a.dim} depth=${a.depth} heads=${a.heads} patch=${a.patchSize} image=${a.imageSize}, neck ${r.metadata.neck}${rec} (step ${r.metadata.source.step})\n`);
          for (const f of r.files) process.stdout.write(`wrote ${f}\n`);
        },
      );
    });
