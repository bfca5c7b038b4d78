"""The errors a person or a client can meet, as types: each knows its HTTP status, its RFC 9457
problem type (slug, title, explanation) and the CLI's exit status.

    ShowClearError                      status  slug              exit
     +-- MalformedInput                  422    malformed          2   (field)
     +-- RequestTooLarge                 413    too-large          2
     +-- NotSignedIn                     401    not-signed-in      2
     +-- PinNotAccepted                  401    pin-rejected       2   (locked_until)
     |    +-- WitnessNotConfirmed        403    pin-rejected       2   (field, locked_until)
     +-- NotAllowed                      403    forbidden          2
     |    +-- Forbidden                  403    forbidden          1   (SC-R05 refusal: rules)
     |    +-- CsrfRejected               403    csrf               2
     |    +-- CrossOrigin                403    cross-origin       2
     +-- NotFound                        404    not-found          2
     |    +-- UnknownProduction          404    not-found          2
     |    +-- NoStore                    404    not-found          2
     |    +-- ReportNotFound             404    not-found          2   (views.report_tables)
     +-- Conflict                        409    (abstract)
     |    +-- Refused                    409    refused            1   (rules, verdict, ...)
     |    +-- NotApplicableHere          409    not-applicable     2   (field)
     |    +-- CommandIdReused            409    duplicate-id       2   (field = command_id)
     |    +-- NoLedger                   409    no-ledger          2
     |    +-- NoCheckpoint               409    no-checkpoint      2
 |    +-- WrittenByAnotherNode       409    written-elsewhere  2   (production, writer)
     +-- Unavailable                     503    unavailable        1
     +-- ServerError                     500    server-error       1   (only the catch-all)

`classify(exc)` maps what other layers raise (the domain's Malformed and NotApplicable, the
storage errors and key-file errors of `showclear.ports`) onto this tree, in one
place: the web app and the command line both render through it. Rendering itself (problem+json
for the API, an HTML page or fragment for the screens, one line on stderr for the CLI) lives
with each interface.
"""

from __future__ import annotations

from typing import Any, ClassVar

from showclear.domain.parsing import Malformed, NotApplicable, TooLarge
from showclear.ports import KeyFileError, StoreError

KINDS: dict[str, type[ShowClearError]] = {}
"""slug -> the class that defines it (one title and explanation per slug)."""


