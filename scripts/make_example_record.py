"""Write the example decision record shipped in data/records/ (the return-home case, phased return chosen).

The project's default draws and seed (decide.defaults), so the record shows the numbers `decide
report` and `decide compare` show for the same case, and a fixed recording time, so the record's
content is the same each run with the same library versions. Running it again adds nothing when an
identical record (apart from its place in the folder's chain) is already there; otherwise the new
record is chained after the newest one (records are never overwritten). The example is not
signed: no private key is shipped with the project.
"""

import datetime as dt
from pathlib import Path

from decide import defaults
from decide.frame import Decision
from decide.record import load_record, make_record, write_record

ROOT = Path(__file__).resolve().parent.parent
PLACE = ("chain", "signed_by")  # what write_record adds to a record's content


def same_apart_from_place(a: dict, b: dict) -> bool:
    return {k: v for k, v in a.items() if k not in PLACE} == {k: v for k, v in b.items() if k not in PLACE}


if __name__ == "__main__":
    case = Decision.from_yaml(ROOT / "data" / "cases" / "return_home.yaml")
    rec = make_record(
        case, chosen="phased return", case_name="return_home", draws=defaults.DRAWS, seed=defaults.SEED,
        interval=defaults.INTERVAL,
        reason="Mother has sustained change (programme completed, five months of negative tests) and Sam wants to go "
               "home; a phased return lets the team watch how the family copes before the move is complete.",
        recorded_by="team manager (synthetic example)",
        recorded_at=dt.datetime(2026, 10, 5, 17, 0, tzinfo=dt.timezone.utc),
    )
    target = ROOT / "data" / "records"
    existing = [p for p in sorted(target.glob("return_home_*.json"))
                if same_apart_from_place(load_record(p).content, rec.content)]
    print(existing[0] if existing else write_record(rec, target))
