"""The main job: execute every notebook headless into HTML and write the example reports.

Run through `make demo`. Prints where each output is and how long each notebook took, and keeps
those times in notebooks/run_times.json so a test can hold each notebook's stated run time to
them. The HTML pages need no network: nothing is loaded from a CDN, every figure is inside the page.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

from queue import Empty

import jinja2
import nbformat
from nbclient import NotebookClient
from nbclient.util import ensure_async
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parent.parent
RUN_TIMES = ROOT / "notebooks" / "run_times.json"

#: nbconvert's JupyterLab page without what it would fetch from CDNs: require.js, MathJax (no notebook
#: has mathematics to typeset), mermaid and the widget manager. A slider cell's figure at its starting
#: values is an ordinary image in the cell's output (decide.plots.interactive.with_sliders), so the
#: widgets themselves are left out of the saved page: offline they could only show an empty box.
#: Printed lines wrap between words, not mid-word as JupyterLab's style sheet has them.
OFFLINE_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block data_widget_view -%}{%- endblock data_widget_view -%}
{%- block html_head_css -%}
<style>
/* JupyterLab breaks printed lines anywhere, even mid-word ("do not / hing"); break them between words. */
.jp-OutputArea-output pre { word-break: normal; overflow-wrap: anywhere; }
</style>
{%- endblock html_head_css -%}
"""


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


class KernelSilent(RuntimeError):
    """The kernel never answered the first question asked of it, however often it was asked."""


class AskingAgainClient(NotebookClient):
    """nbclient's client, except that the first request to a new kernel (kernel_info) is sent again when its
    reply has not come within ``ask_every`` seconds, up to ``asks`` times in all.

    Why: nbclient sends that request once and then waits for its reply as long as a cell may run (``timeout``);
    in 2 of 14 notebook runs the reply never came and the demo stalled for the whole 120 s. A request can sit
    unread in the kernel's shell socket: ipykernel 7 reads that socket through an edge-triggered event that a
    reply sent at the same moment can swallow (ipykernel pull request 1529, issue 1554), and nbclient's start-up
    sends a burst of the same request just before, whose replies go out while the last one arrives. A stranded
    request is read when the next message arrives, so asking again ends the wait.
    """

    ask_every: float = 10.0
    asks: int = 6

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.asked_again = 0  # how many times the first request had to be sent again (a test reads it)

    async def async_wait_for_reply(self, msg_id, cell=None):
        if cell is not None:  # a cell's reply: nbclient's own wait, bounded by the cell timeout
            return await super().async_wait_for_reply(msg_id, cell)
        asked = {msg_id}  # a reply to any of the requests will do: they all ask the same
        for _ in range(self.asks):
            deadline = time.monotonic() + self.ask_every
            while (left := deadline - time.monotonic()) > 0:
                try:
                    msg = await ensure_async(self.kc.shell_channel.get_msg(timeout=left))
                except Empty:
                    break
                if msg["parent_header"].get("msg_id") in asked:
                    return msg
            await self._async_check_alive()  # a kernel that died is reported as such, not asked again
            self.asked_again += 1
            asked.add(self.kc.kernel_info())
        raise KernelSilent(f"the notebook's kernel started but did not answer in {self.asks * self.ask_every:g} s "
                           f"({self.asks} requests); run the demo again, and if it persists, check that nothing "
                           "else on this machine blocks local network ports")


def execute(path: Path, timeout: int = 120, run_in: Path | None = None,
            client: type[NotebookClient] = AskingAgainClient) -> tuple[nbformat.NotebookNode, float]:
    """Execute one notebook on a fresh kernel; return it with the seconds it took, kernel start included.

    The kernel starts in ``run_in`` (default: the notebook's own folder, which its relative paths assume).
    ``timeout`` (seconds) bounds each cell; the kernel's first reply is waited for by AskingAgainClient,
    which asks again rather than waiting out the timeout.
    """
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    client(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(run_in or path.parent)}}).execute()
    return nb, time.perf_counter() - start


def offline_html(nb: nbformat.NotebookNode, name: str = "notebook") -> str:
    """The executed notebook as one HTML page that loads nothing from a network."""
    nb = nbformat.from_dict(nb)  # a copy: the widgets are dropped from the page, not from the caller's notebook
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        # without its state a widget would show as its Python repr ("VBox(children=(FloatSlider(...") in the page
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", []) if WIDGET_VIEW not in o.get("data", {})]
    exporter = HTMLExporter(template_name="lab", template_file="decide_offline.html.j2", embed_images=True,
                            extra_loaders=[jinja2.DictLoader({"decide_offline.html.j2": OFFLINE_TEMPLATE})])
    html, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": name}})
    return html


