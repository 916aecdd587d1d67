"""What the executed notebooks and example reports say, checked the way a reader meets them (issue 11).

- Every slider cell shows its figure as a plain image, so a saved page is never empty where the sliders are.
- The HTML that `make demo` writes loads nothing from a network.
- Executing a notebook twice gives the same text: same seed, same numbers, same sentences.
- Nobody reads an identifier (``reabuse_after_return``) where the case gives a description, or a raw column
  name (``expected_value``) as a table heading.
- Each notebook's stated run time ("About N seconds") agrees with the time `make demo` last measured.

The notebooks are executed exactly as `make demo` executes them (scripts/demo.py, in a subprocess), two at
a time for the machine's two cores, once. The third check compares that run with nbval's run of the same
notebook in the same session (tests/conftest.py keeps it), or with a second demo run when nbval did not run it.
Only the notebooks and reports that the selected tests need are run. A first run is kept in build/test-runs/
and used again by a later session while nothing it depends on has changed (its notebook or command, the
library, the data, the demo script, the interpreter, the installed packages and the settings): that is still
an earlier execution of the same thing, so the third check still compares two runs.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "scripts" / "demo.py"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
RUN_TIMES = ROOT / "notebooks" / "run_times.json"
sys.path.insert(0, str(DEMO.parent))
from demo import EXAMPLE_REPORTS  # noqa: E402  (the reports `make demo` writes, from the one list of them)

#: How long one notebook (or report) may take in the subprocess before the test gives up on it.
RUN_LIMIT = 1200

#: A cell that makes sliders: the shared helper, or ipywidgets' interact in any of its spellings.
SLIDER_CELL = re.compile(r"with_sliders\(|(?<![.\w])interact(?:ive)?\(|@(?:widgets\.)?interact\b|\bwidgets\.\w*Slider\(")
#: A raw column name: lower-case words joined by underscores.
SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")
#: Values that differ between two runs of the same code without meaning anything: memory addresses and the
#: random ids pandas gives a styled table.
NOISE = [(re.compile(r"0x[0-9a-fA-F]{6,}"), "0x..."), (re.compile(r"\bT_[0-9a-f]{5}(?=_|\b)"), "T_...")]
#: Attributes through which a page would load something.
LOADING = {"script": ["src"], "link": ["href"], "img": ["src", "srcset"], "iframe": ["src"], "source": ["src", "srcset"],
           "video": ["src", "poster"], "audio": ["src"], "embed": ["src"], "object": ["data"], "input": ["src"]}
NETWORK = re.compile(r"^\s*(?:https?:)?//", re.IGNORECASE)
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def slider_cells(nb) -> list[int]:
    """Indices of the cells that make sliders, in a notebook or the notebook at a path."""
    if isinstance(nb, Path):
        nb = nbformat.read(nb, as_version=4)
    return [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and SLIDER_CELL.search(c.source)]


def described_identifiers() -> dict[str, str]:
    """Identifier-like names in the example cases that have a description a reader should see instead.

    Only names with an underscore count: a name that is an ordinary word ('relapse') is fine in a sentence.
    """
    found = {}
    for case in sorted((ROOT / "data" / "cases").glob("*.yaml")):
        data = yaml.safe_load(case.read_text(encoding="utf-8"))
        for key in ("quantities", "factors", "options"):
            for item in data.get(key) or []:
                name = str(item.get("name", ""))
                if item.get("description") and SNAKE.match(name):
                    found[name] = item["description"]
                for outcome in item.get("outcomes") or []:
                    if outcome.get("description") and SNAKE.match(str(outcome.get("name", ""))):
                        found[outcome["name"]] = outcome["description"]
    return found


IDENTIFIERS = described_identifiers()
IDENTIFIER = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(map(re.escape, sorted(IDENTIFIERS, key=len, reverse=True))) + r")(?![A-Za-z0-9_])")


class Page(HTMLParser):
    """What a reader sees of an HTML page: its text (less scripts, styles and code), table headings, and what it loads."""

    HIDDEN = {"script", "style", "code", "head", "title"}

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.headers: list[str] = []
        self.network: list[str] = []
        self._hidden = 0
        self._th: list[str] | None = None
        self._tags: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in LOADING.get(tag, []):
            value = attrs.get(name) or ""
            for url in value.split(","):
                if NETWORK.match(url):
                    self.network.append(f"<{tag} {name}={url.strip()}>")
        if re.search(r"url\(\s*['\"]?\s*(?:https?:)?//", attrs.get("style") or "", re.IGNORECASE):
            self.network.append(f"<{tag} style={attrs['style']}>")
        if tag in ("br", "img", "meta", "link", "input", "hr", "col", "source", "embed"):
            return
        self._tags.append(tag)
        if tag in self.HIDDEN:
            self._hidden += 1
        if tag == "th":
            self._th = []

    def handle_endtag(self, tag):
        if tag not in self._tags:
            return
        while self._tags:
            open_tag = self._tags.pop()
            if open_tag in self.HIDDEN:
                self._hidden -= 1
            if open_tag == "th" and self._th is not None:
                self.headers.append("".join(self._th).strip())
                self._th = None
            if open_tag == tag:
                break

    def handle_data(self, data):
        if self._tags and self._tags[-1] in ("script", "style"):
            # a script or style sheet that fetches from a network by itself
            if re.search(r"(?:import\s*\(|url\()\s*['\"]?\s*(?:https?:)?//|\bsrc\s*=\s*['\"](?:https?:)?//", data):
                self.network.append(f"<{self._tags[-1]}> {data.strip()[:120]}")
        if self._th is not None:
            self._th.append(data)
        if not self._hidden:
            self.text.append(data)


def reader_texts(nb) -> list[tuple[str, str]]:
    """(where, text) for every output a reader sees; code cells' sources are not included."""
    texts = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            where = f"cell {i} ({cell.source.strip().splitlines()[0][:60] if cell.source.strip() else 'empty'})"
            if output.output_type == "stream" and output.name == "stdout":
                texts.append((where + " printed", output.text))
            elif output.output_type in ("display_data", "execute_result"):
                data = output.get("data", {})
                if "text/html" in data:
                    texts.append((where + " html", data["text/html"]))
                elif "text/markdown" in data:
                    texts.append((where + " markdown", data["text/markdown"]))
                elif "text/plain" in data:
                    texts.append((where + " text", data["text/plain"]))
    return texts


