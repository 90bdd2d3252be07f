"""The reference KonektoSmart panel: the v1 REST contract and a small Polish web page over it.

The pipeline uploads companies and items here (the embedded SQLite panel, or the same server run
on its own), and an office can look at its data in a browser before it points the pipeline at the
real service. The web page only shows data; approving from the page is not built yet, approval
goes through `POST /api/v1/companies/{nip}/approve`.
"""

import base64
import binascii
import hmac
import html
import logging
import pathlib
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime
from typing import Annotated, Protocol

import yaml
from fastapi import APIRouter, Body, Depends, FastAPI, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from konekto_pipeline.domain.money import format_pln
from konekto_pipeline.panel.contract import (
    API_PREFIX,
    API_VERSION,
    DATA_TYPES,
    MAX_ITEMS_PER_REQUEST,
    NIP_PATTERN,
    PERIOD_PATTERN,
    ApproveRequest,
    ApproveResult,
    Company,
    CompanyHistory,
    CompanyUpsertResult,
    DigestEntry,
    Health,
    HistoryEvent,
    Item,
    PaidRequest,
    ReplacedVersion,
    StoredItem,
    UpsertResult,
    item_digest,
)
from konekto_pipeline.panel.notify import needs_resend, sent_figures
from konekto_pipeline.panel.storage import PanelStorage

logger = logging.getLogger(__name__)

# The published contract, checked into the repository's docs/ (a test keeps it in step).
OPENAPI_PATH = pathlib.Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"

_UNKNOWN_COMPANY: dict[int | str, dict[str, object]] = {404: {"description": "unknown company"}}
_UNKNOWN_ITEM: dict[int | str, dict[str, object]] = {
    404: {"description": "unknown company, or no such approved item"}
}

NipPath = Annotated[str, Path(pattern=NIP_PATTERN, description="the company's NIP, 10 digits")]


class SummaryNotifier(Protocol):
    """Sends a company the summary of a month's approved items (e-mail, SMS, ...).

    `channel` names the way it went out and is recorded with each dispatch. Return False when
    nothing was sent; raising is treated the same way and logged.
    """

    channel: str

    def send_summary(
        self,
        company: Company,
        period: str,
        items: Sequence[StoredItem],
        *,
        updated: bool = False,
    ) -> bool:
        """Send the summary (`updated`: figures the client had were changed); True when it
        went out."""
        ...


class RecordingSummaryNotifier:
    """The default notifier: sends nothing, so the panel only records the dispatch.

    Real sending (SMTP e-mail, an SMS gateway) is not built yet; until it is, a requested summary
    shows up in `summary_dispatches` with channel "recorded" and the client gets nothing.
    """

    channel = "recorded"

    def send_summary(
        self,
        company: Company,
        period: str,
        items: Sequence[StoredItem],
        *,
        updated: bool = False,
    ) -> bool:
        return True


def create_app(
    database_url: str, token: str | None = None, *, notifier: SummaryNotifier | None = None
) -> FastAPI:
    """The panel app over the database at `database_url` (any SQLAlchemy URL).

    With a `token`, every /api/v1 call but health needs `Authorization: Bearer <token>`, and the
    web pages need it too (as the bearer token, or as the password of the browser's login box).
    """
    if token == "":
        raise ValueError("the panel token is empty; pass None to run the panel without one")
    storage = PanelStorage(database_url)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        storage.dispose()

    app = FastAPI(
        title="KonektoSmart panel (reference implementation)",
        version=str(API_VERSION),
        description="Contract v1 between konekto-pipeline and the office panel. Amounts in grosze.",
        lifespan=lifespan,
        generate_unique_id_function=lambda route: route.name,
    )
    app.state.storage = storage
    app.include_router(_health_router())
    app.include_router(_api_router(storage, token, notifier or RecordingSummaryNotifier()))
    app.include_router(_web_router(storage, token))
    return app


