"""The risk-tool audit against oracles: fairlearn's MetricFrame, sklearn's AUC, closed-form Beta
posteriors, Chouldechova's identity, interval coverage on data of known truth, and label-bias
bounds that contain the truth they are built to contain."""

import hashlib
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from decide import audit as A
from decide.errors import DecideError

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent


def _rows(n=6000, seed=0, groups=("A", "B", "C"), decimals=2):
    rng = np.random.default_rng(seed)
    g = rng.choice(groups, n)
    area = rng.choice(["N", "S"], n)
    base = {k: 0.15 + 0.1 * i for i, k in enumerate(groups)}
    y = (rng.random(n) < pd.Series(g).map(base).to_numpy()).astype(int)
    score = np.clip(0.25 + 0.25 * y + rng.normal(0, 0.2, n), 0, 1)
    if decimals is not None:
        score = np.round(score, decimals)
    return pd.DataFrame({"grp": g, "area": area, "score": score, "y": y})


def _audit(df, **kw):
    kw.setdefault("score", "score")
    kw.setdefault("outcome", "y")
    kw.setdefault("group", "grp")
    kw.setdefault("reference", "A")
    if "flag" not in kw:
        kw.setdefault("threshold", 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return A.audit(df, **kw)


# ---------------------------------------------------------------------------------------------
# Point metrics: identical to fairlearn's MetricFrame
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("group", ["grp", ["grp", "area"]])
def test_point_metrics_equal_fairlearn(group):
    from fairlearn.metrics import (MetricFrame, count, false_negative_rate, false_positive_rate, selection_rate,
                                   true_negative_rate, true_positive_rate)
    from sklearn.metrics import precision_score, roc_auc_score

    df = _rows()
    t = 0.5

    def thresholded(fn):
        return lambda y, s: fn(y, (s >= t).astype(int))

    def npv(y, f):
        f = np.asarray(f)
        return np.mean(np.asarray(y)[f == 0] == 0)

    metrics = {
        "n": count, "base_rate": lambda y, s: np.mean(y), "selection_rate": thresholded(selection_rate),
        "tpr": thresholded(true_positive_rate), "fpr": thresholded(false_positive_rate),
        "fnr": thresholded(false_negative_rate), "tnr": thresholded(true_negative_rate),
        "ppv": thresholded(lambda y, f: precision_score(y, f, zero_division=np.nan)), "npv": thresholded(npv),
        "auc": roc_auc_score,
    }
    sens = df[group] if isinstance(group, str) else df[group]
    mf = MetricFrame(metrics=metrics, y_true=df["y"], y_pred=df["score"], sensitive_features=sens)
    ref = "A" if isinstance(group, str) else "A / N"
    a = _audit(df, group=group, reference=ref, threshold=t)
    by = mf.by_group.copy()
    if not isinstance(group, str):
        by.index = [A.GROUP_SEP.join(map(str, i)) for i in by.index]
    by = by.reindex(a.groups.index)
    for m in metrics:
        np.testing.assert_allclose(a.groups[m].to_numpy(dtype=float), by[m].to_numpy(dtype=float), rtol=1e-12, err_msg=m)
    # Complements and the disparities follow from the same counts.
    np.testing.assert_allclose(a.groups["fdr"], 1 - by["ppv"].to_numpy(dtype=float))
    d = a.disparities.query("metric == 'fpr' and scale == 'ratio'").set_index("group")["estimate"]
    np.testing.assert_allclose(d, (by["fpr"] / by.loc[ref, "fpr"]).drop(ref).reindex(d.index))


def test_counting_equals_crosstab_and_leaves_input_alone():
    df = _rows(3000, seed=3)
    before = df.copy()
    counts = A.count_rows(df, score="score", outcome="y", group="grp", threshold=0.5)
    pd.testing.assert_frame_equal(df, before)
    got = counts.table.groupby(["grp", "flag", "outcome"])["n"].sum()
    want = pd.crosstab([df["grp"], (df["score"] >= 0.5).astype(int)], df["y"]).stack()
    want.index.names = ["grp", "flag", "outcome"]
    np.testing.assert_array_equal(got.sort_index().to_numpy(), want[want > 0].sort_index().to_numpy())
    np.testing.assert_allclose(counts.table["score_sum"].sum(), df["score"].sum())
    assert counts.score_exact


def test_counts_table_path_matches_row_path():
    """A table of counts (as a database would produce) gives the same audit as the rows."""
    df = _rows(4000, seed=5)
    a = _audit(df)
    t = df.assign(flag=(df["score"] >= 0.5).astype(int), outcome=df["y"]).groupby(["grp", "score", "flag", "outcome"]).size()
    b = A.audit_counts(t.rename("n").reset_index(), group="grp", reference="A")
    pd.testing.assert_frame_equal(a.groups, b.groups)
    pd.testing.assert_frame_equal(a.disparities, b.disparities)
    pd.testing.assert_frame_equal(a.calibration.drop(columns="mean_score"), b.calibration.drop(columns="mean_score"))


# ---------------------------------------------------------------------------------------------
# Posteriors and AUC
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("prior,ab", [("jeffreys", (0.5, 0.5)), ("uniform", (1, 1))])
def test_intervals_are_the_conjugate_beta_posterior(prior, ab):
    df = _rows(2000, seed=1)
    a = _audit(df, prior=prior, interval=0.8)
    r = a.rates.set_index(["group", "metric"])
    for (g, m), row in r.iterrows():
        lo, hi = stats.beta.ppf([0.1, 0.9], ab[0] + row["k"], ab[1] + row["m"] - row["k"])
        lo, hi = (0.0 if row["k"] == 0 else lo), (1.0 if row["k"] == row["m"] else hi)  # Brown, Cai & DasGupta (2001)
        assert row["lower"] == pytest.approx(lo) and row["upper"] == pytest.approx(hi), (g, m)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 60), st.data())
