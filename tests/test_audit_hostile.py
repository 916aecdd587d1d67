"""Hostile inputs to `decide audit` whose numbers or sentences must be checked, not only a refusal's message
(the refusals are entries in tests/catalogue/audit.py)."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from decide import audit as A
from decide.audit.report import plain_summary

ROOT = Path(__file__).resolve().parent.parent
BASE = pd.read_csv(ROOT / "data" / "synthetic" / "referrals.csv").iloc[::75].reset_index(drop=True)  # 400 rows
FLAGGING = dict(score="risk_score", outcome="re_referred", group="deprivation", reference="less deprived", threshold=0.3,
                draws=400)


def _audit(df, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return A.audit(df, **{**FLAGGING, **kw})


def test_no_sentence_asks_for_an_fpr_that_is_not_a_rate():
    """A reference without recorded outcomes has PPV 0, so 'equal PPV' would need an FPR of inf: say nothing then."""
    df = BASE.assign(re_referred=BASE["re_referred"].where(BASE["deprivation"] != "less deprived", 0))
    a = _audit(df)
    assert a.impossibility.loc["less deprived", "ppv"] == 0
    text = " ".join(plain_summary(a))
    assert "Recorded base rates differ" in text
    for number in re.findall(r"need an FPR of (\S+?) \(", text):
        assert 0 <= float(number) <= 1, text
    assert not re.search(r"\b(inf|nan)\b", text, re.IGNORECASE), text


def test_the_fpr_example_stays_when_it_is_a_rate():
    """The guard above must not drop the example where it makes sense (ordinary data)."""
    text = " ".join(plain_summary(_audit(BASE)))
    needed = re.findall(r"need an FPR of (\S+?) \(", text)
    assert needed and all(0 <= float(x) <= 1 for x in needed), text

