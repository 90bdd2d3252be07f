"""Version 1 of the KonektoSmart panel's REST contract, shared by the panel server and the client.

KonektoSmart publishes no API, so this module is the contract: what the pipeline sends and what
the panel answers. Amounts are integer grosze everywhere. An item is identified by its key
`(nip, data_type, period, tax or "")`; its `digest` (see `item_digest`) lets the pipeline skip
items the panel already holds unchanged.
"""

import hashlib
import json
from datetime import date, datetime
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, model_validator

API_VERSION = 1
API_PREFIX = f"/api/v{API_VERSION}"
MAX_ITEMS_PER_REQUEST = 1000

DATA_TYPES: tuple[str, ...] = ("zus", "taxes", "summaries")
NIP_PATTERN = r"^\d{10}$"
PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
ACCOUNT_PATTERN = r"^\d{26}$"
DIGEST_PATTERN = r"^[0-9a-f]{64}$"

DataType = Literal["zus", "taxes", "summaries"]
Nip = Annotated[str, Field(pattern=NIP_PATTERN, description="10 digits, no PL prefix or dashes")]
Period = Annotated[str, Field(pattern=PERIOD_PATTERN, description="month as YYYY-MM")]
ItemKey = tuple[str, str, str, str]
"""(nip, data_type, period, tax or "") — one item per key in the panel."""


class _Model(BaseModel):
    """Base of every request model: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class Company(_Model):
    """A client company of the office, as the panel shows it."""

    nip: Nip
    name: str = Field(min_length=1, max_length=500)
    regon: str | None = Field(default=None, pattern=r"^(\d{9}|\d{14})$")
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)
    legal_form: str | None = Field(default=None, max_length=32)
    tax_form: str | None = Field(default=None, max_length=32)
    vat_period: str | None = Field(default=None, max_length=8)


SyncStatus = Literal["ok", "warning", "failed"]
ClientAccount = Literal["none", "not_sent", "invited", "active", "disabled"]
"""none: no client user; not_sent: a user whose activation link never went out by e-mail;
invited: the link went out; active: the client set a password; disabled by the office."""


class CompanyListing(Company):
    """A company as the panel lists it: with its client's account and its last sync state.

    The state is what the pipeline last reported for the company; an unchanged run reports
    nothing, so `sync_at` is when the state last changed, not the last run."""

    model_config = ConfigDict(extra="ignore")

    client_account: ClientAccount = "none"
    sync_status: SyncStatus | None = None
    sync_reason: str = ""
    sync_at: datetime | None = None

    def company(self) -> Company:
        """The company's own fields, as the pipeline uploads them."""
        return Company.model_validate(self.model_dump(include=set(Company.model_fields)))


class SyncState(_Model):
    """How the last sync went for one company: ok, warning (uploaded, but something was left
    out or doubtful) or failed (nothing of it reached the panel); `reason` says why."""

    nip: Nip
    status: SyncStatus
    reason: str = Field(default="", max_length=2000)
    run_id: str | None = Field(default=None, max_length=64)


class SyncStatesResult(BaseModel):
    """How many companies' states the panel recorded."""

    count: int


class InviteRequest(_Model):
    """Open an account for the company's client and e-mail the activation link.

    `login` defaults to the company's e-mail address."""

    login: str | None = Field(default=None, min_length=3, max_length=200)
    by: str = Field(min_length=1, max_length=200)


class InviteResult(BaseModel):
    """invited (a new account, or one whose link never went out: a new link, e-mailed when
    `emailed`) or exists (an account that is active, disabled or was sent its link: nothing
    done)."""

    status: Literal["invited", "exists"]
    login: str
    emailed: bool


