"""`decide new FILE.yaml`: a commented starting case with every part of a case file in it.

The case itself is decide/starter_case.yaml (a made-up contact decision); the tests hold it to
`decide check` and to the schema, and the reference takes its examples from it.
"""

from __future__ import annotations

import os
from pathlib import Path

from decide.errors import DecideError

#: The project's schema file (present when decide is run from its source folder).
_PROJECT = Path(__file__).resolve().parent.parent
_SCHEMA = _PROJECT / "docs" / "case-file.schema.json"
SCHEMA_LINE = "# yaml-language-server: $schema={target}\n"


def starter_text() -> str:
    """The starting case, without the editor's schema line."""
    return (Path(__file__).parent / "starter_case.yaml").read_text(encoding="utf-8")


def schema_target(path: Path) -> str:
    """How the new file's schema line reaches the schema (yaml-language-server reads a path
    relative to the case file, or an absolute one): relative inside the project, so the line
    still works when the project is moved; absolute outside it; and when decide is installed
    without its project folder, a file of that name beside the case."""
    if not _SCHEMA.is_file():
        return "case-file.schema.json"
    folder = path.absolute().parent
    if folder == _PROJECT or _PROJECT in folder.parents:
        return Path(os.path.relpath(_SCHEMA, folder)).as_posix()
    return _SCHEMA.as_posix()


def new_case(path) -> Path:
    """Write the starting case to path; never over an existing file."""
    from decide._html import write_new
    from decide.files import plan_outputs

    path = Path(path)
    if path.suffix.lower() not in (".yaml", ".yml"):
        raise DecideError(f"{path}: a case file's name ends in .yaml; give a name such as {path.with_suffix('.yaml').name}")
    if path.exists() or path.is_symlink():
        raise DecideError(f"{path} already exists; decide new never replaces a file. Give a new name, "
                          "or check the existing file with 'decide check'")
    plan_outputs([path])
    target = schema_target(path)
    head = SCHEMA_LINE.format(target=target)
    if target == "case-file.schema.json":
        head += "# (write that schema beside this file with: decide schema -o case-file.schema.json)\n"
    return write_new(path, head + starter_text(), force=False)


def cmd_new(args) -> int:
    path = new_case(args.file)
    print(f"wrote {path}: a made-up contact decision with every part of a case file, each with a comment. "
          f"Change it into your case, then run: decide check {path}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("new", help="write a commented starting case file (never over an existing file)",
                       description="Write a starting case file with every part of a case, each explained in a comment "
                                   "(a made-up contact decision to change into your own). Never replaces a file.")
    p.add_argument("file", help="name of the new case file, ending in .yaml")
    p.set_defaults(func=cmd_new)
