"""docs/api.md's routes and fields, generated from the OpenAPI document.

Why generated: the hand-written route table drifted from the routes. The document is the
one the server serves (``/openapi.json``), so the markdown lists exactly the fields and
bounds the API checks. Regenerate after changing a route or a schema:

    python -m autoassign.entrypoints.admin.apidoc docs/api.md

``tests/api/test_admin_docs.py`` fails while the file is out of date.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

START = "<!-- generated from the OpenAPI document by autoassign.entrypoints.admin.apidoc -->"
END = "<!-- end of generated section -->"
ACCOUNT = "/api/v1/accounts/{account_id}"


def _ref(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref")
    return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None


def _link(name: str) -> str:
    return f"[`{name}`](#{name.lower()})"


def type_of(schema: dict[str, Any]) -> str:
    """A field's type in words, with its bounds: "integer 1…100000", "list of Label"."""
    if (name := _ref(schema)) is not None:
        return _link(name)
    if "anyOf" in schema:
        kinds = [type_of(s) for s in schema["anyOf"] if s.get("type") != "null"]
        nullable = any(s.get("type") == "null" for s in schema["anyOf"])
        return " or ".join(kinds) + (" or null" if nullable else "")
    if "enum" in schema:
        return "one of " + ", ".join(f"`{v}`" for v in schema["enum"])
    if "const" in schema:
        return f"`{schema['const']}`"
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list of {type_of(schema.get('items', {}))}" + _bounds(schema, "Items")
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"object of {type_of(schema['additionalProperties'])}"
    if schema.get("format") == "date-time":
        return "timestamp"
    return f"{kind}{_bounds(schema, 'Length' if kind == 'string' else '')}"


def _bounds(schema: dict[str, Any], suffix: str) -> str:
    low = schema.get(f"min{suffix}" if suffix else "minimum")
    high = schema.get(f"max{suffix}" if suffix else "maximum")
    if low is None and high is None:
        return ""
    if suffix:
        unit = " items" if suffix == "Items" else " chars"
        if low is None:
            return f" (≤{high}{unit})"
        if high is None:
            return f" (≥{low}{unit})"
        return f" ({low}…{high}{unit})"
    return f" {'' if low is None else low}…{'' if high is None else high}"


def _cell(value: str) -> str:
    return " ".join(value.replace("|", "\\|").split())


def _body(operation: dict[str, Any]) -> str:
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    return type_of(schema) if schema else ""


def _response(operation: dict[str, Any]) -> str:
    for code in ("200", "201"):
        content = operation.get("responses", {}).get(code, {}).get("content", {})
        schema = content.get("application/json", {}).get("schema")
        if schema:
            return type_of(schema)
        if content:
            return ", ".join(f"`{kind}`" for kind in content)
    return "`204` no body" if "204" in operation.get("responses", {}) else ""


def _query(operation: dict[str, Any]) -> str:
    names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
    return ", ".join(f"`{n}`" for n in names)


def _summary(operation: dict[str, Any]) -> str:
    text = operation.get("description") or operation.get("summary") or ""
    return _cell(text.split("\n\n")[0])


def routes(document: dict[str, Any]) -> list[str]:
    lines = [
        "## Routes",
        "",
        f"`…` stands for `{ACCOUNT}`. Account routes need an account's token, platform "
        "routes the operator's (see Conventions).",
        "",
        "| method | path | query | request body | response | what it does |",
        "|---|---|---|---|---|---|",
    ]
    for path, operations in document["paths"].items():
        shown = "…" + path[len(ACCOUNT) :] if path.startswith(ACCOUNT) else path
        for method, operation in operations.items():
            cells = [
                f"`{method.upper()}`",
                f"`{shown}`",
                _query(operation),
                _body(operation),
                _response(operation),
                _summary(operation),
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return lines


def schemas(document: dict[str, Any]) -> list[str]:
    lines = ["## Fields", "", "Each request and response body, field by field.", ""]
    for name, schema in sorted(document.get("components", {}).get("schemas", {}).items()):
        lines += [f"### {name}", ""]
        if schema.get("description"):
            lines += [_cell(schema["description"]), ""]
        properties: dict[str, Any] = schema.get("properties", {})
        if not properties:
            lines += [f"{type_of(schema)}.", ""]
            continue
        required = set(schema.get("required", []))
        closed = schema.get("additionalProperties") is False
        lines += ["| field | type | required | default |", "|---|---|---|---|"]
        for field, spec in properties.items():
            default = f"`{json.dumps(spec['default'])}`" if "default" in spec else ""
            mark = "yes" if field in required else ""
            lines.append(f"| `{field}` | {_cell(type_of(spec))} | {mark} | {_cell(default)} |")
        lines += ["", "Unknown fields are refused (422)." if closed else "", ""]
    while lines and lines[-1] == "":
        lines.pop()
    return lines


def render(document: dict[str, Any]) -> str:
    return "\n".join([START, "", *routes(document), "", *schemas(document), "", END])


def update(markdown: str, document: dict[str, Any]) -> str:
    """``markdown`` with its generated section replaced (appended if it has none)."""
    generated = render(document)
    if START in markdown and END in markdown:
        head, rest = markdown.split(START, 1)
        return head + generated + rest.split(END, 1)[1]
    return markdown.rstrip("\n") + "\n\n" + generated + "\n"


def main(target: str) -> None:
    from autoassign.entrypoints.api.app import create_app

    path = Path(target)
    path.write_text(update(path.read_text(), create_app().openapi()))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/api.md")