def run_notebook(path: Path, out_dir: Path, timeout: int = 120, keep_ipynb: bool = False,
                 run_in: Path | None = None) -> tuple[Path, float]:
    """Execute one notebook and write it as offline HTML (and, if asked, the executed .ipynb) into ``out_dir``."""
    nb, seconds = execute(path, timeout, run_in)
    out = out_dir / (path.stem + ".html")
    out.write_text(offline_html(nb, path.stem), encoding="utf-8")
    if keep_ipynb:
        nbformat.write(nb, out_dir / path.name)
    return out, seconds


def compiled_files() -> int:
    """How many files the compile caches hold: PyTensor's compile directory (PYTENSOR_FLAGS' base_compiledir,
    else ~/.pytensor) and numba's cache beside the installed packages. A notebook run that adds to them compiled
    models a warm run loads from the cache, so its time is a first run's, not a reader's usual one."""
    base = Path.home() / ".pytensor"
    for flag in os.environ.get("PYTENSOR_FLAGS", "").split(","):
        key, _, value = flag.partition("=")
        if key.strip() == "base_compiledir" and value.strip():
            base = Path(value.strip())
    n = sum(len(files) for _, _, files in os.walk(base))
    for root, _, files in os.walk(sysconfig.get_paths()["purelib"]):
        if root.endswith("__pycache__"):
            n += sum(f.endswith(".nbi") for f in files)
    return n