class Item(_Model):
    """One ZUS, tax or summary figure of a company for a month.

    `amount` is in grosze: the ZUS total to pay, the tax to pay, or a summary's revenue. The other
    columns of the pipeline's frame (social, health, refund, costs, ...) travel in `details`.
    `tax` names the tax (VAT-7, PIT-4, ...) for `taxes` and must be None for the other types.
    Build items with `Item.create(...)`, which fills in the digest.
    """

    nip: Nip
    data_type: DataType
    period: Period
    tax: str | None = Field(default=None, min_length=1, max_length=16)
    kind: str = Field(max_length=16)
    amount: StrictInt
    due_date: date | None = None
    account: str | None = Field(default=None, pattern=ACCOUNT_PATTERN)
    source: str = Field(min_length=1, max_length=64, description="program key, e.g. kedu")
    details: dict[str, StrictInt | StrictStr | None] = Field(default_factory=dict)
    digest: str = Field(pattern=DIGEST_PATTERN, description="sha256 of the content, item_digest")

    @model_validator(mode="after")
    def _tax_only_for_taxes(self) -> Self:
        if self.data_type == "taxes" and self.tax is None:
            raise ValueError("tax is required when data_type is 'taxes'")
        if self.data_type != "taxes" and self.tax is not None:
            raise ValueError(f"tax must be null when data_type is '{self.data_type}'")
        return self

    @classmethod
    def create(cls, **fields: object) -> Self:
        """Validate the fields and return the item with its digest computed."""
        draft = cls.model_validate({**fields, "digest": "0" * 64})
        return draft.model_copy(update={"digest": item_digest(draft)})

    @property
    def key(self) -> ItemKey:
        """(nip, data_type, period, tax or "")."""
        return (self.nip, self.data_type, self.period, self.tax or "")


_DIGESTED_FIELDS = frozenset(Item.model_fields) - {"digest"}


def item_digest(item: Item) -> str:
    """The sha256 hex of an item's canonical JSON content, every field but `digest` itself.

    Canonical means sorted keys, no whitespace, UTF-8 and dates as YYYY-MM-DD, so the client and
    the panel compute the same value for the same content.
    """
    content = item.model_dump(mode="json", include=set(_DIGESTED_FIELDS))
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class StoredItem(Item):
    """An item as the panel holds it: when and by whom it was sent and approved."""

    model_config = ConfigDict(extra="ignore")

    sent_at: datetime | None = None
    sent_by: str | None = None
    approved: bool = False
    approved_at: datetime | None = None
    approved_by: str | None = None
    paid_at: datetime | None = None
    paid_by: str | None = None


class UpsertResult(BaseModel):
    """What the panel did with one uploaded item."""

    key: ItemKey
    status: Literal["created", "updated", "unchanged"]


class CompanyUpsertResult(BaseModel):
    """What the panel did with an uploaded company."""

    status: Literal["created", "updated", "unchanged"]


class DigestEntry(BaseModel):
    """The digest of an item the panel holds, so the pipeline can send only what changed."""

    nip: str
    data_type: DataType
    period: str
    tax: str | None
    digest: str
    approved: bool

    @property
    def key(self) -> ItemKey:
        """(nip, data_type, period, tax or "")."""
        return (self.nip, self.data_type, self.period, self.tax or "")


class ApproveRequest(_Model):
    """Approve a company's month: every not yet approved item of the listed data types."""

    period: Period
    data_types: list[DataType] = Field(default_factory=lambda: list(DATA_TYPES), min_length=1)
    send_summary: bool = False
    approved_by: str = Field(min_length=1, max_length=200)


class ApproveResult(BaseModel):
    """How many items an approval marked, and whether the month's summary went out."""

    count: int
    summary_sent: bool


class PaidRequest(_Model):
    """Mark one approved item paid (the client did the transfer) or not paid after all."""

    data_type: DataType
    period: Period
    tax: str | None = Field(default=None, max_length=16)
    paid: bool = True
    by: str = Field(min_length=1, max_length=200)


class ReplacedVersion(BaseModel):
    """A version of an item that a later upload replaced (a correction keeps what it replaced)."""

    item: StoredItem
    replaced_at: datetime


class HistoryEvent(BaseModel):
    """One thing someone did: upload, approve, summary, paid, unpaid."""

    at: datetime
    actor: str
    action: str
    period: str | None
    detail: str


class CompanyHistory(BaseModel):
    """A company's replaced item versions (oldest first) and its events (newest first)."""

    replaced: list[ReplacedVersion]
    events: list[HistoryEvent]


class Health(BaseModel):
    """The panel's answer to a liveness check."""

    status: Literal["ok"]
    version: int
