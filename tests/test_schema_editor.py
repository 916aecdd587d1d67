"""The schema in a real editor engine: yaml-language-server (what VS Code's YAML extension and other
editors run) reads the schema line `decide new` writes, marks mistakes on their lines and offers the
words decide accepts.

Needs Node.js and yaml-language-server (`npm install -g yaml-language-server@1`, or set
YAML_LANGUAGE_SERVER to its path). Without them the tests skip saying so; with CI=true they fail.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from decide.cli import main

SETTINGS = {"yaml": {"validate": True, "completion": True, "hover": True, "schemaStore": {"enable": False}, "schemas": {}}}
#: A generous bound on the language server's first answer (it starts in about a second).
WAIT = 60


def server() -> list[str]:
    local = Path(__file__).resolve().parent.parent / "build" / "yls" / "node_modules" / ".bin" / "yaml-language-server"
    path = os.environ.get("YAML_LANGUAGE_SERVER") or shutil.which("yaml-language-server") or (str(local) if local.exists() else None)
    if not path or not shutil.which("node"):
        message = ("yaml-language-server (and Node.js) not found: install with 'npm install --prefix build/yls yaml-language-server@1' "
                   "or set YAML_LANGUAGE_SERVER to its path")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true, so a missing editor engine is a failure: " + message)
        pytest.skip(message)
    return [path, "--stdio"]


class Editor:
    """Opens one YAML file in yaml-language-server and collects what an editor would show."""

    def __init__(self, path: Path):
        self.path, self.uri = path, path.absolute().as_uri()
        self.proc = subprocess.Popen(server(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.messages: queue.Queue = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        out = self.proc.stdout
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    return
                line = line.decode("ascii").strip()
                if not line:
                    break
                key, value = line.split(":", 1)
                if key.lower() == "content-length":
                    length = int(value)
            self.messages.put(json.loads(out.read(length)))

    def _send(self, message: dict) -> None:
        data = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self.proc.stdin.write(f"Content-Length: {len(data)}\r\n\r\n".encode() + data)
        self.proc.stdin.flush()

    def _request(self, method: str, params: dict) -> int:
        self.next_id += 1
        self._send({"id": self.next_id, "method": method, "params": params})
        return self.next_id

    def _next(self, deadline: float) -> dict:
        """The next message from the server, answering its own requests (configuration) on the way."""
        while time.monotonic() < deadline:
            try:
                msg = self.messages.get(timeout=0.5)
            except queue.Empty:
                continue
            if "method" in msg and "id" in msg:  # a request from the server
                items = msg.get("params", {}).get("items", [])
                result = [SETTINGS.get(i.get("section"), SETTINGS) for i in items] if msg["method"] == "workspace/configuration" else None
                self._send({"id": msg["id"], "result": result})
                continue
            return msg
        raise AssertionError("yaml-language-server did not answer")

    def open(self) -> list[dict]:
        """Open the file; the diagnostics the editor would underline."""
        deadline = time.monotonic() + WAIT
        first = self._request("initialize", {"processId": os.getpid(), "rootUri": self.path.absolute().parent.as_uri(),
                                             "capabilities": {"workspace": {"configuration": True}}})
        while self._next(deadline).get("id") != first:
            pass
        self._send({"method": "initialized", "params": {}})
        self._send({"method": "workspace/didChangeConfiguration", "params": {"settings": SETTINGS}})
        self._send({"method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": self.uri, "languageId": "yaml", "version": 1, "text": self.path.read_text(encoding="utf-8")}}})
        while True:
            msg = self._next(deadline)
            if msg.get("method") == "textDocument/publishDiagnostics" and msg["params"]["uri"] == self.uri:
                return msg["params"]["diagnostics"]

    def complete(self, line: int, character: int) -> list[str]:
        """The labels an editor offers at a (0-based) line and character."""
        deadline = time.monotonic() + WAIT
        wanted = self._request("textDocument/completion", {"textDocument": {"uri": self.uri},
                                                           "position": {"line": line, "character": character}})
        while True:
            msg = self._next(deadline)
            if msg.get("id") == wanted:
                result = msg.get("result") or []
                return [item["label"] for item in (result.get("items", []) if isinstance(result, dict) else result)]

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


@pytest.fixture
def new_case():
    """A case written by decide new inside the project (so its schema line is a relative path)."""
    root = Path(__file__).resolve().parent.parent / "build"
    root.mkdir(exist_ok=True)
    folder = Path(__import__("tempfile").mkdtemp(dir=root, prefix="editor-"))
    path = folder / "case.yaml"
    assert main(["new", str(path)]) == 0
    yield path
    shutil.rmtree(folder)


def test_the_starting_case_has_no_mistakes_in_the_editor(new_case):
    server()
    assert new_case.read_text(encoding="utf-8").startswith("# yaml-language-server: $schema=../../docs/")
    editor = Editor(new_case)
    try:
        assert editor.open() == []
    finally:
        editor.close()


def test_mistakes_are_marked_on_their_lines(new_case):
    server()
    lines = new_case.read_text(encoding="utf-8").splitlines()
    changes = {"    reliability: medium": "    reliability: very high", "        kind: harm": "        kind: harmful",
               "        horizon: 1 year": "        horizon: soon", "    weeks: 4": "    weeks: 600"}
    broken = {}
    for old, new in changes.items():
        i = lines.index(old)
        lines[i] = new
        broken[i] = new.strip()
    new_case.write_text("\n".join(lines) + "\n", encoding="utf-8")
    editor = Editor(new_case)
    try:
        marked = {d["range"]["start"]["line"]: d["message"] for d in editor.open()}
    finally:
        editor.close()
    for i, what in broken.items():
        assert i in marked, f"'{what}' (line {i + 1}) is not marked; marked: {marked}"
    horizon = next(i for i, w in broken.items() if w.startswith("horizon"))
    assert "such as '2 years'" in marked[horizon]  # the plain message, not the pattern
    assert "520" in marked[next(i for i, w in broken.items() if w.startswith("weeks"))]


def test_the_editor_offers_the_words_decide_accepts(new_case):
    from decide.judge import SCALES

    server()
    lines = new_case.read_text(encoding="utf-8").splitlines()
    i = lines.index("    reliability: medium")
    lines[i] = "    reliability: "
    j = next(n for n, line in enumerate(lines) if "chance: {verbal: likely" in line)
    lines[j] = "        chance: {verbal: }"
    new_case.write_text("\n".join(lines) + "\n", encoding="utf-8")
    editor = Editor(new_case)
    try:
        editor.open()
        assert set(editor.complete(i, len(lines[i]))) >= {"high", "medium", "low", "unknown"}
        offered = editor.complete(j, len("        chance: {verbal: "))
    finally:
        editor.close()
    assert set(SCALES["uk_yardstick"]) <= set(offered)
