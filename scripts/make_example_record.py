"""Write the example decision record shipped in data/records/ (the return-home case, phased return chosen).

Fixed seed and recording time, so the record's content is the same each run with the same library
versions; a new file appears only if those versions change the numbers (records never overwrite).
"""

import datetime as dt
from pathlib import Path

from decide.frame import Decision
from decide.record import make_record, write_record

ROOT = Path(__file__).resolve().parent.parent

if __name__ == "__main__":
    case = Decision.from_yaml(ROOT / "data" / "cases" / "return_home.yaml")
    rec = make_record(
        case, chosen="phased return", case_name="return_home", draws=4000, seed=20261005,
        reason="Mother has sustained change (programme completed, five months of negative tests) and Sam wants to go "
               "home; a phased return lets the team watch how the family copes before the move is complete.",
        recorded_by="team manager (synthetic example)",
        recorded_at=dt.datetime(2026, 10, 5, 17, 0, tzinfo=dt.timezone.utc),
    )
    target = ROOT / "data" / "records"
    existing = [p for p in target.glob("return_home_*.json") if rec.sha256[:12] in p.name]
    print(existing[0] if existing else write_record(rec, target))