def test_every_rate_lies_inside_its_interval(m, data):
    """0 of m and m of m included: the estimate is never outside its own interval (Brown, Cai & DasGupta 2001 set the
    bound to 0 or 1 there; elsewhere the interval is the posterior's equal-tailed one, as scipy gives it)."""
    from decide.audit.rates import rate_interval

    k = data.draw(st.integers(0, m))
    lo, hi = rate_interval(0.05, 0.95, k, m, 0.5, 0.5)
    assert lo <= k / m <= hi
    want = stats.beta.ppf([0.05, 0.95], 0.5 + k, 0.5 + m - k)
    assert lo == (0.0 if k == 0 else pytest.approx(want[0])) and hi == (1.0 if k == m else pytest.approx(want[1]))


def test_auc_equals_sklearn_and_binned_auc_within_its_bound():
    from sklearn.metrics import roc_auc_score

    df = _rows(5000, seed=2)
    a = _audit(df)
    for g, sub in df.groupby("grp"):
        assert a.groups.loc[g, "auc"] == pytest.approx(roc_auc_score(sub["y"], sub["score"]), abs=1e-12)
        assert a.groups.loc[g, "auc_lower"] < a.groups.loc[g, "auc"] < a.groups.loc[g, "auc_upper"]
    cont = _rows(5000, seed=2, decimals=None)
    b = _audit(cont, max_bins=50)
    assert not b.counts.score_exact
    for g, sub in cont.groupby("grp"):
        exact = roc_auc_score(sub["y"], sub["score"])
        assert abs(b.groups.loc[g, "auc"] - exact) <= b.groups.loc[g, "auc_binning_error"] + 1e-12
        assert b.groups.loc[g, "auc_binning_error"] > 0


def test_same_seed_same_numbers_and_groups_do_not_share_draws():
    df = _rows(2000, seed=4)
    a1, a2 = _audit(df, seed=7), _audit(df, seed=7)
    pd.testing.assert_frame_equal(a1.disparities, a2.disparities)
    a3 = _audit(df, seed=8)
    assert not np.allclose(a1.disparities["lower"], a3.disparities["lower"])
    # Dropping a group leaves the others' posterior draws (and hence their disparities) unchanged.
    a4 = _audit(df[df["grp"] != "C"], seed=7)
    left = a1.disparities[a1.disparities["group"] == "B"].reset_index(drop=True)
    pd.testing.assert_frame_equal(left, a4.disparities.reset_index(drop=True))


# ---------------------------------------------------------------------------------------------
# Chouldechova's identity
# ---------------------------------------------------------------------------------------------