def text_outputs(nb) -> list[list[str]]:
    """Per code cell, the text it showed (printed text, plain and HTML results), with run-to-run noise removed."""
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        shown = []
        printed = False  # the kernel splits printed text into pieces that differ from run to run: join them as one
        for output in cell.get("outputs", []):
            if output.output_type == "stream" and output.name == "stdout":
                if printed:
                    shown[-1] += output.text
                else:
                    shown.append(output.text)
                printed = True
                continue
            if output.output_type == "stream":
                continue
            printed = False
            if WIDGET_VIEW in output.get("data", {}):
                # a live widget: left out of the saved page, and nbval (which ignores some of the kernel's display
                # messages) records the slider box twice where the demo's run has it once
                continue
            if output.output_type in ("display_data", "execute_result"):
                shown.extend(output.get("data", {}).get(kind, "") for kind in ("text/plain", "text/html"))
            elif output.output_type == "error":
                shown.append(f"{output.ename}: {output.evalue}")
        text = "\n".join(shown)
        for pattern, replacement in NOISE:
            text = pattern.sub(replacement, text)
        cells.append(text)
    return cells


def identifier_problems(where: str, text: str, html: bool) -> list[str]:
    problems = []
    if html:
        page = Page(text)
        visible = "".join(page.text)
        problems += [f"{where}: table heading {h!r} is a raw column name" for h in page.headers if SNAKE.match(h)]
        problems += [f"{where}: table heading {h!r} is an identifier; say {IDENTIFIERS[h]!r}"
                     for h in page.headers if h in IDENTIFIERS and not SNAKE.match(h)]
    else:
        visible = text
    for m in sorted(set(IDENTIFIER.findall(visible))):
        problems.append(f"{where}: shows {m!r} where the case says {IDENTIFIERS[m]!r}")
    return problems


#: Where first runs are kept between sessions (see Runs._kept).
KEPT_RUNS = ROOT / "build" / "test-runs"
#: Settings in the environment that can change what a notebook or report shows.
SETTINGS = ("PYTENSOR_FLAGS", "MPLBACKEND", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
            "PYTHONHASHSEED", "NUMBA_DISABLE_JIT")


