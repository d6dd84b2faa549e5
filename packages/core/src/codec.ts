/**
 * io-ts helpers for configs: strict structs with defaults, bounded numbers,
 * and a reporter that turns io-ts errors into one path-precise
 * {@link ConfigError} (`loss.simCoeff: expected number, got "ten"`).
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { type ConfigError, configError } from './errors.js';

// -------------------------------------------------------------------------------------
// reporting
// -------------------------------------------------------------------------------------

const transparentTags = new Set(['UnionType', 'IntersectionType', 'RefinementType', 'ExactType', 'ReadonlyType']);

const renderValue = (value: unknown): string => {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value);
  if (json === undefined) return String(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
};

/**
 * The dotted path of one io-ts error below `prefix` (array indices as `[i]`),
 * and the name of the type expected there (a union's own name, not a member's).
 */
export const errorPath = (prefix: string, context: t.Context): string => locate(prefix, context).path;

const locate = (prefix: string, context: t.Context): { path: string; expected: string } => {
  let path = prefix;
  let expected = context[0]?.type.name ?? 'a valid value';
  for (let i = 1; i < context.length; i++) {
    const parent = context[i - 1]!.type as unknown as { _tag?: string };
    const key = context[i]!.key;
    if (key === '' || (parent._tag !== undefined && transparentTags.has(parent._tag))) continue;
    if (parent._tag === 'ArrayType' || parent._tag === 'ReadonlyArrayType' || parent._tag === 'TupleType') {
      path += `[${key}]`;
      expected = context[i]!.type.name;
      continue;
    } else {
      path += path === '' ? key : `.${key}`;
    }
    expected = context[i]!.type.name;
  }
  return { path, expected };
};

/** One line per distinct failing path: `path: expected T, got V` (or the codec's own message). */
export const reportErrors = (prefix: string, errors: t.Errors): ReadonlyArray<{ path: string; detail: string }> => {
  const seen = new Map<string, string>();
  for (const e of errors) {
    const { path, expected } = locate(prefix, e.context);
    if (seen.has(path)) continue;
    const detail = e.message ?? `expected ${expected}, got ${renderValue(e.value)}`;
    seen.set(path, detail);
  }
  return [...seen].map(([path, detail]) => ({ path, detail }));
};

/**
 * Decodes `input` with `codec`; failures become one {@link ConfigError} whose
 * `path` is the first failing field and whose message lists every failure.
 *
 * @example
 * decode(t.type({ simCoeff: t.number }), { simCoeff: 'ten' }, 'loss')
 * // left: "loss.simCoeff: expected number, got \"ten\""
 */
export const decode = <A>(codec: t.Decoder<unknown, A>, input: unknown, prefix = ''): E.Either<ConfigError, A> => {
  const result = codec.decode(input);
  if (E.isRight(result)) return result;
  const lines = reportErrors(prefix, result.left);
  const first = lines[0] ?? { path: prefix, detail: 'invalid value' };
  const message = lines.map((l) => (l.path === '' ? l.detail : `${l.path}: ${l.detail}`)).join('\n');
  return E.left({ ...configError(first.path, first.detail), message });
};

// -------------------------------------------------------------------------------------
// combinators
// -------------------------------------------------------------------------------------

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);

/** A plugin slot written as a name alone, `'vicreg'`, is `{ name: 'vicreg' }`; anything else is unchanged. */
export const normaliseSlot = (u: unknown): unknown => (typeof u === 'string' ? { name: u } : u);

/**
 * Fills what `given` leaves out from `defaults`, at every depth, by one rule:
 * objects merge key by key (given values win, arrays and scalars replace);
 * a plugin slot (an object with a `name`) written as a bare name is that
 * slot; and a slot that names another plugin than the default replaces the
 * default whole (its fields belong to another plugin). So
 * `--set loss.simCoeff=5` keeps the default loss's name, and
 * `loss: {name: simclr}` does not inherit VICReg's fields.
 */
export const mergeDefaults = (defaults: unknown, given: unknown): unknown => {
  if (given === undefined) return defaults;
  if (!isRecord(defaults)) return given;
  const slot = typeof defaults['name'] === 'string';
  const g = slot ? normaliseSlot(given) : given;
  if (!isRecord(g)) return g;
  if (slot && typeof g['name'] === 'string' && g['name'] !== defaults['name']) return g;
  const out: Record<string, unknown> = { ...defaults };
  for (const [k, v] of Object.entries(g)) out[k] = mergeDefaults(defaults[k], v);
  return out;
};

/**
 * A struct that fills missing fields from `defaults` ({@link mergeDefaults}:
 * at every depth, plugin slots by name) and rejects unknown fields (a typo
 * such as `simCoef` is an error naming the known fields).
 */
export const struct = <P extends t.Props>(
  name: string,
  props: P,
  defaults: Partial<t.TypeOf<t.TypeC<P>>> = {},
): t.Type<t.TypeOf<t.TypeC<P>>, t.OutputOf<t.TypeC<P>>, unknown> => {
  const inner = t.type(props);
  const known = Object.keys(props);
  return new t.Type(
    name,
    (u): u is t.TypeOf<t.TypeC<P>> => inner.is(u),
    (u, c) => {
      const input = u === undefined ? {} : u;
      if (!isRecord(input)) return t.failure(u, c, `expected an object (${name}), got ${renderValue(u)}`);
      const extra = Object.keys(input).filter((k) => !(k in props));
      if (extra.length > 0) {
        return t.failures(
          extra.map((k) => ({
            value: input[k],
            context: [...c, { key: k, type: t.unknown, actual: input[k] }],
            message: `unknown field; known fields: ${known.join(', ')}`,
          })),
        );
      }
      return inner.validate(mergeDefaults(defaults, input) as Record<string, unknown>, c);
    },
    (a) => inner.encode(a),
  );
};

/** A number satisfying `ok`; `what` completes "expected …" in errors. */
export const boundedNumber = (what: string, ok: (n: number) => boolean): t.Type<number, number, unknown> =>
  new t.Type<number, number, unknown>(
    what,
    (u): u is number => typeof u === 'number' && ok(u),
    (u, c) => (typeof u === 'number' && Number.isFinite(u) && ok(u) ? t.success(u) : t.failure(u, c)),
    (n) => n,
  );

/** @category codecs */
export const positiveInt = boundedNumber('positive integer', (n) => Number.isInteger(n) && n > 0);
/** @category codecs */
export const nonNegativeInt = boundedNumber('non-negative integer', (n) => Number.isInteger(n) && n >= 0);
/** @category codecs */
export const positive = boundedNumber('positive number', (n) => n > 0);
/** @category codecs */
export const nonNegative = boundedNumber('non-negative number', (n) => n >= 0);
/** @category codecs */
export const probability = boundedNumber('number in [0, 1]', (n) => n >= 0 && n <= 1);
/** @category codecs */
export const finite = boundedNumber('finite number', () => true);

/** A `[lo, hi]` pair with lo ≤ hi. @category codecs */
export const interval = new t.Type<readonly [number, number], readonly [number, number], unknown>(
  '[lo, hi] with lo <= hi',
  (u): u is readonly [number, number] =>
    Array.isArray(u) && u.length === 2 && typeof u[0] === 'number' && typeof u[1] === 'number' && u[0] <= u[1],
  (u, c) =>
    Array.isArray(u) && u.length === 2 && u.every((x) => typeof x === 'number' && Number.isFinite(x)) && u[0] <= u[1]
      ? t.success([u[0], u[1]] as const)
      : t.failure(u, c),
  (a) => a,
);
