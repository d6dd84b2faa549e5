/**
 * Cuts natural photos into small square crops for `equissl reproduce --data`
 * and the other commands that take an image folder.
 *
 * Every source image gives `--per-image` crops: a square side drawn uniformly
 * in [`--min-side`, `--max-side`] of the image's shorter side, at a uniform
 * position, resized (Lanczos) to `--size` px and written as PNG. With
 * `--labels photo` each source photo is one class sub-folder (the crops of
 * one photo share a "class", which gives the probes something to separate);
 * with `--labels none` all crops go into one folder (unlabelled). Seeded: the
 * same arguments give the same crops.
 *
 * The photos: Debian's wallpaper packages. The Lomiri ones are photographs
 * (landscapes, animals, objects); ukui-wallpapers are mostly flat graphics,
 * whose crops are often a single colour:
 *
 *   apt-get install lomiri-wallpapers-16.04 lomiri-wallpapers-20.04   # 19 photos
 *   node --import tsx tools/make-crops.ts --out data/crops32 --size 32 \
 *     --src $(dpkg -L lomiri-wallpapers-16.04 lomiri-wallpapers-20.04 | grep -i '\.jpg$')
 *
 * Files are written to a temporary folder and renamed at the end, so an
 * interrupted run leaves no half-filled output.
 */
import { Command } from 'commander';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import sharp from 'sharp';

/** A small seeded generator (mulberry32) for the crop boxes. */
export const mulberry32 = (seed: number): (() => number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/** The `count` crop boxes (left, top, side) of a `width × height` image. */
export const cropBoxes = (width: number, height: number, count: number, minSide: number, maxSide: number, random: () => number): { left: number; top: number; side: number }[] =>
  Array.from({ length: count }, () => {
    const shorter = Math.min(width, height);
    const side = Math.max(1, Math.round(shorter * (minSide + (maxSide - minSide) * random())));
    return { left: Math.floor(random() * (width - side + 1)), top: Math.floor(random() * (height - side + 1)), side };
  });

const main = async () => {
  const o = new Command()
    .name('make-crops')
    .requiredOption('--src <paths...>', 'photos (jpg, png, webp), or folders of them')
    .requiredOption('--out <dir>', 'output folder (must not exist)')
    .option('--size <px>', 'crop size in pixels', (v) => Number.parseInt(v, 10), 32)
    .option('--per-image <n>', 'crops per photo', (v) => Number.parseInt(v, 10), 400)
    .option('--min-side <f>', 'smallest crop side, as a fraction of the shorter image side', Number.parseFloat, 0.1)
    .option('--max-side <f>', 'largest crop side, as a fraction of the shorter image side', Number.parseFloat, 0.3)
    .option('--labels <mode>', 'photo (one class sub-folder per photo) or none (one folder)', 'photo')
    .option('--seed <n>', 'seed of the crop boxes', (v) => Number.parseInt(v, 10), 0)
    .parse()
    .opts<{ src: string[]; out: string; size: number; perImage: number; minSide: number; maxSide: number; labels: string; seed: number }>();
  if (existsSync(o.out)) throw new Error(`${o.out} exists; choose a new --out folder`);
  const isPhoto = (f: string) => ['.jpg', '.jpeg', '.png', '.webp'].includes(extname(f).toLowerCase());
  const photos = o.src
    .flatMap((p) => (statSync(p).isDirectory() ? readdirSync(p).filter(isPhoto).map((f) => join(p, f)) : isPhoto(p) ? [p] : []))
    .sort();
  if (photos.length === 0) throw new Error(`${o.src.join(' ')} holds no jpg/png/webp photos; install a wallpaper package (apt-get install lomiri-wallpapers-16.04)`);
  const tmp = `${o.out}.partial`;
  rmSync(tmp, { recursive: true, force: true });
  let written = 0;
  for (const [p, photo] of photos.entries()) {
    const file = photo;
    // decoded once; every crop is cut from the raw pixels
    const { data, info } = await sharp(file).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    const { width, height, channels } = info;
    const dir = o.labels === 'photo' ? join(tmp, basename(photo, extname(photo))) : tmp;
    mkdirSync(dir, { recursive: true });
    const boxes = cropBoxes(width, height, o.perImage, o.minSide, o.maxSide, mulberry32(o.seed * 100003 + p));
    for (const [i, b] of boxes.entries()) {
      const name = o.labels === 'photo' ? `${String(i).padStart(5, '0')}.png` : `${basename(photo, extname(photo))}-${String(i).padStart(5, '0')}.png`;
      await sharp(data, { raw: { width, height, channels } }).extract({ left: b.left, top: b.top, width: b.side, height: b.side }).resize(o.size, o.size, { kernel: 'lanczos3' }).png().toFile(join(dir, name));
      written++;
    }
    process.stderr.write(`make-crops: ${basename(photo)}: ${boxes.length} crops (${p + 1}/${photos.length})\n`);
  }
  renameSync(tmp, o.out);
  process.stderr.write(`make-crops: wrote ${written} crops of ${o.size}×${o.size} px into ${o.out}\n`);
};

if (process.argv[1] !== undefined && import.meta.url.endsWith(basename(process.argv[1]))) {
  main().catch((e: unknown) => {
    process.stderr.write(`make-crops: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
