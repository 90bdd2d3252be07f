"""Client accounts: opening one for a company and sending its activation link.

The office does it from the company's page, and the pipeline asks for it through the API when the
office turned `clients.create_accounts` on. Both end here, so an account is made the same way.
"""

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from konekto_pipeline.panel.auth import PanelAuth, User
from konekto_pipeline.panel.contract import ClientAccount, Company
from konekto_pipeline.panel.notify import email_addresses
from konekto_pipeline.panel.storage import PanelStorage

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Invitation:
    """A client account with a fresh activation link; `emailed` when the link went out."""

    account: User
    link: str
    emailed: bool


_STATE_ORDER: tuple[ClientAccount, ...] = ("disabled", "not_sent", "invited", "active")


def account_states(auth: PanelAuth) -> dict[str, ClientAccount]:
    """Per NIP, the state of its client users' best account: active (a password is set),
    invited (the activation link went out by e-mail), not_sent (it did not), disabled.
    Companies without a client user are absent."""
    emailed = auth.emailed_activations()
    states: dict[str, ClientAccount] = {}
    for user in auth.users():
        if not user.is_client or user.nip is None:
            continue
        state = account_state(user, emailed)
        if user.nip not in states or _rank(state) > _rank(states[user.nip]):
            states[user.nip] = state
    return states


def account_state(user: User, emailed: set[int]) -> ClientAccount:
    """What a client user's account is: disabled, active, invited or not_sent."""
    if user.disabled:
        return "disabled"
    if user.has_password:
        return "active"
    return "invited" if user.id in emailed else "not_sent"


def _rank(state: ClientAccount) -> int:
    return _STATE_ORDER.index(state)


def client_login(company: Company, auth: PanelAuth) -> str | None:
    """The login for a company's client: its (first) e-mail address, or its NIP when that
    address is another company's client's login (one owner of several companies)."""
    if not company.email:
        return None
    try:
        address = email_addresses(company.email)[0]
    except ValueError:
        return None
    taken = auth.user_by_name(address)
    return address if taken is None or taken.nip == company.nip else company.nip


def invite_client(
    auth: PanelAuth,
    storage: PanelStorage,
    notifier: Any,
    company: Company,
    login: str,
    base_url: str,
    actor: str,
) -> Invitation:
    """Open (or reuse) the client user `login` of the company and make its activation link;
    e-mail it when the company has an address and the notifier can send.

    Raises:
        ValueError: the login is malformed or belongs to another company's user.
    """
    account = auth.user_by_name(login)
    if account is not None and account.nip != company.nip:
        raise ValueError(f"the login {login!r} belongs to another user")
    if account is None:
        account = auth.create_client_user(login, company.nip)
    token = auth.create_activation(account.id)
    link = f"{base_url.rstrip('/')}/aktywacja?{urlencode({'token': token})}"
    storage.log_event(actor, "invite", company.nip, None, account.username)
    emailed = _send_activation(notifier, company, link, account.username)
    if emailed:
        auth.mark_activation_emailed(token)
    return Invitation(account, link, emailed)


def _send_activation(notifier: Any, company: Company, link: str, login: str) -> bool:
    send = getattr(notifier, "send_activation", None)
    if send is None or not company.email:
        return False
    try:
        send(company, link, login=login)
    except Exception:  # the account stays; the next invitation sends a new link
        logger.exception("activation e-mail to NIP %s could not be sent", company.nip)
        return False
    return True
