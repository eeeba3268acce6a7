"""
The Python peers of `npm run bench` (test/bench/convert-bench.ts), one conversion per process:

    python peer-convert.py <tool> <threads> <input.csv> <output>

tool: pyarrow-parquet (pyarrow.csv.read_csv + pyarrow.parquet.write_table), polars-parquet
(scan_csv(try_parse_dates=True).sink_parquet(), streaming), polars-parquet-text (the same with polars'
default, which leaves ISO dates and timestamps as text: a cheaper, different conversion, shown for
reference), polars-avro (read_csv().write_avro(): polars 1.44 cannot write a timestamp with a zone to Avro, so
dates stay text there); snappy throughout, as csv2lake and
DuckDB write. csv2lake, DuckDB and pyarrow type dates and timestamps by default; polars only when asked. Prints one JSON line: the conversion's own seconds, CPU seconds, peak RSS of
the process, output bytes and rows, as the bench's node children report them. `python … --check` only
imports pyarrow and polars (exit 0 when both load).
"""
import json
import os
import resource
import sys
import time


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main():
    if sys.argv[1] == "--check":
        import polars  # noqa: F401
        import pyarrow  # noqa: F401

        print(f"pyarrow {pyarrow.__version__}, polars {polars.__version__}")
        return
    tool, threads, source, output = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    # Thread pools are sized when the libraries load: set them first.
    os.environ["POLARS_MAX_THREADS"] = str(threads)
    os.environ["OMP_NUM_THREADS"] = str(threads)
    if tool == "pyarrow-parquet":
        import pyarrow
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq

        pyarrow.set_cpu_count(threads)
        pyarrow.set_io_thread_count(threads)
        started, cpu = time.perf_counter(), cpu_seconds()
        # The bench's CSV has line breaks inside quoted fields: without newlines_in_values pyarrow's
        # chunker cuts blocks there and the parse fails ("parser got out of sync with chunker").
        table = pacsv.read_csv(
            source,
            read_options=pacsv.ReadOptions(use_threads=threads > 1),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
        )
        pq.write_table(table, output, compression="snappy")
        rows = table.num_rows
    elif tool in ("polars-parquet", "polars-parquet-text"):
        import polars as pl

        started, cpu = time.perf_counter(), cpu_seconds()
        dates = tool == "polars-parquet"
        pl.scan_csv(source, try_parse_dates=dates).sink_parquet(output, compression="snappy")
        import pyarrow.parquet as pq

        seconds, cpu_used = time.perf_counter() - started, cpu_seconds() - cpu
        rows = pq.ParquetFile(output).metadata.num_rows
        report(seconds, cpu_used, output, rows)
        return
    elif tool == "polars-avro":
        import polars as pl

        started, cpu = time.perf_counter(), cpu_seconds()
        frame = pl.read_csv(source)
        frame.write_avro(output, compression="snappy")
        rows = frame.height
    else:
        raise SystemExit(f"unknown tool {tool}")
    report(time.perf_counter() - started, cpu_seconds() - cpu, output, rows)


def report(seconds, cpu_used, output, rows):
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpuSeconds": cpu_used,
                # ru_maxrss is in KiB on Linux.
                "rssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                "outBytes": os.path.getsize(output),
                "rows": rows,
            }
        )
    )


if __name__ == "__main__":
    main()