def _same_secret(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _bearer_dependency(token: str | None) -> Callable[..., None]:
    """A dependency that rejects calls without the panel's token; it never logs or echoes it."""
    bearer = HTTPBearer(auto_error=False, description="the panel's API token")

    def require_token(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> None:
        if token is None:
            return
        if credentials is None or not _same_secret(credentials.credentials, token):
            raise HTTPException(
                status_code=401,
                detail="missing or invalid bearer token",
                headers={"WWW-Authenticate": "Bearer"},
            )

    return require_token


def _health_router() -> APIRouter:
    router = APIRouter(prefix=API_PREFIX, tags=["health"])

    @router.get("/health")
    def health() -> Health:
        """Liveness check; needs no token."""
        return Health(status="ok", version=API_VERSION)

    return router


def _api_router(storage: PanelStorage, token: str | None, notifier: SummaryNotifier) -> APIRouter:
    router = APIRouter(
        prefix=API_PREFIX,
        dependencies=[Depends(_bearer_dependency(token))],
        responses={401: {"description": "missing or invalid bearer token"}},
    )

    def known_company(nip: str) -> Company:
        company = storage.company(nip)
        if company is None:
            raise HTTPException(
                status_code=404,
                detail=f"company {nip} is unknown; PUT {API_PREFIX}/companies/{nip} first",
            )
        return company

    @router.put("/companies/{nip}", tags=["companies"])
    def put_company(nip: NipPath, company: Company) -> CompanyUpsertResult:
        """Create or update a company (idempotent)."""
        if company.nip != nip:
            raise HTTPException(422, detail=f"body nip {company.nip} differs from the path's {nip}")
        return CompanyUpsertResult(status=storage.upsert_company(company))

    @router.get("/companies", tags=["companies"])
    def get_companies() -> list[Company]:
        """Every company the panel knows."""
        return storage.companies()

    @router.put("/companies/{nip}/items", tags=["items"], responses=_UNKNOWN_COMPANY)
    def put_items(
        nip: NipPath,
        items: Annotated[list[Item], Body(max_length=MAX_ITEMS_PER_REQUEST)],
        sent_by: Annotated[str | None, Query(max_length=200)] = None,
    ) -> list[UpsertResult]:
        """Store items by key (idempotent); a changed item loses its approval."""
        known_company(nip)
        problems = _item_problems(nip, items)
        if problems:
            raise HTTPException(422, detail="; ".join(problems))
        results = storage.upsert_items(nip, items, sent_by)
        counts = {status: 0 for status in ("created", "updated", "unchanged")}
        for result in results:
            counts[result.status] += 1
        logger.info(
            "items of NIP %s: %d created, %d updated, %d unchanged",
            nip,
            counts["created"],
            counts["updated"],
            counts["unchanged"],
        )
        return results

    @router.get("/digests", tags=["items"])
    def get_digests(
        nip: Annotated[list[str] | None, Query(description="only these NIPs")] = None,
        period: Annotated[list[str] | None, Query(description="only these months")] = None,
    ) -> list[DigestEntry]:
        """Digest and approval of every stored item, so the pipeline sends only what changed."""
        return storage.digests(nip, period)

    @router.post("/companies/{nip}/approve", tags=["items"], responses=_UNKNOWN_COMPANY)
    def approve(nip: NipPath, request: ApproveRequest) -> ApproveResult:
        """Approve a company's month; optionally send (for now: record) the month's summary."""
        company = known_company(nip)
        count = storage.approve(nip, request)
        logger.info("approved %d items of NIP %s for %s", count, nip, request.period)
        actor = request.approved_by
        if request.send_summary:
            sent = _send_summary(storage, notifier, company, request.period, actor=actor)
        else:
            sent = _send_changed_summary(storage, notifier, company, request.period, actor=actor)
        return ApproveResult(count=count, summary_sent=sent)

    @router.get("/companies/{nip}/items", tags=["items"], responses=_UNKNOWN_COMPANY)
    def get_items(
        nip: NipPath,
        period: Annotated[str | None, Query(pattern=PERIOD_PATTERN)] = None,
    ) -> list[StoredItem]:
        """A company's items with when and by whom they were sent and approved."""
        known_company(nip)
        return storage.items(nip, period)

    @router.post("/companies/{nip}/paid", tags=["items"], responses=_UNKNOWN_ITEM)
    def mark_paid(nip: NipPath, request: PaidRequest) -> StoredItem:
        """Mark an approved item paid (or not); the history keeps who did it and when."""
        known_company(nip)
        key = (nip, request.data_type, request.period, request.tax or "")
        if not storage.mark_paid(key, request.paid, request.by):
            label = " ".join(part for part in key[1:] if part)
            raise HTTPException(404, detail=f"no approved item {label} of company {nip}")
        return next(item for item in storage.items(nip, request.period) if item.key == key)

    @router.get("/companies/{nip}/history", tags=["items"], responses=_UNKNOWN_COMPANY)
    def get_history(
        nip: NipPath,
        period: Annotated[str | None, Query(pattern=PERIOD_PATTERN)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    ) -> CompanyHistory:
        """What uploads replaced (corrections keep what they replaced) and who did what."""
        known_company(nip)
        replaced = [
            ReplacedVersion(item=entry.item, replaced_at=entry.replaced_at)
            for entry in storage.history(nip, period)
        ]
        happened = [
            HistoryEvent(
                at=event.at,
                actor=event.actor,
                action=event.action,
                period=event.period,
                detail=event.detail,
            )
            for event in storage.events(nip, limit)
            if period is None or event.period in (None, period)
        ]
        return CompanyHistory(replaced=replaced, events=happened)

    return router


def _item_problems(nip: str, items: Sequence[Item], limit: int = 10) -> list[str]:
    """Why items of an upload cannot be stored, by position and key (never by amount)."""
    problems = []
    for index, item in enumerate(items):
        label = " ".join(part for part in (item.data_type, item.period, item.tax) if part)
        where = f"item {index} ({label})"
        if item.nip != nip:
            problems.append(f"{where}: nip {item.nip} differs from the path's {nip}")
        if item_digest(item) != item.digest:
            problems.append(f"{where}: digest does not match the item's content")
    if len(problems) > limit:
        return [*problems[:limit], f"and {len(problems) - limit} more"]
    return problems


def _send_summary(
    storage: PanelStorage,
    notifier: SummaryNotifier,
    company: Company,
    period: str,
    *,
    actor: str,
    updated: bool = False,
) -> bool:
    """Send the month's approved items; a month with nothing approved has no summary."""
    approved = [item for item in storage.items(company.nip, period) if item.approved]
    if not approved:
        return False
    try:
        sent = notifier.send_summary(company, period, approved, updated=updated)
    except Exception:
        logger.exception("summary for NIP %s, %s could not be sent", company.nip, period)
        return False
    if sent:
        figures = sent_figures(approved)
        channel = notifier.channel
        storage.record_dispatch(company.nip, period, channel, figures, actor, updated=updated)
    return sent


def _send_changed_summary(
    storage: PanelStorage, notifier: SummaryNotifier, company: Company, period: str, *, actor: str
) -> bool:
    """Tell the client once more when figures of a summary it had changed and are approved
    again (`notify.needs_resend`); the new figures are recorded, so it is told once."""
    sent_before = [d for d in storage.dispatches(company.nip) if d.period == period]
    if not sent_before:
        return False
    if not needs_resend(sent_before[-1].figures, storage.items(company.nip, period)):
        return False
    return _send_summary(storage, notifier, company, period, actor=actor, updated=True)


# --- web page (Polish) -------------------------------------------------------------------------

DATA_TYPE_LABELS = {"zus": "ZUS", "taxes": "Podatki", "summaries": "Podsumowania księgowe"}
AMOUNT_LABELS = {"zus": "Do zapłaty", "taxes": "Do zapłaty", "summaries": "Przychód"}

_STYLE = (
    "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:2em}"
    "th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left}"
    ".kwota{text-align:right;white-space:nowrap}.uwaga{color:#b00;font-weight:bold}"
)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _date_pl(day: date | None) -> str:
    return "" if day is None else day.strftime("%d.%m.%Y")


def _moment(moment: datetime | None) -> str:
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


def _page(title: str, body: str) -> HTMLResponse:
    document = (
        '<!DOCTYPE html>\n<html lang="pl"><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>\n"
    )
    return HTMLResponse(document)


def _web_access(token: str | None) -> Callable[[Request], None]:
    """Guards the web pages with the API token: bearer, or the password of HTTP Basic."""

    def require_access(request: Request) -> None:
        if token is None:
            return
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and _same_secret(value.strip(), token):
            return
        if scheme.lower() == "basic" and _same_secret(_basic_password(value), token):
            return
        raise HTTPException(
            status_code=401,
            detail="wymagane logowanie",
            headers={"WWW-Authenticate": 'Basic realm="KonektoSmart", charset="UTF-8"'},
        )

    return require_access


def _basic_password(value: str) -> str:
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ""
    return decoded.partition(":")[2]


def _web_router(storage: PanelStorage, token: str | None) -> APIRouter:
    router = APIRouter(include_in_schema=False, dependencies=[Depends(_web_access(token))])

    @router.get("/", response_class=HTMLResponse)
    def company_list() -> HTMLResponse:
        """Companies, with a mark on those that have data waiting for approval."""
        unapproved = storage.unapproved_counts()
        rows = "".join(
            f'<tr><td><a href="/firma/{_e(company.nip)}">{_e(company.name)}</a></td>'
            f"<td>{_e(company.nip)}</td><td>"
            + (
                '<span class="uwaga">niezatwierdzone dane</span>'
                if company.nip in unapproved
                else ""
            )
            + "</td></tr>"
            for company in storage.companies()
        )
        table = (
            "<table><tr><th>Nazwa</th><th>NIP</th><th>Stan</th></tr>" + rows + "</table>"
            if rows
            else "<p>Brak firm.</p>"
        )
        return _page("Firmy — panel KonektoSmart", "<h1>Firmy</h1>" + table)

    @router.get("/firma/{nip}", response_class=HTMLResponse)
    def company_page(nip: NipPath) -> HTMLResponse:
        """A company's months per data type, with amounts in złoty and approval."""
        company = storage.company(nip)
        if company is None:
            raise HTTPException(404, detail="nie ma takiej firmy")
        stored = storage.items(nip)
        sections = "".join(_data_type_section(data_type, stored) for data_type in DATA_TYPES)
        heading = f"<h1>{_e(company.name)}</h1><p>NIP {_e(company.nip)}</p>"
        back = '<p><a href="/">← wszystkie firmy</a></p>'
        return _page(f"{company.name} — panel KonektoSmart", back + heading + sections)

    return router


def _data_type_section(data_type: str, stored: Sequence[StoredItem]) -> str:
    chosen = sorted(
        (item for item in stored if item.data_type == data_type),
        key=lambda item: (item.period, item.tax or ""),
        reverse=True,
    )
    title = f"<h2>{_e(DATA_TYPE_LABELS[data_type])}</h2>"
    if not chosen:
        return title + "<p>Brak danych.</p>"
    header = (
        f"<tr><th>Miesiąc</th><th>Pozycja</th><th>Rodzaj</th><th>{AMOUNT_LABELS[data_type]}</th>"
        "<th>Termin płatności</th><th>Źródło</th><th>Wysłano</th><th>Zatwierdzenie</th></tr>"
    )
    return title + "<table>" + header + "".join(_item_row(item) for item in chosen) + "</table>"


def _item_row(item: StoredItem) -> str:
    if item.approved:
        by = (
            f" ({_e(item.approved_by)}, {_e(_moment(item.approved_at))})"
            if item.approved_by
            else ""
        )
        approval = f"zatwierdzone{by}"
    else:
        approval = '<span class="uwaga">niezatwierdzone</span>'
    cells = [
        _e(item.period),
        _e(item.tax or ""),
        _e(item.kind),
        _e(format_pln(item.amount)),
        _e(_date_pl(item.due_date)),
        _e(item.source),
        _e(_moment(item.sent_at)),
        approval,
    ]
    tds = "".join(
        f'<td class="kwota">{cell}</td>' if index == 3 else f"<td>{cell}</td>"
        for index, cell in enumerate(cells)
    )
    return f"<tr>{tds}</tr>"


# --- OpenAPI file --------------------------------------------------------------------------------


def openapi_document() -> dict[str, object]:
    """The OpenAPI document of contract v1, as the app generates it."""
    app = create_app("sqlite://")
    try:
        return app.openapi()
    finally:
        app.state.storage.dispose()


def openapi_yaml() -> str:
    """The OpenAPI document as the YAML committed in docs/openapi.yaml."""
    return yaml.safe_dump(openapi_document(), sort_keys=False, allow_unicode=True, width=100)


def write_openapi(path: pathlib.Path = OPENAPI_PATH) -> None:
    """Regenerate docs/openapi.yaml after a change of the contract."""
    path.write_text(openapi_yaml(), encoding="utf-8")


if __name__ == "__main__":
    write_openapi()