cell = st.integers(min_value=1, max_value=5000)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(cell, cell, cell, cell), min_size=2, max_size=5))
def test_chouldechova_identity_holds_on_the_audit_counts(tables):
    rows = []
    for gi, (tp, fp, fn, tn) in enumerate(tables):
        for flag, outcome, n in ((1, 1, tp), (1, 0, fp), (0, 1, fn), (0, 0, tn)):
            rows.append(dict(g=f"g{gi}", flag=flag, outcome=outcome, n=n))
    a = A.audit_counts(pd.DataFrame(rows), group="g", reference="g0", draws=200)
    imp = a.impossibility
    np.testing.assert_allclose(imp["fpr_from_identity"], imp["fpr"], rtol=1e-10)
    # With the reference's PPV and its own FNR, a group's FPR must be the identity's value; it equals
    # the reference's FPR only if the base rates are equal (or FNR is 1).
    p, p_r = imp["base_rate"], imp.loc["g0", "base_rate"]
    need = A.chouldechova_fpr(p, imp.loc["g0", "ppv"], imp["fnr"])
    np.testing.assert_allclose(imp["fpr_if_equal_ppv"], need)
    differ = (np.abs(p - p_r) > 1e-9) & (imp["fnr"] < 1)
    assert (np.abs(imp.loc[differ, "fpr_if_equal_ppv"] - imp.loc["g0", "fpr"] * (1 - imp.loc[differ, "fnr"]) / (1 - imp.loc["g0", "fnr"])) > 1e-12).all()


# ---------------------------------------------------------------------------------------------
# Coverage on data of known truth
# ---------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_interval_coverage_near_nominal():
    rng = np.random.default_rng(11)
    truth = {"A": (0.2, 0.7, 0.1), "B": (0.35, 0.6, 0.2)}  # base rate, TPR, FPR
    n = {"A": 800, "B": 300}
    reps, hits = 300, {}
    true_cells = {g: A._cells_from_draws(*truth[g]) for g in truth}
    for rep in range(reps):
        rows = []
        for g in truth:
            c = rng.multinomial(n[g], true_cells[g])
            rows += [dict(g=g, flag=f, outcome=o, n=k) for (f, o), k in zip(((1, 1), (1, 0), (0, 1), (0, 0)), c)]
        a = A.audit_counts(pd.DataFrame(rows), group="g", reference="A", draws=1000, seed=rep)
        r = a.rates.set_index(["group", "metric"])
        for g in truth:
            for m in ("tpr", "fpr", "ppv", "npv", "base_rate"):
                tv = A._rate(true_cells[g], m)
                hits.setdefault(m, []).append(r.loc[(g, m), "lower"] <= tv <= r.loc[(g, m), "upper"])
        d = a.disparities.set_index(["metric", "scale"])
        for m in ("fpr", "tpr", "ppv"):
            tv = A._rate(true_cells["B"], m) / A._rate(true_cells["A"], m)
            hits.setdefault(f"{m} ratio", []).append(d.loc[(m, "ratio"), "lower"] <= tv <= d.loc[(m, "ratio"), "upper"])
    for what, h in hits.items():
        assert 0.85 <= np.mean(h) <= 0.95, (what, np.mean(h))


# ---------------------------------------------------------------------------------------------
# Label bias
# ---------------------------------------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(st.tuples(cell, cell, cell, cell), st.floats(0.3, 3.0))
def test_relabel_keeps_sizes_and_flags(c, k):
    for split in ("low", "high", "proportional"):
        new = A.relabel(np.array(c, dtype=float), k, split=split)
        assert (new >= -1e-9).all()
        assert new.sum() == pytest.approx(sum(c))
        assert new[0] + new[1] == pytest.approx(c[0] + c[1])  # the flag does not change
        pos = c[0] + c[2]
        assert new[0] + new[2] == pytest.approx(min(pos / k, sum(c)))
    np.testing.assert_allclose(A.relabel(np.array(c, float), 1.0), np.array(c, float))


@settings(max_examples=80, deadline=None)
@given(st.tuples(cell, cell, cell, cell), st.floats(0, 1), st.floats(0, 0.5))
def test_bounds_contain_the_truth(true_cells, share_flagged, spurious):
    """Truth: surveillance adds re-referrals to some families without harm, split any way between
    flagged and not. Bounds over a range containing the true factor must contain every true rate."""
    tp, fp, fn, tn = map(float, true_cells)
    extra = spurious * (fp + tn)
    x = min(extra * share_flagged, fp)
    y = min(extra - x, tn)
    recorded = np.array([tp + x, fp - x, fn + y, tn - y])
    k = (recorded[0] + recorded[2]) / (tp + fn)
    truth = np.array([tp, fp, fn, tn])
    for m in A.LABEL_DEPENDENT:
        lo, hi = A.rate_bounds(recorded, (k * 0.95, k * 1.05), m)
        tv = A._rate(truth, m)
        assert lo - 1e-9 <= tv <= hi + 1e-9, m


