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
from konekto_pipeline.panel.storage import PanelStorage

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Invitation:
    """A client account with a fresh activation link; `emailed` when the link went out."""

    account: User
    link: str
    emailed: bool


def account_states(auth: PanelAuth) -> dict[str, ClientAccount]:
    """Per NIP: active when a client user of it has set a password, invited when one waits
    for activation (companies without a client user are absent)."""
    states: dict[str, ClientAccount] = {}
    for user in auth.users():
        if not user.is_client or user.nip is None or user.disabled:
            continue
        if user.has_password:
            states[user.nip] = "active"
        else:
            states.setdefault(user.nip, "invited")
    return states


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
    return Invitation(account, link, _send_activation(notifier, company, link))


def _send_activation(notifier: Any, company: Company, link: str) -> bool:
    send = getattr(notifier, "send_activation", None)
    if send is None or not company.email:
        return False
    try:
        send(company, link)
    except Exception:  # the account stays; the office can send the link again from the panel
        logger.exception("activation e-mail to NIP %s could not be sent", company.nip)
        return False
    return True