@functools.cache
def _shared_digest(settings: tuple) -> str:
    """A digest of the library, the data, the demo script, the interpreter, every installed package and the
    settings: what every run depends on besides its own notebook or command."""
    from importlib import metadata

    h = hashlib.sha256()
    for top in ("decide", "data"):
        for path in sorted((ROOT / top).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                h.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    h.update(DEMO.read_bytes())
    h.update(sys.version.encode())
    h.update(repr(sorted((d.metadata["Name"] or "", d.version) for d in metadata.distributions())).encode())
    h.update(repr(settings).encode())
    return h.hexdigest()


def inputs_digest(key, env) -> str:
    kind, name, _ = key
    h = hashlib.sha256(_shared_digest(tuple((k, env.get(k)) for k in SETTINGS)).encode())
    if kind == "notebook":
        h.update((ROOT / "notebooks" / f"{name}.ipynb").read_bytes())
    else:
        h.update(repr(dict((n, a) for a, n in EXAMPLE_REPORTS)[name]).encode())
    return f"{kind}-{name}-{h.hexdigest()[:20]}"


class Runs:
    """Executes notebooks (through scripts/demo.py) and example reports in subprocesses, two at a time.

    Everything the selected tests need is queued at the start, so the two cores are kept busy while
    the tests wait on one result after another.
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self.pool = ThreadPoolExecutor(max_workers=2)
        self.futures = {}
        self.processes = []
        self.by_nbval: set[str] = set()
        self.env = dict(os.environ)
        self.env.setdefault("PYTENSOR_FLAGS", f"base_compiledir={ROOT / 'build' / 'pytensor'}")
        self.env.setdefault("MPLBACKEND", "Agg")

    def queue(self, key):
        kind, name, _ = key
        copy = self.folder / "sources" / f"{name}.ipynb"
        if kind == "notebook" and not copy.exists():
            # both runs execute this one copy, so an edit to the notebook between them cannot pass for a difference
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_bytes((ROOT / "notebooks" / f"{name}.ipynb").read_bytes())
        if key not in self.futures:
            self.futures[key] = self.pool.submit(self._run, key)
        return self.futures[key]

    def notebook(self, stem: str, run: int = 0):
        """The executed notebook and its HTML page, as `make demo` writes them."""
        return self.queue(("notebook", stem, run)).result()

    def report(self, name: str) -> str:
        return self.queue(("report", name, 0)).result()

    def _call(self, argv, what):
        proc = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)
        self.processes.append(proc)
        try:
            out, _ = proc.communicate(timeout=RUN_LIMIT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
            raise AssertionError(f"{what} took more than {RUN_LIMIT} s\n{out[-3000:]}") from None
        if proc.returncode != 0:
            raise AssertionError(f"{what} failed (exit {proc.returncode}):\n{out[-3000:]}")
        return out

    def _run(self, key):
        kind, name, run = key
        if run == 0:
            kept = self._kept(key)
            if kept is not None:
                return kept
        result = self._execute(key)
        if run == 0:
            self._keep(key, result)
        return result

    # A first run is kept in build/test-runs/ under a digest of everything its text and pages can depend on, and
    # used again by a later session while that digest holds: it is an earlier execution of the same notebook on
    # the same code, data, packages and settings, so comparing nbval's run with it is still comparing two runs.
    # A second run (run 1) is always executed. Only runs that finished are kept.

    def _kept(self, key):
        folder = KEPT_RUNS / inputs_digest(key, self.env)
        try:
            if key[0] == "notebook":
                return (nbformat.read(folder / f"{key[1]}.ipynb", as_version=4),
                        (folder / f"{key[1]}.html").read_text(encoding="utf-8"))
            return (folder / key[1]).read_text(encoding="utf-8")
        except (OSError, ValueError):
            return None

    def _keep(self, key, result):
        folder = KEPT_RUNS / inputs_digest(key, self.env)
        partial = folder.with_name(folder.name + f".partial-{os.getpid()}")
        partial.mkdir(parents=True, exist_ok=True)
        if key[0] == "notebook":
            nbformat.write(result[0], partial / f"{key[1]}.ipynb")
            (partial / f"{key[1]}.html").write_text(result[1], encoding="utf-8")
        else:
            (partial / key[1]).write_text(result, encoding="utf-8")
        folder.mkdir(parents=True, exist_ok=True)
        for path in partial.iterdir():
            path.replace(folder / path.name)  # whole files only: a reader never sees half of one
        partial.rmdir()
        for older in KEPT_RUNS.glob(f"{key[0]}-{key[1]}-*"):  # runs of earlier code are never used again
            if older != folder:
                shutil.rmtree(older, ignore_errors=True)

    def _execute(self, key):
        kind, name, run = key
        out = self.folder / f"run{run}"
        if kind == "notebook":
            path = self.folder / "sources" / f"{name}.ipynb"
            self._call([sys.executable, str(DEMO), "--out", str(out), "--no-times", "--no-reports", "--keep-ipynb",
                        "--run-in", str(ROOT / "notebooks"), str(path)], f"executing {name}.ipynb")
            return (nbformat.read(out / "notebooks" / path.name, as_version=4),
                    (out / "notebooks" / f"{name}.html").read_text(encoding="utf-8"))
        argv = dict((n, a) for a, n in EXAMPLE_REPORTS)[name]
        target = out / "reports" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        self._call([sys.executable, "-m", "decide", *argv, "-o", str(target), "--force"], f"decide {' '.join(argv)}")
        return target.read_text(encoding="utf-8")

    def close(self):
        for future in self.futures.values():
            future.cancel()
        for proc in self.processes:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
        self.pool.shutdown(wait=True)


@pytest.fixture(scope="session")
def runs(request, tmp_path_factory):
    runs = Runs(tmp_path_factory.mktemp("notebook-runs"))
    needed = []
    # notebooks whose cells nbval runs in this process: its run serves as the second one (tests/conftest.py)
    runs.by_nbval = by_nbval = {Path(str(item.fspath)).stem for item in request.session.items
                if type(item).__name__ == "IPyNbCell" and str(getattr(item, "fspath", "")).endswith(".ipynb")}
    for item in request.session.items:
        spec = getattr(item, "callspec", None)
        if spec is None or "runs" not in getattr(item, "fixturenames", ()):
            continue
        if "notebook" in spec.params:
            needed.append(("notebook", spec.params["notebook"], 0))
            if item.originalname == "test_notebook_gives_the_same_text_twice" and spec.params["notebook"] not in by_nbval:
                needed.append(("notebook", spec.params["notebook"], 1))
        if "report" in spec.params:
            needed.append(("report", spec.params["report"], 0))
    for key in sorted(set(needed), key=lambda k: (k[2], k[0] != "notebook", k[1])):  # first runs first
        runs.queue(key)
    yield runs
    runs.close()


STEMS = [p.stem for p in NOTEBOOKS]
WITH_SLIDERS = [p.stem for p in NOTEBOOKS if slider_cells(p)]
REPORTS = [name for _, name in EXAMPLE_REPORTS]


@pytest.mark.slow
@pytest.mark.parametrize("notebook", WITH_SLIDERS)
def test_slider_cells_show_their_figure_as_an_image(notebook, runs):
    nb, _ = runs.notebook(notebook)
    empty = [i for i in slider_cells(nb)
             if not any("image/png" in o.get("data", {}) for o in nb.cells[i].get("outputs", []))]
    assert not empty, (
        f"{notebook}: slider cell(s) {empty} show no image once executed, so the saved page is empty there; "
        "draw them with decide.plots.interactive.with_sliders")


@pytest.mark.slow
@pytest.mark.parametrize("notebook", STEMS)
def test_notebook_html_loads_nothing_from_a_network(notebook, runs):
    _, html = runs.notebook(notebook)
    page = Page(html)
    assert not page.network, f"{notebook}.html would load from a network: {page.network[:10]}"
    reprs = re.findall(r"\b\w+\(children=\(\w+\(", "".join(page.text))
    assert not reprs, f"{notebook}.html shows widgets as Python text a reader cannot use: {reprs[:3]}"
    assert "data:image/png;base64," in html or not any(
        "image/png" in o.get("data", {}) for c in runs.notebook(notebook)[0].cells for o in c.get("outputs", [])), \
        f"{notebook}.html lost its figures"


def nbval_run(notebook: str, copy: Path, kept: dict):
    """nbval's run of the notebook in this session as a notebook, if it ran every code cell of ``copy`` (the
    notebook the demo ran) from the same sources; otherwise None."""
    ran = kept.get(notebook, {})
    nb = nbformat.read(copy, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    if sorted(ran) != list(range(len(code))) or any(ran[i][0] != c.source for i, c in enumerate(code)):
        return None
    for i, cell in enumerate(code):
        cell.outputs = [nbformat.from_dict(o) for o in ran[i][1]]
    return nb


@pytest.mark.slow
@pytest.mark.parametrize("notebook", STEMS)
def test_notebook_gives_the_same_text_twice(notebook, runs, request):
    """The demo's run against nbval's run of the same notebook in this session (tests/conftest.py orders nbval's
    first), or against a second run by the demo when nbval did not run all of it."""
    demo_run = runs.notebook(notebook, 0)[0]
    kept = getattr(request.config, "decide_nbval_runs", {})
    assert notebook not in runs.by_nbval or notebook in kept, (
        f"nbval ran {notebook} in this session but its outputs were not kept (tests/conftest.py, NbvalCapture)")
    other = nbval_run(notebook, runs.folder / "sources" / f"{notebook}.ipynb", kept)
    if other is None:
        other = runs.notebook(notebook, 1)[0]
    first, second = text_outputs(demo_run), text_outputs(other)
    assert len(first) == len(second)
    for i, (a, b) in enumerate(zip(first, second)):
        if a != b:
            diff = "\n".join(list(difflib.unified_diff(a.splitlines(), b.splitlines(), "first run", "second run", lineterm=""))[:40])
            pytest.fail(f"{notebook}: code cell {i + 1} shows different text on a second run with the same seed:\n{diff}")


@pytest.mark.slow
@pytest.mark.parametrize("notebook", STEMS)
def test_notebook_outputs_use_descriptions_and_plain_headings(notebook, runs):
    nb, _ = runs.notebook(notebook)
    problems = []
    for where, text in reader_texts(nb):
        problems += identifier_problems(where, text, html=where.endswith("html"))
    assert not problems, f"{notebook}:\n" + "\n".join(problems[:30])


@pytest.mark.slow
@pytest.mark.parametrize("report", REPORTS)
def test_example_report_uses_descriptions_and_plain_headings(report, runs):
    html = runs.report(report)
    problems = identifier_problems(report, html, html=True)
    assert not problems, "\n".join(problems[:30])
    assert not Page(html).network, f"{report} would load from a network"


# --- the checks themselves, on pages and notebooks made to fail them ---------------------------------------

def test_page_names_what_would_load_from_a_network():
    html = ('<html><head><script src="https://cdn.example/require.js"></script><link rel="stylesheet" href="//cdn.example/a.css">'
            '<script>const m = await import("https://cdn.example/mermaid.mjs");</script></head><body>'
            '<img src="data:image/png;base64,AAAA"><img src="http://example.org/x.png">'
            '<p>See <a href="https://doi.org/10.1000/1">the study</a>.</p><div style="background: url(https://x.org/b.png)"></div>'
            '</body></html>')
    found = Page(html).network
    assert len(found) == 5, found
    assert not any("doi.org" in f for f in found)       # a citation is a link a reader may follow, not something loaded
    assert Page('<img src="data:image/png;base64,AAAA"><a href="https://doi.org/1">x</a>').network == []


def test_identifiers_and_raw_headings_are_found_only_where_a_reader_sees_them():
    name = next(iter(IDENTIFIERS))
    bad = (f"<table><thead><tr><th>option</th><th>expected_value</th><th>{name}</th></tr></thead>"
           f"<tbody><tr><th>0</th><td>1</td><td>2</td></tr></tbody></table><p>the {name} is uncertain</p>")
    problems = identifier_problems("page", bad, html=True)
    assert any("'expected_value'" in p for p in problems)
    assert sum(repr(name) in p for p in problems) == 2   # once as a heading, once in the sentence
    assert not any("'option'" in p or "'0'" in p for p in problems)
    good = (f"<table><tr><th>Expected value</th></tr></table><p>{IDENTIFIERS[name]}</p>"
            f"<p>Run <code>decide threshold case.yaml {name}</code>.</p><script>var {name} = 1;</script>")
    assert identifier_problems("page", good, html=True) == []
    assert identifier_problems("text", f"{name}_extra and x{name}", html=False) == []   # part of a longer word
    assert identifier_problems("text", f"chance: {name}\n", html=False)


def test_text_outputs_ignore_memory_addresses_but_not_numbers():
    def nb(text):
        cell = nbformat.v4.new_code_cell("x")
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text),
                        nbformat.v4.new_output("stream", name="stderr", text="a warning that may differ")]
        return nbformat.v4.new_notebook(cells=[cell])
    assert text_outputs(nb("<Figure at 0x7f3a2b4c5d60> 0.25")) == text_outputs(nb("<Figure at 0x7f00aa11bb22> 0.25"))
    assert text_outputs(nb("P(best) 0.25")) != text_outputs(nb("P(best) 0.26"))
    pieces = nbformat.v4.new_code_cell("x")
    pieces.outputs = [nbformat.v4.new_output("stream", name="stdout", text="one\n"),
                      nbformat.v4.new_output("stream", name="stderr", text="warning\n"),
                      nbformat.v4.new_output("stream", name="stdout", text="two\n")]
    assert text_outputs(nbformat.v4.new_notebook(cells=[pieces])) == text_outputs(nb("one\ntwo\n"))
    widget = nbformat.v4.new_output("display_data", data={"text/plain": "VBox(children=(FloatSlider(value=0.2),))",
                                                          WIDGET_VIEW: {"model_id": "abc", "version_major": 2}})
    twice = nb("0.25")
    twice.cells[0].outputs += [widget, widget]
    assert text_outputs(twice) == text_outputs(nb("0.25"))   # a live widget is not text a reader sees


def test_slider_cells_are_the_cells_that_make_sliders():
    def cells(*sources):
        return slider_cells(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src) for src in sources]))
    assert cells("from decide.plots.interactive import with_sliders\nimport ipywidgets as widgets",
                 "with_sliders(draw, a=widgets.FloatSlider(value=1))",
                 "@widgets.interact(a=(0, 1))\ndef f(a):\n    pass",
                 "interact(f, a=(0, 1))", "x = 1") == [1, 2, 3]


@pytest.mark.slow
def test_demo_page_of_a_slider_notebook_is_offline_and_keeps_the_figure(tmp_path):
    """A made-up notebook with sliders, through the demo: the starting figure is an image, the page loads nothing."""
    path = tmp_path / "sliders.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Sliders\n**How long it takes.** About 10 seconds to run top to bottom."),
        nbformat.v4.new_code_cell(
            "%matplotlib inline\nimport ipywidgets as widgets\nimport matplotlib.pyplot as plt\nfrom decide.plots.interactive import with_sliders\n"
            "def draw(a):\n    plt.plot([0, 1], [0, a])\n    plt.show()\n"
            "with_sliders(draw, a=widgets.FloatSlider(value=1.0, min=0.0, max=2.0))")]), path)
    runs = Runs(tmp_path / "runs")
    try:
        runs._call([sys.executable, str(DEMO), "--out", str(tmp_path / "out"), "--no-times", "--no-reports", "--keep-ipynb",
                    str(path)], "the demo")
    finally:
        runs.close()
    nb = nbformat.read(tmp_path / "out" / "notebooks" / "sliders.ipynb", as_version=4)
    assert slider_cells(path) == [1]
    assert any("image/png" in o.get("data", {}) for o in nb.cells[1].outputs)
    assert "widgets" in nb.metadata                      # the executed notebook keeps the sliders for a live kernel...
    html = (tmp_path / "out" / "notebooks" / "sliders.html").read_text(encoding="utf-8")
    assert Page(html).network == [] and "<script" not in html    # ...the saved page needs no script at all
    assert "data:image/png;base64," in html and "make lab" in html
    assert "(children=(" not in "".join(Page(html).text)  # no widget shown as its Python repr
    # printed lines wrap between words: the project's rule comes after JupyterLab's break-anywhere one, so it wins
    assert html.rindex("word-break: normal") > html.rindex("word-break: break-all")


# --- the kernel's first reply lost: the demo asks again instead of waiting out the cell timeout -------------

def _losing_first_request(base):
    """``base`` with the first kernel_info request after start-up dropped on its way to the kernel, as when it
    strands unread in the kernel's shell socket; later requests go through."""
    class Losing(base):
        made = []

        async def async_start_new_kernel_client(self):
            Losing.made.append(self)
            kc = await super().async_start_new_kernel_client()
            send, self.lost = kc.kernel_info, []

            def kernel_info():
                if not self.lost:
                    msg = kc.session.msg("kernel_info_request")   # made, never sent
                    self.lost.append(msg["header"]["msg_id"])
                    return msg["header"]["msg_id"]
                return send()
            kc.kernel_info = kernel_info
            return kc
    return Losing


