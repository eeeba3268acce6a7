/*
 * The conditional-write rules every store shares (lambdas/io/conditional-put.ts): the check the folder and
 * memory stores make, and S3's refusals read back as WriteConflictError.
 */
import { checkCondition, s3ConditionFields, s3WriteConflict } from '../../../lambdas/io/conditional-put';
import { WriteConflictError } from '../../../lambdas/io/object-store';

const s3Error = (name: string, status: number) =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

test('If-None-Match * holds only when nothing is there; If-Match only for the current ETag', () => {
  expect(() => checkCondition({ ifNoneMatch: '*' }, undefined, 'k')).not.toThrow();
  expect(() => checkCondition({ ifNoneMatch: '*' }, { etag: '"a"' }, 'k')).toThrow(
    /k: If-None-Match \* did not hold/,
  );
  expect(() => checkCondition({ ifMatch: '"a"' }, { etag: '"a"' }, 'k')).not.toThrow();
  expect(() => checkCondition({ ifMatch: '"a"' }, { etag: '"b"' }, 'k')).toThrow(/the object is now "b"/);
  expect(() => checkCondition({ ifMatch: '"a"' }, undefined, 'k')).toThrow(WriteConflictError);
  expect(() => checkCondition({}, { etag: '"b"' }, 'k')).not.toThrow();
});

test("S3's request fields carry only the conditions given", () => {
  expect(s3ConditionFields({})).toEqual({});
  expect(s3ConditionFields({ ifMatch: '"a"', ifNoneMatch: '*' })).toEqual({
    IfMatch: '"a"',
    IfNoneMatch: '*',
  });
});

test("S3's 412, 409 and (for If-Match) 404 are conflicts of a conditional write; nothing else is", () => {
  expect(s3WriteConflict(s3Error('PreconditionFailed', 412), { ifNoneMatch: '*' }, 'PUT k')).toBeInstanceOf(
    WriteConflictError,
  );
  expect(
    s3WriteConflict(s3Error('ConditionalRequestConflict', 409), { ifMatch: '"a"' }, 'PUT k')?.message,
  ).toMatch(/PUT k: the condition If-Match "a" did not hold \(ConditionalRequestConflict\)/);
  expect(s3WriteConflict(s3Error('NoSuchKey', 404), { ifMatch: '"a"' }, 'PUT k')).toBeInstanceOf(
    WriteConflictError,
  );
  expect(s3WriteConflict(s3Error('NoSuchKey', 404), { ifNoneMatch: '*' }, 'PUT k')).toBeUndefined();
  expect(s3WriteConflict(s3Error('PreconditionFailed', 412), {}, 'PUT k')).toBeUndefined();
  expect(s3WriteConflict(s3Error('SlowDown', 503), { ifMatch: '"a"' }, 'PUT k')).toBeUndefined();
});
