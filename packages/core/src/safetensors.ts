/**
 * The safetensors file format (https://github.com/huggingface/safetensors):
 * an 8-byte little-endian header length, a JSON header naming each tensor's
 * dtype, shape and byte range (plus a string→string `__metadata__` map), then
 * the raw little-endian data. equissl stores weights and checkpoints in it, so
 * they open directly in Python (`safetensors.numpy.load_file`).
 *
 * Only float32 and int32 are written; reading rejects anything malformed with
 * a {@link DataError} naming the file.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js';
import { type DataError, dataError } from './errors.js';

/** One named tensor: its shape and values. */
export interface NamedArray {
  readonly shape: ReadonlyArray<number>;
  readonly data: Float32Array | Int32Array;
}

/** The content of a safetensors file. */
export interface SafetensorsContent {
  readonly tensors: ReadonlyMap<string, NamedArray>;
  readonly metadata: Readonly<Record<string, string>>;
}

const dtypeOf = (a: Float32Array | Int32Array): 'F32' | 'I32' => (a instanceof Float32Array ? 'F32' : 'I32');

/** Encodes tensors (in the given order) and metadata as safetensors bytes. */
export const encodeSafetensors = (tensors: ReadonlyMap<string, NamedArray>, metadata: Record<string, string> = {}): Uint8Array => {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of tensors) {
    const bytes = t.data.byteLength;
    header[name] = { dtype: dtypeOf(t.data), shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += ' ';
  const headerBytes = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const t of tensors.values()) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    pos += t.data.byteLength;
  }
  return out;
};

/** What a file that is not safetensors looks like, from its first bytes (for messages). */
const looksLike = (bytes: Uint8Array): string => {
  const ascii = Buffer.from(bytes.subarray(0, 8)).toString('latin1');
  if (ascii.startsWith('\x89PNG')) return 'a PNG image';
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'a JPEG image';
  if (ascii.trimStart().startsWith('{') || ascii.trimStart().startsWith('[')) return 'JSON text';
  if (ascii.startsWith('PK')) return 'a zip archive (a PyTorch .pt/.pth file?)';
  return 'something else';
};

/** Decodes safetensors bytes; `file` names the source in errors. */
export const decodeSafetensors = (file: string, bytes: Uint8Array): E.Either<DataError, SafetensorsContent> => {
  if (bytes.length < 8) return E.left(dataError(file, `too short for a safetensors file (${bytes.length} bytes)`));
  // a safetensors file is an 8-byte header length, then the JSON header: its first byte is "{"
  if (bytes.length > 8 && bytes[8] !== 0x7b) {
    return E.left(dataError(file, `is not a safetensors file (it looks like ${looksLike(bytes)}); pass a checkpoint.safetensors written by equissl pretrain`));
  }
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (8 + n > bytes.length) return E.left(dataError(file, `truncated: header of ${n} bytes but the file has ${bytes.length} bytes`));
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8'));
  } catch (e) {
    return E.left(dataError(file, `unreadable safetensors header (${(e as Error).message})`));
  }
  const base = 8 + n;
  const tensors = new Map<string, NamedArray>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets: [begin, end] } = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
    if (base + end > bytes.length) return E.left(dataError(file, `truncated: tensor "${name}" ends at byte ${base + end} of ${bytes.length}`));
    const count = shape.reduce((a, b) => a * b, 1);
    if (dtype !== 'F32' && dtype !== 'I32') return E.left(dataError(file, `tensor "${name}" has dtype ${dtype}; only F32 and I32 are supported`));
    if (end - begin !== count * 4) return E.left(dataError(file, `tensor "${name}" has ${end - begin} bytes for shape [${shape.join(', ')}]`));
    const copy = bytes.slice(base + begin, base + end);
    const data = dtype === 'F32' ? new Float32Array(copy.buffer, 0, count) : new Int32Array(copy.buffer, 0, count);
    tensors.set(name, { shape, data });
  }
  return E.right({ tensors, metadata: (header['__metadata__'] as Record<string, string> | undefined) ?? {} });
};
