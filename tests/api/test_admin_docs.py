"""API docs that work offline: /docs and /redoc from vendored assets, an OpenAPI document
with the token as a security scheme, no outside host anywhere in the package, and
docs/api.md generated from the document."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from autoassign.entrypoints.admin import apidoc
from autoassign.entrypoints.api.app import create_app
from tests.api.conftest import Api

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "autoassign"
OUTSIDE = re.compile(r"https?://[^\s\"'<>)]*(cdn|unpkg|googleapis|jsdelivr)", re.I)


def assets(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html) + re.findall(r"url: '([^']+)'", html)


@pytest.mark.parametrize("page", ["/docs", "/redoc", "/admin/sign-in"])
def test_pages_load_every_asset_from_the_app(api: Api, page: str):
    html = api.client.get(page).text
    found = assets(html)
    assert found
    for url in found:
        assert url.startswith("/") or url.startswith("data:"), url
        if url.startswith("/"):
            response = api.client.get(url)
            assert response.status_code == 200, url
            assert response.content, url
    assert "fonts.googleapis" not in html
    if page == "/docs":
        assert '"validatorUrl": null' in html


def test_vendored_files_keep_their_licences_and_pinned_version(api: Api):
    for path in (
        "/static/vendor/htmx/LICENSE",
        "/static/vendor/swagger-ui/LICENSE",
        "/static/vendor/swagger-ui/NOTICE",
        "/static/vendor/redoc/LICENSE",
        "/static/vendor/VENDOR.md",
    ):
        assert api.client.get(path).status_code == 200, path
    htmx = api.client.get("/static/vendor/htmx/htmx.min.js")
    assert 'version:"2.0.11"' in htmx.text  # not npm's breaking 4.x (stack.md §3.17)
    assert "javascript" in htmx.headers["content-type"]
    compressed = api.client.get(
        "/static/vendor/htmx/htmx.min.js", headers={"Accept-Encoding": "gzip"}
    )
    assert compressed.headers["content-encoding"] == "gzip"


def test_the_document_declares_the_token_so_authorize_works(api: Api):
    spec = api.client.get("/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["api_access_token"] == {
        "type": "apiKey",
        "in": "header",
        "name": "api_access_token",
        "description": schemes["api_access_token"]["description"],
    }
    assert schemes["platform_token"]["name"] == "api_access_token"
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            headers = [p for p in operation.get("parameters", []) if p["in"] == "header"]
            assert not [p for p in headers if p["name"] == "api_access_token"], (method, path)
            if path.startswith("/api/"):
                assert operation["security"] == [{"api_access_token": []}], (method, path)
            elif path.startswith("/platform/"):
                assert operation["security"] == [{"platform_token": []}], (method, path)
            else:
                assert "security" not in operation, (method, path)


def test_authorize_sends_the_header_the_routes_read(api: Api):
    """What Swagger UI does after "Authorize": the scheme's header on an account route."""
    account = api.new_account()
    spec = api.client.get("/openapi.json").json()
    scheme = spec["components"]["securitySchemes"]["api_access_token"]
    response = api.client.get(
        f"/api/v1/accounts/{account.id}/agents", headers={scheme["name"]: account.token}
    )
    assert response.status_code == 200


def test_no_file_in_the_package_names_an_outside_asset_host():
    offenders = []
    for path in PACKAGE.rglob("*"):
        if path.is_file() and path.suffix not in {".pyc", ".png"}:
            match = OUTSIDE.search(path.read_text(encoding="utf-8", errors="replace"))
            if match:
                offenders.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
    assert offenders == []


def test_docs_api_md_is_generated_from_the_document():
    """Regenerate with `python -m autoassign.entrypoints.admin.apidoc docs/api.md`."""
    current = (ROOT / "docs" / "api.md").read_text()
    assert apidoc.START in current
    assert apidoc.update(current, create_app().openapi()) == current


def test_the_field_lists_give_types_bounds_and_required_fields():
    document = {
        "paths": {},
        "components": {
            "schemas": {
                "Thing": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["name"],
                    "properties": {
                        "name": {"type": "string", "minLength": 1, "maxLength": 255},
                        "limit": {"type": "integer", "minimum": 1, "maximum": 9, "default": 3},
                        "tags": {"type": "array", "items": {"$ref": "#/components/schemas/Tag"}},
                        "hours": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
                    },
                }
            }
        },
    }
    text = apidoc.render(document)
    assert "| `name` | string (1…255 chars) | yes |  |" in text
    assert "| `limit` | integer 1…9 |  | `3` |" in text
    assert "| `tags` | list of [`Tag`](#tag) |  |  |" in text
    assert "| `hours` | integer or null |  |  |" in text
    assert "Unknown fields are refused (422)." in text
