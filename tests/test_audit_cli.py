"""`decide audit`: the report and tables are written, self-contained, and bad input exits 2 with a clear message."""

import hashlib
import re
from pathlib import Path

import pandas as pd
import pytest

from decide.cli import main

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data" / "synthetic" / "referrals.csv"
BASE = [str(DATA), "--score", "risk_score", "--outcome", "re_referred", "--group", "deprivation", "--threshold", "0.3",
        "--reference", "less deprived", "--draws", "1000"]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("audit") / "audit.html"
    digest = hashlib.sha256(DATA.read_bytes()).hexdigest()
    assert main(["audit", *BASE, "--group", "area", "--reference", "less deprived,North", "--intervention", "punitive",
                 "--label-bias", "1:1.5", "-o", str(out)]) == 0
    assert hashlib.sha256(DATA.read_bytes()).hexdigest() == digest  # the input is never modified
    return out


def test_report_is_self_contained_with_summary_first(report):
    html = report.read_text(encoding="utf-8")
    assert "<img" in html and not re.search(r"""(src|href)=["']https?://""", html)
    assert html.count('src="data:image/png;base64,') == 5
    assert html.index("In plain language") < html.index("Disparities against the reference group")
    assert "less deprived / North" in html and "Beta(0.5, 0.5)" in html
    assert "Chouldechova" in html and "Punitive" in html and "If the recorded outcome is itself biased" in html


def test_csv_tables_beside_the_report(report):
    for name in ("groups", "rates", "disparities", "calibration", "impossibility", "counts", "label_bias_rates",
                 "label_bias_disparities", "label_bias_tipping"):
        table = pd.read_csv(report.with_name(f"audit_{name}.csv"))
        assert len(table) > 0, name
    groups = pd.read_csv(report.with_name("audit_groups.csv"))
    assert groups["n"].sum() == 30000 and groups["reference"].sum() == 1


def test_refuses_to_overwrite_without_force(report, capsys):
    assert main(["audit", *BASE, "-o", str(report)]) == 2
    assert "already exists" in capsys.readouterr().err


def test_counts_input_gives_the_same_groups(tmp_path):
    df = pd.read_csv(DATA)
    counts = (df.assign(flag=(df["risk_score"] >= 0.3).astype(int), outcome=df["re_referred"], score=df["risk_score"])
              .groupby(["deprivation", "score", "flag", "outcome"]).size().rename("n").reset_index())
    counts.to_csv(tmp_path / "counts.csv", index=False)
    assert main(["audit", str(tmp_path / "counts.csv"), "--counts", "--group", "deprivation", "--reference", "less deprived",
                 "--draws", "1000", "-o", str(tmp_path / "c.html")]) == 0
    assert main(["audit", *BASE, "-o", str(tmp_path / "r.html")]) == 0
    a, b = pd.read_csv(tmp_path / "c_groups.csv"), pd.read_csv(tmp_path / "r_groups.csv")
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("replace,extra,message", [
    ({"--outcome": "rereferred"}, [], "column 'rereferred' not found; did you mean 're_referred'"),
    ({"--reference": "most deprived"}, [], "reference group 'most deprived' does not exist; did you mean 'more deprived'"),
    ({"--outcome": "area"}, [], "column 'area' must be binary"),
    ({}, ["--score-range", "0", "0.5"], "outside the stated range [0, 0.5]"),
])
def test_bad_input_exits_2_with_a_message(tmp_path, capsys, replace, extra, message):
    args = list(BASE)
    for option, value in replace.items():
        args[args.index(option) + 1] = value
    assert main(["audit", *args, *extra, "-o", str(tmp_path / "x.html")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "x.html").exists()


def test_missing_reference_is_required(tmp_path, capsys):
    args = [a for a in BASE if a not in ("--reference", "less deprived")]
    with pytest.raises(SystemExit) as exc:
        main(["audit", *args, "-o", str(tmp_path / "x.html")])
    assert exc.value.code == 2 and "--reference" in capsys.readouterr().err


def test_empty_and_wrongly_separated_files(tmp_path, capsys):
    (tmp_path / "empty.csv").write_bytes(b"")
    assert main(["audit", str(tmp_path / "empty.csv"), *BASE[1:], "-o", str(tmp_path / "x.html")]) == 2
    assert "is empty" in capsys.readouterr().err
    tab = tmp_path / "tab.csv"
    pd.read_csv(DATA).head(3000).to_csv(tab, sep="\t", index=False)
    assert main(["audit", str(tab), *BASE[1:], "-o", str(tmp_path / "t.html")]) == 0
    assert "tab-separated" in capsys.readouterr().err


def test_group_without_positives_still_reports(tmp_path, capsys):
    df = pd.read_csv(DATA).head(4000)
    df.loc[df["deprivation"] == "more deprived", "re_referred"] = 0
    df.to_csv(tmp_path / "d.csv", index=False)
    assert main(["audit", str(tmp_path / "d.csv"), *BASE[1:], "-o", str(tmp_path / "d.html")]) == 0
    assert "'more deprived' has no recorded outcomes" in capsys.readouterr().err
    rates = pd.read_csv(tmp_path / "d_rates.csv").set_index(["group", "metric"])
    assert not rates.loc[("more deprived", "tpr"), "informative"]
    assert "undefined" in (tmp_path / "d.html").read_text(encoding="utf-8")
