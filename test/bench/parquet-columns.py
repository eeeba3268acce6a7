"""
Parquet files compared column chunk by column chunk (issue 15: why is one file larger than another?):

    python test/bench/parquet-columns.py a.parquet b.parquet [...]

Per column, over every row group: compressed / uncompressed MB, physical type, encodings, dictionary pages
out of row groups; then the row groups and total compressed size of each file. Reads the footers only,
with pyarrow (from the bench's venv, see test/bench/peers.ts).
"""
import collections
import sys

import pyarrow.parquet as pq

ABBREVIATIONS = {"PLAIN_DICTIONARY": "PD", "RLE_DICTIONARY": "RD", "PLAIN": "P", "RLE": "R"}


def columns(path):
    meta = pq.ParquetFile(path).metadata
    found = collections.OrderedDict()
    for g in range(meta.num_row_groups):
        group = meta.row_group(g)
        for c in range(group.num_columns):
            chunk = group.column(c)
            a = found.setdefault(
                chunk.path_in_schema,
                {"comp": 0, "unc": 0, "enc": set(), "type": chunk.physical_type, "dict": 0},
            )
            a["comp"] += chunk.total_compressed_size
            a["unc"] += chunk.total_uncompressed_size
            a["enc"] |= {ABBREVIATIONS.get(e, e) for e in chunk.encodings}
            a["dict"] += 1 if chunk.has_dictionary_page else 0
    return meta, found


def main():
    files = sys.argv[1:]
    read = [columns(f) for f in files]
    for f, (meta, _) in zip(files, read):
        print(f"{f}: {meta.num_row_groups} row groups, {meta.num_rows} rows, {meta.created_by}")
    print(f"{'column':14}" + "".join(f"{'file ' + str(k + 1):>36}" for k in range(len(files))))
    for name in read[0][1]:
        line = f"{name:14}"
        for meta, found in read:
            a = found.get(name)
            line += (
                f"{a['comp'] / 1e6:8.2f}/{a['unc'] / 1e6:6.1f} {a['type'][:6]:6} "
                f"{','.join(sorted(a['enc'])):8} {a['dict']:2}/{meta.num_row_groups:<2}"
                if a
                else " " * 36
            )
        print(line)
    print(f"{'total MB':14}" + "".join(f"{sum(a['comp'] for a in found.values()) / 1e6:8.2f}{'':28}" for _, found in read))
    print("(compressed/uncompressed MB, type, encodings: P PLAIN, PD PLAIN_DICTIONARY, RD RLE_DICTIONARY, R RLE; dictionary pages/row groups)")


if __name__ == "__main__":
    main()
