/**
 * A head of the kind a suite needs: every head carries its `kind`
 * (`classifier` or `regressor`), so a suite narrows the head it created by
 * that field instead of casting, and a head of the wrong kind in a setting
 * (e.g. `regressor: {name: knn}`) is an error naming the setting (the
 * head it got is disposed then).
 *
 * @since 0.2.0
 */
import { type EquisslError, configError } from '@equissl/core';
import type { Classifier, Regressor } from '@equissl/heads';
import * as E from 'fp-ts/lib/Either.js';

/** The error of a head of the wrong kind, after disposing it. */
const wrongKind = (head: Classifier | Regressor, field: string, expected: string, examples: string): E.Either<EquisslError, never> => {
  head.dispose();
  return E.left(configError(field, `expected a ${expected} head (e.g. ${examples}), got a ${head.kind}`));
};

/** `head` as a regressor, or an error naming `field`, the setting that chose it. */
export const asRegressor = (head: Classifier | Regressor, field: string): E.Either<EquisslError, Regressor> =>
  head.kind === 'regressor' ? E.right(head) : wrongKind(head, field, 'regressor', 'mlp, ridge');

/** `head` as a classifier, or an error naming `field`, the setting that chose it. */
export const asClassifier = (head: Classifier | Regressor, field: string): E.Either<EquisslError, Classifier> =>
  head.kind === 'classifier' ? E.right(head) : wrongKind(head, field, 'classifier', 'linear, knn');
