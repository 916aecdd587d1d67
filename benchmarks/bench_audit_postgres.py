"""Benchmark: the audit's counting inside PostgreSQL against PostgreSQL's own bare GROUP BY count of the same
columns, on a generated table of one row per referral in 4 groups.

    .venv/bin/python benchmarks/bench_audit_postgres.py                  # 10^7 rows in a throwaway server
    .venv/bin/python benchmarks/bench_audit_postgres.py --rows 1000000 --pairs 3 [--json FILE]
    .venv/bin/python benchmarks/bench_audit_postgres.py --db postgresql://me@host/db   # a server of your own
                                                     # (makes and drops a table decide_bench_referrals there)

The throwaway server is the tests' (tests/engines.py: Debian's PostgreSQL, initdb in a temporary folder, a free
local port, removed at the end). The table is generated inside PostgreSQL (generate_series, seeded with setseed):
group (4 texts), score (a probability to two decimals), outcome (0/1). About 10 s per 10^7 rows here.

Timed, alternating pair by pair (so a busy machine slows both alike): the audit's counting
(decide.audit.counting.count_table: a query of the lowest and highest score, then one GROUP BY that makes the count
table and holds every check), and the bare `SELECT group, score, score >= T, outcome, count(*) ... GROUP BY`. The ratio
is taken per pair and its median reported, with the aim (issue 15: at most 1.5x the engine's bare count). The rest
of the audit (rates, intervals, disparities) works on the small count table in Python and is timed once, beside.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TABLE = "decide_bench_referrals"
AIM = 1.5


def generate(con, rows: int, seed: float) -> float:
    """Make the table inside PostgreSQL; returns the seconds it took."""
    start = time.perf_counter()
    con.execute(f"DROP TABLE IF EXISTS {TABLE}")
    con.execute("SET max_parallel_workers_per_gather = 0")  # one backend, so setseed makes the same rows every time
    con.execute("SELECT setseed(%s)", (seed,))
    con.execute(f"""
        CREATE UNLOGGED TABLE {TABLE} AS
        WITH r AS (SELECT floor(random() * 4)::int AS g, random() + random() + random() - 1.5 AS noise,
                          random() AS v
                   FROM generate_series(1, {int(rows)}))
        SELECT (ARRAY['less deprived North', 'less deprived South', 'more deprived North',
                      'more deprived South'])[g + 1] AS "group",
               round(100 * least(1, greatest(0, 0.2 + 0.3 * (v < 0.2 + 0.05 * g)::int + 0.4 * noise))) / 100
                   AS score,
               (v < 0.2 + 0.05 * g)::int AS outcome
        FROM r""")
    con.execute("RESET max_parallel_workers_per_gather")
    con.execute(f"VACUUM ANALYZE {TABLE}")
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--pairs", type=int, default=5, help="alternating (audit, bare count) pairs timed (default 5)")
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--seed", type=float, default=0.15, help="PostgreSQL's setseed, between -1 and 1")
    parser.add_argument("--db", help="a PostgreSQL URL of your own (password from PGPASSWORD or ~/.pgpass); default: "
                        "a throwaway server")
    parser.add_argument("--json", help="also write the rows to this JSON file, for run_all.py")
    args = parser.parse_args(argv)
    if args.rows < 1000 or args.pairs < 1 or not -1 <= args.seed <= 1:
        parser.error("--rows must be at least 1000, --pairs at least 1, --seed between -1 and 1")

    import psycopg

    from decide.audit.counting import count_table
    from decide.audit.engines import connect
    from decide.audit.rates import audit_counts

    stop = None
    if args.db:
        url = args.db
    else:
        sys.path.insert(0, str(ROOT / "tests"))
        from engines import start_postgres

        server, stop = start_postgres()
        url = server.url
    try:
        with psycopg.connect(url, autocommit=True) as con:
            seconds = generate(con, args.rows, args.seed)
            size = con.execute(f"SELECT pg_size_pretty(pg_total_relation_size('{TABLE}'))").fetchone()[0]
            version = con.execute("SHOW server_version").fetchone()[0]
        print(f"PostgreSQL {version}: {args.rows:,} rows generated in {seconds:.1f} s ({size}), 4 groups, "
              f"scores to two decimals, threshold {args.threshold}")
        engine = connect(url)
        table = engine.table(TABLE)
        queries: list[float] = []  # seconds of each query the audit sends (the checks, then the count table)
        execute = engine.execute

        def timed_execute(expr, **kwargs):
            start = time.perf_counter()
            try:
                return execute(expr, **kwargs)
            finally:
                queries.append(time.perf_counter() - start)

        engine.execute = timed_execute
        bare_sql = (f'SELECT "group", score, score >= {args.threshold} AS flag, outcome, count(*) AS n '
                    f'FROM {TABLE} GROUP BY 1, 2, 3, 4')
        setting = dict(score="score", outcome="outcome", group="group", threshold=args.threshold)

        def run_audit():
            queries.clear()
            return count_table(table, source=TABLE, **setting)

        def run_bare():
            with psycopg.connect(url, autocommit=True) as con:  # a fresh connection each time, as the audit's is not
                return con.execute(bare_sql).fetchall()

        def timed(fn):
            start = time.perf_counter()
            out = fn()
            return time.perf_counter() - start, out

        counts = run_audit()  # warm: the table in the server's and the system's caches, the audit's imports loaded
        bare = run_bare()
        assert int(counts.table["n"].sum()) == args.rows == sum(r[-1] for r in bare)
        assert len(counts.table) == len(bare), "the audit's count table and the bare count have different cells"
        audit_times, bare_times, ratios, checks, tables = [], [], [], [], []
        for i in range(args.pairs):
            order = [("audit", run_audit), ("bare", run_bare)]
            for name, fn in order if i % 2 == 0 else order[::-1]:
                t, _ = timed(fn)
                (audit_times if name == "audit" else bare_times).append(t)
                if name == "audit":
                    assert len(queries) == 2, f"the audit sent {len(queries)} queries, not 2 (the checks, the count)"
                    checks.append(queries[0])
                    tables.append(queries[1])
            ratios.append(audit_times[-1] / bare_times[-1])
        t_rest, _ = timed(lambda: audit_counts(counts, reference="less deprived North", draws=4000, seed=1))
        ratio = statistics.median(ratios)
        print(f"{args.pairs} alternating pairs; median seconds:")
        print(f"  {'step':<48}{'seconds':>9}{'ratio':>8}{'aim':>8}")
        print(f"  {'PostgreSQL bare GROUP BY count':<48}{statistics.median(bare_times):9.2f}")
        print(f"  {'audit counting (range + one GROUP BY)':<48}{statistics.median(audit_times):9.2f}{ratio:8.2f}"
              f"{'<= ' + format(AIM, 'g'):>8}  {'met' if ratio <= AIM else 'NOT met'}")
        bare_median = statistics.median(bare_times)
        for what, times in (("  of which: the lowest and highest score", checks), ("  of which: one GROUP BY with every check", tables)):
            print(f"  {what:<48}{statistics.median(times):9.2f}{statistics.median(times) / bare_median:8.2f}")
        print(f"  {'rest of the audit, in Python on ' + format(len(counts.table), ',') + ' cells':<48}{t_rest:9.2f}")
        print(f"  per-pair ratios: {', '.join(f'{r:.2f}' for r in ratios)}")
        if args.json:
            row = dict(what=f"audit counting inside PostgreSQL, {args.rows:,} rows", baseline="PostgreSQL bare GROUP BY",
                       seconds=statistics.median(audit_times), baseline_seconds=bare_median, ratio=ratio, aim=AIM,
                       pairs=args.pairs, ratio_low=min(ratios), ratio_high=max(ratios), met=ratio <= AIM)
            Path(args.json).write_text(json.dumps({"benchmark": "audit_postgres", "rows": [row]}, indent=1))
        with psycopg.connect(url, autocommit=True) as con:
            con.execute(f"DROP TABLE IF EXISTS {TABLE}")
    finally:
        if stop:
            stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
