/** safetensors round trip, and files that are not safetensors named as such. */
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors } from '../src/index.js';

const message = (bytes: Uint8Array) => {
  const r = decodeSafetensors('x', bytes);
  return E.isLeft(r) ? r.left.message : 'decoded';
};

describe('safetensors', () => {
  it('round-trips tensors and metadata', () => {
    const bytes = encodeSafetensors(new Map([['a', { shape: [2], data: Float32Array.from([1.5, -2]) }]]), { k: 'v' });
    const r = decodeSafetensors('x', bytes);
    if (E.isLeft(r)) throw new Error(r.left.message);
    expect(Array.from(r.right.tensors.get('a')!.data)).toEqual([1.5, -2]);
    expect(r.right.metadata['k']).toBe('v');
  });

  it('says a PNG or a JSON file is not a safetensors file, instead of reporting a huge header', () => {
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
    expect(message(png)).toBe('x: is not a safetensors file (it looks like a PNG image); pass a checkpoint.safetensors written by equissl pretrain');
    expect(message(new TextEncoder().encode('{"step": 1, "loss": 2}'))).toBe('x: is not a safetensors file (it looks like JSON text); pass a checkpoint.safetensors written by equissl pretrain');
  });

  it('reports a truncated file as truncated', () => {
    const bytes = encodeSafetensors(new Map([['a', { shape: [4], data: new Float32Array(4) }]]), {});
    expect(message(bytes.subarray(0, bytes.length - 4))).toMatch(/^x: truncated: tensor "a" ends at byte \d+ of \d+$/);
  });
});
