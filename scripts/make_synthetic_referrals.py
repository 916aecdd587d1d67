"""Write data/synthetic/referrals.csv: synthetic referrals scored by a risk tool, for the audit notebook.

No person is in this file; every row is drawn from the process below with a fixed seed, so
running the script again gives the same file byte for byte.

The true generating process (what an analyst never sees, and what the notebook checks against):

1. Each referred family has an area (North 70 %, South 30 %) and a deprivation level (more
   deprived 45 %, less deprived 55 %), independently, and an unobserved level of need
   z ~ Normal(0, 1).
2. Harm to the child within 12 months (``true_harm``) happens with probability
   expit(-1.7 + 0.9 z + 0.35 [more deprived]): need is real, and so is a deprivation gradient in it.
3. The tool does not see need. It sees administrative records: prior contacts with services,
   Poisson with mean exp(0.1 + 0.45 z + s), where s is how closely the family is watched
   (0 less deprived North, 0.3 less deprived South, 0.5 more deprived North, 0.8 more deprived
   South), and a noisy reading of need, z + Normal(0, 0.8). Its score is
   expit(-2.1 + 0.8 (z + noise) + 0.45 log(1 + prior contacts)), given to two decimals, as
   the tool would print it.
4. The service investigates families with a score of 0.30 or more (``investigated``).
5. The recorded outcome is re-referral within 12 months (``re_referred``): every family with
   harm is re-referred, and families without harm are re-referred anyway with a probability set
   by surveillance, 0.03 / 0.05 / 0.07 / 0.10 in the four groups above, times 1.6 if the family
   was investigated (an investigation brings more eyes). So the recorded outcome overstates
   harm, more in the watched groups and more among the flagged: label bias, one way only.

``true_harm`` is in the file only so the notebook can show what the audit would say if the
truth were known; a real audit never has it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import expit

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "data" / "synthetic" / "referrals.csv"
SEED = 20261123
ROWS = 30_000
THRESHOLD = 0.30

#: Surveillance by (deprivation, area): watched-ness s in the prior-contact model, and the chance
#: that a family without harm is re-referred anyway.
SURVEILLANCE = {
    ("less deprived", "North"): (0.0, 0.03),
    ("less deprived", "South"): (0.3, 0.05),
    ("more deprived", "North"): (0.5, 0.07),
    ("more deprived", "South"): (0.8, 0.10),
}
INVESTIGATION_MULTIPLIER = 1.6


def make(rows: int = ROWS, seed: int = SEED) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    area = np.where(rng.random(rows) < 0.7, "North", "South")
    more = rng.random(rows) < 0.45
    deprivation = np.where(more, "more deprived", "less deprived")
    z = rng.normal(size=rows)
    harm = rng.random(rows) < expit(-1.7 + 0.9 * z + 0.35 * more)
    key = pd.Series(list(zip(deprivation, area)))
    watched = key.map(lambda k: SURVEILLANCE[k][0]).to_numpy()
    spurious = key.map(lambda k: SURVEILLANCE[k][1]).to_numpy()
    prior_contacts = rng.poisson(np.exp(0.1 + 0.45 * z + watched))
    reading = z + rng.normal(0, 0.8, size=rows)
    score = np.round(expit(-2.1 + 0.8 * reading + 0.45 * np.log1p(prior_contacts)), 2)
    investigated = score >= THRESHOLD
    p_spurious = spurious * np.where(investigated, INVESTIGATION_MULTIPLIER, 1.0)
    re_referred = harm | (rng.random(rows) < p_spurious)
    return pd.DataFrame({
        "area": area,
        "deprivation": deprivation,
        "risk_score": score,
        "investigated": investigated.astype(int),
        "re_referred": re_referred.astype(int),
        "true_harm": harm.astype(int),
    })


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(OUT), help=f"where to write (default {OUT.relative_to(ROOT)})")
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    make(args.rows, args.seed).to_csv(out, index=False, lineterminator="\n")
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB, {args.rows} rows, seed {args.seed})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
