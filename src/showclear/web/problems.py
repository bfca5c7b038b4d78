"""RFC 9457 problem details: the one shape of every error the API returns.

    {"type": "/api/problems/refused", "title": "Refused by the safety rules", "status": 409,
     "detail": "SC-C03: ...", "instance": "/api/productions/demo/events/57",
     "rules": [{"rule": "SC-C03", "reason": "...", "next_step": "..."}]}

`type` is a relative URI that resolves to a short page explaining the problem (served by
`routes.api`); the kinds, their statuses and their texts are the error types of
`showclear.errors`. Extensions: `rules` on refusals (409, and 403 which cites SC-R05), `field`
on malformed input (422) and on a command naming what the production does not have (409),
`locked_until` on a PIN lockout, `production` and `writer` on a write at the studio to a
production a set node writes.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from showclear import errors
from showclear.errors import ShowClearError

MEDIA_TYPE = "application/problem+json"

# slug -> (title, explanation shown at /api/problems/{slug}): the error types' own text, so a slug
# without a page cannot exist.
KINDS: dict[str, tuple[str, str]] = {
    slug: (cls.title, cls.explanation) for slug, cls in errors.KINDS.items()
}


class RuleText(BaseModel):
    rule: str = Field(description="Rule ID (docs/rules.md), e.g. SC-C03")
    reason: str = Field(description="What is wrong, in plain words")
    next_step: str = Field(description="What to do next")


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    rules: list[RuleText] | None = None
    field: str | None = None
    locked_until: str | None = None
    verdict: str | None = None
    command_id: str | None = None
    duplicate: bool | None = None
    production: str | None = None
    writer: str | None = None


def problem_body(exc: ShowClearError, instance: str | None = None) -> dict[str, Any]:
    """The RFC 9457 body of an error: its type, title, status, detail, instance, extensions."""
    body: dict[str, Any] = {
        "type": f"/api/problems/{exc.slug}",
        "title": exc.title,
        "status": exc.status,
        "detail": exc.detail,
    }
    where = exc.instance or instance
    if where is not None:
        body["instance"] = where
    body.update(exc.extra)
    return body


def problem_response(exc: ShowClearError, instance: str | None = None) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Cookie realm="showclear"'} if exc.status == 401 else None
    return JSONResponse(
        problem_body(exc, instance), status_code=exc.status, media_type=MEDIA_TYPE,
        headers=headers,
    )  # fmt: skip


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries declaring problem+json for these error statuses (the
    Problem schema itself is added to the document by `openapi_components`)."""
    schema = {"$ref": "#/components/schemas/Problem"}
    return {
        s: {
            "description": _DESCRIPTIONS.get(s, "Problem"),
            "content": {MEDIA_TYPE: {"schema": schema}},
        }
        for s in statuses
    }


_DESCRIPTIONS = {
    400: "The request could not be read",
    401: "Not signed in (or, at sign-in, wrong person ID or PIN)",
    403: "Role not allowed (SC-R05), a witness has not confirmed, CSRF token missing or wrong, "
    "or the request came from another site",
    404: "No such item",
    405: "Method not allowed",
    409: "Refused by the safety rules (`rules` lists each rule with reason and next step), "
    "naming something the production does not have (`field`), a reused command_id, or (at "
    "the studio) a production a set node writes (`writer`)",
    413: "Body larger than 64 KiB",
    422: "Malformed input; `field` names the field",
    503: "Store busy; retry",
}


def openapi_components(doc: dict[str, Any]) -> dict[str, Any]:
    """Complete the generated OpenAPI document: the Problem schema every error refers to, the
    session cookie as a security scheme, the CSRF header on every state-changing operation,
    and the answers every operation may give."""
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, sub in problem_schema.pop("$defs", {}).items():
        schemas[name] = sub
    schemas["Problem"] = problem_schema
    doc["components"]["securitySchemes"] = {
        "session": {
            "type": "apiKey",
            "in": "cookie",
            "name": "sc_session",
            "description": "Set by POST /api/productions/{id}/session",
        }
    }
    for item in doc.get("paths", {}).values():
        for method, op in item.items():
            if method not in ("get", "put", "post", "delete", "patch"):
                continue
            # Whatever the operation does: a body too large or unreadable (400, 413), a
            # state-changing request from another site (403).
            common = ((400, 413) if "requestBody" in op else ()) + (
                (403,) if method != "get" else ()
            )
            answers = op.setdefault("responses", {})
            for status, entry in responses(*common).items():
                answers.setdefault(str(status), entry)
            if "422" in answers:  # FastAPI's own validation errors are answered as problems too
                answers["422"] = responses(422)[422]
            if method != "get" and op.get("security"):
                op.setdefault("parameters", []).append(
                    {
                        "name": "X-CSRF-Token",
                        "in": "header",
                        "required": True,
                        "description": "The session's CSRF token (from the sign-in answer)",
                        "schema": {"type": "string"},
                    }
                )
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return doc