@pytest.mark.slow
def test_demo_asks_the_kernel_again_when_its_first_reply_is_lost(tmp_path):
    import demo

    path = tmp_path / "one.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")]), path)

    # nbclient alone waits for the lost reply as long as a cell may run, then gives up on the notebook
    stock = _losing_first_request(demo.NotebookClient)(nbformat.read(path, as_version=4), timeout=2, kernel_name="python3")
    with pytest.raises(Exception):
        stock.execute()
    assert stock.lost

    # the demo's client asks again and the notebook runs
    client = _losing_first_request(demo.AskingAgainClient)
    client.ask_every = 2.0
    nb, _ = demo.execute(path, timeout=60, client=client)
    assert nb.metadata.language_info["name"] == "python"
    assert nb.cells[0].outputs[0]["text"] == "42\n"
    assert len(client.made[0].lost) == 1 and client.made[0].asked_again == 1

    # a kernel that never answers is reported in words after the last request, not waited on for ever
    class Deaf(demo.AskingAgainClient):
        ask_every, asks = 0.5, 2

        async def async_start_new_kernel_client(self):
            kc = await super().async_start_new_kernel_client()
            kc.kernel_info = lambda: kc.session.msg("kernel_info_request")["header"]["msg_id"]
            return kc
    with pytest.raises(demo.KernelSilent, match="did not answer in 1 s .2 requests."):
        demo.execute(path, timeout=60, client=Deaf)


