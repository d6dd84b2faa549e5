/**
 * Tagged errors for the whole project.
 *
 * Every failure that bad input can cause is a value of {@link EquisslError}:
 * a plain object with a `_tag` and a `message` that names the file, field or
 * tensor involved and says what to do. Functions return them inside
 * `Either`/`TaskEither`; only the CLI boundary turns them into an exit code.
 *
 * @since 0.1.0
 */

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** A config value failed to decode; `path` is the dotted field path (`loss.simCoeff`). */
export interface ConfigError {
  readonly _tag: 'ConfigError';
  readonly path: string;
  readonly message: string;
}

/** A config or lookup named a plugin that is not registered. */
export interface UnknownPlugin {
  readonly _tag: 'UnknownPlugin';
  readonly kind: string;
  readonly name: string;
  readonly known: ReadonlyArray<string>;
  readonly message: string;
}

/** A plugin with the same kind and name is already in the registry. */
export interface DuplicatePlugin {
  readonly _tag: 'DuplicatePlugin';
  readonly kind: string;
  readonly name: string;
  readonly message: string;
}

/** A plugin's `create` refused a (decoded) config. */
export interface PluginError {
  readonly _tag: 'PluginError';
  readonly kind: string;
  readonly name: string;
  readonly message: string;
}

/** A data file or folder is missing, truncated, or not in the expected format. */
export interface DataError {
  readonly _tag: 'DataError';
  readonly file: string;
  readonly message: string;
}

/** An image could not be decoded. */
export interface CorruptImage {
  readonly _tag: 'CorruptImage';
  readonly file: string;
  readonly message: string;
}

/** A tensor had a shape other than the one an operation needs. */
export interface ShapeMismatch {
  readonly _tag: 'ShapeMismatch';
  readonly tensor: string;
  readonly expected: string;
  readonly actual: ReadonlyArray<number>;
  readonly message: string;
}

/** A loss term became NaN or infinite. */
export interface NonFiniteLoss {
  readonly _tag: 'NonFiniteLoss';
  readonly term: string;
  readonly step: number;
  readonly value: number;
  readonly message: string;
}

/** No usable TensorFlow.js backend, or the requested one failed to load. */
export interface BackendError {
  readonly _tag: 'BackendError';
  readonly backend: string;
  readonly message: string;
}

/** Reading or writing a file failed (checkpoints, reports, images). */
export interface IoError {
  readonly _tag: 'IoError';
  readonly file: string;
  readonly message: string;
}

/** Every error the project reports. */
export type EquisslError =
  | ConfigError
  | UnknownPlugin
  | DuplicatePlugin
  | PluginError
  | DataError
  | CorruptImage
  | ShapeMismatch
  | NonFiniteLoss
  | BackendError
  | IoError;

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/** @category constructors */
export const configError = (path: string, detail: string): ConfigError => ({
  _tag: 'ConfigError',
  path,
  message: path === '' ? detail : `${path}: ${detail}`,
});

/** @category constructors */
export const unknownPlugin = (kind: string, name: string, known: ReadonlyArray<string>): UnknownPlugin => ({
  _tag: 'UnknownPlugin',
  kind,
  name,
  known,
  message:
    `unknown ${kind} plugin "${name}"; ` +
    (known.length === 0
      ? `no ${kind} plugins are registered (import the package that provides them)`
      : `known ${kind} plugins: ${[...known].sort().join(', ')}`),
});

/** @category constructors */
export const duplicatePlugin = (kind: string, name: string): DuplicatePlugin => ({
  _tag: 'DuplicatePlugin',
  kind,
  name,
  message: `a ${kind} plugin named "${name}" is already registered; choose another name or build a registry without the first one`,
});

/** @category constructors */
export const pluginError = (kind: string, name: string, detail: string): PluginError => ({
  _tag: 'PluginError',
  kind,
  name,
  message: `${kind} plugin "${name}": ${detail}`,
});

/** @category constructors */
export const dataError = (file: string, detail: string): DataError => ({
  _tag: 'DataError',
  file,
  message: `${file}: ${detail}`,
});

/** @category constructors */
export const corruptImage = (file: string, detail: string): CorruptImage => ({
  _tag: 'CorruptImage',
  file,
  message: `${file}: cannot decode image (${detail}); remove the file or set skipCorrupt: true to skip such files`,
});

/** @category constructors */
export const shapeMismatch = (tensor: string, expected: string, actual: ReadonlyArray<number>): ShapeMismatch => ({
  _tag: 'ShapeMismatch',
  tensor,
  expected,
  actual,
  message: `${tensor}: expected shape ${expected}, got [${actual.join(', ')}]`,
});

/** @category constructors */
export const nonFiniteLoss = (term: string, step: number, value: number): NonFiniteLoss => ({
  _tag: 'NonFiniteLoss',
  term,
  step,
  value,
  message: `loss term "${term}" is ${value} at step ${step}; lower the learning rate or the weight of "${term}", or resume from the last checkpoint`,
});

/** @category constructors */
export const backendError = (backend: string, detail: string): BackendError => ({
  _tag: 'BackendError',
  backend,
  message: `backend "${backend}": ${detail}`,
});

/** @category constructors */
export const ioError = (file: string, detail: string): IoError => ({
  _tag: 'IoError',
  file,
  message: `${file}: ${detail}`,
});

// -------------------------------------------------------------------------------------
// destructors
// -------------------------------------------------------------------------------------

/**
 * An `Error` carrying an {@link EquisslError}, for the few places that must
 * throw (inside `tf.tidy`, async iterators consumed by user code).
 *
 * @category destructors
 */
export class EquisslFailure extends Error {
  constructor(readonly error: EquisslError) {
    super(error.message);
    this.name = error._tag;
  }
}

/** Throws the error wrapped in {@link EquisslFailure}. @category destructors */
export const raise = (error: EquisslError): never => {
  throw new EquisslFailure(error);
};

/** Recovers the tagged error from something caught, or wraps an unexpected one. @category destructors */
export const fromUnknown = (caught: unknown, file = '<unknown>'): EquisslError =>
  caught instanceof EquisslFailure
    ? caught.error
    : ioError(file, caught instanceof Error ? caught.message : String(caught));

/** A one-line, user-facing rendering: `[ConfigError] loss.simCoeff: …`. @category destructors */
export const formatError = (error: EquisslError): string => `[${error._tag}] ${error.message}`;
