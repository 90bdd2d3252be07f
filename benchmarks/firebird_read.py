"""Benchmark: read Raks and Fakt offices of 1,000 companies x 12 months from the local Firebird.

Writes the offices with the programs' writers (Raks: a global database and one database per
company; Fakt: one database), reads them through the readers, and prints wall time, peak
memory and the ratio to a bare `fdb` fetch of the same rows (the same SELECTs on the same
databases, one attachment at a time, no catalogue query, no frames). Target: ratio <= 1.5.

    python benchmarks/firebird_read.py [--companies 1000] [--months 12] [--program raks|fakt]

Needs Firebird on 127.0.0.1:3050 (.ci/firebird.sh as root) and KONEKTO_FB_PASSWORD if the
SYSDBA password is not "masterkey". Times are the best of 5 rounds, the reader and the bare
fetch taking turns (the machine may be shared); peak memory is measured with tracemalloc in a
separate read, so that tracing does not slow the timed ones.
"""

import argparse
import random
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import date
from typing import Any

import fdb

from konekto_pipeline.sources.fakt import writer as fakt_writer
from konekto_pipeline.sources.fakt.reader import FaktReader
from konekto_pipeline.sources.firebird.connection import FirebirdDatabase, FirebirdServer
from konekto_pipeline.sources.firebird.local import (
    local_target,
    remove_folder,
    server_folder,
    server_problem,
)
from konekto_pipeline.sources.firebird.program import FaktProgram, RaksProgram
from konekto_pipeline.sources.raks import writer as raks_writer
from konekto_pipeline.sources.raks.reader import RaksReader

YEAR = 2025
REPEATS = 5


def _nip(number: int) -> str:
    """A valid NIP for a company number (checksum digit computed, 10 never used)."""
    weights = (6, 5, 7, 2, 3, 4, 5, 6, 7)
    base = 100_000_000 + number * 7
    while True:
        digits = [int(d) for d in f"{base:09d}"]
        check = sum(w * d for w, d in zip(weights, digits, strict=True)) % 11
        if check != 10:
            return f"{base:09d}{check}"
        base += 1


def _raks_office(companies: int, months: int, rng: random.Random) -> raks_writer.RaksData:
    firms, declarations = [], []
    for number in range(1, companies + 1):
        kpir, vat = [], []
        for month in range(1, months + 1):
            kpir.extend(
                raks_writer.KpirEntry(
                    date(YEAR, month, day),
                    sales=rng.randint(0, 5_000_000),
                    purchases=rng.randint(0, 2_000_000),
                    other_costs=rng.randint(0, 300_000),
                )
                for day in (3, 14, 27)
            )
            vat.append(raks_writer.VatEntry(YEAR, month, "S", rng.randint(0, 900_000)))
            vat.append(raks_writer.VatEntry(YEAR, month, "Z", rng.randint(0, 400_000)))
            declarations.append(
                raks_writer.RaksDeclaration(number, "VAT-7", YEAR, month, rng.randint(0, 9_999_999))
            )
            declarations.append(
                raks_writer.RaksDeclaration(number, "PIT-5", YEAR, month, rng.randint(0, 999_999))
            )
        firms.append(
            raks_writer.RaksCompany(
                number, f"Firma Żółta {number:04d}", _nip(number), kpir=kpir, vat=vat
            )
        )
    return raks_writer.RaksData(firms, declarations)


def _fakt_office(companies: int, months: int, rng: random.Random) -> fakt_writer.FaktData:
    firms, report, declarations = [], [], []
    for number in range(1, companies + 1):
        firms.append(fakt_writer.FaktCompany(number, f"Łódź Handel {number:04d}", _nip(number)))
        for month in range(1, months + 1):
            for symbol in ("ZUS-SPOL", "ZUS-ZDROW", "ZUS-FP", "VAT-7", "PIT-4"):
                amount = rng.randint(0, 3_000_000)
                report.append(fakt_writer.ReportLine(number, YEAR, month, symbol, amount))
            declarations.append(fakt_writer.FaktDeclaration(number, YEAR, month, "VAT-7"))
    return fakt_writer.FaktData(firms, report, declarations)


