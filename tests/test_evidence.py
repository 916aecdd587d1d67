"""Evidence stage: reading and checking counts, priors from judgements, PyMC updating, diagnostics.

Oracles: the conjugate Beta posterior (one study), shrinkage on synthetic authorities of known
truth, and interval coverage over repeated synthetic datasets (slow).
"""

from __future__ import annotations

import os
import warnings
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

os.environ.setdefault("PYTENSOR_FLAGS", f"base_compiledir={Path(__file__).resolve().parent.parent / 'build' / 'pytensor'}")

import decide  # noqa: E402
import decide.evidence  # noqa: E402
from decide.errors import DecideError  # noqa: E402
from decide.evidence import (  # noqa: E402
    ConvergenceWarning,
    EvidenceError,
    beta_prior,
    check_convergence,
    prior_for,
    prior_from_judgement,
    prior_sensitivity,
    read_evidence,
    select,
    update,
    validate_evidence,
    vague_prior,
)
from decide.judge import Fixed, pool  # noqa: E402

from conftest import LazyModule  # noqa: E402

pz = LazyModule("preliz")

ROOT = Path(__file__).resolve().parent.parent
CASE = ROOT / "data" / "cases" / "return_home.yaml"
HEADER = "quantity,study,population,horizon_years,events,total,status,source"


def counts(rows, quantity="q", horizon=2):
    """An evidence table from (study, events, total) triples."""
    return validate_evidence(pd.DataFrame(
        [{"quantity": quantity, "study": s, "population": "synthetic", "horizon_years": str(horizon),
          "events": str(y), "total": str(n), "status": "V", "source": "synthetic test data"} for s, y, n in rows]))


@pytest.fixture(scope="module")
def one_study_fit():
    """One study, Beta(4, 6) prior: the conjugate answer is Beta(4 + 69, 6 + 69)."""
    return update(counts([("Lutman & Farmer", 69, 138)]), beta_prior(4, 6), seed=11, draws=1000, tune=1000)


@pytest.fixture(scope="module")
def pooled_fit():
    """Ten synthetic authorities of known truth: four tiny, three middling, three large."""
    rng = np.random.default_rng(5)
    sizes = np.array([4, 5, 6, 8, 60, 80, 100, 3000, 4000, 5000])
    truth = rng.beta(0.3 * 40, 0.7 * 40, size=sizes.size)
    events = rng.binomial(sizes, truth)
    table = counts([(f"LA {i}", int(y), int(n)) for i, (y, n) in enumerate(zip(events, sizes))])
    return update(table, vague_prior(), seed=7, draws=1000, tune=1000), truth


# --- the evidence files --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["return_home.csv", "adoption_disruption.csv"])
def test_published_evidence_files_are_valid_and_cited(name):
    table = read_evidence(ROOT / "data" / "evidence" / name)
    assert (table["source"].str.len() > 10).all()
    assert (table["events"] <= table["total"]).all()
    assert set(table["status"]) <= {"V", "S"}


def test_secondary_figures_are_marked_s():
    table = read_evidence(ROOT / "data" / "evidence" / "return_home.csv")
    farmer = table[table["study"].str.startswith("Farmer")]
    assert list(farmer["status"]) == ["S"]  # evidence.md: seen only in a secondary source
    lutman = table[table["study"].str.startswith("Lutman")]
    assert set(lutman["status"]) == {"V"}


def test_published_counts_match_the_published_percentages():
    table = read_evidence(ROOT / "data" / "evidence" / "return_home.csv").set_index(["quantity", "horizon_years"])
    assert table.loc[("reabuse_after_return", 2.0), "observed_rate"] == pytest.approx(0.46, abs=0.005)
    assert table.loc[("return_breaks_down", 2.0), "total"] == 138
    assert table.loc[("reentry_to_care", 1.0), "observed_rate"] == pytest.approx(0.2, abs=0.001)


# --- bad input -----------------------------------------------------------------------------------


def write(tmp_path, body, name="ev.csv"):
    path = tmp_path / name
    path.write_text(HEADER + "\n" + body)
    return path


def test_more_events_than_children_names_row_and_column(tmp_path):
    path = write(tmp_path, "q,A,pop,2,5,10,V,src\nq,B,pop,2,12,10,V,src\n")
    with pytest.raises(EvidenceError, match=r"row 2 \(line 3, 'B'\), column 'events'.*more children had the outcome"):
        read_evidence(path)


