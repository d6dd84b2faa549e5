/**
 * DOM helpers of the page: creating elements, drawing an image tensor
 * `[1, H, W, C]` in [0, 1] into a canvas at its own resolution (grey images
 * replicated to RGB; CSS scales the canvas up without smoothing), and
 * labelled figures.
 */
import type * as tf from '@tensorflow/tfjs';

/** An element with attributes and children. */
export const el = <K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
};

/** The element with id `id`, which the page's HTML must have. */
export const byId = <T extends HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (e === null) throw new Error(`the page has no #${id}`);
  return e as T;
};

/** Draws `pixels` (`H × W × C` floats in [0, 1]) into `canvas`, resizing it to W × H. */
export const drawPixels = (canvas: HTMLCanvasElement, pixels: ArrayLike<number>, h: number, w: number, c: number): void => {
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d');
  if (ctx === null) return;
  const image = ctx.createImageData(w, h);
  for (let p = 0; p < h * w; p++) {
    for (let ch = 0; ch < 3; ch++) image.data[4 * p + ch] = Math.round(255 * Math.min(1, Math.max(0, pixels[p * c + (c === 1 ? 0 : ch)]!)));
    image.data[4 * p + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
};

/** Draws image 0 of `t` `[B, H, W, C]` into `canvas`. */
export const drawTensor = (canvas: HTMLCanvasElement, t: tf.Tensor4D): void => {
  const [, h, w, c] = t.shape;
  drawPixels(canvas, t.dataSync().subarray(0, h * w * c), h, w, c);
};

/** A canvas under a caption, for one image of a row. */
export const figure = (id: string, caption: ReadonlyArray<Node | string>, role: string): { figure: HTMLElement; canvas: HTMLCanvasElement } => {
  const canvas = el('canvas', { id, 'data-role': role, width: '1', height: '1' });
  return { figure: el('figure', {}, canvas, el('figcaption', {}, ...caption)), canvas };
};

/** `g` with a subscript, then `(x)`: g_θ(x), g_{kθ/(K+1)}(x). */
export const gOf = (sub: string): Array<Node | string> => ['g', el('sub', {}, sub), '(x)'];

/** Shows `text` in the page's message box (empty text hides it). */
export const showMessage = (text: string, kind: 'error' | 'note' = 'error'): void => {
  const box = byId<HTMLDivElement>('message');
  box.textContent = text;
  box.dataset['kind'] = kind;
  box.hidden = text === '';
};

/** A number with the family's unit, e.g. `22.5°`, `−0.40 px`, or `0.125` without one. */
export const formatTheta = (v: number, unit: string): string => {
  const sign = v < 0 ? '−' : '';
  if (unit === '°') return `${sign}${Math.abs(v).toFixed(1)}°`;
  return unit === '' ? `${sign}${Math.abs(v).toFixed(3)}` : `${sign}${Math.abs(v).toFixed(2)} ${unit}`;
};