# --- stated run times: no execution, the times are those `make demo` last measured -------------------------

#: A load average above this many times the core count means other work inflated the measured times.
BUSY = 2
STATED = re.compile(r"\babout\s+(\d+(?:\.\d+)?)\s*(seconds?|s\b|minutes?)", re.IGNORECASE)


def stated_seconds(path: Path) -> float | None:
    nb = nbformat.read(path, as_version=4)
    m = STATED.search(nb.cells[0].source) if nb.cells else None
    if not m:
        return None
    return float(m.group(1)) * (60 if m.group(2).lower().startswith("minute") else 1)


def fair_statement(stated: float, measured: float) -> bool:
    """The stated time is the measured one rounded up to a round number (a multiple of 5 s), not more than
    about twice it (with room for the rounding when the time is only a few seconds)."""
    return stated >= measured and stated % 5 == 0 and stated <= max(2 * measured, 5 * math.ceil(measured / 5) + 5)


def test_fair_statement_rule():
    assert fair_statement(45, 44.0) and fair_statement(50, 44.0)
    assert not fair_statement(20, 44.0)           # the example: stated below measured
    assert not fair_statement(100, 44.0)          # more than twice
    assert not fair_statement(47, 44.0)           # not a round number
    assert fair_statement(5, 2.1) and fair_statement(10, 4.0)


