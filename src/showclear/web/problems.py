"""RFC 9457 problem details: the one shape of every error the API returns.

    {"type": "/api/problems/refused", "title": "Refused by the safety rules", "status": 409,
     "detail": "SC-C03: ...", "instance": "/api/productions/demo/events/57",
     "rules": [{"rule": "SC-C03", "reason": "...", "next_step": "..."}]}

`type` is a relative URI that resolves to a short page explaining the problem (served by
`routes_api`). Extensions: `rules` on refusals (409, and 403 which cites SC-R05), `field` on
malformed input (422) and on a command naming what the production does not have (409),
`locked_until` on a PIN lockout.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

MEDIA_TYPE = "application/problem+json"

# slug -> (title, explanation shown at /api/problems/{slug})
KINDS: dict[str, tuple[str, str]] = {
    "refused": (
        "Refused by the safety rules",
        "The command was well formed but ShowClear refused it. `rules` lists each rule ID "
        "(RULES.md) with the reason in plain words and the next step; an empty list means the "
        "command made no sense in the current state. The refusal itself is recorded (SC-R03).",
    ),
    "forbidden": (
        "Role not allowed",
        "The signed-in person holds no role that may issue this command type (DRILLS.md, "
        "column 'who'; RULES.md SC-R05). The attempt is recorded.",
    ),
    "not-signed-in": (
        "Not signed in",
        "Sign in with your person ID and PIN first (POST /api/productions/{id}/session).",
    ),
    "csrf": (
        "Missing or wrong CSRF token",
        "Requests authenticated by the session cookie must send the session's CSRF token in "
        "the X-CSRF-Token header (forms: the csrf_token field).",
    ),
    "malformed": (
        "Malformed command",
        "The command is not well formed: `field` names the field and `detail` says why. "
        "Nothing was recorded.",
    ),
    "not-applicable": (
        "Not applicable to this production",
        "The command is well formed but names something this production does not have (an "
        "unknown firearm, lot, container or concern): `field` names it. Register it first or "
        "correct the ID. Nothing was recorded.",
    ),
    "too-large": (
        "Request too large",
        "The request body is larger than ShowClear accepts (64 KiB); nothing was recorded.",
    ),
    "cross-origin": (
        "Request from another site",
        "A form or API call came from a page that ShowClear did not serve (another origin); "
        "it was refused. Use the ShowClear screens themselves.",
    ),
    "pin-rejected": (
        "PIN not accepted",
        "A PIN was wrong, missing, or the person is locked out (five wrong PINs lock a person "
        "for five minutes; the lockout is recorded). At sign-in an unknown person or "
        "production is answered the same way as a wrong PIN.",
    ),
    "not-found": ("Not found", "No such production, firearm, lot or person."),
    "duplicate-id": (
        "Command ID already used",
        "This command_id was already used for a different command; choose a fresh ID. (The "
        "same command sent again is not a problem: it gets its first answer again.)",
    ),
    "unavailable": (
        "Store busy",
        "The store could not record the command (another writer held it); retry shortly.",
    ),
    "server-error": ("Internal error", "Something went wrong on the server; nothing was lost."),
}


class RuleText(BaseModel):
    rule: str = Field(description="Rule ID from RULES.md, e.g. SC-C03")
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


def problem(
    status: int, kind: str, detail: str, instance: str | None = None, **extra: Any
) -> JSONResponse:
    title = KINDS[kind][0]
    body: dict[str, Any] = {
        "type": f"/api/problems/{kind}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance is not None:
        body["instance"] = instance
    body.update({k: v for k, v in extra.items() if v is not None})
    headers = {"WWW-Authenticate": 'Cookie realm="showclear"'} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


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
    "naming something the production does not have (`field`), or a reused command_id",
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


class ProblemError(Exception):
    """Raised by route code; the app turns it into a problem+json response."""

    def __init__(
        self, status: int, kind: str, detail: str, instance: str | None = None, **extra: Any
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind
        self.detail = detail
        self.instance = instance
        self.extra = extra

    def response(self) -> JSONResponse:
        return problem(self.status, self.kind, self.detail, self.instance, **self.extra)
