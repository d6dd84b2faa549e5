/**
 * A screenshot of `equissl explore` on one or two checkpoints, as a user sees
 * it: the command serves the page, Debian's Chromium (headless, through
 * playwright-core) loads it, moves the θ slider to `--theta` and saves the
 * whole page.
 *
 *   node --import tsx tools/explore-screenshot.ts --out docs/explore-photos.png --theta 30 CKPT [CKPT2]
 */
import { Command } from 'commander';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const o = new Command()
  .argument('<checkpoints...>')
  .requiredOption('--out <png>')
  .option('--theta <value>', 'slider value', '30')
  .parse();
const checkpoints = o.args;
const { out, theta } = o.opts<{ out: string; theta: string }>();
const main = join(import.meta.dirname, '..', 'packages', 'cli', 'src', 'main.ts');
const child = spawn(process.execPath, ['--conditions=@equissl/source', '--import', 'tsx', main, 'explore', ...checkpoints, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise<string>((resolve, reject) => {
  let text = '';
  child.stdout!.on('data', (d: Buffer) => {
    text += d.toString();
    const m = /serving (http:\/\/127\.0\.0\.1:\d+\/)/.exec(text);
    if (m) resolve(m[1]!);
  });
  child.on('exit', (code) => reject(new Error(`equissl explore exited with ${code}`)));
});
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset['state'] !== 'loading', undefined, { timeout: 120_000 });
  const before = Number(await page.getAttribute('body', 'data-renders'));
  await page.locator('#theta').fill(theta);
  await page.waitForFunction((n) => Number(document.body.dataset['renders'] ?? 0) > n && document.body.dataset['busy'] === 'false', before, { timeout: 60_000 });
  await page.screenshot({ path: out, fullPage: true });
  process.stdout.write(`wrote ${out}\n`);
} finally {
  await browser.close();
  child.kill('SIGINT');
}
