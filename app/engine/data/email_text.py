"""Raw e-mails as texts to classify: the Subject and the readable body, without the transport headers.

A raw message (RFC 822/5322, as a mail client's export or a .eml file holds it) starts with a block of
header lines: Received, Return-Path, Message-ID, DKIM signatures... On the SpamAssassin corpus these
filled the whole 128-token window before the body began (docs/BENCHMARKS.md, long texts). What a user's
e-mail export means is the Subject and what the sender wrote, so that is what the model reads:

    Subject: <decoded subject>
    <body: text/plain parts, else text/html parts with the markup removed; transfer encodings and
     character sets decoded>

Only the Python standard library (``email``, ``html.parser``) is used; nothing here can raise on bad
input: an undecodable part is decoded as Latin-1 (every byte is a character), a message that does not
parse is returned as it was.
"""

from __future__ import annotations

import email
import email.policy
import re
from email.header import decode_header, make_header
from html.parser import HTMLParser

# Header names that say "this is a mail message"; two of them in the first block make a text an e-mail.
_MAIL_HEADERS = frozenset(
    {
        "from",
        "to",
        "cc",
        "subject",
        "date",
        "received",
        "return-path",
        "message-id",
        "mime-version",
        "content-type",
        "delivered-to",
        "reply-to",
        "x-mailer",
        "in-reply-to",
        "references",
    }
)
_HEADER_LINE = re.compile(r"^([!-9;-~]+):")  # RFC 5322 field name: printable ASCII but the colon
_MAX_HEADER_LINES = 400


def looks_like_email(text: str) -> bool:
    """True if ``text`` opens with an RFC 5322 header block (an mbox "From " line may precede it) that
    names at least two mail headers and ends with a blank line."""
    lines = text.lstrip("\ufeff").splitlines()
    if lines and lines[0].startswith("From "):  # mbox separator line
        lines = lines[1:]
    names: set[str] = set()
    for i, line in enumerate(lines[:_MAX_HEADER_LINES]):
        if not line.strip():
            return i > 0 and len(names & _MAIL_HEADERS) >= 2
        if line[0] in " \t" and i > 0:  # folded continuation of the previous header
            continue
        m = _HEADER_LINE.match(line)
        if m is None:
            return False
        names.add(m.group(1).lower())
    return False


class _HtmlText(HTMLParser):
    """The visible text of an HTML body: tags dropped, script/style contents skipped, entities decoded."""

    _SKIP = frozenset({"script", "style", "head", "title"})
    _BREAK = frozenset({"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "td", "table"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag, attrs) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BREAK:
            self.parts.append("\n")

    def handle_endtag(self, tag) -> None:
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _HtmlText()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):  # html.parser gives up on some broken markup: keep what it read
        pass
    return "".join(parser.parts)


def _decoded_payload(part) -> str:
    raw = part.get_payload(decode=True)
    if raw is None:
        payload = part.get_payload()
        return payload if isinstance(payload, str) else ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return raw.decode(charset)
    except (LookupError, UnicodeDecodeError):
        return raw.decode("latin-1")  # every byte is a character: never fails


def _subject(message) -> str:
    value = message.get("Subject", "")
    try:
        return str(make_header(decode_header(str(value))))
    except (LookupError, UnicodeDecodeError, ValueError, email.errors.HeaderParseError):
        return str(value)


def email_text(raw: str) -> str:
    """The Subject line and readable body of a raw e-mail; ``raw`` unchanged if it is not one."""
    if not looks_like_email(raw):
        return raw
    try:
        message = email.message_from_string(raw.lstrip("\ufeff"), policy=email.policy.compat32)
        plain, html = [], []
        for part in message.walk():
            if part.is_multipart() or part.get_content_maintype() != "text":
                continue
            if part.get_filename():  # an attached file, not the message
                continue
            (html if part.get_content_subtype() == "html" else plain).append(_decoded_payload(part))
        body = "\n".join(plain) if any(p.strip() for p in plain) else "\n".join(map(html_to_text, html))
        subject = _subject(message)
    except Exception:  # noqa: BLE001 - the stdlib parser's failures are not documented; keep the text
        return raw
    return f"Subject: {subject}\n{body}" if subject else body
