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
 * With `--regions f` every photo is cut into two strips that share no pixel:
 * `train/` holds crops from the left fraction f of each photo, `test/` crops
 * from the rest (`--test-per-image` of them). A probe trained on `train/` and
 * scored on `test/` then recognises a scene from another part of it, not a
 * near-duplicate of a training crop. The `image-folder` dataset reads such a
 * folder's `train/` and `test/` as its `split: train` and `split: test`.
 *
 * `--within f` cuts only from the left fraction f of each photo. With the
 * same f as an earlier `--regions f` it cuts a validation set (its own
 * `train/` and `test/` strips) from that cut's training strip alone, so a
 * setting chosen on it never sees a test pixel.
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

/** A vertical strip of an image, in pixels: columns `[left, left + width)`. */
export interface Region {
  readonly left: number;
  readonly width: number;
}

/**
 * The `count` crop boxes (left, top, side) of a `width × height` image: the
 * side a fraction in [minSide, maxSide] of the image's shorter side, capped by
 * the region, every box inside `region` (default: the whole image).
 */
export const cropBoxes = (
  width: number,
  height: number,
  count: number,
  minSide: number,
  maxSide: number,
  random: () => number,
  region: Region = { left: 0, width },
): { left: number; top: number; side: number }[] =>
  Array.from({ length: count }, () => {
    const shorter = Math.min(width, height);
    const side = Math.min(region.width, height, Math.max(1, Math.round(shorter * (minSide + (maxSide - minSide) * random()))));
    return { left: region.left + Math.floor(random() * (region.width - side + 1)), top: Math.floor(random() * (height - side + 1)), side };
  });

/** The pixels of one square box of a decoded `width`-px-wide image with `channels` interleaved channels. */
export const cutBox = (data: Uint8Array, width: number, channels: number, b: { left: number; top: number; side: number }): Buffer => {
  const row = b.side * channels;
  const out = Buffer.alloc(row * b.side);
  for (let y = 0; y < b.side; y++) {
    const from = ((b.top + y) * width + b.left) * channels;
    out.set(data.subarray(from, from + row), y * row);
  }
  return out;
};

/**
 * The train and test strips of an image of `width` px for `--regions f`: the
 * left fraction f trains, the rest tests; no pixel is in both.
 */
export const regionSplit = (width: number, trainFraction: number): { train: Region; test: Region } => {
  const cut = Math.round(width * trainFraction);
  return { train: { left: 0, width: cut }, test: { left: cut, width: width - cut } };
};

/** The left fraction `within` of an image of `width` px (`--within`): where every crop is cut from. */
export const regionWithin = (width: number, within: number): Region => ({ left: 0, width: Math.round(width * within) });

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
    .option('--regions <f>', 'train/ from the left fraction f of each photo, test/ from the rest (disjoint pixels)', Number.parseFloat)
    .option('--test-per-image <n>', 'test crops per photo with --regions (default: a quarter of --per-image)', (v) => Number.parseInt(v, 10))
    .option('--within <f>', 'cut only from the left fraction f of each photo (e.g. the train strip of an earlier --regions f: a validation set)', Number.parseFloat)
    .parse()
    .opts<{ src: string[]; out: string; size: number; perImage: number; minSide: number; maxSide: number; labels: string; seed: number; regions?: number; testPerImage?: number; within?: number }>();
  if (o.regions !== undefined && !(o.regions > 0 && o.regions < 1)) throw new Error(`--regions ${o.regions}: expected a fraction strictly between 0 and 1`);
  if (o.within !== undefined && !(o.within > 0 && o.within <= 1)) throw new Error(`--within ${o.within}: expected a fraction in (0, 1]`);
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
    const random = mulberry32(o.seed * 100003 + p);
    const area = regionWithin(width, o.within ?? 1);
    const parts =
      o.regions === undefined
        ? [{ root: tmp, boxes: cropBoxes(width, height, o.perImage, o.minSide, o.maxSide, random, area) }]
        : (() => {
            const r = regionSplit(area.width, o.regions);
            return [
              { root: join(tmp, 'train'), boxes: cropBoxes(width, height, o.perImage, o.minSide, o.maxSide, random, r.train) },
              { root: join(tmp, 'test'), boxes: cropBoxes(width, height, o.testPerImage ?? Math.ceil(o.perImage / 4), o.minSide, o.maxSide, random, r.test) },
            ];
          })();
    for (const { root, boxes } of parts) {
      const dir = o.labels === 'photo' ? join(root, basename(photo, extname(photo))) : root;
      mkdirSync(dir, { recursive: true });
      // eight crops at a time; each is copied out of the decoded photo first (handing sharp the whole photo per crop is slow)
      for (let start = 0; start < boxes.length; start += 8) {
        await Promise.all(
          boxes.slice(start, start + 8).map((b, j) => {
            const i = start + j;
            const name = o.labels === 'photo' ? `${String(i).padStart(5, '0')}.png` : `${basename(photo, extname(photo))}-${String(i).padStart(5, '0')}.png`;
            return sharp(cutBox(data, width, channels, b), { raw: { width: b.side, height: b.side, channels } }).resize(o.size, o.size, { kernel: 'lanczos3' }).png().toFile(join(dir, name));
          }),
        );
        written += Math.min(8, boxes.length - start);
      }
    }
    process.stderr.write(`make-crops: ${basename(photo)}: ${parts.map((x) => x.boxes.length).join(' + ')} crops (${p + 1}/${photos.length})\n`);
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
