"""Shared helpers for the self-contained HTML reports: embedded figures, templates, safe writing."""

from __future__ import annotations

import base64
import io
import os
import tempfile
from pathlib import Path

import jinja2

from decide.errors import DecideError

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("decide", "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def figure_to_data_uri(fig) -> str:
    """A matplotlib figure as a PNG data URI, so the report needs no other files or network."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def render(template: str, **context) -> str:
    """Render one of the package's Jinja2 templates."""
    return _ENV.get_template(template).render(**context)


def write_new(path: str | os.PathLike, text: str, *, force: bool = False) -> Path:
    """Write text atomically; refuse to replace an existing file unless force is set.

    Atomic (temporary file, then rename) so a half-written report never replaces a good one.
    """
    path = Path(path)
    if path.exists() and not force:
        raise DecideError(f"{path} already exists; choose another name with -o, or pass --force to replace it")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise DecideError(f"cannot write {path}: {exc.strerror or exc}; choose another output path") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes owner-only files; give the usual permissions
        if force:
            os.replace(tmp, path)
        else:
            # link() fails if the target appeared meanwhile, so nothing is ever overwritten.
            os.link(tmp, path)
            os.unlink(tmp)
    except FileExistsError:
        os.unlink(tmp)
        raise DecideError(f"{path} already exists; choose another name with -o, or pass --force to replace it") from None
    except OSError as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise DecideError(f"cannot write {path}: {exc.strerror or exc}; choose another output path") from None
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path
