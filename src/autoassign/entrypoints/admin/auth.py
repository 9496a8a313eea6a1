"""Signing in to the admin page with an account API token, and what every edit must show.

Why an HttpOnly cookie holding the token (docs/decisions.md, "The admin page"): the
page's first load is a plain navigation, which cannot carry a header, and a cookie that
scripts cannot read keeps the token away from any script on the page. The cookie is
``SameSite=Strict`` and scoped to ``/admin``; edits also need htmx's ``HX-Request``
header and, when the browser sends one, an ``Origin`` equal to the host, which a form on
another site cannot produce, so a signed-in browser cannot be made to edit by another
site. The token is checked on every request (its hash is looked up, as the API does), so
a revoked token signs out at once.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qsl, urlsplit

from fastapi import Depends, Request

from autoassign.adapters import logging_setup
from autoassign.entrypoints.api.deps import EngineDep
from autoassign.services import accounts

COOKIE = "autoassign_token"
SIGN_IN = "/admin/sign-in"
#: forms are small; a larger body is not one of ours
MAX_FORM_BYTES = 16_384


class SignInRequired(Exception):
    """No valid token: the page sends the browser to the sign-in form."""


class Forbidden(Exception):
    """An edit that did not come from this page (no htmx header, or another origin)."""


async def token_account(engine: EngineDep, token: str | None) -> int | None:
    if not token or len(token) > 512:
        return None
    return await accounts.account_for_token(engine.deps, token)


async def signed_in(request: Request, engine: EngineDep) -> int:
    """The account whose token the cookie holds; the account is added to log lines."""
    account_id = await token_account(engine, request.cookies.get(COOKIE))
    if account_id is None:
        raise SignInRequired()
    logging_setup.bind(account_id=account_id)
    return account_id


def same_origin(request: Request) -> None:
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != request.headers.get("host"):
        raise Forbidden()


def from_page(request: Request) -> None:
    """Edits are htmx requests from this origin."""
    if request.headers.get("hx-request") != "true":
        raise Forbidden()
    same_origin(request)


async def form(request: Request) -> dict[str, str]:
    """The urlencoded form (htmx's and a plain form's encoding); a repeated field keeps
    its last value, so a hidden "false" before a checkbox reads as the checkbox."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


AdminAccount = Annotated[int, Depends(signed_in)]
Edit = Depends(from_page)
