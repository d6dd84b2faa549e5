/**
 * The explore page: loads explore.json, the sample images, the precomputed
 * paths and each model (the TF.js export with its decoders, its θ
 * regressors and loss curves), then shows x, g_θ(x), the path targets and
 * their reconstructions for the chosen image, path and θ, redrawn as the
 * slider moves. The affine paths are warped here at any θ and on any image;
 * the slider of any other path steps through the points the command
 * computed for the sample images (an uploaded photo switches to a path the
 * page warps, a precomputed path to a sample image). Every URL is
 * relative to the page: the folder works from any static host, and the page
 * asks nothing of any other host. Failures are shown in the page's message
 * box, never as a blank page. `?backend=webgl` picks another TF.js backend
 * (default `cpu`).
 */
import * as tf from '@tensorflow/tfjs';
import { type CurvesFile, type FamilySpec, type RegressorFile, type SiteManifest, type StripFamily, siteFormat } from '../src/manifest.js';
import { type PathImages, type PathPoint, disposeFeatures, disposePoint, pathPoint, warpedImages } from './compute.js';
import { byId, drawPixels, el, formatTheta, showMessage } from './draw.js';
import { type Features, features, loadModel } from './model.js';
import { type LoadedModel, type Panel, type ShownPoint, buildPanel, showPoint } from './panel.js';
import { thetaOf } from './paths.js';
import { type LoadedStrip, loadedStrip, stripCovers, stripPoint } from './strips.js';
import { readUpload } from './upload.js';

const fetchOk = async (url: string): Promise<Response> => {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r;
};
const fetchJson = async <T>(url: string): Promise<T> => (await fetchOk(url)).json() as Promise<T>;

/** What the page shows now. */
interface State {
  family: FamilySpec;
  /** The slider's value: θ's first parameter on a warped path, the stop's index on a precomputed one. */
  s: number;
  /** The sample shown, or undefined for an uploaded photo. */
  sample: number | undefined;
  x: tf.Tensor4D;
  /** f(x) per model, for the current image. */
  fx: Features[];
}

/** Whether the page can draw `family` on sample `sample` (undefined: an uploaded photo). */
const covers = (family: FamilySpec, sample: number | undefined): boolean => family.kind === 'live' || stripCovers(family, sample);

/** How the path selector names a family. */
const optionText = (f: FamilySpec): string =>
  `${f.name} (${f.kind === 'live' ? `${f.param}, ±${formatTheta(f.max, f.unit)}` : `${f.points.length} points, computed by equissl explore`})${f.own ? ' · trained path' : ''}`;

/** θ in words: each parameter the path moves, with its unit where the page knows it. */
const thetaText = (f: FamilySpec, theta: ReadonlyArray<number>): string =>
  f.kind === 'live'
    ? f.warp
        .map((part, i) => ({ part, i }))
        .filter(({ i }) => f.direction[i] !== 0)
        .map(({ part, i }) => `${f.paramNames[i]} = ${formatTheta(theta[i]!, part === 'angle' ? '°' : 'px')}`)
        .join(', ')
    : f.paramNames.map((name, i) => `${name} = ${formatTheta(theta[i]!, '')}`).join(', ');

