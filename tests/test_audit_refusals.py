"""The audit refuses what it cannot audit honestly, writes nothing a spreadsheet would run, and says
only what its numbers say: the label-bias sentences agree with the label-bias table, ratio and
difference verdicts that disagree are explained, and no person reads a raw column name."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from decide import audit as A
from decide.audit_report import HEADERS, _label_bias_spec, disagreement_sentence, label_bias_sentences, plain_summary
from decide.cli import main
from decide.errors import DecideError

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data" / "synthetic" / "referrals.csv"
ARGS = ["--score", "risk_score", "--outcome", "re_referred", "--group", "deprivation", "--threshold", "0.3",
        "--reference", "less deprived", "--draws", "300"]


@pytest.fixture(scope="module")
def referrals() -> pd.DataFrame:
    return pd.read_csv(DATA)


def _quiet(fn, *a, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*a, **kw)


# ---------------------------------------------------------------------------------------------
# Reading: rows that do not fit, columns named twice, line numbers that are the file's
# ---------------------------------------------------------------------------------------------


def test_short_and_long_rows_are_refused_naming_their_lines(tmp_path):
    text = "g,s,y\nA,0.1,0\n\nB,0.2\nA,0.3,1,7\nB,0.4,0\n"
    (tmp_path / "r.csv").write_text(text)
    with pytest.raises(DecideError, match=r"1 row\(s\) have fewer fields than the header's 3: line 4 \(2 fields\); "
                                          r"1 row\(s\) have more fields than the header's 3: line 5 \(4 fields\)"):
        A.read_referrals(tmp_path / "r.csv", ["g", "s", "y"])


def test_a_separator_at_every_line_end_is_named(tmp_path):
    (tmp_path / "r.csv").write_text("g,s,y\nA,0.1,0,\nB,0.2,1,\n")
    with pytest.raises(DecideError, match="separator at the end of each line"):
        A.read_referrals(tmp_path / "r.csv", ["g", "s", "y"])


def test_a_needed_column_named_twice_is_refused(tmp_path):
    (tmp_path / "r.csv").write_text("g,s,y,s\nA,0.1,0,0.9\nB,0.2,1,0.8\n")
    with pytest.raises(DecideError, match=r"names 's' more than once \('s' is columns 2, 4\)"):
        A.read_referrals(tmp_path / "r.csv", ["g", "s", "y"])
    # A column the audit does not use may be duplicated.
    (tmp_path / "ok.csv").write_text("g,s,y,x,x\nA,0.1,0,1,2\nB,0.2,1,3,4\n")
    assert list(A.read_referrals(tmp_path / "ok.csv", ["g", "s", "y"]).columns) == ["g", "s", "y"]


def test_line_numbers_count_blank_and_multi_line_records(tmp_path):
    text = 'g,s,y\n"A\nsplit",0.1,0\n\nB,0.2,1\nA,high,0\n'
    (tmp_path / "r.csv").write_text(text)
    df = A.read_referrals(tmp_path / "r.csv", ["g", "s", "y"], string_columns=["g"])
    assert list(df.attrs["lines"]) == [2, 5, 6]
    with pytest.raises(DecideError, match=r"'high' \(first at line 6\)"):
        A.count_rows(df, score="s", outcome="y", group="g", threshold=0.5)


def test_a_group_called_NA_stays_a_group(tmp_path):
    rows = "\n".join(f"{g},{s},{y}" for g, s, y in [("NA", 0.1, 0), ("NA", 0.7, 1), ("EU", 0.2, 0), ("EU", 0.8, 1)])
    (tmp_path / "r.csv").write_text("g,s,y\n" + rows + "\n")
    df = A.read_referrals(tmp_path / "r.csv", ["g", "s", "y"], string_columns=["g"])
    assert sorted(df["g"]) == ["EU", "EU", "NA", "NA"]
    # 'nan' is how a missing value is written by software, not a name: it is missing (kept as its own group, with a note).
    (tmp_path / "m.csv").write_text("g,s,y\nnan,0.1,0\nEU,0.2,1\n")
    assert A.read_referrals(tmp_path / "m.csv", ["g", "s", "y"], string_columns=["g"])["g"].isna().sum() == 1


# ---------------------------------------------------------------------------------------------
# Scores, thresholds and ranges
# ---------------------------------------------------------------------------------------------


def _df(scores, outcomes=None, groups=None):
    n = len(scores)
    return pd.DataFrame({"s": scores, "y": outcomes if outcomes is not None else [i % 2 for i in range(n)],
                         "g": groups if groups is not None else ["A", "B"] * (n // 2)})


def test_probability_like_scores_outside_0_1_are_refused_naming_rows():
    scores = [0.1 * (i % 10) for i in range(100)]
    for i in range(0, 100, 10):
        scores[i] = 1.5
    with pytest.raises(DecideError, match=r"10 \(10%\) do not: 1.5 at row 0, 1.5 at row 10, .*and 2 more"):
        A.count_rows(_df(scores), score="s", outcome="y", group="g", threshold=0.5)
    # Stating the wider scale is the fix.
    assert A.count_rows(_df(scores), score="s", outcome="y", group="g", threshold=0.5, score_range=(0, 2)).rows == 100


def test_scores_on_another_scale_are_read_on_their_own_range():
    scores = [float(i) for i in range(100)]
    c = A.count_rows(_df(scores), score="s", outcome="y", group="g", threshold=50)
    assert c.rows == 100
    with pytest.raises(DecideError, match=r"--threshold 150 is outside the range of the scores, 0 to 99"):
        A.count_rows(_df(scores), score="s", outcome="y", group="g", threshold=150)


@pytest.mark.parametrize("threshold,message", [
    (0.0, "flags everybody"), (0.95, "flags nobody"), (float("nan"), "finite"), (float("inf"), "finite"),
    (1.5, "outside 0 to 1"), (-0.1, "outside 0 to 1"),
])
def test_threshold_must_be_finite_inside_the_range_and_split_the_families(threshold, message):
    scores = [0.1 * (i % 10) for i in range(100)]
    with pytest.raises(DecideError, match=message):
        A.count_rows(_df(scores), score="s", outcome="y", group="g", threshold=threshold)


def test_reversed_or_empty_score_range_is_named_as_such():
    scores = [0.1 * (i % 10) for i in range(100)]
    with pytest.raises(DecideError, match=r"score range 1 0 is reversed.*--score-range 0 1"):
        A.count_rows(_df(scores), score="s", outcome="y", group="g", threshold=0.5, score_range=(1, 0))
    with pytest.raises(DecideError, match="single value"):
        A.count_rows(_df(scores), score="s", outcome="y", group="g", threshold=0.5, score_range=(1, 1))


def test_constant_score_flag_or_outcome_is_refused():
    with pytest.raises(DecideError, match="same score, 0.4, for every referral"):
        A.count_rows(_df([0.4] * 10), score="s", outcome="y", group="g", threshold=0.3)
    d = _df([0.1 * (i % 10) for i in range(10)]).assign(f=1)
    with pytest.raises(DecideError, match="'f' is 1 for every referral: everybody is flagged"):
        A.count_rows(d, score=None, outcome="y", group="g", flag="f")
    with pytest.raises(DecideError, match="'y' is 0 for every referral"):
        A.count_rows(d.assign(y=0), score="s", outcome="y", group="g", threshold=0.5)


# ---------------------------------------------------------------------------------------------
# Label bias: no division by zero; the tipping factor and 'parity possible' always agree
# ---------------------------------------------------------------------------------------------


def test_label_bias_with_a_group_everybody_flagged_is_defined_or_empty_never_an_error():
    rng = np.random.default_rng(3)
    n = 600
    g = np.where(np.arange(n) < 300, "A", "B")
    y = (rng.random(n) < 0.3).astype(int)
    s = np.where(g == "B", 0.9, rng.random(n).round(2))  # every family in B flagged
    a = _quiet(A.audit, pd.DataFrame({"g": g, "s": s, "y": y}), score="s", outcome="y", group="g", reference="A",
               threshold=0.5, draws=300)
    lb = a.label_bias()
    assert np.isfinite(lb.disparities.select_dtypes("number").replace([np.inf, -np.inf], np.nan).fillna(0)).all().all()
    text = " ".join(plain_summary(a, lb))
    assert not re.search(r"\b(nan|inf)\b", text)


cells_st = st.tuples(*[st.integers(0, 400)] * 4).filter(lambda c: c[0] + c[2] > 0 and c[1] + c[3] > 0 and c[0] + c[1] > 0 and c[2] + c[3] > 0)


@settings(max_examples=60, deadline=None)
@given(cells_st, cells_st, st.floats(0.5, 1.0), st.floats(1.0, 2.0), st.sampled_from(["tpr", "fpr", "ppv", "npv", "fnr"]))
def test_tipping_factor_agrees_with_parity_possible(g_cells, r_cells, lo, hi, metric):
    """If parity is not possible within the stated range, the factors at which it first becomes possible
    lie outside that range; if one lies inside, parity is possible. The two sentences cannot contradict."""
    cells = np.array([r_cells, g_cells], dtype=float)
    tip = A._tipping(cells, ["R", "G"], "R", 61, 3.0).set_index("metric").loc[metric]
    fake = type("Fake", (), {})()
    fake.group_names, fake.reference, fake.settings = ["R", "G"], "R", {"interval": 0.9}
    fake.cells = lambda: cells
    fake._joint = {"R": cells[0][None, :] / cells[0].sum(), "G": cells[1][None, :] / cells[1].sum()}
    lb = A.label_bias(fake, {"G": (lo, hi)})
    row = lb.disparities.query("metric == @metric and scale == 'difference'").iloc[0]
    inside = [k for k in (tip["factor_up"], tip["factor_down"]) if np.isfinite(k) and lo <= k <= hi]
    if not row["parity_possible"]:
        assert not inside, (tip.to_dict(), row.to_dict())
    if inside:
        assert row["parity_possible"]


def test_tipping_up_and_down_are_where_parity_first_becomes_possible():
    rng = np.random.default_rng(9)
    n = 20000
    g = rng.choice(["A", "C"], n)
    y = (rng.random(n) < np.where(g == "A", 0.15, 0.35)).astype(int)
    s = np.clip(0.25 + 0.25 * y + rng.normal(0, 0.2, n), 0, 1).round(2)
    a = _quiet(A.audit, pd.DataFrame({"g": g, "s": s, "y": y}), score="s", outcome="y", group="g", reference="A",
               threshold=0.5, draws=300)
    tip = a.label_bias().tipping.set_index("metric")
    cells = a.groups.loc["C", list(A.CELLS)].to_numpy(float)
    for metric in ("ppv", "fpr", "tpr"):
        ref_val = a.groups.loc["A", metric]
        for side in ("factor_up", "factor_down"):
            k = tip.loc[metric, side]
            if not np.isfinite(k):
                continue
            lo, hi = A.rate_bounds(cells, tuple(sorted((1.0, k))), metric, grid=801)
            assert lo - 1e-3 <= ref_val <= hi + 1e-3, (metric, side)
            k2 = k ** 0.995  # a little less label bias: not yet possible
            lo2, hi2 = A.rate_bounds(cells, tuple(sorted((1.0, k2))), metric, grid=801)
            assert not (lo2 <= ref_val <= hi2), (metric, side)
        assert tip.loc[metric, "factor"] == pytest.approx(min(tip.loc[metric, "factor_up"], 1 / tip.loc[metric, "factor_down"]))
    # Closed form: the base rate moves only with k (true = recorded / k), so parity is first possible at k = p_C / p_A.
    p_a, p_c = a.groups.loc["A", "base_rate"], a.groups.loc["C", "base_rate"]
    assert p_c > p_a and tip.loc["base_rate", "factor_up"] == pytest.approx(p_c / p_a, rel=1e-6)
    assert not np.isfinite(tip.loc["base_rate", "factor_down"])


@pytest.fixture(scope="module")
def synthetic(referrals):
    a = _quiet(A.audit, referrals, score="risk_score", outcome="re_referred", group=["deprivation", "area"],
               reference="less deprived / North", threshold=0.3, draws=1000)
    return a, a.label_bias({g: (1.0, 1.5) for g in a.group_names if g != a.reference})


def test_label_bias_sentences_say_possible_not_vanish_and_agree_with_the_table(synthetic):
    a, lb = synthetic
    sentences = label_bias_sentences(a, lb)
    assert sentences, "the synthetic data have FPR disparities outside tolerance"
    ld = lb.disparities[lb.disparities["scale"] == "ratio"].set_index(["metric", "group"])
    tip = lb.tipping.set_index(["metric", "group"])
    for text in sentences:
        assert "vanish" not in text and "disappear" not in text
        m = re.match(r"the (\S+) ratio for '([^']+)' could lie anywhere from ([\d.]+) to ([\d.]+)", text)
        metric = {v: k for k, v in A.LABELS.items()}[m.group(1)]
        row, t = ld.loc[(metric, m.group(2))], tip.loc[(metric, m.group(2))]
        assert float(m.group(3)) == pytest.approx(row["low"], abs=0.005) and float(m.group(4)) == pytest.approx(row["high"], abs=0.005)
        if row["parity_possible"]:
            assert "parity is possible within the stated range" in text
        else:
            assert "parity is not possible within the stated range" in text
            k = float(re.search(r"by a factor of ([\d.]+)", text).group(1))
            assert k == pytest.approx(t["nearest_k"], abs=0.005)
            assert not 1.0 <= t["nearest_k"] <= 1.5 and "beyond that range" in text
            assert ("over-count" in text) == (t["nearest_k"] > 1)


def test_ratio_and_difference_verdicts_that_disagree_are_explained():
    # Small rates: FPR 0.02 against 0.03 is a ratio of 1.5 (outside 0.8-1.25) but a difference of 0.01 (within 0.05).
    rows = []
    for grp, fp in (("A", 200), ("B", 300)):
        rows += [dict(g=grp, flag=1, outcome=1, n=2000), dict(g=grp, flag=0, outcome=1, n=2000),
                 dict(g=grp, flag=1, outcome=0, n=fp), dict(g=grp, flag=0, outcome=0, n=10000 - fp)]
    a = A.audit_counts(pd.DataFrame(rows), group="g", reference="A", draws=2000)
    d = a.disparities.set_index(["metric", "scale"])
    assert d.loc[("fpr", "ratio"), "verdict"] == "outside" and d.loc[("fpr", "difference"), "verdict"] == "within"
    text = disagreement_sentence(a)
    assert f"a ratio of {d.loc[('fpr', 'ratio'), 'estimate']:.2f}, clearly outside 0.8–1.25" in text
    assert f"a difference of {d.loc[('fpr', 'difference'), 'estimate']:+.3f}, clearly within ±0.05" in text
    assert "both rates are small" in text
    assert text in plain_summary(a)


def test_summary_defines_its_words_before_using_them(synthetic):
    a, lb = synthetic
    lines = plain_summary(a, lb)
    definitions = lines[1]
    for word in ("selection rate", "true positive rate (TPR)", "false positive rate (FPR)", "(PPV)", "calibration"):
        assert word in definitions
    assert not any(re.search(r"\b(nan|inf)\b", line) for line in lines)


def test_label_bias_arguments_are_checked():
    assert _label_bias_spec(["0.9:1.2", "North=1:1.5"]) == ({"North": (1.0, 1.5)}, (0.9, 1.2))
    for bad, message in [("nan:1", "finite"), ("1:inf", "finite"), ("2:1", "0 < LOW"), ("x", "LOW:HIGH"),
                         ("=1:2", "empty"), ("0.001:1000", "100-fold")]:
        with pytest.raises(DecideError, match=message):
            _label_bias_spec([bad])


# ---------------------------------------------------------------------------------------------
# Output: planned before writing, spreadsheet-safe, escaped, and readable
# ---------------------------------------------------------------------------------------------


def _hostile_file(tmp_path, referrals, name):
    df = referrals.iloc[::60].copy()
    df.loc[df.index[::2], "deprivation"] = name
    path = tmp_path / "r.csv"
    df.to_csv(path, index=False)
    return path


def test_formula_group_names_are_neutralised_in_every_csv_and_numbers_untouched(tmp_path, referrals):
    path = _hostile_file(tmp_path, referrals, "=HYPERLINK(\"http://x\")")
    args = [a if a != "less deprived" else "=HYPERLINK(\"http://x\")" for a in ARGS]
    assert _quiet(main, ["audit", str(path), *args, "-o", str(tmp_path / "a.html")]) == 0
    written = sorted(tmp_path.glob("a_*.csv"))
    assert len(written) == 9
    for p in written:
        text = p.read_text()
        assert "\n=" not in text and ",=" not in text, p.name
    groups = pd.read_csv(tmp_path / "a_groups.csv")
    assert "'=HYPERLINK(\"http://x\")" in set(groups["group"])
    disp = pd.read_csv(tmp_path / "a_disparities.csv")
    assert disp["lower"].dtype == float and (disp["lower"] < 0).any()  # negative numbers are numbers, not formulas


def test_html_escapes_group_names(tmp_path, referrals):
    path = _hostile_file(tmp_path, referrals, "<script>alert(1)</script>")
    assert _quiet(main, ["audit", str(path), *ARGS, "-o", str(tmp_path / "a.html"), "--no-csv"]) == 0
    html = (tmp_path / "a.html").read_text()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


def test_report_tables_have_plain_headers_and_wrap(tmp_path):
    assert _quiet(main, ["audit", str(DATA), *ARGS, "--label-bias", "1:1.5", "-o", str(tmp_path / "a.html"), "--no-csv"]) == 0
    html = (tmp_path / "a.html").read_text()
    headers = re.findall(r"<th[^>]*>([^<]*)</th>", html)
    raw = {h for h in headers if "_" in h}
    assert not raw, f"raw column names shown to a person: {raw}"
    for name in ("selection_rate", "eti_lb", "p_outside", "fpr_if_equal_ppv", "parity_possible", "band_label"):
        assert name not in re.sub(r"<(script|style)[\s\S]*?</\1>", "", html).replace("data:image", ""), name
    assert "overflow-x" not in html
    assert all(v for v in HEADERS.values())


def test_an_existing_table_stops_the_run_before_anything_is_written(tmp_path):
    (tmp_path / "a_rates.csv").write_text("earlier\n")
    assert _quiet(main, ["audit", str(DATA), *ARGS, "-o", str(tmp_path / "a.html")]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_rates.csv"]
    assert (tmp_path / "a_rates.csv").read_text() == "earlier\n"


def test_output_over_the_input_is_refused_even_with_force(tmp_path, capsys):
    copy = tmp_path / "a_groups.csv"
    copy.write_bytes(DATA.read_bytes())
    before = copy.read_bytes()
    assert _quiet(main, ["audit", str(copy), *ARGS, "-o", str(tmp_path / "a.html"), "--force"]) == 2
    assert "the file you gave as input" in capsys.readouterr().err
    assert copy.read_bytes() == before and not (tmp_path / "a.html").exists()


def test_delimiter_is_one_character_and_backslash_t_means_tab(tmp_path):
    (tmp_path / "t.csv").write_text("g\ts\ty\nA\t0.1\t0\nB\t0.2\t1\n")
    for given in ("\\t", "\t", "tab"):
        assert list(A.read_referrals(tmp_path / "t.csv", ["g", "s", "y"], delimiter=given).columns) == ["g", "s", "y"]
    for bad in ("ab", '"', "x"):
        with pytest.raises(DecideError, match="one separator character"):
            A.read_referrals(tmp_path / "t.csv", ["g", "s", "y"], delimiter=bad)
