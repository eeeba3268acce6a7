import fc from 'fast-check';
import { printable, quoted } from '../../../../lambdas/core/model/errors';

test('printable: control characters, DEL and C1 controls are escaped; other text is kept as it is', () => {
  expect(printable('a\rb\nc\td\u001b[31me\u007ff\u0085g\u2028h')).toBe(
    'a\\rb\\nc\\td\\u001b[31me\\u007ff\\u0085g\\u2028h',
  );
  expect(printable('plain é ☃ 😀 "quoted" `code`')).toBe('plain é ☃ 😀 "quoted" `code`');
});

test('printable and quoted never let a control character through, whatever the text', () => {
  // eslint-disable-next-line no-control-regex -- control characters are what it looks for
  const control = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), (text) => {
      expect(printable(text)).not.toMatch(control);
      expect(quoted(text)).not.toMatch(control);
      // Nothing else changes: text without control characters is kept.
      if (!control.test(text)) expect(printable(text)).toBe(text);
    }),
  );
});
