/**
 * The explore page: loads explore.json, the sample images and each model
 * (the TF.js export with its decoders, its θ regressors and loss curves),
 * then shows x, g_θ(x), the path targets and their reconstructions for the
 * chosen image, path and θ, redrawn as the slider moves. Every URL is
 * relative to the page: the folder works from any static host, and the page
 * asks nothing of any other host. Failures are shown in the page's message
 * box, never as a blank page. `?backend=webgl` picks another TF.js backend
 * (default `cpu`).
 */
import * as tf from '@tensorflow/tfjs';
import { type CurvesFile, type RegressorFile, type SiteManifest, siteFormat } from '../src/manifest.js';
import { type PathPoint, disposeFeatures, disposePoint, pathPoint } from './compute.js';
import { byId, drawPixels, el, formatTheta, showMessage } from './draw.js';
import { type Features, features, loadModel } from './model.js';
import { type LoadedModel, type Panel, buildPanel, showPoint } from './panel.js';
import { type PathFamily, thetaOf } from './paths.js';
import { readUpload } from './upload.js';

const fetchOk = async (url: string): Promise<Response> => {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r;
};
const fetchJson = async <T>(url: string): Promise<T> => (await fetchOk(url)).json() as Promise<T>;

/** What the page shows now. */
interface State {
  family: PathFamily;
  s: number;
  x: tf.Tensor4D;
  /** f(x) per model, for the current image. */
  fx: Features[];
}

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
  const ks = loaded.map((m) => m.model.meta.reconstruction?.k ?? 0);
  const fallbackK = Math.max(2, ...ks);
  const models: LoadedModel[] = loaded.map((m, i) => ({ ...m, k: ks[i]! > 0 ? ks[i]! : fallbackK }));
  const panels: Panel[] = models.map(buildPanel);
  byId('panels').replaceChildren(...panels.map((p) => p.root));
  byId('panels').dataset['count'] = String(panels.length);
  byId('data-source').textContent = `Samples: ${manifest.samples.source}.`;

  const slider = byId<HTMLInputElement>('theta');
  const trueTheta = byId<HTMLOutputElement>('true-theta');
  const select = byId<HTMLSelectElement>('family');
  select.replaceChildren(...manifest.families.map((f) => el('option', { value: f.name }, `${f.name} (${f.param}, ±${formatTheta(f.max, f.unit)})`)));
  const state: State = { family: manifest.families[0]!, s: 0, x: tf.zeros([1, h, w, c]), fx: [] };

  const setFamily = (family: PathFamily) => {
    state.family = family;
    slider.min = String(-family.max);
    slider.max = String(family.max);
    slider.step = 'any';
    state.s = family.max / 2;
    slider.value = String(state.s);
  };
  const setImage = (pixels: Float32Array) => {
    state.x.dispose();
    state.fx.forEach(disposeFeatures);
    state.x = tf.tensor4d(pixels, [1, h, w, c]);
    state.fx = models.map((m) => features(m.model, state.x));
  };

  let renders = 0;
  let pending = false;
  let running = false;
  const renderNow = () => {
    const theta = thetaOf(state.family, state.s);
    trueTheta.textContent = `${state.family.param} = ${formatTheta(state.s, state.family.unit)}`;
    trueTheta.dataset['value'] = String(state.s);
    models.forEach((m, i) => {
      const point: PathPoint = pathPoint(m.model, m.regressors.families[state.family.name], state.family, state.x, state.fx[i]!, theta, m.k);
      try {
        showPoint(panels[i]!, m, state.family, state.s, state.x, point);
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

  // samples
  const buttons = Array.from({ length: manifest.samples.count }, (_, i) => {
    const canvas = el('canvas');
    drawPixels(canvas, samples.subarray(i * per, (i + 1) * per), h, w, c);
    const b = el('button', { type: 'button', class: 'sample', 'data-sample': String(i), 'aria-label': `sample ${i + 1}`, 'aria-pressed': 'false' }, canvas);
    b.addEventListener('click', () => {
      buttons.forEach((o) => o.setAttribute('aria-pressed', String(o === b)));
      showMessage('');
      setImage(samples.slice(i * per, (i + 1) * per));
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
    buttons.forEach((o) => o.setAttribute('aria-pressed', 'false'));
    showMessage(`Showing “${r.name}”, fitted to ${h}×${w} (${manifest.upload.fit}) as the training images were.`, 'note');
    setImage(r.pixels);
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
    setFamily(manifest.families.find((f) => f.name === select.value) ?? manifest.families[0]!);
    render();
  });

  setFamily(state.family);
  if (manifest.samples.count > 0) buttons[0]!.click();
  else {
    setImage(new Float32Array(per).fill(0.5));
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
