/* Sample CSV text for the range tests. */

/** A CSV with quoted fields holding delimiters, quotes and line breaks, CRLF rows, multi-byte text. */
export function awkwardCsv(rows: number, extra: (i: number) => string | undefined = () => undefined): string {
  const lines = ['id,text,n,amount,day'];
  for (let i = 0; i < rows; i++) {
    const special = extra(i);
    if (special !== undefined) {
      lines.push(special);
      continue;
    }
    const text =
      i % 7 === 0
        ? `"line one\nline ""two"", ${i}"`
        : i % 5 === 0
          ? `"naïve café ☕ ${'€'.repeat(i % 13)}"`
          : `plain ${'é'.repeat(i % 4)}${i}`;
    lines.push(
      `${i},${text},${i * 7919},${(i / 8).toFixed(3)},2024-0${(i % 9) + 1}-1${i % 10}${i % 3 === 0 ? '\r' : ''}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