class _Recorder:
    """Records the SELECTs the reader sends per database, to replay them with bare fdb."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, str, list[Any]]] = []

    def install(self) -> Callable[[], None]:
        original = FirebirdDatabase.query
        recorder = self

        def query(self: FirebirdDatabase, sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
            if "RDB$RELATION_FIELDS" not in sql:
                recorder.statements.append((self.path, sql, list(params)))
            return original(self, sql, params)

        FirebirdDatabase.query = query  # type: ignore[method-assign]
        return lambda: setattr(FirebirdDatabase, "query", original)


def _bare_fetch(statements: list[tuple[str, str, list[Any]]]) -> int:
    """The same SELECTs with plain fdb: one attachment per database, rows fetched, nothing more."""
    target = local_target()
    rows = 0
    by_path: dict[str, list[tuple[str, list[Any]]]] = {}
    for path, sql, params in statements:
        by_path.setdefault(path, []).append((sql, params))
    for path, queries in by_path.items():
        connection = fdb.connect(
            host=target.host,
            port=target.port,
            database=path,
            user=target.user,
            password=target.password,
            charset="WIN1250",
        )
        cursor = connection.cursor()
        for sql, params in queries:
            cursor.execute(sql, params)
            rows += len(cursor.fetchall())
        connection.commit()
        connection.close()
    return rows


def _best(*runs: Callable[[], Any]) -> list[tuple[float, Any]]:
    """Per run, the shortest wall time of REPEATS rounds and its last result. The runs take
    turns within a round, so that a busy moment on a shared machine hits them alike."""
    best: list[tuple[float, Any]] = [(float("inf"), None)] * len(runs)
    for _ in range(REPEATS):
        for number, run in enumerate(runs):
            started = time.perf_counter()
            result = run()
            best[number] = (min(best[number][0], time.perf_counter() - started), result)
    return best


def _measure(name: str, read: Callable[[], Any]) -> None:
    recorder = _Recorder()
    uninstall = recorder.install()
    try:
        read()  # warm-up and recording of the statements
    finally:
        uninstall()

    (reader_seconds, data), (bare_seconds, rows) = _best(
        read, lambda: _bare_fetch(recorder.statements)
    )

    tracemalloc.start()
    read()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    frames = ", ".join(f"{len(data.frame(kind))} {kind}" for kind in ("zus", "taxes", "summaries"))
    print(
        f"{name}: read {len(data.companies)} companies ({frames}, {len(data.problems)} problems) "
        f"in {reader_seconds:.2f} s; peak traced memory {peak / 2**20:.1f} MiB"
    )
    print(
        f"{name}: bare fdb fetch of the same {rows} rows ({len(recorder.statements)} SELECTs) in "
        f"{bare_seconds:.2f} s; ratio {reader_seconds / bare_seconds:.2f}x (target <= 1.5x)"
    )


def _raks(companies: int, months: int, keep: bool) -> None:
    folder = server_folder(prefix="konekto-bench-raks-")
    try:
        started = time.perf_counter()
        office = _raks_office(companies, months, random.Random(7))
        raks_writer.write_raks_data_folder(local_target(), str(folder), office)
        print(f"raks: wrote {companies + 1} databases in {time.perf_counter() - started:.1f} s")
        periods = [f"{YEAR}-{month:02d}" for month in range(1, months + 1)]
        settings = RaksProgram(host="127.0.0.1", data_folder=str(folder))

        def read() -> Any:
            return RaksReader(FirebirdServer(local_target(), program="raks"), settings).read(
                periods
            )

        _measure("raks", read)
    finally:
        if not keep:
            remove_folder(folder)


def _fakt(companies: int, months: int, keep: bool) -> None:
    folder = server_folder(prefix="konekto-bench-fakt-")
    try:
        path = str(folder / "FAKT.FDB")
        started = time.perf_counter()
        fakt_writer.write_fakt_database(
            local_target(), path, _fakt_office(companies, months, random.Random(7))
        )
        print(f"fakt: wrote 1 database in {time.perf_counter() - started:.1f} s")
        periods = [f"{YEAR}-{month:02d}" for month in range(1, months + 1)]
        settings = FaktProgram(host="127.0.0.1", database=path)

        def read() -> Any:
            return FaktReader(FirebirdServer(local_target(), program="fakt"), settings).read(
                periods
            )

        _measure("fakt", read)
    finally:
        if not keep:
            remove_folder(folder)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=1000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--program", choices=("raks", "fakt", "both"), default="both")
    parser.add_argument("--keep", action="store_true", help="keep the databases (prints where)")
    args = parser.parse_args()
    problem = server_problem(local_target())
    if problem:
        print(f"cannot run: {problem}", file=sys.stderr)
        return 2
    if args.program in ("raks", "both"):
        _raks(args.companies, args.months, args.keep)
    if args.program in ("fakt", "both"):
        _fakt(args.companies, args.months, args.keep)
    return 0


if __name__ == "__main__":
    sys.exit(main())
