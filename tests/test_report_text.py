"""Names from the user's data or case, in the reports: drawn as written in the figures, never read as formulas
(matplotlib sets text between two "$" as mathematics, so a group called "$\\foo{$ group" stopped the audit with a
parse error, and "cost $5 to $10" lost its dollar signs to italics); and never reversing the text after them (a
right-to-left override in a group's name, never closed, showed "1.22×" after it as "×22.1")."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from decide.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_an_audit_with_dollar_signs_in_group_names_is_written(tmp_path, capsys):
    df = pd.read_csv(ROOT / "data" / "synthetic" / "referrals.csv").iloc[::20].reset_index(drop=True)
    names = np.array(["plain", r"$\foo{$ group", "cost $5 to $10"])
    df["area"] = names[np.arange(len(df)) % 3]
    df.to_csv(tmp_path / "r.csv", index=False)
    out = tmp_path / "audit.html"
    code = main(["audit", str(tmp_path / "r.csv"), "--score", "risk_score", "--outcome", "re_referred",
                 "--group", "area", "--reference", "plain", "--threshold", "0.3", "-o", str(out)])
    assert code in (0, None), capsys.readouterr().err
    assert out.exists() and "cost $5 to $10" in out.read_text(encoding="utf-8")


def test_report_figures_take_text_as_written():
    import matplotlib
    import matplotlib.pyplot as plt

    from decide._html import quick_text

    with quick_text():
        fig, ax = plt.subplots()
        label = ax.set_title("cost $5 to $10")
        fig.canvas.draw()
    assert label.get_parse_math() is False
    assert matplotlib.rcParams["text.parse_math"] is True  # left as it was
    plt.close(fig)


def test_a_direction_override_in_a_name_cannot_reverse_the_numbers_after_it(tmp_path, capsys):
    df = pd.read_csv(ROOT / "data" / "synthetic" / "referrals.csv").iloc[::10].reset_index(drop=True)
    df["deprivation"] = df["deprivation"].replace({"more deprived": "more \u202edeprived"})
    df.to_csv(tmp_path / "r.csv", index=False)
    out = tmp_path / "audit.html"
    code = main(["audit", str(tmp_path / "r.csv"), "--score", "risk_score", "--outcome", "re_referred",
                 "--group", "deprivation", "--reference", "less deprived", "--threshold", "0.3", "-o", str(out)])
    assert code in (0, None), capsys.readouterr().err
    page = out.read_text(encoding="utf-8")
    assert "\u202e" not in page and "more [U+202E]deprived" in page


def test_every_direction_control_is_shown_as_its_code():
    from decide._html import visible_direction_controls

    controls = "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    shown = visible_direction_controls(f"a{controls}b")
    assert shown == "a" + "".join(f"[U+{ord(c):04X}]" for c in controls) + "b"
    assert visible_direction_controls("Åsa, 12% – ok ×") == "Åsa, 12% – ok ×"


def test_an_error_naming_a_group_shows_its_control_characters_as_escapes(tmp_path, capsys):
    """On the terminal too: a group name holding ESC [31m (red) or a direction override is printed as its escape, while
    a message's own line breaks (one problem a line) stay."""
    from decide.errors import for_terminal

    df = pd.read_csv(ROOT / "data" / "synthetic" / "referrals.csv").iloc[::50].reset_index(drop=True)
    df["deprivation"] = df["deprivation"].replace({"more deprived": "more \x1b[31mdeprived\u202e"})
    df.to_csv(tmp_path / "r.csv", index=False)
    code = main(["audit", str(tmp_path / "r.csv"), "--score", "risk_score", "--outcome", "re_referred",
                 "--group", "deprivation", "--reference", "nobody", "--threshold", "0.3", "-o", str(tmp_path / "a.html")])
    err = capsys.readouterr().err
    assert code == 2 and "nobody" in err
    assert "\x1b" not in err and "\u202e" not in err and "more \\x1b[31mdeprived\\u202e" in err
    assert for_terminal("2 problems found\n  - one\n  - two") == "2 problems found\n  - one\n  - two"
    assert for_terminal("fake\nline", one_line=True) == "fake\\nline"
