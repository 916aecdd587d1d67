"""`decide new`: a starting case that decide accepts, the schema accepts, with every part of a case,
written only where no file is."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import yaml

from decide.cli import main
from decide.frame import Decision
from decide.starter import starter_text

ROOT = Path(__file__).resolve().parent.parent


def test_new_case_passes_check_and_the_schema(tmp_path, capsys):
    path = tmp_path / "my_case.yaml"
    assert main(["new", str(path)]) == 0
    assert "decide check" in capsys.readouterr().out
    text = path.read_text(encoding="utf-8")
    first = text.splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=")
    target = first.split("=", 1)[1]
    schema_file = Path(target) if Path(target).is_absolute() else (path.parent / target)
    assert schema_file.resolve() == (ROOT / "docs" / "case-file.schema.json").resolve()
    Decision.from_yaml(path)
    assert main(["check", str(path)]) == 0
    from test_schema import as_editor_reads

    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(as_editor_reads(yaml.safe_load(text)))


def test_inside_the_project_the_schema_line_is_relative(tmp_path):
    from decide.starter import schema_target

    assert schema_target(ROOT / "data" / "cases" / "new.yaml") == "../../docs/case-file.schema.json"
    assert Path(schema_target(tmp_path / "x.yaml")).is_absolute()


def test_existing_file_is_never_replaced(tmp_path, capsys):
    path = tmp_path / "case.yaml"
    path.write_text("mine")
    assert main(["new", str(path)]) == 2
    assert path.read_text() == "mine"
    err = capsys.readouterr().err
    assert str(path) in err and "already exists" in err


def test_force_is_not_an_option(tmp_path):
    import pytest

    path = tmp_path / "case.yaml"
    path.write_text("mine")
    with pytest.raises(SystemExit) as info:
        main(["new", str(path), "--force"])
    assert info.value.code == 2 and path.read_text() == "mine"


def test_a_link_to_another_file_is_not_followed(tmp_path):
    target = tmp_path / "target.yaml"
    target.write_text("mine")
    link = tmp_path / "link.yaml"
    os.symlink(target, link)
    assert main(["new", str(link)]) == 2
    assert target.read_text() == "mine"


def test_a_name_that_is_not_yaml_is_refused(tmp_path, capsys):
    assert main(["new", str(tmp_path / "case.txt")]) == 2
    assert "case.yaml" in capsys.readouterr().err
    assert not (tmp_path / "case.txt").exists()


def test_starting_case_shows_every_part():
    """Known items with source and reliability, a pooled quantity, a factor, options each with a harm and a
    benefit, values, an enquiry, the harm of delay and a scenario, each part with a comment."""
    text = starter_text()
    d = Decision.from_yaml_text(text)
    assert d.known and all(k.source and k.reliability != "unknown" for k in d.known)
    assert any(q.judgements and len(q.judgements) >= 2 and len({j.by for j in q.judgements}) >= 2 for q in d.quantities)
    assert d.factors and d.enquiries and d.scenarios and d.delay_harm_per_week is not None
    assert 2 <= len(d.options) <= 3
    for o in d.options:
        assert {x.kind for x in o.outcomes} == {"harm", "benefit"}, o.name
    data = yaml.safe_load(text)
    assert "values" in data
    for part in data:  # a comment line just above every top-level part
        lines = text.splitlines()
        i = next(n for n, line in enumerate(lines) if line.startswith(f"{part}:"))
        assert lines[i - 1].startswith("#"), f"no comment above {part}"
    assert "docs/case-file.md" in text