def measured_times() -> dict:
    if not RUN_TIMES.exists():
        pytest.fail("notebooks/run_times.json is missing: run `make demo`, which measures each notebook and writes it")
    return json.loads(RUN_TIMES.read_text(encoding="utf-8"))["notebooks"]


def test_run_times_cover_every_notebook():
    times = measured_times()
    assert set(times) == set(STEMS), (
        f"notebooks/run_times.json is out of date (run `make demo`): missing {sorted(set(STEMS) - set(times))}, "
        f"stale {sorted(set(times) - set(STEMS))}")
    for name, entry in times.items():
        assert entry["seconds"] > 0 and entry["cores"] >= 1 and entry["measured"], (name, entry)


@pytest.mark.parametrize("notebook", STEMS)
def test_stated_run_time_matches_the_measured_one(notebook):
    stated = stated_seconds(ROOT / "notebooks" / f"{notebook}.ipynb")
    assert stated is not None, f"{notebook}: the first cell should say how long it takes ('About N seconds to run top to bottom')"
    entry = measured_times().get(notebook)
    if entry is None:
        pytest.fail(f"{notebook} has no measured time in notebooks/run_times.json; run `make demo`")
    measured = entry["seconds"]
    load = entry.get("load_average")
    if load is not None and load > BUSY * entry["cores"]:
        pytest.skip(f"{notebook}: measured {measured:g} s while the machine was busy (load average {load:g} on "
                    f"{entry['cores']} cores), which says nothing about a reader's machine; run `make demo` on a quiet one")
    if entry.get("compiled_files"):
        pytest.skip(f"{notebook}: measured {measured:g} s on a first run, which compiled its models "
                    f"({entry['compiled_files']} files into the caches); a reader's usual run loads them from the "
                    "cache. Run `make demo` again for the usual time")
    rounded = 5 * math.ceil(measured / 5)
    assert fair_statement(stated, measured), (
        f"{notebook} says about {stated:g} s, but `make demo` measured {measured:g} s on {entry['cores']} cores "
        f"({entry['measured']}): say about {rounded} seconds")


