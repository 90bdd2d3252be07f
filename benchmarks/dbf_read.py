"""Benchmark: read Mała Księgowość and Buchalter offices of 1,000 companies x 12 months of DBF data.

Writes each office with the program's writer (CP1250, Polish names, memo notes on some tax
records; Buchalter with ten KPiR lines per company and month, a partners' ZUS register and, for
every fifth company, the employees' ZUS exports), reads the months through the reader as the
pipeline does, and prints wall time, peak memory and the ratio to a bare `dbfread` pass over
the same files (every .DBF the reader opened, memo files as they are; no frames, no checks).
Target: ratio <= 1.5.

    python benchmarks/dbf_read.py [--companies 1000] [--months 12] [--rounds 3]
        [--program mala_ksiegowosc|buchalter|both] [--dir DIR]

Times are the best of `--rounds`, the reader and the bare pass taking turns (the machine may be
shared). Peak traced memory comes from a separate read under tracemalloc, so that tracing does
not slow the timed ones. Each program is measured in a fresh process, so that its max RSS is
not the writer's or the other program's. The read's time is split into parsing the DBF files
(`read_dbf`, which the readers reach through `tables.read_table`) and the reader's own work, to
show which side to look at when the target is missed.
"""

import argparse
import multiprocessing
import random
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from itertools import accumulate
from pathlib import Path
from typing import Any

from dbfread import DBF

from konekto_pipeline.sources.base import SourceData
from konekto_pipeline.sources.buchalter import writer as buchalter_writer
from konekto_pipeline.sources.buchalter.program import BuchalterProgram
from konekto_pipeline.sources.buchalter.reader import BuchalterReader
from konekto_pipeline.sources.files import tables
from konekto_pipeline.sources.files.paths import PathMap
from konekto_pipeline.sources.mala_ksiegowosc import writer as mk_writer
from konekto_pipeline.sources.mala_ksiegowosc.program import MalaKsiegowoscProgram
from konekto_pipeline.sources.mala_ksiegowosc.reader import MalaKsiegowoscReader

YEAR = 2025
TARGET = 1.5
PROGRAMS = ("mala_ksiegowosc", "buchalter")
LEDGER_LINES = 10  # KPiR lines per Buchalter company and month
NAMES = (
    "Zakład Usług Ślusarskich „Żuraw”",
    "Piekarnia Złoty Kłos",
    "Hurtownia Łąka Sp.J.",
    "Gabinet Źródło Małgorzata Wężyk",
    "Usługi Remontowe Grzegorz Pająk",
    "Kwiaciarnia Róża Ćwikła",
)
SURNAMES = ("Kowalski", "Wiśniewska", "Wójcik", "Kamińska", "Lewandowski", "Zieliński")
FIRST_NAMES = ("Łukasz", "Małgorzata", "Jędrzej", "Żaneta", "Bożena", "Michał")


def _nip(number: int) -> str:
    """A NIP with a correct check digit for a company number (a base giving 10 is skipped)."""
    weights = (6, 5, 7, 2, 3, 4, 5, 6, 7)
    base = 521_000_000 + number * 13
    while (check := sum(w * int(d) for w, d in zip(weights, str(base), strict=True)) % 11) == 10:
        base += 1
    return f"{base}{check}"


def _name(number: int) -> str:
    return f"{NAMES[number % len(NAMES)]} {number:04d}"


def _ryczalt(number: int) -> bool:
    """Every fourth company is taxed by ryczałt (PIT-28, no costs); the others keep a KPiR."""
    return number % 4 == 0


# --- Mała Księgowość ------------------------------------------------------------------------------


def _mk_office(companies: int, months: int, rng: random.Random) -> list[mk_writer.MkCompany]:
    return [_mk_company(number, months, rng) for number in range(1, companies + 1)]


def _mk_company(number: int, months: int, rng: random.Random) -> mk_writer.MkCompany:
    ryczalt = _ryczalt(number)
    income_tax = "PIT28" if ryczalt else "PIT5"
    taxes = []
    for month in range(1, months + 1):
        note = f"Zapłacono przelewem {month:02d}.{YEAR} — Łódź" if month % 3 == 0 else None
        taxes.append(mk_writer.MkTax(YEAR, month, "VAT7", rng.randint(0, 2_000_000), note=note))
        taxes.append(mk_writer.MkTax(YEAR, month, income_tax, rng.randint(0, 900_000)))
    revenue = [rng.randint(100_000, 9_000_000) for _ in range(months)]
    costs = [rng.randint(0, amount) for amount in revenue]
    totals = tuple(
        mk_writer.MkMonth(
            YEAR,
            month,
            revenue[month - 1],
            None if ryczalt else costs[month - 1],
            revenue_ytd,
            None if ryczalt else costs_ytd,
        )
        for month, revenue_ytd, costs_ytd in zip(
            range(1, months + 1), accumulate(revenue), accumulate(costs), strict=True
        )
    )
    return mk_writer.MkCompany(
        id=f"F{number:04d}",
        name=_name(number),
        nip=_nip(number),
        email=f"biuro{number}@example.pl",
        phone=f"+48 22 {number:03d} 00 00",
        tax_form="R" if ryczalt else "K",
        taxes=tuple(taxes),
        months=totals,
    )


