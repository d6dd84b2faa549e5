/**
 * Progress for long work: a cli-progress bar on a terminal (step, loss,
 * views/s, ETA), or a plain line every few percent when output is a log.
 *
 * @since 0.1.0
 */
import cliProgress from 'cli-progress';

/** Something that shows progress of `total` steps. */
export interface Progress {
  readonly update: (done: number, fields: Record<string, string>) => void;
  readonly stop: () => void;
}

/** A bar on a TTY, plain lines otherwise; `label` names the work. */
export const progress = (label: string, total: number, start = 0): Progress => {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} |{bar}| {value}/{total} | {info} | ETA {eta_formatted}`,
        stream: process.stderr,
        hideCursor: true,
        etaBuffer: 20,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, start, { info: '' });
    return {
      update: (done, fields) => bar.update(done, { info: Object.entries(fields).map(([k, v]) => `${k} ${v}`).join(' | ') }),
      stop: () => bar.stop(),
    };
  }
  const every = Math.max(1, Math.round(total / 20));
  const started = Date.now();
  return {
    update: (done, fields) => {
      if (done % every !== 0 && done !== total) return;
      const rate = (done - start) / Math.max(1e-3, (Date.now() - started) / 1000);
      const eta = rate > 0 ? Math.round((total - done) / rate) : 0;
      process.stderr.write(`${label} ${done}/${total} | ${Object.entries(fields).map(([k, v]) => `${k} ${v}`).join(' | ')} | ETA ${eta}s\n`);
    },
    stop: () => undefined,
  };
};