def test_demo_counts_what_a_run_compiled_into_the_caches(tmp_path, monkeypatch):
    from demo import compiled_files

    monkeypatch.setenv("PYTENSOR_FLAGS", f"floatX=float64,base_compiledir={tmp_path / 'cache'}")
    (tmp_path / "cache" / "compiledir_x").mkdir(parents=True)
    before = compiled_files()
    (tmp_path / "cache" / "compiledir_x" / "mod.so").write_bytes(b"")
    assert compiled_files() == before + 1


def test_demo_keeps_earlier_times_when_it_runs_a_few_notebooks(tmp_path):
    from demo import record_times

    path = tmp_path / "run_times.json"
    record_times({"01_a": 12.34}, path, {"01_a": 1.2})
    record_times({"02_b": 40.0}, path)
    record_times({"01_a": 14.0}, path)
    times = json.loads(path.read_text(encoding="utf-8"))["notebooks"]
    assert times["01_a"]["seconds"] == 14.0 and times["02_b"]["seconds"] == 40.0
    assert times["01_a"]["cores"] == os.cpu_count()
    assert "load_average" not in times["01_a"]          # the newer run gave no load, so the old one is not kept with it
    record_times({"02_b": 90.0}, path, compiled={"02_b": 12})
    assert json.loads(path.read_text(encoding="utf-8"))["notebooks"]["02_b"]["compiled_files"] == 12
    record_times({"02_b": 40.0}, path, compiled={"02_b": 0})  # a warm run: nothing compiled, nothing noted
    assert "compiled_files" not in json.loads(path.read_text(encoding="utf-8"))["notebooks"]["02_b"]

    from demo import record_demo

    record_demo(130.04, path)
    record_times({"02_b": 41.0}, path)                  # a later run of a few notebooks keeps the whole demo's time
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["demo"]["seconds"] == 130.0 and data["demo"]["cores"] == os.cpu_count()
    assert data["notebooks"]["02_b"]["seconds"] == 41.0 and data["notebooks"]["01_a"]["seconds"] == 14.0


