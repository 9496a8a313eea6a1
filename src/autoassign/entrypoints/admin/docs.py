"""API docs that work offline (/docs, /redoc from vendored assets) and an OpenAPI document
that declares how to authenticate, so Swagger UI's "Authorize" fills the header.

Why rewrite the document instead of adding a security dependency to every route: the
routes already read ``api_access_token`` as a header parameter (``api/deps.py``); the
document is changed in one place to say the same thing as a security scheme, and the
duplicate header parameter is removed so Swagger UI shows one way to send the token.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse

ACCOUNT_SCHEME = "api_access_token"
PLATFORM_SCHEME = "platform_token"
HEADER = "api_access_token"
VENDOR = "/static/vendor"
SCHEMES: dict[str, dict[str, str]] = {
    ACCOUNT_SCHEME: {
        "type": "apiKey",
        "in": "header",
        "name": HEADER,
        "description": "An account's API token (`autoassign serve --demo` prints one); "
        "it gives access to that account's routes only.",
    },
    PLATFORM_SCHEME: {
        "type": "apiKey",
        "in": "header",
        "name": HEADER,
        "description": "The operator's AUTOASSIGN_ADMIN_TOKEN, for the /platform routes.",
    },
}

router = APIRouter(include_in_schema=False)


@router.get("/docs")
async def swagger_ui() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="autoassign API",
        swagger_js_url=f"{VENDOR}/swagger-ui/swagger-ui-bundle.js",
        swagger_css_url=f"{VENDOR}/swagger-ui/swagger-ui.css",
        swagger_favicon_url=f"{VENDOR}/swagger-ui/favicon-32x32.png",
        # no validator badge: it would send the document to an outside service
        swagger_ui_parameters={"validatorUrl": None},
    )


@router.get("/redoc")
async def redoc() -> HTMLResponse:
    return get_redoc_html(
        openapi_url="/openapi.json",
        title="autoassign API",
        redoc_js_url=f"{VENDOR}/redoc/redoc.standalone.js",
        redoc_favicon_url=f"{VENDOR}/swagger-ui/favicon-32x32.png",
        with_google_fonts=False,
    )


def declare_security(document: dict[str, Any]) -> dict[str, Any]:
    """Every operation that reads the token header gets a security requirement instead
    (the platform's scheme under /platform, the account's elsewhere)."""
    document.setdefault("components", {}).setdefault("securitySchemes", {}).update(SCHEMES)
    for path, operations in document.get("paths", {}).items():
        scheme = PLATFORM_SCHEME if path.startswith("/platform/") else ACCOUNT_SCHEME
        for operation in operations.values():
            parameters = operation.get("parameters", [])
            kept = [p for p in parameters if not (p["in"] == "header" and p["name"] == HEADER)]
            if len(kept) == len(parameters):
                continue
            operation["security"] = [{scheme: []}]
            if kept:
                operation["parameters"] = kept
            else:
                del operation["parameters"]
    return document


def install(app: FastAPI) -> None:
    """Serve the docs pages and the document with its security schemes."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = declare_security(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    summary=app.summary,
                    description=app.description,
                    routes=app.routes,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.include_router(router)
