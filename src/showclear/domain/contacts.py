"""Where a person is told of an alert: an e-mail address, or an Apprise URL (push and chat).

An address is personal data and an Apprise URL usually holds a secret (a bot token, an API
key), while the record is exported to insurers and investigators. So the record never holds
an address: a `contact_set` event holds its fingerprint (SHA-256) and a masked form for people
to recognise it; the address itself is kept by the node, next to the record, under that
fingerprint (`ports.ContactAddresses`). Whoever holds an address can check it against the
record; nobody can read a token back from it. Changing an address is a new `contact_set`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import get_args

from showclear.domain import limits
from showclear.domain.parsing import Malformed
from showclear.domain.values import Channel

CHANNELS: tuple[str, ...] = get_args(Channel)
CHANNEL_WORDS = {"email": "e-mail", "apprise": "push/chat (Apprise)"}

# Deliberately plain: one @, no spaces or control characters, a dotted domain. What a mail
# server accepts is its business; this catches typing mistakes and hostile input.
_EMAIL = re.compile(r"[^\s@<>()\[\],;:\"\\]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+")  # fmt: skip
_URL = re.compile(r"([a-z][a-z0-9+.-]{0,31})://\S+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Contact:
    """A parsed address: what the node keeps, and what the record says of it."""

    channel: str
    address: str
    fingerprint: str  # 64 hex digits
    shown: str  # masked, safe to print on a page or a report


def parse_contact(channel: object, address: object) -> Contact:
    """Check `address` for `channel` (raises Malformed naming the field)."""
    if channel not in CHANNELS:
        raise Malformed("channel", f"must be one of {', '.join(CHANNELS)}")
    if not isinstance(address, str):
        raise Malformed("address", "must be a string")
    address = address.strip()
    limit = limits.MAX_EMAIL_CHARS if channel == "email" else limits.MAX_URL_CHARS
    if not address:
        raise Malformed("address", "must not be empty (leave it out to remove the address)")
    if len(address) > limit:
        raise Malformed("address", f"is {len(address)} characters long; at most {limit}")
    bad = re.search(limits.ID_FORBIDDEN, address)
    if bad:
        raise Malformed("address", f"must not contain the character \\u{ord(bad.group()):04x}")
    if channel == "email":
        if not _EMAIL.fullmatch(address):
            raise Malformed("address", "is not an e-mail address like name@example.org")
    elif not _URL.fullmatch(address):
        raise Malformed(
            "address",
            "is not a notification URL like tgram://TOKEN/CHAT or ntfy://topic "
            "(see the Apprise list of services)",
        )
    return Contact(channel, address, fingerprint(channel, address), masked(channel, address))


def fingerprint(channel: str, address: str) -> str:
    """What the record holds of an address."""
    data = f"showclear contact\0{channel}\0{address}".encode()
    return hashlib.sha256(data).hexdigest()


def is_fingerprint(text: str) -> bool:
    return len(text) == 64 and all(ch in "0123456789abcdef" for ch in text)


def masked(channel: str, address: str) -> str:
    """Enough to recognise an address, not enough to use it: `a…@example.org`, `tgram://…`."""
    if channel == "email":
        local, _, domain = address.rpartition("@")
        return f"{local[:1]}…@{domain}"
    scheme = address.split("://", 1)[0].lower()
    return f"{scheme}://…"
