"""The ways out for alerts (`showclear.ports.AlertSender`): SMTP (stdlib smtplib), Apprise (one
library for dozens of push and chat services), and the node's log (delivery switched off
from the outside world, e.g. the demo).

Each send is one message to one address. The Message-ID is the delivery's own (the same on
every attempt), so a mail client shows a repeat after a crash as the same message.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Literal

from showclear.ports import AlertSender, DeliveryError, OutgoingAlert

log = logging.getLogger("showclear.alerts")

Security = Literal["starttls", "ssl", "none"]


@dataclass(frozen=True)
class SmtpSender:
    """E-mail through one SMTP server (a relay of the studio's, or a provider's)."""

    host: str
    sender: str  # the From: address
    port: int = 25
    security: Security = "none"
    user: str | None = None
    password: str | None = None
    timeout: float = 30.0

    def send(self, alert: OutgoingAlert) -> str:
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = alert.address
        msg["Subject"] = alert.subject
        msg["Date"] = formatdate(localtime=True)
        msg["Message-ID"] = alert.message_id
        msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
        msg.set_content(alert.body)
        try:
            if self.security == "ssl":
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with client:
                if self.security == "starttls":
                    client.starttls(context=ssl.create_default_context())
                if self.user:
                    client.login(self.user, self.password or "")
                client.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise DeliveryError(
                f"the SMTP server refused the address ({', '.join(map(str, codes))})",
                permanent=all(500 <= c < 600 for c in codes),
            ) from exc
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(
                f"the SMTP server answered {exc.smtp_code}", permanent=500 <= exc.smtp_code < 600
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:  # refused, timed out, TLS, DNS
            raise DeliveryError(f"cannot reach the SMTP server {self.host}:{self.port}: "
                                f"{type(exc).__name__}: {exc}") from exc  # fmt: skip
        return "smtp"


class NoEmail:
    """A node with no SMTP server configured: an e-mail delivery fails at once, and says why."""

    def send(self, alert: OutgoingAlert) -> str:
        raise DeliveryError(
            "this node sends no e-mail: start it with --smtp-host (see showclear serve --help)",
            permanent=True,
        )


class AppriseSender:
    """Push and chat services through Apprise (`tgram://`, `ntfy://`, `json://`, `mailto://`...)."""

    def send(self, alert: OutgoingAlert) -> str:
        import apprise  # loaded only by a node that sends (it loads every service plug-in)

        notifier = apprise.Apprise()
        if not notifier.add(alert.address):
            raise DeliveryError("Apprise does not know this URL's service", permanent=True)
        try:
            ok = notifier.notify(title=alert.subject, body=alert.body)
        except Exception as exc:  # a plug-in's own failure
            raise DeliveryError(f"Apprise failed: {type(exc).__name__}: {exc}") from exc
        if not ok:
            raise DeliveryError("the service did not accept the notification (see the log)")
        return "apprise"


class LogSender:
    """Writes each alert to the node's log instead of sending it (recorded as `log`)."""

    def send(self, alert: OutgoingAlert) -> str:
        log.warning("ALERT for %s (%s): %s", alert.person, alert.channel, alert.subject)
        return "log"


def senders(mode: Literal["send", "log"], smtp: SmtpSender | None) -> dict[str, AlertSender]:
    """The sender of each channel for a delivery mode."""
    if mode == "log":
        return {"email": LogSender(), "apprise": LogSender()}
    return {"email": smtp or NoEmail(), "apprise": AppriseSender()}
