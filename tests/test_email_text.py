"""Raw e-mails are read as their Subject and body: transport headers never reach the model."""

import csv

from app.engine.data.email_text import email_text, html_to_text, looks_like_email
from app.engine.data.examples import load_examples

PLAIN = (
    "From someone@example.com  Thu Aug 22 13:17:22 2002\n"
    "Return-Path: <someone@example.com>\n"
    "Received: from mail.example.com (mail.example.com [10.0.0.1])\n"
    "\tby relay.example.org with ESMTP id 136B943C32\n"
    "Message-ID: <0103c1042001882DD@example.com>\n"
    "Subject: =?iso-8859-1?q?R=E9sum=E9?= of the pump repair\n"
    "Content-Type: text/plain; charset=iso-8859-1\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "The pump was repaired on Tuesday. Caf=E9 closed.\n"
)

HTML_ONLY = (
    "From: a@example.com\n"
    "To: b@example.com\n"
    "Subject: Offer\n"
    'Content-Type: multipart/alternative; boundary="XX"\n'
    "\n"
    "--XX\n"
    "Content-Type: text/html; charset=utf-8\n"
    "\n"
    "<html><head><style>p {color: red}</style></head><body><p>Buy <b>now</b> &amp; save</p></body></html>\n"
    "--XX--\n"
)


def test_headers_are_dropped_and_subject_and_body_are_decoded():
    text = email_text(PLAIN)
    assert text.startswith("Subject: Résumé of the pump repair\n")  # RFC 2047 encoded-word decoded
    assert "Café closed." in text  # quoted-printable and Latin-1 decoded
    for header in ("Return-Path", "Received", "Message-ID", "relay.example.org", "Content-Type"):
        assert header not in text


def test_an_html_body_becomes_its_visible_text():
    text = email_text(HTML_ONLY)
    assert text.startswith("Subject: Offer\n")
    assert "Buy now & save" in " ".join(text.split())
    assert "color" not in text and "<" not in text
    assert html_to_text("<p>broken <b>markup") == "\nbroken markup"


def test_texts_that_are_not_emails_are_left_alone():
    for text in (
        "L/H BUCKET CYL LEAKING.",
        "Note: the pump is broken\n\nplease fix",  # one "header-like" line is not a mail header block
        "Subject: hello",  # no blank line ending a header block
        "",
    ):
        assert not looks_like_email(text)
        assert email_text(text) is text
    assert looks_like_email(PLAIN) and looks_like_email(HTML_ONLY)


def test_a_broken_message_never_raises():
    broken = (
        "From: a@example.com\nSubject: x\nContent-Type: multipart/mixed; boundary=\n\n--\x00\x01\nnot closed"
    )
    assert isinstance(email_text(broken), str)


def test_load_examples_reads_emails_as_subject_and_body_unless_raw_is_asked(tmp_path):
    path = tmp_path / "mail.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "label"])
        w.writerows([(PLAIN, "ham"), (PLAIN.replace("pump", "valve"), "ham"), (HTML_ONLY, "spam")])
        w.writerows([(HTML_ONLY.replace("Offer", "Deal"), "spam"), ("a short note", "ham")])
    body = load_examples(path)
    assert body.emails == 4
    assert (
        body.examples[0].text
        == "Subject: Résumé of the pump repair The pump was repaired on Tuesday. Café closed."
    )
    assert body.examples[4].text == "a short note"
    raw = load_examples(path, emails="raw")
    assert raw.emails == 0 and "Return-Path" in raw.examples[0].text