def test_label_bias_on_synthetic_referrals_contains_true_harm_audit():
    """The shipped synthetic data record harm plus surveillance-driven re-referrals: with each group's
    range covering its true inflation, the bounds contain the rates computed from the true harm."""
    df = pd.read_csv(ROOT / "data" / "synthetic" / "referrals.csv")
    kw = dict(score="risk_score", group=["deprivation", "area"], reference="less deprived / North", threshold=0.3, draws=500)
    rec, true = _audit(df, outcome="re_referred", **kw), _audit(df, outcome="true_harm", **kw)
    k = rec.groups["base_rate"] / true.groups["base_rate"]
    ranges = {g: (k[g] * 0.98, k[g] * 1.02) for g in k.index}
    lb = rec.label_bias(ranges)
    r = lb.rates.set_index(["group", "metric"])
    for (g, m), row in r.iterrows():
        assert row["low"] - 1e-9 <= true.groups.loc[g, m] <= row["high"] + 1e-9, (g, m)
    assert (k > 1).all()
    # Selection rate is untouched by label bias; and parity statements have a tipping factor.
    assert "selection_rate" not in set(lb.rates["metric"])
    assert lb.tipping["factor"].notna().all()


def test_tipping_point_is_where_parity_becomes_possible():
    df = _rows(20000, seed=9)
    a = _audit(df)
    lb = a.label_bias()
    tip = lb.tipping.set_index(["group", "metric"])
    f = tip.loc[("C", "ppv"), "factor"]
    ref_val = a.groups.loc["A", "ppv"]
    cells = a.groups.loc["C", list(A.CELLS)].to_numpy(float)
    lo, hi = A.rate_bounds(cells, (1 / f, f), "ppv", grid=801)
    assert lo <= ref_val + 1e-3 and ref_val - 1e-3 <= hi
    lo2, hi2 = A.rate_bounds(cells, (1 / (f * 0.97), f * 0.97), "ppv", grid=801)
    assert not (lo2 <= ref_val <= hi2)


def _plain_bounds(cells, k_range, metric, grid=61, splits=("low", "high"), extra_k=()):
    """rate_bounds as first written: every split relabelled and stacked, each rate by _rate, the extremes over
    factors and splits together. The oracle for the quicker code, which must give the same numbers bit for bit."""
    ks = np.unique(np.concatenate([A.label_bounds._k_grid(*k_range, grid), np.asarray(extra_k, dtype=float)]))
    c = np.asarray(cells, dtype=float)[..., None, :]
    vals = np.stack([A._rate(A.relabel(c, ks, split=s), metric) for s in splits], axis=-1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmin(vals, axis=(-2, -1)), np.nanmax(vals, axis=(-2, -1))


def _plain_tipping(cells, names, ref, max_factor=3.0):
    """The tipping factors as first written: one bisection at a time (factor_up and factor_down)."""
    half = 200
    ks = np.exp(np.linspace(-np.log(max_factor), np.log(max_factor), 2 * half + 1))
    r = names.index(ref)
    out = {}
    for gi, g in enumerate(names):
        if gi == r:
            continue
        c = cells[gi][None, :]
        for metric in A.LABEL_DEPENDENT:
            ref_val = A._rate(cells[r], metric)
            vals = np.stack([A._rate(A.relabel(c, ks[:, None], split=s), metric)[:, 0] for s in ("low", "high")], -1)
            mins, maxs = np.fmin(vals[:, 0], vals[:, 1]), np.fmax(vals[:, 0], vals[:, 1])
            for side, sl in (("up", slice(half, None)), ("down", slice(half, None, -1))):
                lo, hi = np.fmin.accumulate(mins[sl]), np.fmax.accumulate(maxs[sl])
                ok = np.flatnonzero((lo <= ref_val) & (ref_val <= hi)) if np.isfinite(ref_val) else []
                if not len(ok):
                    found = np.nan
                elif ok[0] == 0:
                    found = 1.0
                else:
                    j = ok[0]
                    a_k, b_k, lo0, hi0 = ks[sl][j - 1], ks[sl][j], lo[j - 1], hi[j - 1]
                    for _ in range(40):
                        mid = np.sqrt(a_k * b_k)
                        v = [A._rate(A.relabel(c, mid, split=sp), metric)[0] for sp in ("low", "high")]
                        if np.fmin(lo0, np.fmin(*v)) <= ref_val <= np.fmax(hi0, np.fmax(*v)):
                            b_k = mid
                        else:
                            a_k = mid
                    found = float(b_k)
                out[g, metric, side] = found
    return out


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(*[st.integers(0, 400)] * 4), min_size=2, max_size=4), st.floats(0.3, 1.0), st.floats(1.0, 3.0),
       st.integers(1, 700), st.integers(0, 2 ** 32 - 1))
