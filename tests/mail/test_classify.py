"""Telling automatic mail and replies apart from new requests."""

import email

import pytest

from slaengine.mail.classify import Classification, classify
from slaengine.mail.parsing import parse_message

HUMAN = {"From": "Ann Lee <ann@example.com>", "Subject": "Printer on fire"}


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({"Auto-Submitted": "auto-replied"}, "auto-submitted:auto-replied"),
        (
            {"Auto-Submitted": "auto-generated (failure)"},
            "auto-submitted:auto-generated",
        ),
        ({"X-Auto-Response-Suppress": "All"}, "x-auto-response-suppress"),
        ({"Precedence": "bulk"}, "precedence:bulk"),
        ({"Precedence": "junk"}, "precedence:junk"),
        ({"Precedence": "list"}, "precedence:list"),
        ({"Precedence": "auto_reply"}, "precedence:auto_reply"),
        ({"List-Id": "Users <users.lists.example.com>"}, "list-id"),
        ({"List-Unsubscribe": "<mailto:leave@example.com>"}, "list-unsubscribe"),
        ({"X-Apple-Action": "VACATION"}, "x-apple-action"),
        ({"X-Autoreply": "yes"}, "x-autoreply"),
        ({"X-Autorespond": "Out of office"}, "x-autorespond"),
        ({"Return-Path": "<>"}, "return-path:<>"),
        ({"From": "Alerts <no-reply@example.com>"}, "sender:no-reply"),
        ({"Subject": "Automatic reply: Printer on fire"}, "subject:auto-reply"),
        ({"Subject": "Auto: Printer on fire"}, "subject:auto-reply"),
        ({"Subject": "Out of Office: back Monday"}, "subject:auto-reply"),
        (
            {"Content-Type": "multipart/report; report-type=disposition-notification"},
            "multipart/report",
        ),
    ],
)
def test_automatic_mail_is_recognised(extra, reason):
    result = classify({**HUMAN, **extra})

    assert result.is_auto_generated
    assert result.reason == reason
    assert not result.is_bounce


@pytest.mark.parametrize(
    "extra",
    [
        {"Content-Type": 'multipart/report; report-type=delivery-status; boundary="b"'},
        {"From": "MAILER-DAEMON@mx.example.com"},
        {"From": "Mail Delivery System <postmaster@example.com>"},
        {"Subject": "Undeliverable: Printer on fire"},
        {"Subject": "Returned mail: see transcript for details"},
        {"X-Failed-Recipients": "bob@example.com"},
    ],
)
def test_bounces_are_automatic_and_flagged(extra):
    result = classify({**HUMAN, **extra})

    assert result.is_auto_generated
    assert result.is_bounce


def test_person_mail_is_not_automatic():
    assert classify({**HUMAN, "Auto-Submitted": "no"}) == Classification(
        is_auto_generated=False, reason=None, is_bounce=False, is_reply=False
    )


@pytest.mark.parametrize(
    "subject",
    ["Re: Printer", "RE: Printer", "AW: Drucker", "SV: Skrivare", "R: Stampante"]
    + ["Re[2]: Printer", "回复: 打印机", "Ответ: Принтер"],
)
def test_reply_prefixes_mark_replies(subject):
    assert classify({**HUMAN, "Subject": subject}).is_reply


@pytest.mark.parametrize(
    "subject",
    ["Fwd: Printer", "[Ann] Re: Printer", "Regarding the printer", "Reset: please"],
)
def test_other_subjects_are_not_replies(subject):
    assert not classify({**HUMAN, "Subject": subject}).is_reply


def test_threading_headers_mark_replies():
    headers = [*HUMAN.items(), ("In-Reply-To", "<a@example.com>")]

    assert classify(headers).is_reply


def test_bounce_with_in_reply_to_is_both_automatic_and_reply():
    headers = {"From": "postmaster@example.com", "In-Reply-To": "<a@example.com>"}

    result = classify(headers)

    assert (result.is_auto_generated, result.is_bounce, result.is_reply) == (
        True,
        True,
        True,
    )


def test_classify_accepts_message_items():
    message = email.message_from_string("From: a@example.com\nPrecedence: bulk\n\nx")

    assert classify(message.items()).reason == "precedence:bulk"


def test_quoting_marks_a_reply_without_threading_headers():
    raw = (
        b"From: ann@example.com\r\nSubject: Printer\r\n\r\nFixed.\r\n\r\n"
        b"On Mon, 2 Apr 2012, Bob <bob@example.com> wrote:\r\n> Broken?\r\n"
    )

    assert classify(parse_message(raw)).is_reply


def test_forward_with_quoting_is_not_a_reply():
    raw = (
        b"From: ann@example.com\r\nSubject: Fwd: Printer\r\n\r\nFYI\r\n\r\n"
        b"On Mon, 2 Apr 2012, Bob <bob@example.com> wrote:\r\n> Broken?\r\n"
    )

    assert not classify(parse_message(raw)).is_reply


def test_headers_of_an_attached_message_do_not_count():
    raw = (
        b"From: ann@example.com\r\nSubject: Look at this\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Type: text/plain\r\n\r\nSee the list post below.\r\n--b\r\n"
        b"Content-Type: message/rfc822\r\n\r\nFrom: list@example.com\r\n"
        b"Precedence: list\r\nList-Id: <l.example.com>\r\nSubject: Post\r\n\r\n"
        b"Hello list\r\n--b--\r\n"
    )

    parsed = parse_message(raw)

    assert not parsed.is_auto_generated
    assert parsed.classification == classify(parsed)