def test_a_kept_first_run_is_used_only_while_what_it_depends_on_holds(tmp_path, monkeypatch):
    """build/test-runs/ is keyed by a digest of the notebook, library, data, demo script, packages and settings."""
    key = ("notebook", STEMS[0], 0)
    env = {"MPLBACKEND": "Agg"}
    first = inputs_digest(key, env)
    assert inputs_digest(key, env) == first
    assert inputs_digest(key, dict(env, OMP_NUM_THREADS="2")) != first
    assert inputs_digest(("notebook", STEMS[1], 0), env) != first
    assert inputs_digest(("report", REPORTS[0], 0), env) != inputs_digest(("report", REPORTS[1], 0), env)
    fake = tmp_path / "root"
    for top in ("decide", "data", "notebooks", "scripts"):
        (fake / top).mkdir(parents=True)
    (fake / "notebooks" / f"{STEMS[0]}.ipynb").write_bytes((ROOT / "notebooks" / f"{STEMS[0]}.ipynb").read_bytes())
    (fake / "scripts" / "demo.py").write_bytes(DEMO.read_bytes())
    (fake / "decide" / "simulate.py").write_text("x = 1\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", fake)
    monkeypatch.setattr(sys.modules[__name__], "DEMO", fake / "scripts" / "demo.py")
    _shared_digest.cache_clear()
    before = inputs_digest(key, env)
    for path, text in [(fake / "decide" / "simulate.py", "x = 2\n"), (fake / "data" / "new.csv", "a\n"),
                       (fake / "scripts" / "demo.py", "# changed\n")]:
        path.write_text(text)
        _shared_digest.cache_clear()
        after = inputs_digest(key, env)
        assert after != before, f"a change to {path.name} must not reuse a kept run"
        before = after
    (fake / "decide" / "__pycache__").mkdir()
    (fake / "decide" / "__pycache__" / "simulate.cpython-312.pyc").write_bytes(b"compiled")
    _shared_digest.cache_clear()
    assert inputs_digest(key, env) == before  # compiled files say nothing new
    _shared_digest.cache_clear()