const start = async (): Promise<void> => {
  tf.enableProdMode();
  const backend = new URLSearchParams(location.search).get('backend') ?? 'cpu';
  if (!(await tf.setBackend(backend).catch(() => false))) await tf.setBackend('cpu');
  const manifest = await fetchJson<SiteManifest>('explore.json');
  if (manifest.format !== siteFormat) throw new Error(`explore.json is ${String(manifest.format)}, not ${siteFormat}; rebuild the site with equissl explore`);
  const [h, w, c] = manifest.imageShape;
  const per = h * w * c;
  const samples = new Float32Array(await (await fetchOk(manifest.samples.file)).arrayBuffer());
  if (samples.length !== manifest.samples.count * per) throw new Error(`${manifest.samples.file} holds ${samples.length} values, not ${manifest.samples.count} images of ${h}×${w}×${c}`);

  const loaded = await Promise.all(
    manifest.models.map(async (entry, index) => ({
      index,
      entry,
      model: await loadModel(new URL(entry.model, location.href).href).catch((e: unknown) => {
        throw new Error(`cannot load ${entry.model} (${e instanceof Error ? e.message : String(e)})`);
      }),
      regressors: await fetchJson<RegressorFile>(entry.regressor),
      curves: await fetchJson<CurvesFile>(entry.curves),
    })),
  );
  const models: LoadedModel[] = loaded.map((m) => ({ ...m, k: m.entry.targets }));
  const strips = new Map<string, LoadedStrip>(
    await Promise.all(
      manifest.families
        .filter((f): f is StripFamily => f.kind === 'strip')
        .map(async (f) => [f.name, loadedStrip(f, new Float32Array(await (await fetchOk(f.file)).arrayBuffer()), manifest.imageShape)] as const),
    ),
  );
  const firstLive = manifest.families.find((f) => f.kind === 'live');
  const panels: Panel[] = models.map(buildPanel);
  byId('panels').replaceChildren(...panels.map((p) => p.root));
  byId('panels').dataset['count'] = String(panels.length);
  byId('data-source').textContent = `Samples: ${manifest.samples.source}.`;

  const slider = byId<HTMLInputElement>('theta');
  const trueTheta = byId<HTMLOutputElement>('true-theta');
  const select = byId<HTMLSelectElement>('family');
  select.replaceChildren(...manifest.families.map((f) => el('option', { value: f.name, title: f.description }, optionText(f))));
  const state: State = { family: manifest.families[0]!, s: 0, sample: undefined, x: tf.zeros([1, h, w, c]), fx: [] };

  const setFamily = (family: FamilySpec) => {
    state.family = family;
    select.value = family.name;
    if (family.kind === 'live') {
      slider.min = String(-family.max);
      slider.max = String(family.max);
      slider.step = 'any';
      state.s = family.max / 2;
    } else {
      slider.min = '0';
      slider.max = String(family.points.length - 1);
      slider.step = '1';
      state.s = Math.floor((family.points.length - 1) / 2);
    }
    slider.value = String(state.s);
  };
  const setImage = (pixels: Float32Array, sample: number | undefined) => {
    state.x.dispose();
    state.fx.forEach(disposeFeatures);
    state.sample = sample;
    state.x = tf.tensor4d(pixels, [1, h, w, c]);
    state.fx = models.map((m) => features(m.model, state.x));
  };

  /** θ of the slider, the panels' reading of it, and each model's images at it. */
  const currentPoint = (): { theta: number[]; shown: ShownPoint; images: (k: number) => PathImages; t?: number } => {
    const f = state.family;
    if (f.kind === 'live') {
      const theta = thetaOf(f, state.s);
      return { theta, shown: { family: f, value: state.s, param: f.param, unit: f.unit, range: [-f.max, f.max] }, images: (k) => warpedImages(f, state.x, theta, k) };
    }
    const j = Math.max(0, Math.min(f.points.length - 1, Math.round(state.s)));
    const stop = f.points[j]!;
    const firsts = f.points.map((p) => p.theta[0] ?? 0);
    const strip = strips.get(f.name)!;
    return {
      theta: [...stop.theta],
      t: stop.t,
      shown: { family: f, value: stop.theta[0] ?? 0, param: f.paramNames[0] ?? 'θ', unit: '', range: [Math.min(...firsts), Math.max(...firsts)] },
      images: (k) => stripPoint(strip, manifest.imageShape, state.sample!, j, k),
    };
  };

  let renders = 0;
  let pending = false;
  let running = false;
  const renderNow = () => {
    const { theta, shown, images, t } = currentPoint();
    trueTheta.textContent = `${t === undefined ? '' : `t = ${t.toFixed(3)}: `}${thetaText(state.family, theta)}`;
    trueTheta.dataset['value'] = String(shown.value);
    trueTheta.dataset['t'] = t === undefined ? '' : String(t);
    models.forEach((m, i) => {
      const point: PathPoint = pathPoint(m.model, m.regressors.families[state.family.name], state.fx[i]!, images(m.k));
      try {
        showPoint(panels[i]!, m, shown, state.x, point);
      } finally {
        disposePoint(point);
      }
    });
    document.body.dataset['renders'] = String(++renders);
  };
  /** Draws the latest state once the current drawing ends (slider events faster than drawing are merged). */
  const render = () => {
    pending = true;
    if (running) return;
    running = true;
    document.body.dataset['busy'] = 'true';
    const loop = () => {
      if (!pending) {
        running = false;
        document.body.dataset['busy'] = 'false';
        return;
      }
      pending = false;
      try {
        renderNow();
      } catch (e) {
        showMessage(`Could not draw this point: ${e instanceof Error ? e.message : String(e)}`);
      }
      setTimeout(loop, 0);
    };
    loop();
  };

  /**
   * Before showing sample `sample` (undefined: an uploaded photo): a
   * precomputed path that has no images of it gives way to the first path
   * the page warps, and the note says so; false when there is none.
   */
  const switchFor = (sample: number | undefined): string | false => {
    const f = state.family;
    if (covers(f, sample)) return '';
    const only = f.kind === 'strip' ? `${f.name} is computed by equissl explore for the first ${f.samples} sample image${f.samples === 1 ? '' : 's'} only` : '';
    if (firstLive === undefined) {
      showMessage(`${only}, and no path here is one the page warps itself (rotation, translation, se2): pick another sample image.`, 'note');
      return false;
    }
    setFamily(firstLive);
    return `${only}: showing ${firstLive.name}.`;
  };

  // samples
  const buttons = Array.from({ length: manifest.samples.count }, (_, i) => {
    const canvas = el('canvas');
    drawPixels(canvas, samples.subarray(i * per, (i + 1) * per), h, w, c);
    const b = el('button', { type: 'button', class: 'sample', 'data-sample': String(i), 'aria-label': `sample ${i + 1}`, 'aria-pressed': 'false' }, canvas);
    b.addEventListener('click', () => {
      const note = switchFor(i);
      if (note === false) return;
      buttons.forEach((o) => o.setAttribute('aria-pressed', String(o === b)));
      showMessage(note, 'note');
      setImage(samples.slice(i * per, (i + 1) * per), i);
      render();
    });
    return b;
  });
  byId('samples').replaceChildren(...buttons);

  // uploads
  const upload = async (file: File | undefined) => {
    if (file === undefined) return;
    const r = await readUpload(file, manifest.imageShape, manifest.upload.fit);
    if (!r.ok) {
      showMessage(r.message);
      return;
    }
    const note = switchFor(undefined);
    if (note === false) return;
    buttons.forEach((o) => o.setAttribute('aria-pressed', 'false'));
    showMessage(`Showing “${r.name}”, fitted to ${h}×${w} (${manifest.upload.fit}) as the training images were.${note === '' ? '' : ` ${note}`}`, 'note');
    setImage(r.pixels, undefined);
    render();
  };
  const input = byId<HTMLInputElement>('file');
  input.addEventListener('change', () => void upload(input.files?.[0]));
  const drop = byId('drop');
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => e.preventDefault());
  drop.addEventListener('dragover', () => drop.classList.add('over'));
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    drop.classList.remove('over');
    void upload(e.dataTransfer?.files[0]);
  });

  slider.addEventListener('input', () => {
    state.s = Number(slider.value);
    render();
  });
  select.addEventListener('change', () => {
    const family = manifest.families.find((f) => f.name === select.value) ?? manifest.families[0]!;
    setFamily(family);
    if (!covers(family, state.sample) && family.kind === 'strip') {
      // a precomputed path shows its first sample image
      buttons.forEach((o, i) => o.setAttribute('aria-pressed', String(i === 0)));
      showMessage(`${family.name} is computed by equissl explore for the sample images: showing sample 1.`, 'note');
      setImage(samples.slice(0, per), 0);
    }
    render();
  });

  setFamily(state.family);
  if (manifest.samples.count > 0) buttons[0]!.click();
  else {
    if (firstLive !== undefined) setFamily(firstLive);
    setImage(new Float32Array(per).fill(0.5), undefined);
    render();
  }
  document.body.dataset['state'] = 'ready';
};

window.addEventListener('error', (e) => showMessage(`Something went wrong: ${e.message}`));
window.addEventListener('unhandledrejection', (e) => showMessage(`Something went wrong: ${e.reason instanceof Error ? e.reason.message : String(e.reason)}`));
start().catch((e: unknown) => {
  document.body.dataset['state'] = 'error';
  showMessage(`The page could not start: ${e instanceof Error ? e.message : String(e)}`);
});
