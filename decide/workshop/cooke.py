"""Performance weights in the manner of Cooke's classical model, from calibration questions.

Each participant gives a low / likely / high (10th, 50th, 90th percentile) for questions whose
answers are known (published figures). Calibration asks: do the known answers fall below the low,
between low and likely, between likely and high, and above the high about 10 %, 40 %, 40 % and
10 % of the time? Its score is the p-value of that test (Cooke 1991: 2N times the relative
information of the observed shares to the expected is chi-square with 3 degrees of freedom).
Information asks how narrow the answers are, against a uniform spread over the range everyone's
answers and the known value cover, widened by 10 % each side. A participant's weight is calibration
times information, normalised; with few questions calibration is coarse, so the weights are shown
beside equal weights, never instead of them without the facilitator choosing.
"""

from __future__ import annotations

import numpy as np

#: The share of known answers expected in each bin: below low, low-likely, likely-high, above high.
EXPECTED = np.array([0.1, 0.4, 0.4, 0.1])
#: How far the intrinsic range is widened on each side (Cooke's usual 10 % overshoot).
OVERSHOOT = 0.1


def bins(answers: dict[str, tuple[float, float, float]], truth: float) -> np.ndarray:
    """Which bin the known value falls in for each participant's (low, likely, high): 0 to 3."""
    return np.array([int(np.searchsorted(np.asarray(q), truth, side="right")) for q in answers.values()])


def calibration(counts) -> float:
    """Cooke's calibration score for bin counts (below low, low-likely, likely-high, above high)."""
    from scipy import stats

    counts = np.asarray(counts, dtype=float)
    n = counts.sum()
    if n == 0:
        return float("nan")
    s = counts / n
    inside = s > 0
    relative_information = float(np.sum(s[inside] * np.log(s[inside] / EXPECTED[inside])))
    return float(stats.chi2.sf(2 * n * relative_information, df=len(EXPECTED) - 1))


def information(q: tuple[float, float, float], lo: float, hi: float) -> float:
    """Relative information of a (low, likely, high) answer against the uniform over [lo, hi]."""
    edges = np.array([lo, *q, hi], dtype=float)
    widths = np.diff(edges)
    if np.any(widths <= 0):
        raise ValueError(f"the answer {q} does not lie inside the range {lo:g} to {hi:g}")
    return float(np.sum(EXPECTED * np.log(EXPECTED / (widths / (hi - lo)))))


def intrinsic_range(answers: dict[str, tuple[float, float, float]], truth: float) -> tuple[float, float]:
    """The range everyone's answers and the known value cover, widened by OVERSHOOT each side."""
    values = [truth, *(v for q in answers.values() for v in q)]
    lo, hi = min(values), max(values)
    pad = OVERSHOOT * (hi - lo) or OVERSHOOT * max(abs(hi), 1.0)
    return lo - pad, hi + pad


def scores(questions: dict[str, float], answers: dict[str, dict[str, tuple[float, float, float]]]) -> dict[str, dict]:
    """Per role: calibration, mean information, the combined score and the bin counts.

    ``questions`` maps each question to its known value; ``answers`` maps each question to each
    role's (low, likely, high). Only roles that answered every question are scored."""
    roles = sorted(set.intersection(*(set(a) for a in answers.values()))) if answers else []
    out = {}
    for role in roles:
        counts = np.zeros(len(EXPECTED))
        info = []
        for name, truth in questions.items():
            given = answers[name]
            counts[bins({role: given[role]}, truth)[0]] += 1
            lo, hi = intrinsic_range(given, truth)
            info.append(information(given[role], lo, hi))
        c = calibration(counts)
        out[role] = {"calibration": c, "information": float(np.mean(info)), "score": c * float(np.mean(info)),
                     "counts": [int(x) for x in counts]}
    return out


def weights(scored: dict[str, dict]) -> dict[str, float]:
    """Each role's performance weight: its score as a share of all roles' scores."""
    total = sum(s["score"] for s in scored.values())
    if not total > 0:
        return {role: 1.0 / len(scored) for role in scored} if scored else {}
    return {role: s["score"] / total for role, s in scored.items()}