def test_negative_counts_are_refused(tmp_path):
    path = write(tmp_path, "q,A,pop,2,-1,10,V,src\n")
    with pytest.raises(EvidenceError, match=r"row 1 .*column 'events': cannot be negative.*you wrote '-1'"):
        read_evidence(path)


def test_missing_source_is_refused(tmp_path):
    path = write(tmp_path, "q,A,pop,2,1,10,V,\n")
    with pytest.raises(EvidenceError, match=r"row 1 .*column 'source': missing source"):
        read_evidence(path)


def test_horizons_that_disagree_are_refused_naming_the_rows(tmp_path):
    table = read_evidence(write(tmp_path, "q,A,pop,2,1,10,V,src\nq,B,pop,5,3,10,V,src\n"))
    with pytest.raises(EvidenceError) as err:
        select(table, "q")
    text = str(err.value)
    assert "row 1 (line 2, 'A'), column 'horizon_years'" in text and "row 2 (line 3, 'B')" in text
    assert "2, 5 years" in text
    assert len(select(table, "q", horizon_tolerance=3)) == 2
    with pytest.raises(EvidenceError, match="horizons disagree"):
        update(table, seed=1)


def test_every_problem_is_reported_at_once_and_the_file_is_untouched(tmp_path):
    path = write(tmp_path, "q,A,pop,two,1.5,0,X,src\n")
    before = path.read_bytes()
    with pytest.raises(EvidenceError) as err:
        read_evidence(path)
    text = str(err.value)
    for column in ("horizon_years", "events", "total", "status"):
        assert f"column '{column}'" in text
    assert path.read_bytes() == before


def test_missing_columns_and_duplicates_and_unknown_quantity(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("quantity,study,events\nq,A,1\n")
    with pytest.raises(EvidenceError, match=r"missing column\(s\) \['population', 'horizon_years'"):
        read_evidence(bad)
    with pytest.raises(EvidenceError, match="the same study appears twice"):
        read_evidence(write(tmp_path, "q,A,pop,2,1,10,V,src\nq,A,pop,2,2,10,V,src\n"))
    table = read_evidence(write(tmp_path, "q,A,pop,2,1,10,V,src\n"))
    with pytest.raises(EvidenceError, match="no rows for this quantity; the file has: q"):
        select(table, "other")


# --- priors from judgements ----------------------------------------------------------------------


def test_a_beta_judgement_is_used_as_it_is():
    prior = prior_for(decide.load_case(CASE), "return_breaks_down")
    assert (prior.alpha, prior.beta) == (69, 69)
    assert "used as it is" in prior.method


def test_pooled_judgement_is_moment_matched_and_says_so():
    mix = pool([pz.Beta(2, 8), pz.Beta(6, 4)], [1, 3])
    prior = prior_from_judgement(mix, "two practitioners")
    assert "moment-matched" in prior.method
    assert prior.distribution.mean() == pytest.approx(mix.mean(), rel=1e-9)
    assert prior.distribution.var() == pytest.approx(mix.var(), rel=1e-6)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(0.5, 50), st.floats(0.5, 50), st.floats(0.1, 5)), min_size=2, max_size=4))
def test_moment_matching_keeps_mean_and_variance(parts):
    dists = [pz.Beta(a, b) for a, b, _ in parts]
    weights = np.array([w for *_, w in parts])
    prior = prior_from_judgement(pool(dists, list(weights)))
    w = weights / weights.sum()
    mean = sum(wi * d.mean() for wi, d in zip(w, dists))
    var = sum(wi * (d.var() + d.mean() ** 2) for wi, d in zip(w, dists)) - mean ** 2
    assert prior.mean() == pytest.approx(mean, rel=1e-6)
    assert prior.distribution.var() == pytest.approx(var, rel=1e-5)


def test_other_shapes_are_exported_with_preliz_or_matched_on_request():
    dist = pz.LogitNormal(0, 0.5)
    exported = prior_from_judgement(dist)
    assert not exported.is_beta and "to_pymc" in exported.method
    matched = prior_from_judgement(dist, convert="beta")
    assert matched.is_beta and matched.mean() == pytest.approx(float(dist.mean()), rel=1e-3)


def test_fixed_or_non_probability_judgements_are_refused():
    with pytest.raises(DecideError, match="fixed number"):
        prior_from_judgement(Fixed(0.3))
    with pytest.raises(DecideError, match="outside 0 to 1"):
        prior_from_judgement(pz.Normal(0.3, 0.1))
    with pytest.raises(DecideError, match="kind 'magnitude'"):
        prior_for(decide.load_case(CASE), "harm_of_reabuse")