def test_label_bias_is_the_plain_computation_bit_for_bit(groups, lo, hi, draws, seed):
    """Label bias is worked out with every relabelling's shared steps done once, the rates read off four arrays,
    posterior draws a few hundred at a time and every tipping bisection at once: the same numbers as the plain
    computation, to the last bit, on counts (zeros included) and on posterior draws."""
    cells = np.array(groups, dtype=float)
    names = [f"g{i}" for i in range(len(cells))]
    draws_of_cells = np.random.default_rng(seed).dirichlet(np.ones(4), size=draws)
    for metric in A.LABEL_DEPENDENT:
        for splits in (("low", "high"), ("proportional",)):
            for data in (cells[0], cells, draws_of_cells):
                want = _plain_bounds(data, (lo, hi), metric, splits=splits, extra_k=[hi ** 0.5])
                got = A.rate_bounds(data, (lo, hi), metric, splits=splits, extra_k=[hi ** 0.5])
                for w, g in zip(want, got):
                    np.testing.assert_array_equal(w, g)
    tip = A.label_bounds._tipping(cells, names, "g0", 61, 3.0).set_index(["group", "metric"])
    for (g, metric, side), want in _plain_tipping(cells, names, "g0").items():
        got = tip.loc[(g, metric), f"factor_{side}"]
        assert (np.isnan(want) and np.isnan(got)) or want == got, (g, metric, side, want, got)


# ---------------------------------------------------------------------------------------------
# Bad input: each a clear error or a note naming the column and value
# ---------------------------------------------------------------------------------------------


def test_misspelt_column_suggests_the_nearest():
    with pytest.raises(DecideError, match=r"column 'scor' not found; did you mean 'score'"):
        _audit(_rows(100), score="scor")
    with pytest.raises(DecideError, match=r"'Grp' not found; did you mean 'grp'"):
        _audit(_rows(100), group="Grp")


def test_outcome_not_binary_names_values_and_row():
    df = _rows(200)
    df["y"] = df["y"].astype(object)
    df.loc[17, "y"] = "maybe"
    with pytest.raises(DecideError, match=r"column 'y' must be binary.*'maybe'.*row 17"):
        _audit(df)
    df2 = _rows(200)
    df2.loc[5, "y"] = 2
    with pytest.raises(DecideError, match=r"'y' must be binary.*2"):
        _audit(df2)
    # Yes/no and true/false are read.
    df3 = _rows(200)
    df3["y"] = np.where(df3["y"] == 1, "Yes", "no")
    assert _audit(df3).groups["n"].sum() == 200


def test_scores_nan_or_out_of_range():
    df = _rows(200)
    df.loc[9, "score"] = np.nan
    with pytest.raises(DecideError, match=r"column 'score' is empty or not a number in 1 row.*row 9"):
        _audit(df)
    a = _audit(df, drop_missing=True)
    assert a.groups["n"].sum() == 199 and any("left out" in n for n in a.notes)
    df2 = _rows(200)
    df2.loc[3, "score"] = 1.7
    with pytest.raises(DecideError, match=r"outside the stated range \[0, 1\].*1.7 at row 3"):
        _audit(df2, score_range=(0, 1))
    # Without a stated range, probability-like scores with a few outside [0, 1] are errors too, naming the rows.
    with pytest.raises(DecideError, match=r"nearly every score lies between 0 and 1.*1 do not: 1.7 at row 3.*--score-range"):
        _audit(df2)
    assert _audit(df2, score_range=(0, 2)).groups["n"].sum() == 200  # a stated wider scale is accepted
    df3 = _rows(200)
    df3["score"] = df3["score"].astype(object)
    df3.loc[4, "score"] = "high"
    with pytest.raises(DecideError, match=r"must hold numbers.*'high'.*row 4"):
        _audit(df3)


