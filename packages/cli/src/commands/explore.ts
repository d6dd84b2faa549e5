/**
 * `equissl explore <checkpoint> [checkpoint2]`: writes the explore site of
 * one or two checkpoints (@equissl/explore, with `equissl export --format
 * tfjs --decoders` as its exporter) and serves it on 127.0.0.1 until
 * Ctrl-C; `--open` hands the URL to xdg-open where there is one.
 *
 * @since 0.1.0
 */
import type { BackendPreference } from '@equissl/core';
import { buildSite, defaultSiteFolder, serveSite, siteDefaults } from '@equissl/explore';
import { type Command, InvalidArgumentError } from 'commander';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { spawn, spawnSync } from 'node:child_process';
import { type CommandContext, backendOption, backendThenRegistry, logLine, parseSlot, pluginsOption, runTask } from '../cli-support.js';
import { exportEncoder } from '@equissl/export';

/** The port `equissl explore` serves on unless told otherwise. */
export const defaultExplorePort = 4173;

/** `--port 8080`: an integer 0 … 65535. */
export const portNumber = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`expected a port number from 0 to 65535 (0: any free port), got '${v}'`);
  return n;
};

/** `--pairs 320`: an integer of at least 10 (8 pairs to fit, 2 to score). */
export const pairCount = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 10) throw new InvalidArgumentError(`expected an integer of at least 10, got '${v}'`);
  return n;
};

/** Opens `url` with xdg-open when it is installed; says so when it is not. */
const openInBrowser = (url: string): void => {
  if (spawnSync('sh', ['-c', 'command -v xdg-open'], { encoding: 'utf8' }).status !== 0) {
    logLine('explore: no xdg-open here; open the address above in a browser');
    return;
  }
  spawn('xdg-open', [url], { detached: true, stdio: 'ignore' }).on('error', () => logLine('explore: xdg-open failed; open the address above in a browser')).unref();
};

/** `equissl explore`: its options, and the address it prints. */
export const exploreCommand = (program: Command, shared: CommandContext): Command =>
  program
    .command('explore')
    .description('serve a local page that runs the encoder and its decoders in the browser: x, g_θ(x), the path targets and their reconstructions as a slider moves θ, predicted θ, the loss curves (docs/explore.md)')
    .argument('<checkpoint>', 'a checkpoint.safetensors written by equissl pretrain')
    .argument('[checkpoint2]', 'a second checkpoint shown beside the first (e.g. a baseline and the method)')
    .option('--data <slot>', "dataset of the sample images and the regressor's pairs as YAML, e.g. '{name: idx}' (default: the first checkpoint's training data, test split)")
    .option('--port <n>', 'port on 127.0.0.1 (0: any free one)', portNumber, defaultExplorePort)
    .option('--open', 'open the page with xdg-open')
    .option('--out <dir>', 'the site folder (default: explore/ beside the first checkpoint); any static web server can serve it')
    .option('--pairs <n>', 'images of the θ regressor: 80 % fit, 20 % scored', pairCount, siteDefaults.pairs)
    .addOption(pluginsOption())
    .addOption(backendOption())
    .action(async (checkpoint: string, second: string | undefined, o: { data?: string; port: number; open?: boolean; out?: string; pairs: number; plugins?: string[]; backend?: BackendPreference }) => {
      const checkpoints = second === undefined ? [checkpoint] : [checkpoint, second];
      await runTask(
        pipe(
          backendThenRegistry(shared, o.backend, { plugins: o.plugins ?? [], checkpoints }),
          TE.flatMap((registry) =>
            buildSite(
              registry,
              {
                checkpoints,
                out: o.out ?? defaultSiteFolder(checkpoint),
                pairs: o.pairs,
                samples: siteDefaults.samples,
                seed: siteDefaults.seed,
                log: logLine,
                ...(o.data !== undefined ? { data: parseSlot(o.data) } : {}),
              },
              (ckpt, folder) => exportEncoder(registry, ckpt, { format: 'tfjs', out: folder, decoders: true }),
            ),
          ),
          TE.flatMap((site) => TE.map((server: { url: string }) => ({ site, server }))(serveSite(site.out, o.port))),
        ),
        ({ site, server }) => {
          site.manifest.models.forEach((m, i) => {
            const r2 = Object.entries(site.r2[i] ?? {}).map(([family, v]) => `R²(${family}) = ${v.toFixed(3)}`);
            process.stdout.write(`${m.label} (step ${m.step}): ${r2.join(', ')}\n`);
          });
          process.stdout.write(`wrote ${site.out}\nserving ${server.url} (Ctrl-C to stop)\n`);
          if (o.open === true) openInBrowser(server.url);
        },
      );
    });
