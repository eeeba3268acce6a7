/*
 * The error lists the workflow's Retry is built from, tied to the classes: a new error class must be put in
 * exactly one list, or the state machine would treat it as "anything else" (not retried) by accident.
 */
import * as errors from '../../../lambdas/shared/errors';

const { Csv2LakeError, DataError, DATA_ERRORS, RETRYABLE_ERRORS } = errors;

/** Every error class the module exports that a Lambda may throw (the two bases excluded). */
const classes = Object.values(errors).filter(
  (value): value is typeof Csv2LakeError =>
    typeof value === 'function' &&
    value.prototype instanceof Csv2LakeError &&
    value !== (DataError as unknown as typeof Csv2LakeError),
);

test('each error class is either a data error (never retried) or a retryable one, never both, never neither', () => {
  expect(classes.length).toBeGreaterThan(10);
  for (const cls of classes) {
    const name = new cls('x').name;
    const lists = [
      (DATA_ERRORS as readonly string[]).includes(name) ? 'data' : undefined,
      (RETRYABLE_ERRORS as readonly string[]).includes(name) ? 'retryable' : undefined,
    ].filter(Boolean);
    expect({ name, lists: lists.length }).toEqual({ name, lists: 1 });
  }
});

test('every DataError subclass is a data error; every listed name is a class', () => {
  for (const cls of classes)
    if (cls.prototype instanceof DataError) expect(DATA_ERRORS).toContain(new cls('x').name);
  const names = new Set(classes.map((cls) => new cls('x').name));
  for (const name of DATA_ERRORS) expect(names).toContain(name);
  for (const name of RETRYABLE_ERRORS.filter((n) => !n.startsWith('Lambda.'))) expect(names).toContain(name);
});
