"""The reference KonektoSmart panel: the v1 REST contract, and the office's and clients' pages.

The pipeline uploads companies and items here (the embedded SQLite panel, or the same server run
on its own). Office staff log in to approve months and send summaries (`web.py`); a client logs
in to see its approved figures, pay them by QR code and mark them paid. The REST API takes the
panel's token from the environment or an API token the panel made (stored hashed, `auth.py`).
"""

import hmac
import logging
import pathlib
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Annotated, Protocol

import yaml
from fastapi import APIRouter, Body, Depends, FastAPI, HTTPException, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from konekto_pipeline.panel.accounts import (
    account_state,
    account_states,
    client_login,
    invite_client,
)
from konekto_pipeline.panel.auth import PanelAuth
from konekto_pipeline.panel.contract import (
    API_PREFIX,
    API_VERSION,
    MAX_ITEMS_PER_REQUEST,
    NIP_PATTERN,
    PERIOD_PATTERN,
    ApproveRequest,
    ApproveResult,
    Company,
    CompanyHistory,
    CompanyListing,
    CompanyUpsertResult,
    DigestEntry,
    Health,
    HistoryEvent,
    InviteRequest,
    InviteResult,
    Item,
    PaidRequest,
    ReplacedVersion,
    StoredItem,
    SyncState,
    SyncStatesResult,
    UpsertResult,
    item_digest,
)
from konekto_pipeline.panel.notify import needs_resend, sent_figures
from konekto_pipeline.panel.storage import PanelStorage
from konekto_pipeline.panel.web import create_web_router

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
    """The notifier of a panel whose office set up neither e-mail nor SMS (`notifications`):
    a requested summary shows up in `summary_dispatches` with channel "recorded" and the client
    gets nothing."""

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
    database_url: str,
    token: str | None = None,
    *,
    notifier: SummaryNotifier | None = None,
    office_name: str = "Biuro rachunkowe",
    session_secret: str | None = None,
) -> FastAPI:
    """The panel app over the database at `database_url` (any SQLAlchemy URL).

    The REST API needs `Authorization: Bearer <token>`: the `token` given here (the office's
    KONEKTO_PANEL_TOKEN) or an API token made by the panel. A panel with neither (the one a
    sync embeds on 127.0.0.1 for its own run) answers without one. The web pages need a login.
    """
    if token == "":
        raise ValueError("the panel token is empty; pass None to run the panel without one")
    storage = PanelStorage(database_url)
    auth = PanelAuth(storage, session_secret=session_secret)
    notifier = notifier or RecordingSummaryNotifier()

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
    app.state.auth = auth
    app.include_router(_health_router())
    public_url = getattr(notifier, "panel_url", None)
    app.include_router(
        _api_router(storage, auth, _bearer_dependency(token, auth), notifier, public_url)
    )
    app.include_router(
        create_web_router(storage, auth, notifier, office_name, public_url=public_url)
    )
    return app


def _same_secret(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _bearer_dependency(token: str | None, auth: PanelAuth) -> Callable[..., None]:
    """Rejects calls without the panel's token or an API token it made; never logs or echoes
    either. Repeated wrong tokens from one address are refused for a while (429), like logins,
    but a valid token always passes: guesses from a shared address cannot lock the office out."""
    bearer = HTTPBearer(auto_error=False, description="the panel's API token")

    def require_token(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> None:
        if token is None and not auth.api_tokens():
            return
        given = None if credentials is None else credentials.credentials
        if given is not None and (
            (token is not None and _same_secret(given, token))
            or auth.check_api_token(given) is not None
        ):
            return  # a valid token is never refused, whatever others tried from this address
        key = f"api:{request.client.host if request.client else 'unknown'}"
        retry_after = auth.limiter.retry_after([key])
        if retry_after is not None:
            raise HTTPException(
                status_code=429,
                detail="too many calls with a wrong token; try again later",
                headers={"Retry-After": str(retry_after)},
            )
        auth.limiter.record_failure([key])
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


def _api_router(
    storage: PanelStorage,
    auth: PanelAuth,
    require_token: Callable[..., None],
    notifier: SummaryNotifier,
    public_url: str | None,
) -> APIRouter:
    router = APIRouter(
        prefix=API_PREFIX,
        dependencies=[Depends(require_token)],
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
    def get_companies() -> list[CompanyListing]:
        """Every company the panel knows, with its client's account and last sync state."""
        accounts = account_states(auth)
        last_syncs = storage.last_syncs()
        listing = []
        for company in storage.companies():
            last = last_syncs.get(company.nip)
            listing.append(
                CompanyListing(
                    **company.model_dump(),
                    client_account=accounts.get(company.nip, "none"),
                    sync_status=last.status if last else None,
                    sync_reason=last.reason if last else "",
                    sync_at=last.at if last else None,
                )
            )
        return listing

    @router.put("/sync-states", tags=["companies"])
    def put_sync_states(
        states: Annotated[list[SyncState], Body(max_length=MAX_ITEMS_PER_REQUEST)],
        by: Annotated[str, Query(min_length=1, max_length=200)] = "konekto-pipeline",
    ) -> SyncStatesResult:
        """Record how the last sync went for these companies (the company list shows it)."""
        return SyncStatesResult(count=storage.record_sync_states(states, by))

    @router.post(
        "/companies/{nip}/invite",
        tags=["companies"],
        responses={**_UNKNOWN_COMPANY, 409: {"description": "no address or link to send"}},
    )
    def invite(nip: NipPath, request: InviteRequest) -> InviteResult:
        """Open an account for the company's client and e-mail the activation link. A company
        whose client account never got its link by e-mail gets a new link; one whose account is
        active, disabled or was e-mailed its link is left alone."""
        company = known_company(nip)
        emailed = auth.emailed_activations()
        accounts = [user for user in auth.users(nip) if user.is_client]
        waiting = [user for user in accounts if account_state(user, emailed) == "not_sent"]
        if accounts and not waiting:
            return InviteResult(status="exists", login=accounts[0].username, emailed=False)
        login = waiting[0].username if waiting else request.login or client_login(company, auth)
        if not login:
            raise HTTPException(409, detail=f"company {nip} has no e-mail address to invite")
        if public_url is None:
            raise HTTPException(
                409, detail="the panel's address for links is not set (notifications.panel_url)"
            )
        try:
            invitation = invite_client(
                auth, storage, notifier, company, login, public_url, actor=request.by
            )
        except ValueError as error:
            raise HTTPException(409, detail=str(error)) from None
        return InviteResult(
            status="invited", login=invitation.account.username, emailed=invitation.emailed
        )

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
