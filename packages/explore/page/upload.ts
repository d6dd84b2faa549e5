/**
 * A photo from the user (file picker or drag and drop) as the models' input:
 * decoded by the browser, fitted to the training size as the data was in
 * training (`cover`: centre crop, `fill`: stretch, `contain`: black borders),
 * and read back as `H × W × C` floats in [0, 1] (grey: Rec. 709 luma). A
 * file that is not an image, or a corrupt one, is an error value whose
 * message the page shows.
 */

/** The pixels of a decoded upload, or why there are none. */
export type Upload = { readonly ok: true; readonly pixels: Float32Array; readonly name: string } | { readonly ok: false; readonly message: string };

/** Where to draw an `iw × ih` image in a `w × h` canvas, and which part of it. */
export const fitRects = (fit: 'cover' | 'fill' | 'contain', iw: number, ih: number, w: number, h: number): { src: [number, number, number, number]; dst: [number, number, number, number] } => {
  if (fit === 'fill') return { src: [0, 0, iw, ih], dst: [0, 0, w, h] };
  if (fit === 'cover') {
    const s = Math.max(w / iw, h / ih);
    const sw = w / s;
    const sh = h / s;
    return { src: [(iw - sw) / 2, (ih - sh) / 2, sw, sh], dst: [0, 0, w, h] };
  }
  const s = Math.min(w / iw, h / ih);
  return { src: [0, 0, iw, ih], dst: [(w - iw * s) / 2, (h - ih * s) / 2, iw * s, ih * s] };
};

/** Decodes `file` and fits it to `[h, w, c]`. */
export const readUpload = async (file: File, shape: readonly [number, number, number], fit: 'cover' | 'fill' | 'contain'): Promise<Upload> => {
  const [h, w, c] = shape;
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch (e) {
    const why = e instanceof Error && e.message !== '' ? e.message : 'the browser cannot decode it';
    return { ok: false, message: `Could not read “${file.name}” as an image (${why}). Pick a PNG, JPEG, GIF, WebP or BMP photo.` };
  }
  try {
    if (bitmap.width === 0 || bitmap.height === 0) return { ok: false, message: `“${file.name}” is an empty image.` };
    const canvas = document.createElement('canvas');
    canvas.width = w;
    canvas.height = h;
    const ctx = canvas.getContext('2d');
    if (ctx === null) return { ok: false, message: 'This browser gives no 2D canvas to resize the photo.' };
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, w, h);
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    const { src, dst } = fitRects(fit, bitmap.width, bitmap.height, w, h);
    ctx.drawImage(bitmap, ...src, ...dst);
    const rgba = ctx.getImageData(0, 0, w, h).data;
    const pixels = new Float32Array(h * w * c);
    for (let p = 0; p < h * w; p++) {
      const [r, g, b] = [rgba[4 * p]!, rgba[4 * p + 1]!, rgba[4 * p + 2]!];
      if (c === 1) pixels[p] = (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
      else for (let ch = 0; ch < c; ch++) pixels[p * c + ch] = [r, g, b][Math.min(ch, 2)]! / 255;
    }
    return { ok: true, pixels, name: file.name };
  } finally {
    bitmap.close();
  }
};
