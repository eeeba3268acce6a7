import fc from 'fast-check';
import { PreambleBlanker } from '../../../../lambdas/core/csv/dialect';

describe('PreambleBlanker', () => {
  test('blanks the first lines at any chunking and keeps every terminator and offset', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', '"', ',', '\n', '\r', '\r\n', 'é'), { maxLength: 40 }),
        fc.nat(6),
        fc.integer({ min: 1, max: 9 }),
        (parts, lines, chunk) => {
          const text = Buffer.from(parts.join(''));
          const blanker = new PreambleBlanker(lines, 0x20);
          const out: Uint8Array[] = [];
          for (let at = 0; at < text.length; at += chunk)
            out.push(blanker.apply(text.subarray(at, at + chunk)));
          const blanked = Buffer.concat(out);
          expect(blanked.length).toBe(text.length);
          // Reference: split into physical lines as the tokenizer ends them.
          const expected = Buffer.from(text);
          let left = lines;
          for (let i = 0; i < expected.length && left > 0; i++) {
            const c = expected[i]!;
            if (c === 0x0d) left--;
            else if (c === 0x0a) {
              if (i === 0 || expected[i - 1] !== 0x0d) left--;
            } else expected[i] = 0x20;
          }
          expect(blanked).toEqual(expected);
          expect(text).toEqual(Buffer.from(parts.join(''))); // the input chunks are not written
        },
      ),
    );
  });
});