def test_group_with_no_positives_is_defined_but_uninformative():
    df = _rows(600, seed=2)
    df.loc[df["grp"] == "C", "y"] = 0
    a = _audit(df)
    r = a.rates.set_index(["group", "metric"])
    assert not r.loc[("C", "tpr"), "informative"]
    lo, hi = stats.beta.ppf([0.05, 0.95], 0.5, 0.5)
    assert r.loc[("C", "tpr"), "lower"] == pytest.approx(lo) and r.loc[("C", "tpr"), "upper"] == pytest.approx(hi)
    assert any("'C' has no recorded outcomes" in n for n in a.notes)
    d = a.disparities.set_index(["group", "metric", "scale"])
    assert d.loc[("C", "tpr", "ratio"), "verdict"] == "cannot tell (no cases)"
    assert np.isfinite(d.loc[("C", "tpr", "ratio"), "lower"])
    assert a.groups.loc["C", "auc_lower"] == 0 and a.groups.loc["C", "auc_upper"] == 1


def test_reference_must_be_named_and_exist():
    with pytest.raises(DecideError, match=r"name the reference group.*'A' \(n="):
        _audit(_rows(100), reference=None)
    with pytest.raises(DecideError, match=r"reference group 'a' does not exist; did you mean 'A'"):
        _audit(_rows(100), reference="a")
    a = _audit(_rows(300), group=["grp", "area"], reference="B, S")
    assert a.reference == "B / S"


def test_flag_column_and_threshold_exclusive():
    df = _rows(100)
    df["flag_col"] = (df["score"] > 0.4).astype(int)
    with pytest.raises(DecideError, match="not both"):
        _audit(df, flag="flag_col", threshold=0.5)
    with pytest.raises(DecideError, match="either a threshold"):
        _audit(df, threshold=None)
    assert _audit(df, flag="flag_col").groups["selection_rate"].between(0, 1).all()


def _write(tmp_path, name, data: bytes):
    p = tmp_path / name
    p.write_bytes(data)
    return p


def test_csv_problems(tmp_path):
    cols = ["score", "y", "grp"]
    with pytest.raises(DecideError, match="is empty"):
        A.read_referrals(_write(tmp_path, "empty.csv", b""), cols)
    with pytest.raises(DecideError, match="header line but no data rows"):
        A.read_referrals(_write(tmp_path, "head.csv", b"score,y,grp\n"), cols)
    with pytest.raises(DecideError, match="no such file"):
        A.read_referrals(tmp_path / "nope.csv", cols)
    semi = _write(tmp_path, "semi.csv", b"score;y;grp\n0.2;1;A\n0.7;0;B\n")
    notes = []
    df = A.read_referrals(semi, cols, notes=notes)
    assert list(df.columns) == cols and "semicolon-separated" in notes[0]
    with pytest.raises(DecideError, match=r"looks semicolon-separated: pass --delimiter ';'"):
        A.read_referrals(semi, cols, delimiter=",")
    latin = _write(tmp_path, "latin.csv", "score,y,grp\n0.2,1,Caf\u00e9\n".encode("cp1252"))
    with pytest.raises(DecideError, match=r"not valid utf-8 \(byte 0xe9 on line 2\).*--encoding cp1252"):
        A.read_referrals(latin, cols)
    assert A.read_referrals(latin, cols, encoding="cp1252", string_columns=["grp"])["grp"].iloc[0] == "Caf\u00e9"
    utf16 = _write(tmp_path, "u16.csv", "score,y,grp\n0.2,1,A\n".encode("utf-16"))
    with pytest.raises(DecideError, match="UTF-16"):
        A.read_referrals(utf16, cols)
    with pytest.raises(DecideError, match=r"column 'outcome' not found.*columns are: 'score', 'y', 'grp'"):
        A.read_referrals(semi, ["score", "outcome", "grp"])


