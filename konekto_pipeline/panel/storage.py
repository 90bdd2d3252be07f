"""Where the reference panel keeps companies, items and sent summaries: any SQLAlchemy database.

A SQLite file is the default (the pipeline's embedded panel); PostgreSQL works the same. The
tables are created on first use, and columns added since are added to an older database on start
(`add_missing_columns`). `tax` is stored as "" (not NULL) for ZUS and summary items so that the
unique key `(nip, data_type, period, tax)` holds on every database.

Nothing is deleted: an upload that changes an item first copies the version it replaces into
`item_history`, and every action (upload, approval, summary, payment mark) is a row of `events`
saying who did what and when.
"""

import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.pool import StaticPool

from konekto_pipeline.panel.contract import (
    ApproveRequest,
    Company,
    DigestEntry,
    Item,
    ItemKey,
    StoredItem,
    SyncState,
    UpsertResult,
)

metadata = sa.MetaData()

companies = sa.Table(
    "companies",
    metadata,
    sa.Column("nip", sa.String(10), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("regon", sa.String(14)),
    sa.Column("email", sa.String(320)),
    sa.Column("phone", sa.String(40)),
    sa.Column("legal_form", sa.String(32)),
    sa.Column("tax_form", sa.String(32)),
    sa.Column("vat_period", sa.String(8)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)


def _item_columns() -> list[sa.Column[Any]]:
    """An item's columns, made anew for each table that holds items (the current ones and the
    versions they replaced): a column belongs to one table."""
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("nip", sa.String(10), sa.ForeignKey("companies.nip"), nullable=False),
        sa.Column("data_type", sa.String(16), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("tax", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("due_date", sa.Date),
        sa.Column("account", sa.String(26)),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_by", sa.String(200)),
        sa.Column("approved", sa.Boolean, nullable=False, default=False),
        sa.Column("approved_at", sa.DateTime(timezone=True)),
        sa.Column("approved_by", sa.String(200)),
        sa.Column("paid_at", sa.DateTime(timezone=True)),
        sa.Column("paid_by", sa.String(200)),
    ]


items = sa.Table(
    "items",
    metadata,
    *_item_columns(),
    sa.UniqueConstraint("nip", "data_type", "period", "tax", name="uq_items_key"),
)

item_history = sa.Table(
    "item_history",
    metadata,
    *_item_columns(),
    sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_item_history_company_period", "nip", "period"),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("nip", sa.String(10)),
    sa.Column("period", sa.String(7)),
    sa.Column("detail", sa.Text, nullable=False, default=""),
    sa.Index("ix_events_company", "nip", "id"),
)

summary_dispatches = sa.Table(
    "summary_dispatches",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("nip", sa.String(10), sa.ForeignKey("companies.nip"), nullable=False),
    sa.Column("period", sa.String(7), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("figures", sa.JSON),
    sa.Index("ix_summary_dispatches_company_period", "nip", "period"),
)

sync_states = sa.Table(
    "sync_states",
    metadata,
    sa.Column("nip", sa.String(10), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text, nullable=False, default=""),
    sa.Column("run_id", sa.String(64)),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)

_NOT_APPROVED = {
    "approved": False,
    "approved_at": None,
    "approved_by": None,
    "paid_at": None,
    "paid_by": None,
}
_COMPANY_FIELDS = tuple(name for name in Company.model_fields if name != "nip")
_ITEM_CONTENT = ("kind", "amount", "due_date", "account", "source", "details", "digest")


@dataclass(frozen=True)
class SummaryDispatch:
    """A month's summary the panel sent (or recorded) for a company; `figures` are what it told
    (`notify.sent_figures`), so that a later change of them is told once more."""

    nip: str
    period: str
    sent_at: datetime
    channel: str
    figures: dict[str, str] | None = None


@dataclass(frozen=True)
class Event:
    """One thing someone did in the panel: upload, approve, summary, paid, ... (the history)."""

    at: datetime
    actor: str
    action: str
    nip: str | None
    period: str | None
    detail: str


@dataclass(frozen=True)
class LastSync:
    """The last sync state the pipeline reported for a company, and when it changed."""

    status: str
    reason: str
    run_id: str | None
    at: datetime


@dataclass(frozen=True)
class ReplacedItem:
    """A version of an item that a later upload replaced, with when it was replaced."""

    item: StoredItem
    replaced_at: datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything stored here is UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def create_panel_engine(database_url: str) -> sa.Engine:
    """An engine safe to share between uvicorn's worker threads, in-memory SQLite included."""
    url = sa.make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True)
    connect_args: dict[str, Any] = {"check_same_thread": False, "timeout": 30}
    if url.database in (None, "", ":memory:"):
        return sa.create_engine(url, connect_args=connect_args, poolclass=StaticPool)
    return sa.create_engine(url, connect_args=connect_args)


class PanelStorage:
    """The panel's tables behind a small API; one instance is shared by all request threads.

    Writes go through one lock, so concurrent uploads of the same new key in this process cannot
    collide on the unique key. Several server processes on one database are not supported: the
    second writer of a new key would get an integrity error (a 500) and the client would retry.
    """

    def __init__(self, database_url: str) -> None:
        self.engine = create_panel_engine(database_url)
        self._write_lock = threading.Lock()
        metadata.create_all(self.engine)
        add_missing_columns(self.engine)

    def dispose(self) -> None:
        """Close the engine's connections."""
        self.engine.dispose()

    def upsert_company(self, company: Company) -> str:
        """Insert or update a company; returns created, updated or unchanged."""
        values = company.model_dump(include=set(_COMPANY_FIELDS))
        with self._write_lock, self.engine.begin() as conn:
            row = conn.execute(sa.select(companies).where(companies.c.nip == company.nip)).first()
            now = utc_now()
            if row is None:
                conn.execute(
                    companies.insert().values(
                        nip=company.nip, **values, created_at=now, updated_at=now
                    )
                )
                return "created"
            if all(getattr(row, name) == value for name, value in values.items()):
                return "unchanged"
            conn.execute(
                companies.update()
                .where(companies.c.nip == company.nip)
                .values(**values, updated_at=now)
            )
            return "updated"

    def company(self, nip: str) -> Company | None:
        """The company with this NIP, or None when the panel does not know it."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(companies).where(companies.c.nip == nip)).first()
        return None if row is None else _company(row)

    def companies(self) -> list[Company]:
        """Every company, by name."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(companies).order_by(companies.c.name, companies.c.nip))
            return [_company(row) for row in rows]

    def unapproved_counts(self) -> dict[str, int]:
        """Per NIP, how many items still wait for approval (companies with none are absent)."""
        query = (
            sa.select(items.c.nip, sa.func.count())
            .where(items.c.approved.is_(False))
            .group_by(items.c.nip)
        )
        with self.engine.connect() as conn:
            return {nip: count for nip, count in conn.execute(query)}

    def upsert_items(
        self, nip: str, batch: Sequence[Item], sent_by: str | None = None
    ) -> list[UpsertResult]:
        """Store a company's items by key; a changed digest replaces the item and its approval.

        The caller checks that every item belongs to `nip` and carries a matching digest.
        """
        periods = sorted({item.period for item in batch})
        with self._write_lock, self.engine.begin() as conn:
            existing = _digests_by_key(conn, nip, periods)
            now = utc_now()
            results = [self._upsert_item(conn, item, existing, now, sent_by) for item in batch]
            _log_upload(conn, nip, results, sent_by)
        return results

    def _upsert_item(
        self,
        conn: sa.Connection,
        item: Item,
        existing: dict[ItemKey, str],
        now: datetime,
        sent_by: str | None,
    ) -> UpsertResult:
        key = item.key
        content = item.model_dump(include=set(_ITEM_CONTENT))
        sent = {"sent_at": now, "sent_by": sent_by}
        if key not in existing:
            conn.execute(
                items.insert().values(
                    nip=item.nip,
                    data_type=item.data_type,
                    period=item.period,
                    tax=item.tax or "",
                    **content,
                    **sent,
                    approved=False,
                )
            )
            status = "created"
        elif existing[key] == item.digest:
            status = "unchanged"
        else:
            _keep_replaced(conn, key, now)
            conn.execute(
                items.update().where(*_key_clause(key)).values(**content, **sent, **_NOT_APPROVED)
            )
            status = "updated"
        existing[key] = item.digest
        return UpsertResult(key=key, status=status)

    def digests(
        self, nips: Sequence[str] | None = None, periods: Sequence[str] | None = None
    ) -> list[DigestEntry]:
        """The digest and approval of every stored item, optionally only of some NIPs/months."""
        query = sa.select(
            items.c.nip,
            items.c.data_type,
            items.c.period,
            items.c.tax,
            items.c.digest,
            items.c.approved,
        ).order_by(items.c.nip, items.c.data_type, items.c.period, items.c.tax)
        if nips:
            query = query.where(items.c.nip.in_(list(nips)))
        if periods:
            query = query.where(items.c.period.in_(list(periods)))
        with self.engine.connect() as conn:
            return [
                DigestEntry(
                    nip=row.nip,
                    data_type=row.data_type,
                    period=row.period,
                    tax=row.tax or None,
                    digest=row.digest,
                    approved=row.approved,
                )
                for row in conn.execute(query)
            ]

    def approve(self, nip: str, request: ApproveRequest) -> int:
        """Mark the company's unapproved items of the month (and data types); returns how many."""
        statement = (
            items.update()
            .where(
                items.c.nip == nip,
                items.c.period == request.period,
                items.c.data_type.in_(request.data_types),
                items.c.approved.is_(False),
            )
            .values(approved=True, approved_at=utc_now(), approved_by=request.approved_by)
        )
        with self._write_lock, self.engine.begin() as conn:
            count = conn.execute(statement).rowcount
            if count:
                detail = f"{count} item(s): {', '.join(request.data_types)}"
                _log(conn, request.approved_by, "approve", nip, request.period, detail)
            return count

    def mark_paid(self, key: ItemKey, paid: bool, by: str) -> bool:
        """Mark an approved item paid (or not); False when there is no such approved item."""
        statement = (
            items.update()
            .where(*_key_clause(key), items.c.approved.is_(True))
            .values(paid_at=utc_now() if paid else None, paid_by=by if paid else None)
        )
        with self._write_lock, self.engine.begin() as conn:
            if conn.execute(statement).rowcount == 0:
                return False
            what = f"{key[1]} {key[3]}".strip()
            _log(conn, by, "paid" if paid else "unpaid", key[0], key[2], what)
        return True

    def history(self, nip: str, period: str | None = None) -> list[ReplacedItem]:
        """The versions of the company's items that later uploads replaced, oldest first."""
        query = sa.select(item_history).where(item_history.c.nip == nip)
        if period is not None:
            query = query.where(item_history.c.period == period)
        with self.engine.connect() as conn:
            return [
                ReplacedItem(_stored_item(row), as_utc(row.replaced_at))
                for row in conn.execute(query.order_by(item_history.c.id))
            ]

    def log_event(
        self, actor: str, action: str, nip: str | None, period: str | None, detail: str = ""
    ) -> None:
        """Note in the history that `actor` did `action` (of a company and month, if any)."""
        with self._write_lock, self.engine.begin() as conn:
            _log(conn, actor, action, nip, period, detail)

    def events(self, nip: str | None = None, limit: int = 200) -> list[Event]:
        """Who did what, newest first, of one company if given."""
        query = sa.select(events).order_by(events.c.id.desc()).limit(limit)
        if nip is not None:
            query = query.where(events.c.nip == nip)
        with self.engine.connect() as conn:
            return [
                Event(as_utc(row.at), row.actor, row.action, row.nip, row.period, row.detail)
                for row in conn.execute(query)
            ]

    def record_sync_states(self, states: Sequence[SyncState], actor: str) -> int:
        """Keep each company's last sync state; a change is also an event of its history."""
        now = utc_now()
        with self._write_lock, self.engine.begin() as conn:
            for state in states:
                values = {
                    "status": state.status,
                    "reason": state.reason,
                    "run_id": state.run_id,
                    "at": now,
                }
                where = sync_states.c.nip == state.nip
                if conn.execute(sa.select(sync_states.c.nip).where(where)).first() is None:
                    conn.execute(sync_states.insert().values(nip=state.nip, **values))
                else:
                    conn.execute(sync_states.update().where(where).values(**values))
                detail = f"{state.status}: {state.reason}" if state.reason else state.status
                _log(conn, actor, "sync", state.nip, None, detail[:2000])
        return len(states)

    def last_syncs(self) -> dict[str, LastSync]:
        """Per NIP, the last sync state reported (companies never reported are absent)."""
        with self.engine.connect() as conn:
            return {
                row.nip: LastSync(row.status, row.reason, row.run_id, as_utc(row.at))
                for row in conn.execute(sa.select(sync_states))
            }

    def items(self, nip: str | None = None, period: str | None = None) -> list[StoredItem]:
        """Stored items with their sending and approval, of one company and month if given."""
        return list(self.iter_items(nip, period))

    def iter_items(self, nip: str | None = None, period: str | None = None) -> Iterator[StoredItem]:
        """Like `items`, streamed row by row (for dumping a large panel)."""
        query = sa.select(items).order_by(
            items.c.nip, items.c.period, items.c.data_type, items.c.tax
        )
        if nip is not None:
            query = query.where(items.c.nip == nip)
        if period is not None:
            query = query.where(items.c.period == period)
        with self.engine.connect() as conn:
            for row in conn.execute(query):
                yield _stored_item(row)

    def record_dispatch(
        self,
        nip: str,
        period: str,
        channel: str,
        figures: dict[str, str] | None = None,
        actor: str = "panel",
        updated: bool = False,
    ) -> SummaryDispatch:
        """Note that the month's summary went out to the company through `channel`."""
        dispatch = SummaryDispatch(nip, period, utc_now(), channel, figures)
        with self._write_lock, self.engine.begin() as conn:
            conn.execute(
                summary_dispatches.insert().values(
                    nip=nip,
                    period=period,
                    sent_at=dispatch.sent_at,
                    channel=channel,
                    figures=figures,
                )
            )
            again = "changed figures, sent again" if updated else "sent"
            _log(conn, actor, "summary", nip, period, f"{again} by {channel}")
        return dispatch

    def dispatches(self, nip: str | None = None) -> list[SummaryDispatch]:
        """The recorded summary dispatches, oldest first, of one company if given."""
        query = sa.select(summary_dispatches).order_by(summary_dispatches.c.id)
        if nip is not None:
            query = query.where(summary_dispatches.c.nip == nip)
        with self.engine.connect() as conn:
            return [
                SummaryDispatch(
                    nip=row.nip,
                    period=row.period,
                    sent_at=as_utc(row.sent_at),
                    channel=row.channel,
                    figures=row.figures,
                )
                for row in conn.execute(query)
            ]


def _log(
    conn: sa.Connection,
    actor: str,
    action: str,
    nip: str | None,
    period: str | None,
    detail: str,
) -> None:
    row = {"actor": actor, "action": action, "nip": nip, "period": period, "detail": detail}
    conn.execute(events.insert().values(at=utc_now(), **row))


def _log_upload(
    conn: sa.Connection, nip: str, results: Sequence[UpsertResult], sent_by: str | None
) -> None:
    """One history line per upload that changed something: counts and months."""
    changed = [result for result in results if result.status != "unchanged"]
    if not changed:
        return
    counts = Counter(result.status for result in changed)
    months = ", ".join(sorted({result.key[2] for result in changed}))
    detail = f"{', '.join(f'{s} {n}' for s, n in sorted(counts.items()))} ({months})"
    _log(conn, sent_by or "pipeline", "upload", nip, None, detail)


def _keep_replaced(conn: sa.Connection, key: ItemKey, now: datetime) -> None:
    """Copy the stored version of an item into `item_history` before it is replaced."""
    names = [column.name for column in item_history.columns if column.name in items.columns]
    names.remove("id")
    source = sa.select(*(items.c[name] for name in names), sa.literal(now)).where(*_key_clause(key))
    conn.execute(item_history.insert().from_select([*names, "replaced_at"], source))


def add_missing_columns(engine: sa.Engine) -> None:
    """Add the columns an older panel database lacks (each of them nullable), so that a panel
    file made by an earlier version keeps working; nothing is dropped or changed."""
    inspector = sa.inspect(engine)
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            present = {column["name"] for column in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name in present or not column.nullable:
                    continue
                kind = column.type.compile(dialect=engine.dialect)
                conn.execute(sa.text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}'))


def _key_clause(key: ItemKey) -> list[sa.ColumnElement[bool]]:
    nip, data_type, period, tax = key
    return [
        items.c.nip == nip,
        items.c.data_type == data_type,
        items.c.period == period,
        items.c.tax == tax,
    ]


def _digests_by_key(conn: sa.Connection, nip: str, periods: list[str]) -> dict[ItemKey, str]:
    query = sa.select(
        items.c.nip, items.c.data_type, items.c.period, items.c.tax, items.c.digest
    ).where(items.c.nip == nip, items.c.period.in_(periods))
    return {
        (row.nip, row.data_type, row.period, row.tax): row.digest for row in conn.execute(query)
    }


def _company(row: sa.Row[Any]) -> Company:
    return Company.model_validate({name: getattr(row, name) for name in Company.model_fields})


def _stored_item(row: sa.Row[Any]) -> StoredItem:
    return StoredItem.model_validate(
        {
            **{name: getattr(row, name) for name in StoredItem.model_fields},
            "tax": row.tax or None,
            "sent_at": as_utc(row.sent_at),
            "approved_at": as_utc(row.approved_at),
            "paid_at": as_utc(row.paid_at),
        }
    )