# --- Buchalter ------------------------------------------------------------------------------------


def _buchalter_office(
    companies: int, months: int, rng: random.Random
) -> list[buchalter_writer.BuchalterCompany]:
    return [_buchalter_company(number, months, rng) for number in range(1, companies + 1)]


def _buchalter_company(
    number: int, months: int, rng: random.Random
) -> buchalter_writer.BuchalterCompany:
    ryczalt = _ryczalt(number)
    employs = number % 5 == 0
    partners = tuple(
        buchalter_writer.Partner(
            partner, SURNAMES[(number + partner) % 6], FIRST_NAMES[(number + partner) % 6]
        )
        for partner in (1, 2)
    )
    return buchalter_writer.BuchalterCompany(
        folder=f"FIRMA{number:04d}",
        name=_name(number),
        nip=_nip(number),
        email=f"biuro{number}@example.pl",
        city="Kraków",
        tax_form="R" if ryczalt else "K",
        employs=employs,
        partners=partners,
        partners_zus=[
            buchalter_writer.PartnerZus(YEAR, month, partner.number, 152_000, 38_100, 12_000)
            for month in range(1, months + 1)
            for partner in partners
        ],
        declarations=_buchalter_declarations(months, ryczalt, rng),
        ledger=[] if ryczalt else _buchalter_ledger(months, rng),
        employees_zus=_buchalter_exports(months, rng) if employs else [],
        years=(YEAR,),
    )


def _buchalter_declarations(
    months: int, ryczalt: bool, rng: random.Random
) -> list[buchalter_writer.Declaration]:
    income_tax = "PIT-28" if ryczalt else "PIT-5"
    declarations = []
    for month in range(1, months + 1):
        notes = f"Wysłano e-Deklarację {month:02d}.{YEAR}, UPO w teczce" if month % 3 == 0 else None
        declarations.append(
            buchalter_writer.Declaration(
                YEAR, month, "VAT-7", rng.randint(0, 2_000_000), notes=notes
            )
        )
        declarations.append(
            buchalter_writer.Declaration(YEAR, month, income_tax, rng.randint(0, 900_000))
        )
    return declarations


def _buchalter_ledger(months: int, rng: random.Random) -> list[buchalter_writer.LedgerLine]:
    return [
        buchalter_writer.LedgerLine(
            date(YEAR, month, 1 + line * 27 // LEDGER_LINES),
            revenue=rng.randint(0, 1_500_000) if line % 2 == 0 else 0,
            costs=rng.randint(0, 600_000) if line % 2 == 1 else 0,
            description="Sprzedaż towarów — faktura" if line % 2 == 0 else "Zakup materiałów",
        )
        for month in range(1, months + 1)
        for line in range(LEDGER_LINES)
    ]


def _buchalter_exports(months: int, rng: random.Random) -> list[buchalter_writer.EmployeesZus]:
    return [
        buchalter_writer.EmployeesZus(
            YEAR,
            month,
            social=rng.randint(80_000, 200_000),
            health=rng.randint(30_000, 60_000),
            labour_fund=rng.randint(5_000, 15_000),
            exported=date(YEAR, month, 10),
        )
        for month in range(1, months + 1)
        for _ in range(3)
    ]


# --- writing --------------------------------------------------------------------------------------


def _write(program: str, folder: Path, companies: int, months: int) -> None:
    rng = random.Random(7)
    if program == "mala_ksiegowosc":
        mk_writer.write_mala_ksiegowosc(folder, _mk_office(companies, months, rng))
    else:
        buchalter_writer.write_buchalter(folder, _buchalter_office(companies, months, rng))


def _reader(program: str, folder: Path) -> Any:
    if program == "mala_ksiegowosc":
        return MalaKsiegowoscReader(MalaKsiegowoscProgram(folder=str(folder)), PathMap(), folder)
    return BuchalterReader(BuchalterProgram(folder=str(folder)), PathMap(), folder)


def _tables(folder: Path) -> int:
    return sum(1 for path in folder.rglob("*") if path.suffix.lower() == ".dbf")


def _size_mib(folder: Path) -> float:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file()) / 2**20


# --- measuring ------------------------------------------------------------------------------------


