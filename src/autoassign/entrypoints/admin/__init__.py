"""The admin web page (server-rendered Jinja2 + htmx) and the offline API docs, served by
`autoassign serve` from this package's templates and static files: nothing is fetched
from another host (docs/decisions.md, "The admin page")."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from autoassign.entrypoints.admin import auth, docs, edits, pages, render


def install(app: FastAPI) -> None:
    """Mount the static files, the page's routes and the docs on ``app``."""
    app.mount("/static", StaticFiles(directory=render.STATIC), name="static")
    app.include_router(pages.router)
    app.include_router(edits.router)
    docs.install(app)

    @app.exception_handler(auth.SignInRequired)
    async def sign_in_first(request: Request, _exc: auth.SignInRequired) -> Response:
        if request.headers.get("hx-request") == "true":  # a panel: send the whole page
            return Response(status_code=401, headers={"HX-Redirect": auth.SIGN_IN})
        return RedirectResponse(auth.SIGN_IN, status_code=303)

    @app.exception_handler(auth.Forbidden)
    async def forbidden(_request: Request, _exc: auth.Forbidden) -> Response:
        return Response("edits come from the admin page only", status_code=403)


__all__ = ["install"]