def record_times(times: dict[str, float], path: Path = RUN_TIMES, loads: dict[str, float] | None = None,
                 compiled: dict[str, int] | None = None) -> None:
    """Keep the measured times in ``path``, one entry per notebook with its date, the machine's cores and how
    busy the machine was (the load average just after the run: near 1 on a quiet machine, as the run itself
    counts; well above the core count means the time is inflated by other work), and, when the run compiled
    models that a later run loads from the cache, how many files it compiled (a first run on a new computer).

    Notebooks not run this time keep their earlier entry, so running a few does not lose the rest.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        data = {}
    entries = data.get("notebooks", {}) if isinstance(data, dict) else {}
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    for name, seconds in times.items():
        entries[name] = {"seconds": round(seconds, 1), "measured": now, "cores": os.cpu_count()}
        if loads and name in loads:
            entries[name]["load_average"] = round(loads[name], 1)
        if compiled and compiled.get(name):
            entries[name]["compiled_files"] = compiled[name]
    data = {**(data if isinstance(data, dict) else {}), "about": ABOUT_TIMES, "notebooks": dict(sorted(entries.items()))}
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


ABOUT_TIMES = ("Seconds each notebook took to execute top to bottom on a fresh kernel (kernel start included), "
               "as measured by `make demo` (scripts/demo.py) on a machine with the stated number of cores; under "
               "'demo', the whole of the last complete `make demo` (every notebook and example report). 'compiled_files', "
               "where present, counts the models a run compiled into the caches: a first run on a new computer, slower "
               "than a reader's usual run, so the tests and `make bench` do not judge it. "
               "tests/test_notebooks.py holds each notebook's stated run time to these; `make bench` shows them "
               "against issue 14's aims.")


def record_demo(seconds: float, path: Path = RUN_TIMES, compiled: int = 0) -> None:
    """Keep how long the last complete demo took (every notebook and report), with its machine and load, and
    how many files it compiled into the caches (a first run's time when not zero)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        data = {}
    data = data if isinstance(data, dict) else {}
    data["demo"] = {"seconds": round(seconds, 1), "measured": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "cores": os.cpu_count(), "load_average": round(os.getloadavg()[0], 1)}
    if compiled:
        data["demo"]["compiled_files"] = compiled
    data["about"] = ABOUT_TIMES
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="build", help="output folder (default: build)")
    parser.add_argument("--times", default=str(RUN_TIMES),
                        help="where to keep the measured times (default: notebooks/run_times.json)")
    parser.add_argument("--no-times", action="store_true", help="do not record the times")
    parser.add_argument("--no-reports", action="store_true", help="notebooks only: skip the example reports")
    parser.add_argument("--keep-ipynb", action="store_true", help="also write each executed notebook (.ipynb)")
    parser.add_argument("--run-in", type=Path, default=None,
                        help="folder the notebooks run in (default: each notebook's own); for a copy of a notebook kept elsewhere")
    parser.add_argument("notebooks", nargs="*", help="notebooks to run (default: all in notebooks/)")
    args = parser.parse_args(argv)
    out_dir = (ROOT / args.out).resolve()
    (out_dir / "notebooks").mkdir(parents=True, exist_ok=True)
    (out_dir / "reports").mkdir(parents=True, exist_ok=True)
    notebooks = [Path(p).resolve() for p in args.notebooks] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    failed = []
    times, loads, compiled = {}, {}, {}
    started = time.perf_counter()
    cached = compiled_files()
    print(f"Executing {len(notebooks)} notebook(s) into {out_dir / 'notebooks'}")
    for nb in notebooks:
        try:
            out, seconds = run_notebook(nb, out_dir / "notebooks", keep_ipynb=args.keep_ipynb, run_in=args.run_in)
            times[nb.stem] = seconds
            loads[nb.stem] = os.getloadavg()[0]
            now = compiled_files()
            compiled[nb.stem], cached = now - cached, now
            print(f"  {seconds:6.1f} s  {nb.name:45s} -> {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
        except Exception as exc:  # report every failure, then exit non-zero
            failed.append(nb.name)
            print(f"  FAILED   {nb.name}: {type(exc).__name__}: {str(exc).splitlines()[-1] if str(exc) else ''}")
    if times and not args.no_times:
        record_times(times, Path(args.times), loads, compiled)
        print(f"Times recorded in {args.times} ({os.cpu_count()} cores)")
        if any(compiled.values()):
            print(f"  note: {', '.join(sorted(k for k, v in compiled.items() if v))} compiled models this time (a first "
                  "run); a later run loads them from the cache and is quicker. The test of stated run times skips "
                  "first-run times: run `make demo` again for a reader's usual times.")
        busiest = max(loads.values())
        if busiest > 2 * (os.cpu_count() or 1):
            print(f"  note: the machine was busy (load average up to {busiest:.1f} on {os.cpu_count()} cores), so these "
                  "times are longer than a reader's; the test of stated run times skips them. Run again when it is quiet.")
    reports = []
    for cmd, out in ([] if args.no_reports else example_reports(out_dir / "reports")):
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
    total = time.perf_counter() - started
    if not (args.no_times or args.no_reports or args.notebooks):
        record_demo(total, Path(args.times), sum(compiled.values()))
        print(f"The whole demo took {total:.0f} s (recorded in {args.times})")
    print("Done.")
    return 0


def example_record(case: str = "return_home", folder: Path = ROOT / "data" / "records") -> str:
    """The newest example record of ``case`` (the last in its folder's chain), relative to the project.

    A record's file name holds its hash, which changes whenever the library's numbers do
    (scripts/make_example_record.py then chains a new record), so it is looked up, not written here.
    """
    def sequence(path: Path) -> int:
        try:
            return int(json.loads(path.read_text(encoding="utf-8"))["record"]["chain"]["sequence"])
        except (OSError, ValueError, KeyError, TypeError):
            return 0

    found = sorted(folder.glob(f"{case}_*.json"), key=lambda p: (sequence(p), p.name))
    path = found[-1] if found else folder / f"{case}_DATE_HASH.json"  # decide review then says no such record
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


#: The example reports: (arguments to `decide`, output file name). One line per report.
EXAMPLE_REPORTS: list[tuple[list[str], str]] = [
    (["audit", "data/synthetic/referrals.csv", "--score", "risk_score", "--outcome", "re_referred", "--group", "deprivation",
      "--group", "area", "--threshold", "0.3", "--reference", "less deprived,North", "--intervention", "punitive",
      "--label-bias", "1:1.5"], "audit.html"),
    (["review", example_record(), "--outcome", "re-abuse or neglect"], "review.html"),
    (["report", "data/cases/return_home.yaml"], "return_home.html"),
    (["report", "data/cases/permanence.yaml"], "permanence.html"),
]


def example_reports(out_dir: Path):
    return [(args, out_dir / name) for args, name in EXAMPLE_REPORTS]


if __name__ == "__main__":
    sys.exit(main())
