"""Make the synthetic agency data for notebook 07 (adoption timeliness, complexity and breakdown).

No real child or agency: every number comes from the process below, with a fixed seed, so the
same command always writes the same files.

    .venv/bin/python scripts/make_synthetic_agencies.py          # writes data/synthetic/agencies*.csv

The true process (what a good indicator should recover):

* 24 agencies (local authorities). Each places between about 8 and 200 children for adoption
  over three years (sizes log-normal), so some agencies have very few children.
* Each agency has a *complexity* score (standard normal). It raises the share of its children who
  are in sibling groups, older (aged 5 or more on entering care) and disabled: these are the
  groups known to wait longer for a match (ADCS; National Adoption Leadership Board).
* Timeliness (A1, days from entering care to moving in with the adoptive family):
  log(days) = log(360) + agency effect + 0.25 sibling group + 0.35 older child + 0.30 disability
  + child-level noise (sd 0.35). The agency effect (sd 0.12, about +-12 %) is how well the agency
  works and is independent of its complexity, so complexity alone does not make an agency good
  or bad: it only makes its raw average look worse.
* Breakdown (the placement disrupting before or after the order, within the follow-up):
  logit(chance) = logit(0.04) + agency effect (sd 0.3) + log(2.5) older + log(1.3) sibling group
  + log(1.5) disability. Events are rare, so small agencies' rates are mostly noise.

Files: ``data/synthetic/agencies.csv`` (one row per child: agency, child, sibling_group,
older_child, disability, days_to_placement, breakdown), ``data/synthetic/agencies_truth.csv``
(one row per agency: its true effects and complexity, which real data never show) and
``data/synthetic/agencies_effects.csv`` (one row per complexity: how much it truly multiplies the
days and the odds of breakdown, so a notebook can set a model's estimates beside the truth
without typing them in).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import expit, logit

ROOT = Path(__file__).resolve().parent.parent
SEED = 20261123
N_AGENCIES = 24
BASE_DAYS = 360.0
TIMELINESS_EFFECTS = {"sibling_group": 0.25, "older_child": 0.35, "disability": 0.30}  # on log(days)
TIMELINESS_AGENCY_SD = 0.12
TIMELINESS_CHILD_SD = 0.35
BASE_BREAKDOWN = 0.04
BREAKDOWN_ODDS_RATIOS = {"sibling_group": 1.3, "older_child": 2.5, "disability": 1.5}
BREAKDOWN_AGENCY_SD = 0.3
#: Share of children with each complexity in an agency of average complexity, and how strongly
#: (on the log-odds scale) an agency's complexity score moves that share.
COMPLEXITY_BASE = {"sibling_group": 0.30, "older_child": 0.20, "disability": 0.12}
COMPLEXITY_SPREAD = 0.9


def make(seed: int = SEED, n_agencies: int = N_AGENCIES) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The child-level table and the agencies' true values, from one seed."""
    rng = np.random.default_rng(seed)
    names = [f"Agency {chr(65 + i)}" if i < 26 else f"Agency {i + 1}" for i in range(n_agencies)]
    sizes = np.clip(np.round(np.exp(rng.normal(np.log(45), 0.8, n_agencies))), 8, 200).astype(int)
    complexity = rng.normal(0, 1, n_agencies)
    timeliness_effect = rng.normal(0, TIMELINESS_AGENCY_SD, n_agencies)
    breakdown_effect = rng.normal(0, BREAKDOWN_AGENCY_SD, n_agencies)

    agency = np.repeat(np.arange(n_agencies), sizes)
    n = agency.size
    traits = {
        k: (rng.random(n) < expit(logit(p) + COMPLEXITY_SPREAD * complexity[agency])).astype(int)
        for k, p in COMPLEXITY_BASE.items()
    }
    log_days = (np.log(BASE_DAYS) + timeliness_effect[agency]
                + sum(b * traits[k] for k, b in TIMELINESS_EFFECTS.items())
                + rng.normal(0, TIMELINESS_CHILD_SD, n))
    log_odds = (logit(BASE_BREAKDOWN) + breakdown_effect[agency]
                + sum(np.log(orr) * traits[k] for k, orr in BREAKDOWN_ODDS_RATIOS.items()))
    children = pd.DataFrame({
        "agency": np.array(names)[agency],
        "child": [f"C{i + 1:05d}" for i in range(n)],
        **traits,
        "days_to_placement": np.round(np.exp(log_days)).astype(int),
        "breakdown": (rng.random(n) < expit(log_odds)).astype(int),
    })
    truth = pd.DataFrame({
        "agency": names,
        "children": sizes,
        "complexity_score": complexity.round(4),
        "true_timeliness_multiplier": np.exp(timeliness_effect).round(4),
        "true_breakdown_odds_ratio": np.exp(breakdown_effect).round(4),
        "true_timeliness_rank": pd.Series(timeliness_effect).rank(method="first").astype(int).to_numpy(),
    })
    return children, truth


def effects() -> pd.DataFrame:
    """The true effect of each complexity: the multiplier on days and the odds ratio of breakdown."""
    return pd.DataFrame({
        "complexity": list(TIMELINESS_EFFECTS),
        "days_multiplier": [round(float(np.exp(b)), 4) for b in TIMELINESS_EFFECTS.values()],
        "breakdown_odds_ratio": [BREAKDOWN_ODDS_RATIOS[k] for k in TIMELINESS_EFFECTS],
    })


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--out", default=str(ROOT / "data" / "synthetic"), help="output folder")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    children, truth = make(args.seed)
    children.to_csv(out / "agencies.csv", index=False)
    truth.to_csv(out / "agencies_truth.csv", index=False)
    effects().to_csv(out / "agencies_effects.csv", index=False)
    print(f"wrote {out / 'agencies.csv'} ({len(children)} children, {truth.shape[0]} agencies), "
          f"{out / 'agencies_truth.csv'} (seed {args.seed}) and {out / 'agencies_effects.csv'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
