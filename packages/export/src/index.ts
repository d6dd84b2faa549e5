/**
 * @equissl/export — a pretrained encoder in the formats other programs load:
 * safetensors (one file, for PyTorch or NumPy) and TF.js weights (model.json
 * and shards, for the browser), with the architecture as the backbone
 * describes itself, the neck and the split, and optionally the K
 * reconstruction decoders with the path they were trained on. Every name,
 * shape and metadata field is in docs/export.md.
 *
 * @since 0.1.0
 */
export * from './encoder.js';
export * from './decoders.js';
