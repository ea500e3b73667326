"""``/api/v1/docs``: the OpenAPI document as a readable page.

Rendered on the server from the very document served at
``/api/v1/openapi.json``, with a Jinja template and no script, so it needs
nothing from outside and cannot drift from the API.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template
from markupsafe import Markup, escape

from web.api.auth import PERMISSIONS

blueprint = Blueprint("api-reference", __name__, template_folder="templates")

METHODS = ("get", "post", "put", "patch", "delete")


@blueprint.app_template_filter("api_text")
def api_text(text: str) -> Markup:
    """Escape ``text``; `backticks` become code, blank lines paragraphs."""
    paragraphs = []
    for paragraph in str(text or "").split("\n\n"):
        parts = str(escape(paragraph.strip())).split("`")
        html = "".join(
            f"<code>{part}</code>" if index % 2 else part
            for index, part in enumerate(parts)
        )
        if html:
            paragraphs.append(f"<p>{html}</p>")
    return Markup("".join(paragraphs))


def ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def describe(schema: dict[str, Any] | None) -> str:
    """A schema in a few words: ``array of Ticket``, ``integer, 1–3``."""
    if not schema:
        return "any"
    if "$ref" in schema:
        return ref_name(schema["$ref"])
    kind = schema.get("type", "any")
    if kind == "array":
        text = f"array of {describe(schema.get('items'))}"
    else:
        text = kind + (f" ({schema['format']})" if "format" in schema else "")
    notes = []
    if "enum" in schema:
        notes.append("one of " + ", ".join(f"`{v}`" for v in schema["enum"]))
    if "minimum" in schema or "maximum" in schema:
        notes.append(f"{schema.get('minimum', '…')}–{schema.get('maximum', '…')}")
    if "minLength" in schema or "maxLength" in schema:
        notes.append(
            f"length {schema.get('minLength', 0)}–{schema.get('maxLength', '…')}"
        )
    if "maxItems" in schema:
        notes.append(f"at most {schema['maxItems']} items")
    if schema.get("nullable"):
        notes.append("or null")
    return ", ".join([text, *notes])


def _properties(schema: dict[str, Any], spec: dict[str, Any]) -> list[dict[str, Any]]:
    if "$ref" in schema:
        schema = spec["components"]["schemas"].get(ref_name(schema["$ref"]), {})
    required = set(schema.get("required", ()))
    return [
        {
            "name": name,
            "type": describe(prop),
            "required": name in required,
            "description": prop.get("description", ""),
        }
        for name, prop in schema.get("properties", {}).items()
    ]


def _responses(operation: dict[str, Any], spec: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for code, response in operation.get("responses", {}).items():
        if "$ref" in response:
            response = spec["components"]["responses"].get(
                ref_name(response["$ref"]), {}
            )
        content = response.get("content", {})
        media = next(iter(content), "")
        rows.append(
            {
                "code": code,
                "description": response.get("description", ""),
                "media": media,
                "schema": describe(content[media].get("schema")) if media else "",
            }
        )
    return rows


def operations(spec: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The operations of ``spec`` grouped by tag, in document order."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for path, item in spec.get("paths", {}).items():
        shared = item.get("parameters", [])
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            body = operation.get("requestBody", {}).get("content", {})
            body_schema = next(iter(body.values()), {}).get("schema")
            groups.setdefault(operation.get("tags", ["other"])[0], []).append(
                {
                    "id": f"{method}-{path}".replace("/", "-")
                    .replace("{", "")
                    .replace("}", ""),
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "secured": bool(operation.get("security")),
                    "parameters": [
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "required": p.get("required"),
                            "type": describe(p.get("schema")),
                            "description": p.get("description", ""),
                        }
                        for p in [*shared, *operation.get("parameters", [])]
                    ],
                    "body": describe(body_schema) if body_schema else None,
                    "body_fields": _properties(body_schema, spec)
                    if body_schema
                    else [],
                    "responses": _responses(operation, spec),
                }
            )
    return groups


@blueprint.get("/api/v1/docs")
def page():
    """The API reference page."""
    spec = current_app.extensions["slaengine.api"].spec.to_dict()
    schemas = {
        name: _properties(schema, spec)
        for name, schema in spec.get("components", {}).get("schemas", {}).items()
    }
    return render_template(
        "api/reference.html",
        spec=spec,
        groups=operations(spec),
        schemas=schemas,
        permissions={name: sorted(roles) for name, roles in PERMISSIONS.items()},
    )