# --- oracles -------------------------------------------------------------------------------------


def test_one_study_matches_the_conjugate_beta_posterior(one_study_fit):
    fit = one_study_fit
    exact = stats.beta(4 + 69, 6 + 69)
    x = fit.draws()
    ess = float(fit.diagnostics.table.loc["rate", "ess_bulk"])
    mcse = exact.std() / np.sqrt(ess)
    assert abs(x.mean() - exact.mean()) < 4 * mcse
    for q in (0.05, 0.5, 0.95):
        # Monte Carlo error of a quantile: sqrt(q(1-q)/ess) / density at the quantile
        se = np.sqrt(q * (1 - q) / ess) / exact.pdf(exact.ppf(q))
        assert abs(np.quantile(x, q) - exact.ppf(q)) < 4 * se
    assert fit.diagnostics.ok and fit.pooling == "complete"
    assert isinstance(fit.datatree, xr.DataTree)


def test_pooling_shrinks_small_authorities_and_leaves_large_ones(pooled_fit):
    fit, truth = pooled_fit
    assert fit.pooling == "partial" and fit.diagnostics.ok
    table = fit.summary().set_index("what")
    centre = table.loc["mean across studies", "posterior_mean"]
    rows = table.iloc[: len(truth)]
    pulled = (rows["observed_rate"] - rows["posterior_mean"]) / (rows["observed_rate"] - centre)
    assert (pulled.iloc[:4] > 0.4).all()  # tiny authorities: mostly the common rate
    assert (pulled.iloc[-3:].abs() < 0.05).all()  # large: their own rate
    assert (rows["posterior_mean"].iloc[-3:] - rows["observed_rate"].iloc[-3:]).abs().max() < 0.005
    # Pooling is worth it: closer to the truth on average than each authority's raw rate
    assert ((rows["posterior_mean"] - truth) ** 2).mean() < ((rows["observed_rate"] - truth) ** 2).mean()


def test_posterior_draws_feed_the_decision_simulation(one_study_fit):
    case = decide.load_case(CASE)
    post = one_study_fit.draws()
    sim = decide.simulate(case, 2000, seed=3, overrides={"return_breaks_down": post})
    used = sim.dataset["quantity_value"].sel(quantity="return_breaks_down").values
    assert np.isin(used, post).all()
    assert used.mean() == pytest.approx(post.mean(), abs=0.01)


@pytest.mark.filterwarnings("ignore::decide.evidence.ConvergenceWarning")
def test_same_seed_same_numbers(monkeypatch):
    monkeypatch.setattr(decide.evidence, "_KEPT_MODELS", OrderedDict())  # the first fit builds its model afresh
    table = counts([("A", 3, 20)])
    a = update(table, beta_prior(2, 2), seed=4, draws=300, tune=300).draws()
    b = update(table, beta_prior(2, 2), seed=4, draws=300, tune=300).draws()  # the kept model
    np.testing.assert_array_equal(a, b)


@pytest.mark.filterwarnings("ignore::decide.evidence.ConvergenceWarning")
def test_a_kept_model_is_not_compiled_again_and_gives_a_new_models_draws(monkeypatch):
    """Updating again with other counts (here more studies and another Beta prior) reuses the compiled
    model, and the same seed gives exactly the draws of a model built and compiled afresh, before and
    after the kept model has served other data."""
    import pymc as pm

    compiled = []
    compile_logp = pm.Model.logp_dlogp_function

    def counting(self, *args, **kwargs):
        compiled.append(self)
        return compile_logp(self, *args, **kwargs)

    monkeypatch.setattr(pm.Model, "logp_dlogp_function", counting)
    monkeypatch.setattr(decide.evidence, "_KEPT_MODELS", OrderedDict())
    four = counts([("A", 3, 10), ("B", 30, 100), ("C", 8, 50), ("D", 20, 60)])
    five = counts([("V", 1, 12), ("W", 40, 90), ("X", 5, 30), ("Y", 9, 20), ("Z", 2, 7)])

    def fit(table, prior, seed):
        return update(table, prior, seed=seed, draws=200, tune=200)

    first = fit(four, vague_prior(), 3)  # built and compiled
    other = fit(five, beta_prior(2, 3), 8)  # the kept model, given five studies and another prior
    again = fit(four, vague_prior(), 3)  # the kept model once more, after serving other data
    assert len(compiled) == 1
    decide.evidence._KEPT_MODELS.clear()
    afresh = fit(five, beta_prior(2, 3), 8)  # built and compiled again
    assert len(compiled) == 2
    np.testing.assert_array_equal(again.draws(), first.draws())
    np.testing.assert_array_equal(afresh.draws(), other.draws())
    for target in ("mean", "Z"):
        np.testing.assert_array_equal(afresh.draws(target), other.draws(target))
    assert list(other.datatree["observed_data"]["events"].coords["study"].values) == list("VWXYZ")
    assert list(again.datatree["observed_data"]["events"].values) == [3, 30, 8, 20]