class ShowClearError(Exception):
    """An error with a problem type; `detail` says what happened, in plain words."""

    status: ClassVar[int] = 500
    slug: ClassVar[str] = ""
    title: ClassVar[str] = ""
    explanation: ClassVar[str] = ""
    exit_code: ClassVar[int] = 1

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        defined = cls.__dict__
        if "slug" in defined and cls.slug:
            if "title" not in defined or "explanation" not in defined:
                raise TypeError(f"{cls.__name__} defines slug {cls.slug!r} without its text")
            if cls.slug in KINDS:
                raise TypeError(f"slug {cls.slug!r} defined twice")
            KINDS[cls.slug] = cls

    def __init__(self, detail: str = "", *, instance: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.instance = instance
        # Problem extensions (field, rules, locked_until, verdict, command_id, duplicate):
        # None values are left out of the body.
        self.extra = {k: v for k, v in extra.items() if v is not None}


class MalformedInput(ShowClearError):
    status, slug, exit_code = 422, "malformed", 2
    title = "Malformed command"
    explanation = (
        "The command is not well formed: `field` names the field and `detail` says why. "
        "Nothing was recorded."
    )


class RequestTooLarge(ShowClearError):
    status, slug, exit_code = 413, "too-large", 2
    title = "Request too large"
    explanation = (
        "The request body is larger than ShowClear accepts (64 KiB); nothing was recorded."
    )


class NotSignedIn(ShowClearError):
    status, slug, exit_code = 401, "not-signed-in", 2
    title = "Not signed in"
    explanation = "Sign in with your person ID and PIN first (POST /api/productions/{id}/session)."

    def __init__(self, detail: str = "", *, production: str | None = None, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.production = production  # a screen sends the person to this sign-in page


class PinNotAccepted(ShowClearError):
    status, slug, exit_code = 401, "pin-rejected", 2
    title = "PIN not accepted"
    explanation = (
        "A PIN was wrong, missing, or the person is locked out (five wrong PINs lock a person "
        "for five minutes; the lockout is recorded). At sign-in an unknown person or "
        "production is answered the same way as a wrong PIN."
    )


class WitnessNotConfirmed(PinNotAccepted):
    """A witness of a handover gave no PIN, or a wrong one: 403, not 401, because the person
    signed in is fine and a witness is not."""

    status = 403


class NotAllowed(ShowClearError):
    status, slug, exit_code = 403, "forbidden", 2
    title = "Role not allowed"
    explanation = (
        "The signed-in person holds no role that may issue this command type (the rule "
        "catalog, SC-R05) or do this; the attempt at a command is recorded."
    )


class Forbidden(NotAllowed):
    """A command refused by SC-R05: the person's roles may never issue its type."""

    exit_code = 1


class CsrfRejected(NotAllowed):
    slug = "csrf"
    title = "Missing or wrong CSRF token"
    explanation = (
        "Requests authenticated by the session cookie must send the session's CSRF token in "
        "the X-CSRF-Token header (forms: the csrf_token field)."
    )


class CrossOrigin(NotAllowed):
    slug = "cross-origin"
    title = "Request from another site"
    explanation = (
        "A form or API call came from a page that ShowClear did not serve (another origin); "
        "it was refused. Use the ShowClear screens themselves."
    )


class NotFound(ShowClearError):
    status, slug, exit_code = 404, "not-found", 2
    title = "Not found"
    explanation = "No such production, firearm, lot, person, report or page."


class UnknownProduction(NotFound):
    def __init__(self, production: str, **extra: Any) -> None:
        super().__init__(f"No production {production!r}.", **extra)
        self.production = production


class NoStore(NotFound):
    """A read of the record on a node that keeps none (a drill run in memory)."""


class ReportNotFound(NotFound):
    """A report asked for what the record does not hold: a day never started, an unknown
    incident or firearm, a window too wide."""


class Conflict(ShowClearError):
    status = 409


class Refused(Conflict):
    slug, exit_code = "refused", 1
    title = "Refused by the safety rules"
    explanation = (
        "The command was well formed but ShowClear refused it. `rules` lists each rule ID "
        "(docs/rules.md) with the reason in plain words and the next step; an empty list means "
        "the command made no sense in the current state. The refusal itself is recorded "
        "(SC-R03)."
    )


class NotApplicableHere(Conflict):
    slug, exit_code = "not-applicable", 2
    title = "Not applicable to this production"
    explanation = (
        "The command is well formed but names something this production does not have (an "
        "unknown firearm, lot, container or concern): `field` names it. Register it first or "
        "correct the ID. Nothing was recorded."
    )


class CommandIdReused(Conflict):
    slug, exit_code = "duplicate-id", 2
    title = "Command ID already used"
    explanation = (
        "This command_id was already used for a different command; choose a fresh ID. (The "
        "same command sent again is not a problem: it gets its first answer again.)"
    )

    def __init__(self, command_id: str, **extra: Any) -> None:
        super().__init__(
            f"command_id {command_id} was used for another command; choose a fresh ID.",
            field="command_id",
            **extra,
        )
        self.command_id = command_id


class NoLedger(Conflict):
    slug, exit_code = "no-ledger", 2
    title = "No ledger on this store"
    explanation = (
        "Reports are sealed with a signed checkpoint of the ledger, and this store has no "
        "signing key (or it cannot be read). Run the node with its key directory "
        "(<db>.keys/, made by `showclear init`)."
    )


class NoCheckpoint(Conflict):
    slug, exit_code = "no-checkpoint", 2
    title = "Nothing signed yet"
    explanation = (
        "Reports cover the events up to the latest signed checkpoint, and this production has "
        "none yet. Checkpoints are signed just after each command; try again in a moment."
    )


class WrittenByAnotherNode(Conflict):
    """A write at the studio to a production a set node is enrolled to write (issue 13: one
    writer per production): the studio holds it by that node's pushes, and an event of its own
    there would fork the record the node pushes next."""

    slug, exit_code = "written-elsewhere", 2
    title = "Written by a set node"
    explanation = (
        "This production is written by a set node enrolled at the studio (`writer` names it); "
        "the studio keeps the copy that node pushes, read-only, and records nothing in it. Make "
        "the change on that set node; if the node is lost, a studio administrator moves the "
        "writer with the production's armorer (`showclear studio move-writer`). Nothing was "
        "recorded."
    )

    @classmethod
    def naming(cls, production: str, writer: str) -> WrittenByAnotherNode:
        """The refusal for `production`, written by the node named `writer`."""
        return cls(
            f"Production {production!r} is written by set node {writer}; this server keeps a "
            "read-only copy of it and recorded nothing. Make the change on that set node. If "
            "that node is lost, a studio administrator moves the writer together with the "
            f"production's armorer: showclear studio move-writer --store URL --production "
            f"{production} --key NEW.vkey --admin ADMIN --armorer ARMORER --reason REASON.",
            production=production,
            writer=writer,
        )


class Unavailable(ShowClearError):
    status, slug, exit_code = 503, "unavailable", 1
    title = "Store busy"
    explanation = (
        "The store could not record the command (another writer held it, or it cannot be "
        "reached); retry shortly. Nothing was recorded."
    )


class ServerError(ShowClearError):
    status, slug, exit_code = 500, "server-error", 1
    title = "Internal error"
    explanation = "Something went wrong on the server; nothing was lost."


def classify(exc: BaseException) -> ShowClearError | None:
    """`exc` as a ShowClearError: itself, its equivalent, or None when it is not an expected
    failure (a bug, to be logged and answered as ServerError)."""
    if isinstance(exc, ShowClearError):
        return exc
    if isinstance(exc, TooLarge):
        return RequestTooLarge(f"The body {exc.reason}.")
    if isinstance(exc, NotApplicable):
        return NotApplicableHere(str(exc), field=exc.field)
    if isinstance(exc, Malformed):
        return MalformedInput(str(exc), field=exc.field)
    if isinstance(exc, StoreError):
        return Unavailable(f"The store is busy or cannot be used: {exc}")
    if isinstance(exc, KeyFileError):
        return NoLedger(str(exc))
    return None
