"""Export speed and memory: ``itp6crawl export`` of replica archives in each format.

Uses the archives of ``benchmarks/search_bench.py`` (built through our own pipeline and cached under
``.bench/search/``; built here when missing). Each export runs in a fresh process that reports its own
peak RSS, so the figures are those of one ``itp6crawl export`` run.

    python benchmarks/export_bench.py                 # 20,000 and 100,000 articles (or: make bench-export)
    python benchmarks/export_bench.py --sizes 2000    # quick
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from search_bench import build_archive

CHILD = """
import json, resource, sys, time
from itp6crawl.export import export
start = time.perf_counter()
result = export(sys.argv[1], sys.argv[2], format=sys.argv[3])
seconds = time.perf_counter() - start
print(json.dumps({
    "seconds": round(seconds, 1),
    "rows": {file.view: file.rows for file in result.files},
    "duplicates": result.duplicates,
    "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
}))
"""


def export_once(db: Path, format: str) -> dict:
    out = Path(tempfile.mkdtemp(prefix=f"itp6-export-{format}-"))
    try:
        result = subprocess.run(
            [sys.executable, "-c", CHILD, str(db), str(out), format], capture_output=True, text=True, check=True
        )
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        figures["mib_written"] = round(sum(p.stat().st_size for p in out.iterdir()) / 2**20, 1)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    rows = sum(figures["rows"].values())
    figures["rows_per_s"] = round(rows / figures["seconds"]) if figures["seconds"] else None
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="20000,100000")
    parser.add_argument("--formats", default="jsonl,parquet,csv")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    print("command: " + shlex.join(["python", "benchmarks/export_bench.py", *(sys.argv[1:] if argv is None else argv)]))
    figures: dict = {}
    for n in [int(size) for size in args.sizes.split(",") if size.strip()]:
        db, meta = build_archive(n, 0, args.workers, False)
        print(f"\n== {n} replica articles ({meta['db_mib']} MiB archive) ==")
        print("format   seconds  rows/s (all files)  articles  near-dups  peak RSS  written")
        figures[n] = {}
        for format in args.formats.split(","):
            result = export_once(db, format)
            figures[n][format] = result
            print(
                f"{format:<8} {result['seconds']:7.1f}  {result['rows_per_s']:>18,}  "
                f"{result['rows']['dataset_articles']:>8,}  {result['duplicates']:>9,}  "
                f"{result['peak_rss_mib']:>6.1f} MiB  {result['mib_written']:>6.1f} MiB"
            )
    print("\n" + json.dumps(figures, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
