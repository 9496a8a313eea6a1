"""Chatwoot's OpenAPI description (shared/chatwoot/application_swagger.json) as a tool:
match a request to its operation, validate it, and synthesise a response from a schema.

The document is OpenAPI 3.0: ``nullable`` becomes a ``null`` type for JSON Schema, and
its two dangling references (``inbox_contact``, ``portal_single``, on no path the
connector uses) are stubbed, as its README says.
"""

from __future__ import annotations

import copy
import json
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs

SPEC_PATH = Path(
    os.environ.get(
        "AUTOASSIGN_CHATWOOT_SPEC",
        Path(__file__).resolve().parents[3] / "shared/chatwoot/application_swagger.json",
    )
)
DANGLING = ("inbox_contact", "portal_single")


def _nullable(node: Any) -> Any:
    """OpenAPI 3.0's ``nullable: true`` → JSON Schema's ``"null"`` type."""
    if isinstance(node, dict):
        node = {k: _nullable(v) for k, v in node.items()}
        if node.pop("nullable", False) is True and isinstance(node.get("type"), str):
            node["type"] = [node["type"], "null"]
        return node
    if isinstance(node, list):
        return [_nullable(v) for v in node]
    return node


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    pattern: re.Pattern[str]
    spec: dict[str, Any]
    #: path-level parameters, merged with the operation's
    parameters: list[dict[str, Any]]

    @property
    def operation_id(self) -> str:
        return str(self.spec.get("operationId", f"{self.method} {self.template}"))


class Spec:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        components = _nullable(document["components"])
        for name in DANGLING:
            components["schemas"].setdefault(name, {"type": "object"})
        self.components = components
        self.operations: list[Operation] = []
        for template, item in document["paths"].items():
            shared = item.get("parameters", [])
            regex = "^" + re.sub(r"\\\{[^}]+\\\}", r"([^/]+)", re.escape(template.rstrip("/")))
            for method, op in item.items():
                if method in {"get", "post", "put", "patch", "delete"}:
                    self.operations.append(
                        Operation(
                            method.upper(),
                            template,
                            re.compile(regex + "/?$"),
                            op,
                            [*shared, *op.get("parameters", [])],
                        )
                    )

    # lookup --------------------------------------------------------------------------

    def resolve(self, node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node:
            _, _, kind, name = node["$ref"].split("/")
            node = self.components[kind][name]
        return node

    def match(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        for op in self.operations:
            found = op.pattern.match(path)
            if found and op.method == method:
                names = re.findall(r"\{([^}]+)\}", op.template)
                return op, dict(zip(names, found.groups(), strict=True))
        return None

    def validator(self, schema: dict[str, Any]) -> jsonschema_rs.Validator:
        return jsonschema_rs.Draft4Validator({**_nullable(schema), "components": self.components})

    # requests ------------------------------------------------------------------------

    def request_errors(
        self,
        op: Operation,
        path_params: dict[str, str],
        query: dict[str, str],
        headers: dict[str, str],
        body: bytes,
    ) -> list[str]:
        problems: list[str] = []
        for raw in op.parameters:
            param = self.resolve(raw)
            where, name = param["in"], param["name"]
            source = {"path": path_params, "query": query, "header": headers}.get(where, {})
            value = source.get(name.lower() if where == "header" else name)
            if value is None:
                if param.get("required"):
                    problems.append(f"{where} parameter {name} is required")
                continue
            kind = self.resolve(param.get("schema", {})).get("type")
            if kind == "integer" and not re.fullmatch(r"-?\d+", value):
                problems.append(f"{where} parameter {name}={value!r} is not an integer")
        if op.spec.get("security") and "api_access_token" not in headers:
            problems.append("the api_access_token header (userApiKey) is missing")
        content = op.spec.get("requestBody", {}).get("content", {})
        if content:
            if not body:
                if op.spec["requestBody"].get("required"):
                    problems.append("a JSON body is required")
                return problems
            if headers.get("content-type", "").split(";")[0] != "application/json":
                problems.append("the body must be application/json")
            try:
                instance = json.loads(body)
            except ValueError:
                return [*problems, "the body is not JSON"]
            schema = content["application/json"]["schema"]
            problems += [e.message for e in self.validator(schema).iter_errors(instance)]
        elif body:
            problems.append("this operation takes no body")
        return problems

    # responses -----------------------------------------------------------------------

    def response_schema(self, op: Operation, status: int = 200) -> dict[str, Any]:
        response = self.resolve(op.spec["responses"][str(status)])
        schema: dict[str, Any] = response["content"]["application/json"]["schema"]
        return schema

    def response_errors(self, op: Operation, status: int, body: Any) -> list[str]:
        schema = self.response_schema(op, status)
        return [e.message for e in self.validator(schema).iter_errors(body)]

    def synthesise(self, schema: Any, depth: int = 0) -> Any:
        """A value of ``schema``, built from the schema alone: every declared property,
        enums' first value, examples where given, one item per array."""
        schema = self.resolve(schema)
        if "allOf" in schema:
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                value = self.synthesise(part, depth)
                if isinstance(value, dict):
                    merged.update(value)
            return merged
        kind = schema.get("type", "object" if "properties" in schema else None)
        if isinstance(kind, list):
            kind = next(k for k in kind if k != "null")
        if "enum" in schema:
            return copy.deepcopy(schema["enum"][0])
        if "example" in schema and kind not in ("object", "array"):
            return copy.deepcopy(schema["example"])
        if kind == "object":
            if depth > 4:
                return {}
            props = schema.get("properties", {})
            return {k: self.synthesise(v, depth + 1) for k, v in props.items()}
        if kind == "array":
            return [] if depth > 4 else [self.synthesise(schema.get("items", {}), depth + 1)]
        if kind == "integer":
            return 1
        if kind == "number":
            return 1
        if kind == "boolean":
            return False
        if kind == "string":
            return "2025-01-01T00:00:00Z" if schema.get("format") == "date-time" else "text"
        return None

    def build(self, schema: Any, **values: Any) -> Any:
        """Synthesised from ``schema``, with the double's own ``values`` laid over."""
        made = self.synthesise(schema)
        if isinstance(made, dict):
            made.update(values)
        return made


@cache
def load() -> Spec:
    return Spec(json.loads(SPEC_PATH.read_text(encoding="utf-8")))
