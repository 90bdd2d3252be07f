"""Read an office of generated Optima company databases and compare with a bare SELECT.

Usage: python benchmarks/optima_read.py [--companies 500] [--months 12] [--dir DIR]

Generates the configuration database and N company databases as SQLite files (the same shape as
Optima's SQL Server databases), reads them through OptimaReader exactly as the pipeline does, and
prints wall time, peak memory, SQL statements per company database, and the ratio to a bare
`SELECT *` of the same tables through sqlite3.
"""

import argparse
import resource
import sqlite3
import tempfile
import time
import tracemalloc
from pathlib import Path

from konekto_pipeline.domain.periods import months
from konekto_pipeline.settings import SqlProgram
from konekto_pipeline.sources.optima import settings as optima_map
from konekto_pipeline.sources.optima.reader import OptimaReader
from konekto_pipeline.sources.optima.writer import generated_office, write_optima_sqlite_office
from konekto_pipeline.sources.sql.connection import SqlServer, SqlServerTarget

TABLES = ("Firma", "DeklNag", "BnkZdarzenia", "ZapisyKPR", "Ryczalt", "VatNag", "VatTab")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=500)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    periods = months("2026-01", f"2026-{args.months:02d}") if args.months <= 12 else None
    folder = args.dir or Path(tempfile.mkdtemp(prefix="optima-bench-"))

    started = time.perf_counter()
    office = generated_office(args.companies, periods, seed=1)
    template = write_optima_sqlite_office(folder, office)
    print(f"generated {args.companies} company databases x {len(periods)} months "
          f"in {time.perf_counter() - started:.1f} s ({folder})")  # fmt: skip

    reader_seconds, peak, data, statements = _read(template, periods)
    bare_seconds, bare_rows = _bare_select(folder, [c.database for c in office.companies])

    per_database = sorted(statements.values())
    rows = sum(len(data.frame(kind)) for kind in ("companies", "taxes", "summaries"))
    print(f"pipeline read:   {reader_seconds:.2f} s wall, "
          f"peak Python memory {peak / 2**20:.1f} MiB,"
          f" max RSS {_max_rss_mib():.0f} MiB")  # fmt: skip
    print(
        f"frames:          {len(data.companies)} companies, {len(data.taxes)} tax rows, "
        f"{len(data.summaries)} summary rows ({rows} rows), {len(data.problems)} problems"
    )
    print(
        f"statements/db:   min {per_database[0]}, max {per_database[-1]} "
        f"(configuration database: {statements.get(office.configuration, 0)})"
    )
    print(f"bare SELECT *:   {bare_seconds:.2f} s for {bare_rows} source rows")
    print(f"ratio:           {reader_seconds / bare_seconds:.2f}x the bare SELECT")


def _max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _read(template: str, periods: list[str]):
    """Timed once as the pipeline runs it, then again under tracemalloc for the peak memory
    (tracing slows Python down several times, so it never touches the timing)."""
    started = time.perf_counter()
    data, statements = _read_once(template, periods)
    seconds = time.perf_counter() - started
    tracemalloc.start()
    _read_once(template, periods)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak, data, statements


def _read_once(template: str, periods: list[str]):
    settings = SqlProgram(url=template)
    target = SqlServerTarget(url_template=template)
    with SqlServer(target, sqlite_schemas=optima_map.SQLITE_SCHEMAS, program="optima") as server:
        data = OptimaReader(server, settings).read(periods)
        return data, dict(server.statements_by_database)


def _bare_select(folder: Path, databases: list[str]) -> tuple[float, int]:
    """The same tables read with nothing but sqlite3 and `SELECT *`, one file after another."""
    started = time.perf_counter()
    rows = 0
    for database in databases:
        connection = sqlite3.connect(f"file:{folder / database}.sqlite?mode=ro", uri=True)
        for table in TABLES:
            try:
                rows += len(connection.execute(f'SELECT * FROM "{table}"').fetchall())
            except sqlite3.OperationalError:
                continue  # a table the generated company does not have (ryczałt vs KPiR)
        connection.close()
    return time.perf_counter() - started, rows


if __name__ == "__main__":
    main()
