/**
 * The health of a loss's EMA teacher (iBOT, DINOv2), from what it logs every
 * step: the mean entropy of the teacher's per-image distributions over its K
 * prototypes (`ssl.teacherEntropy`), the entropy of the batch-mean
 * distribution (`ssl.teacherMarginalEntropy`) and KL(teacher ‖ student)
 * (`ssl.kl`). A teacher that trains is sharp per image while the images
 * spread over the prototypes; the two collapses are a uniform teacher
 * (entropy near log K) and one prototype for every image (marginal near 0).
 * `equissl pretrain` prints the verdict at the end of such a run; the lab's
 * reproduce report tables it per run.
 *
 * @since 0.1.0
 */

/**
 * How far from log K (a uniform teacher) and from 0 (one prototype for every
 * image) the teacher's entropies must end, in nats, for a run to count as
 * trained without collapse; and how far below log K the student's loss must
 * end. A student that predicts nothing (uniform) has cross-entropy H(P_t) +
 * KL(P_t ‖ U) = log K whatever the teacher, so its loss ending more than the
 * margin below log K says that it predicts the teacher.
 */
export const entropyMargin = 0.5;

/** A logged quantity over the first and the last tenth of a run's steps. */
export interface FirstLast {
  readonly first: number;
  readonly last: number;
}

const meanOf = (xs: ReadonlyArray<number>) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const firstLast = (xs: ReadonlyArray<number>): FirstLast => {
  const tenth = Math.max(1, Math.floor(xs.length / 10));
  return { first: meanOf(xs.slice(0, tenth)), last: meanOf(xs.slice(-tenth)) };
};

/** The verdict from a run's logged teacher entropies, KLs and (when logged) marginal entropies, in step order. */
export const teacherVerdict = (
  entropies: ReadonlyArray<number>,
  kls: ReadonlyArray<number>,
  logK: number,
  marginals?: ReadonlyArray<number>,
): TeacherHealth => {
  const entropy = firstLast(entropies);
  const kl = firstLast(kls);
  const marginal = marginals === undefined || marginals.length === 0 ? undefined : firstLast(marginals);
  const studentLoss = entropy.last + kl.last;
  const verdict =
    entropy.last > logK - entropyMargin
      ? 'uniform teacher'
      : marginal !== undefined && marginal.last < entropyMargin
        ? 'one prototype'
        : marginal === undefined && entropy.last < entropyMargin
          ? 'one-hot teacher'
          : studentLoss > logK - entropyMargin
            ? 'student not learning'
            : 'trains';
  return { logK, entropy, ...(marginal === undefined ? {} : { marginal }), kl, studentLoss, verdict };
};

/** The teacher of one run over its last tenth of steps against its first tenth, and the verdict. */
export interface TeacherHealth {
  /** log K of the head's K prototypes: the entropy of a uniform teacher. */
  readonly logK: number;
  /** The mean entropy of the teacher's per-image distributions (log K: uniform; near 0: sharp). */
  readonly entropy: FirstLast;
  /** The entropy of the batch-mean teacher distribution (near 0: one prototype for every image); absent for runs that did not log it. */
  readonly marginal?: FirstLast;
  /** KL(P_t ‖ P_s), the part of the cls term the student lowers. */
  readonly kl: FirstLast;
  /** The student's cls loss over the last tenth, H(P_t) + KL(P_t ‖ P_s) (log K for a student that predicts nothing). */
  readonly studentLoss: number;
  /**
   * `uniform teacher` and `one prototype` are the two collapses; `one-hot
   * teacher` is a sharp teacher from a run that did not log the marginal
   * entropy, so sharp and collapsed cannot be told apart.
   */
  readonly verdict: 'trains' | 'uniform teacher' | 'one prototype' | 'one-hot teacher' | 'student not learning';
}

/** A run's verdict from its metrics lines (`metrics.jsonl`, in step order); undefined when the loss logs no teacher. */
export const teacherHealthOf = (metrics: ReadonlyArray<Record<string, number>>, prototypes: number): TeacherHealth | undefined => {
  const logged = metrics.filter((m) => typeof m['ssl.teacherEntropy'] === 'number');
  if (logged.length === 0) return undefined;
  const marginals = logged.flatMap((m) => (typeof m['ssl.teacherMarginalEntropy'] === 'number' ? [m['ssl.teacherMarginalEntropy']] : []));
  return teacherVerdict(logged.map((m) => m['ssl.teacherEntropy']!), logged.map((m) => m['ssl.kl'] ?? Number.NaN), Math.log(prototypes), marginals);
};

/** One line for a run's summary: `teacher: trains (entropy 5.52 → 3.10 nats of log K 5.55; marginal 5.50 → 4.90; KL 0.012 → 0.004)`. */
export const teacherHealthLine = (h: TeacherHealth): string =>
  `teacher: ${h.verdict} (entropy ${h.entropy.first.toFixed(2)} → ${h.entropy.last.toFixed(2)} nats of log K ${h.logK.toFixed(2)}` +
  `${h.marginal === undefined ? '' : `; marginal ${h.marginal.first.toFixed(2)} → ${h.marginal.last.toFixed(2)}`}; KL ${h.kl.first.toFixed(3)} → ${h.kl.last.toFixed(3)}; healthy: entropy ${entropyMargin} nats below log K, marginal above ${entropyMargin})`;