def test_reading_never_modifies_the_file(tmp_path):
    p = _write(tmp_path, "r.csv", _rows(500).to_csv(index=False).encode())
    digest, mtime = hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns
    df = A.read_referrals(p, ["score", "y", "grp"], string_columns=["grp"])
    _audit(df)
    assert hashlib.sha256(p.read_bytes()).hexdigest() == digest and p.stat().st_mtime_ns == mtime


def test_bad_settings():
    df = _rows(200)
    for kw, msg in [(dict(interval=1.2), "interval"), (dict(prior="flat"), "prior"), (dict(ratio_band=(1.1, 1.3)), "contain 1"),
                    (dict(draws=10), "draws")]:
        with pytest.raises(DecideError, match=msg):
            _audit(df, **kw)
    with pytest.raises(DecideError, match="only one group"):
        _audit(df.assign(grp="A"))
    a = _audit(df)
    with pytest.raises(DecideError, match="group 'Z', which does not exist"):
        a.label_bias({"Z": (1, 2)})
    with pytest.raises(DecideError, match="0 < LOW <= HIGH"):
        a.label_bias({"B": (2, 1)})


@settings(max_examples=300, deadline=None)
@given(q=st.floats(1e-6, 1 - 1e-6), a=st.floats(0.5, 1e7), b=st.floats(0.5, 1e7))
def test_beta_quantile_is_scipy_stats_beta_ppf_bit_for_bit(q, a, b):
    """The audit's intervals come from scipy.special.betaincinv (light to load) and must be exactly what
    scipy.stats.beta.ppf gives, which they always were."""
    from decide.audit.rates import beta_quantile

    want = stats.beta.ppf(q, a, b)
    got = beta_quantile(q, a, b)
    assert got == want or (np.isnan(got) and np.isnan(want))
    qs = np.array([q, 0.05, 0.95, 0.025, 0.975])
    np.testing.assert_array_equal(beta_quantile(qs, a + np.arange(5), b), stats.beta.ppf(qs, a + np.arange(5), b))


def _counts_table(cells: dict) -> pd.DataFrame:
    """A counts table (group, flag, outcome, n) from {group: (tp, fp, fn, tn)}."""
    rows = [dict(g=g, flag=f, outcome=o, n=n) for g, (tp, fp, fn, tn) in cells.items()
            for f, o, n in ((1, 1, tp), (1, 0, fp), (0, 1, fn), (0, 0, tn))]
    return pd.DataFrame(rows)


def test_identical_small_groups_are_never_clearly_outside():
    """Ten referrals in each group and the same counts: every rate is equal, so no disparity may be called clearly
    outside tolerance, however wide the intervals (they reach past both ends of the band, the mass on each side
    is well under the decisive 90 %)."""
    res = A.audit_counts(_counts_table({"ref": (1, 1, 1, 7), "B": (1, 1, 1, 7)}), group="g", reference="ref", seed=1)
    d = res.disparities
    assert (d["estimate"][d["scale"] == "difference"] == 0).all()
    assert not (d["verdict"] == "outside").any(), d[["metric", "scale", "p_below", "p_above", "verdict"]]
    assert (d["verdict"] == "cannot tell").all()
    np.testing.assert_allclose(d["p_below"] + d["p_above"], d["p_outside"])


@settings(max_examples=25, deadline=None)
@given(st.tuples(*[st.integers(0, 12)] * 4), st.tuples(*[st.integers(0, 12)] * 4), st.integers(0, 2**31))
def test_clearly_outside_only_when_one_side_is_decisive(a, b, seed):
    """The verdict follows the posterior's sides: 'outside' needs at least 90 % on one side of the band, 'within'
    at least 90 % inside it; a group whose counts equal the reference's is never 'outside'."""
    a, b = (*a[:3], a[3] + 1), (*b[:3], b[3] + 1)  # every group holds a referral
    res = A.audit_counts(_counts_table({"ref": a, "B": b, "same": a}), group="g", reference="ref", seed=seed)
    d = res.disparities
    told = d[d["verdict"].isin(["outside", "within", "cannot tell"])]
    one_side = np.maximum(told["p_below"], told["p_above"])
    assert (one_side[told["verdict"] == "outside"] >= 0.9).all()
    assert (1 - told["p_outside"][told["verdict"] == "within"] >= 0.9 - 1e-12).all()
    assert (one_side[told["verdict"] == "cannot tell"] < 0.9).all()
    assert not (d.loc[d["group"] == "same", "verdict"] == "outside").any()