def test_prior_sensitivity_shows_judgement_against_data():
    table = counts([("small study", 2, 10)])
    sens = prior_sensitivity(table, {"elicited": beta_prior(30, 70), "vague": vague_prior()}, seed=2,
                             draws=1000, tune=1000)
    t = sens.table.set_index("prior")
    # Conjugate answers: Beta(32, 78) (mean 0.291) and Beta(3, 9) (mean 0.25)
    assert t.loc["elicited", "posterior_mean"] == pytest.approx(32 / 110, abs=0.01)
    assert t.loc["vague", "posterior_mean"] == pytest.approx(3 / 12, abs=0.015)
    assert t.loc["elicited", "prior_worth_children"] == 100 and t.loc["vague", "children_in_data"] == 10
    width = t["posterior_upper"] - t["posterior_lower"]
    assert width["elicited"] < width["vague"]


# --- diagnostics ---------------------------------------------------------------------------------


def _fake_tree(chain_means, diverging=0):
    rng = np.random.default_rng(0)
    x = np.stack([rng.normal(m, 1, 500) for m in chain_means])
    div = np.zeros_like(x, dtype=bool)
    div.flat[:diverging] = True
    return xr.DataTree.from_dict({
        "posterior": xr.Dataset({"rate": (("chain", "draw"), x)}),
        "sample_stats": xr.Dataset({"diverging": (("chain", "draw"), div)}),
    })


def test_chains_that_disagree_raise_a_clear_warning():
    with pytest.warns(ConvergenceWarning, match=r"rate: r-hat .* > 1.01 \(chains disagree\)"):
        diag = check_convergence(_fake_tree([0.0, 3.0]))
    assert not diag.ok


def test_divergences_raise_a_warning_and_good_chains_do_not():
    with pytest.warns(ConvergenceWarning, match="2 divergent transition"):
        check_convergence(_fake_tree([0.0, 0.0], diverging=2))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        assert check_convergence(_fake_tree([0.0, 0.0])).ok


# --- coverage (slow) -----------------------------------------------------------------------------


@pytest.mark.slow
def test_interval_coverage_is_near_nominal_over_repeated_datasets():
    """Rates drawn from the prior, one study of 40 children each: the 90 % interval should hold the
    true rate in about 90 % of datasets (exactly, in expectation, when the prior is the truth's).
    The model is compiled once and given each dataset's counts (as a user updating again would)."""
    rng = np.random.default_rng(2026)
    prior = beta_prior(3, 7)
    hits, runs = 0, 30
    for i in range(runs):
        rate = rng.beta(3, 7)
        y = int(rng.binomial(40, rate))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            x = update(counts([("synthetic", y, 40)]), prior, seed=i, draws=500, tune=500).draws()
        lo, hi = np.quantile(x, [0.05, 0.95])
        hits += lo <= rate <= hi
    # 30 runs at 90 %: a 99 % binomial range is about 22 to 30
    assert stats.binom(runs, 0.9).ppf(0.005) <= hits


# --- issue 12: evidence files refuse bad input with file, line, column and value ---------------------

GOOD_ROW = "q,A,children,2,69,138,V,Author (2013)"