class _DbfCalls:
    """Wraps the readers' one way to a DBF file (`tables.read_dbf`): which files a read opens,
    in order (the bare pass reads the same), and how long the read spends parsing them."""

    def __init__(self) -> None:
        self.paths: list[Path] = []
        self.seconds = 0.0
        self._original = tables.read_dbf

    def install(self) -> None:
        original = self._original

        def timed(path: Path, **options: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(path, **options)
            finally:
                self.seconds += time.perf_counter() - started
                self.paths.append(path)

        tables.read_dbf = timed

    def uninstall(self) -> None:
        tables.read_dbf = self._original

    def reset(self) -> None:
        self.paths, self.seconds = [], 0.0


@dataclass(frozen=True)
class _Read:
    """One timed read's result: the frames, and the time its DBF parsing took."""

    data: SourceData
    dbf_seconds: float


def _bare_pass(files: list[Path]) -> int:
    """Every record of the files with plain dbfread (memo fields read where a file has them)."""
    records = 0
    for path in files:
        for _ in DBF(path, encoding="cp1250"):
            records += 1
    return records


def _best(rounds: int, *runs: Callable[[], Any]) -> list[tuple[float, Any]]:
    """Per run, the shortest wall time of `rounds` and its result. The runs take turns within a
    round, so that a busy moment on a shared machine hits them alike."""
    best: list[tuple[float, Any]] = [(float("inf"), None)] * len(runs)
    for _ in range(rounds):
        for number, run in enumerate(runs):
            started = time.perf_counter()
            result = run()
            seconds = time.perf_counter() - started
            if seconds < best[number][0]:
                best[number] = (seconds, result)
    return best


def _max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _check_clean(program: str, data: SourceData) -> None:
    """Clean generated data must read without a single problem; else the figures mean nothing."""
    if data.problems:
        shown = "\n  ".join(str(problem) for problem in data.problems[:5])
        raise SystemExit(f"{program}: {len(data.problems)} problems on clean data:\n  {shown}")


def _measure(program: str, folder: Path, months: int, rounds: int) -> None:
    """Runs in a fresh process: the reader and the bare pass timed in turns, then the peak."""
    periods = [f"{YEAR}-{month:02d}" for month in range(1, months + 1)]
    calls = _DbfCalls()

    def read() -> _Read:
        calls.reset()
        data = _reader(program, folder).read(periods)
        return _Read(data, calls.seconds)

    rss_before = _max_rss_mib()
    calls.install()
    try:
        _check_clean(program, read().data)  # a warm-up, and the files the bare pass is to read
        files = list(calls.paths)
        (read_seconds, best), (bare_seconds, records) = _best(
            rounds, read, lambda: _bare_pass(files)
        )
    finally:
        calls.uninstall()
    rss = _max_rss_mib()
    tracemalloc.start()
    _reader(program, folder).read(periods)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    _print_read(program, best, read_seconds, rounds)
    print(
        f"{program}: peak traced memory {peak / 2**20:.1f} MiB; max RSS {rss:.0f} MiB "
        f"({rss_before:.0f} MiB before the first read)"
    )
    print(
        f"{program}: bare dbfread pass over the same {len(files)} files ({records} records) "
        f"in {bare_seconds:.2f} s"
    )
    ratio = read_seconds / bare_seconds
    verdict = "met" if ratio <= TARGET else "MISSED"
    print(f"{program}: ratio {ratio:.2f}x the bare pass (target <= {TARGET}x): {verdict}")


def _print_read(program: str, best: _Read, seconds: float, rounds: int) -> None:
    data = best.data
    frames = ", ".join(
        f"{len(data.frame(kind))} {kind}" for kind in ("companies", "zus", "taxes", "summaries")
    )
    print(
        f"{program}: pipeline read ({frames}; {len(data.problems)} problems) "
        f"in {seconds:.2f} s (best of {rounds})"
    )
    print(
        f"{program}:   of which parsing the DBF files (read_dbf) {best.dbf_seconds:.2f} s, "
        f"the reader's own work (finding files, checks, frames) {seconds - best.dbf_seconds:.2f} s"
    )


# --- main -----------------------------------------------------------------------------------------


def _run(program: str, base: Path, args: argparse.Namespace) -> int:
    folder = base / program
    started = time.perf_counter()
    _write(program, folder, args.companies, args.months)
    print(
        f"{program}: wrote {args.companies} companies x {args.months} months "
        f"({_tables(folder)} tables, {_size_mib(folder):.1f} MiB with memo and index files) "
        f"in {time.perf_counter() - started:.1f} s (not measured)"
    )
    measure = multiprocessing.get_context("spawn").Process(
        target=_measure, args=(program, folder, args.months, args.rounds)
    )
    measure.start()
    measure.join()
    return measure.exitcode or 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=1000)
    parser.add_argument("--months", type=int, choices=range(1, 13), default=12)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--program", choices=(*PROGRAMS, "both"), default="both")
    parser.add_argument(
        "--dir", type=Path, default=None, help="write the offices here and keep them"
    )
    args = parser.parse_args()
    base = args.dir or Path(tempfile.mkdtemp(prefix="konekto-bench-dbf-"))
    programs = PROGRAMS if args.program == "both" else (args.program,)
    try:
        failed = [program for program in programs if _run(program, base, args) != 0]
    finally:
        if args.dir is None:
            shutil.rmtree(base, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
