"""The main job: execute every notebook headless into HTML and write the example reports.

Run through `make demo`. Prints where each output is and how long each notebook took.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parent.parent


def run_notebook(path: Path, out_dir: Path, timeout: int = 120) -> tuple[Path, float]:
    """Execute one notebook on a fresh kernel and write it as HTML.

    ``timeout`` (seconds) bounds each cell and also nbclient's first wait for the kernel's reply.
    About one kernel start in ten here loses that first reply; nbclient then waits out the whole
    timeout before going on, so it is kept well above the slowest cell (about 30 s), not at 600.
    """
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    seconds = time.perf_counter() - start
    html, _ = HTMLExporter().from_notebook_node(nb)
    out = out_dir / (path.stem + ".html")
    out.write_text(html, encoding="utf-8")
    return out, seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="build", help="output folder (default: build)")
    parser.add_argument("notebooks", nargs="*", help="notebooks to run (default: all in notebooks/)")
    args = parser.parse_args(argv)
    out_dir = (ROOT / args.out).resolve()
    (out_dir / "notebooks").mkdir(parents=True, exist_ok=True)
    (out_dir / "reports").mkdir(parents=True, exist_ok=True)
    notebooks = [Path(p).resolve() for p in args.notebooks] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    failed = []
    print(f"Executing {len(notebooks)} notebook(s) into {out_dir / 'notebooks'}")
    for nb in notebooks:
        try:
            out, seconds = run_notebook(nb, out_dir / "notebooks")
            print(f"  {seconds:6.1f} s  {nb.name:45s} -> {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
        except Exception as exc:  # report every failure, then exit non-zero
            failed.append(nb.name)
            print(f"  FAILED   {nb.name}: {type(exc).__name__}: {str(exc).splitlines()[-1] if str(exc) else ''}")
    reports = []
    for cmd, out in example_reports(out_dir / "reports"):
        start = time.perf_counter()
        res = subprocess.run([sys.executable, "-m", "decide", *cmd, "-o", str(out), "--force"], capture_output=True, text=True)
        if res.returncode != 0:
            failed.append(" ".join(cmd))
            print(f"  FAILED   decide {' '.join(cmd)}\n{res.stderr}")
        else:
            reports.append((out, time.perf_counter() - start))
    if reports:
        print(f"Example reports in {out_dir / 'reports'}")
        for out, seconds in reports:
            print(f"  {seconds:6.1f} s  {out.name}")
    if failed:
        print(f"{len(failed)} failed: {', '.join(failed)}")
        return 1
    print("Done.")
    return 0


#: The example reports: (arguments to `decide`, output file name). One line per report.
EXAMPLE_REPORTS: list[tuple[list[str], str]] = [
    (["audit", "data/synthetic/referrals.csv", "--score", "risk_score", "--outcome", "re_referred", "--group", "deprivation",
      "--group", "area", "--threshold", "0.3", "--reference", "less deprived,North", "--intervention", "punitive",
      "--label-bias", "1:1.5"], "audit.html"),
    (["review", "data/records/return_home_2026-10-05_37e227b3433f.json", "--outcome", "re-abuse or neglect"], "review.html"),
    (["report", "data/cases/return_home.yaml"], "return_home.html"),
    (["report", "data/cases/permanence.yaml"], "permanence.html"),
]


def example_reports(out_dir: Path):
    return [(args, out_dir / name) for args, name in EXAMPLE_REPORTS]


if __name__ == "__main__":
    sys.exit(main())
