"""The whole audit in one call: count the referrals wherever they are, then audit the counts."""

from __future__ import annotations

import warnings


from decide.audit.counting import count
from decide.audit.rates import Audit, audit_counts


def audit(data, *, score: str | None, outcome: str, group, reference: str, threshold: float | None = None,
          flag: str | None = None, score_range=None, drop_missing: bool = False, max_bins: int = 1000, **options) -> Audit:
    """Audit a risk tool from one row per referral: count (see :func:`decide.audit.counting.count`), then
    :func:`audit_counts`.

    ``data`` is a pandas DataFrame (counted with numpy), a polars or pyarrow table, an Ibis table, or
    the path of a CSV or Parquet file or a glob of them (counted by the engine, without loading the
    rows); all give the same counts. ``options`` go to :func:`audit_counts` (prior, interval, draws,
    seed, ratio_band, difference_band, decisive, bands). Notes about the data are in ``result.notes``
    and are also issued as warnings.
    """
    counts = count(data, score=score, outcome=outcome, group=group, threshold=threshold, flag=flag,
                   score_range=score_range, drop_missing=drop_missing, max_bins=max_bins)
    result = audit_counts(counts, reference=reference, **options)
    for note in result.notes:
        warnings.warn(note, stacklevel=2)
    return result