@pytest.mark.parametrize("column, value, words", [
    ("events", "nan", "not a number (NaN or infinity)"),
    ("events", "-inf", "not a number (NaN or infinity)"),
    ("total", "Infinity", "not a number (NaN or infinity)"),
    ("total", "1e400", "whole number"),
    ("events", "2.5", "whole number"),
    ("events", "-1", "cannot be negative"),
    ("total", "1e30", "more than 1,000,000,000 children"),
    ("horizon_years", "nan", "positive number of years"),
    ("horizon_years", "1000", "at most 100"),
])
def test_bad_counts_name_line_column_and_value(tmp_path, column, value, words):
    fields = dict(zip(HEADER.split(","), GOOD_ROW.split(",")))
    fields[column] = value
    path = tmp_path / "counts.csv"
    path.write_text(HEADER + "\n" + GOOD_ROW.replace("A,", "B,") + "\n" + ",".join(fields.values()) + "\n")
    with pytest.raises(EvidenceError) as info:
        read_evidence(path)
    message = str(info.value)
    assert str(path) in message or path.name in message
    assert f"line 3" in message and f"column '{column}'" in message and f"(you wrote '{value}')" in message and words in message


@pytest.mark.parametrize("text, words", [
    (HEADER + ",events\n" + GOOD_ROW + ",5\n", "line 1, header: this column is named twice"),
    (HEADER + "\n" + "q,A,children,2,69\n", "line 2: has 5 fields but the header has 8"),
    (HEADER + "\n" + GOOD_ROW + ",extra\n", "line 2: has 9 fields but the header has 8"),
    (HEADER + "\n" + 'q,"A,children,2,69,138,V,x\n', "unclosed quote"),
    ("", "the file is empty"),
    (HEADER.replace(",", ";") + "\n" + GOOD_ROW.replace(",", ";") + "\n", "save the file with commas"),
])
def test_malformed_csv_is_refused_not_repaired(tmp_path, text, words):
    """pandas would rename a doubled column, pad a short row with NaN, or fail with a parser trace."""
    path = tmp_path / "counts.csv"
    path.write_text(text)
    with pytest.raises(EvidenceError, match=words.replace("(", r"\(").replace(")", r"\)")):
        read_evidence(path)


def test_unreadable_evidence_files(tmp_path):
    with pytest.raises(EvidenceError, match="this is a folder"):
        read_evidence(tmp_path)
    with pytest.raises(EvidenceError, match="no such file"):
        read_evidence(tmp_path / "nope.csv")
    binary = tmp_path / "b.csv"
    binary.write_bytes(bytes(range(256)))
    with pytest.raises(EvidenceError, match="binary file"):
        read_evidence(binary)
    latin = tmp_path / "l.csv"
    latin.write_bytes((HEADER + "\nq,Caf\xe9,children,2,1,2,V,x\n").encode("latin-1"))
    with pytest.raises(EvidenceError, match="not UTF-8"):
        read_evidence(latin)


def test_a_bom_crlf_file_with_spaces_reads_as_the_plain_one(tmp_path):
    plain, odd = tmp_path / "plain.csv", tmp_path / "odd.csv"
    plain.write_text(HEADER + "\n" + GOOD_ROW + "\n")
    odd.write_bytes(("\ufeff" + HEADER + "\r\n" + GOOD_ROW.replace(",", ", ") + "\r\n\r\n").encode("utf-8"))
    pd.testing.assert_frame_equal(read_evidence(plain).drop(columns="note"), read_evidence(odd).drop(columns="note"),
                                  check_like=True)


@pytest.mark.parametrize("kwargs, words", [
    (dict(seed=-1), "seed must be a whole number from 0"),
    (dict(seed=True), "seed must be"),
    (dict(seed=1.5), "seed must be"),
    (dict(seed=1, draws=0), "draws must be"),
    (dict(seed=1, draws=float("nan")), "draws must be"),
    (dict(seed=1, chains=1000), "chains must be"),
    (dict(seed=1, target_accept=1.5), "target_accept must be"),
    (dict(seed=1, target_accept=float("nan")), "target_accept must be"),
    (dict(seed=1, log_kappa_prior=(4.0, 0.0)), "standard deviation of the log-kappa prior must be"),
    (dict(seed=1, log_kappa_prior=(float("inf"), 1.5)), "mean of the log-kappa prior must be"),
])
def test_update_arguments_are_checked_before_any_sampling(kwargs, words):
    with pytest.raises(DecideError, match=words):
        update(counts([("A", 3, 10)]), **kwargs)


def test_prior_and_selection_arguments_are_checked():
    for a, b in ((0, 1), (1, float("nan")), (float("inf"), 2), (True, 2)):
        with pytest.raises(DecideError, match="alpha must be|beta must be"):
            beta_prior(a, b)
    table = counts([("A", 3, 10)])
    for tolerance in (float("nan"), -1, float("inf")):
        with pytest.raises(DecideError, match="horizon_tolerance"):
            select(table, "q", horizon_tolerance=tolerance)
