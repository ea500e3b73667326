"""Splitting replies into new text and quoted history."""

import pytest

from slaengine.mail.quotes import has_quoted_history, split_reply


def squash(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize(
    ("body", "expected_new"),
    [
        pytest.param(
            "Thanks, that fixed it.\n\n"
            "On Tue, Mar 3, 2020 at 10:00 AM Ann Lee <ann@example.com> wrote:\n"
            "> Please restart the service.\n",
            "Thanks, that fixed it.",
            id="gmail",
        ),
        pytest.param(
            "Works now.\n"
            "On Mon, Apr 2, 2012 at 6:26 PM, Megan One <\n"
            "megan@example.com> wrote:\n\n> Hi\n",
            "Works now.",
            id="attribution-wrapped-over-two-lines",
        ),
        pytest.param(
            "Danke!\n\nAm 02.04.2012 um 14:20 schrieb Max Muster <max@example.de>:\n\n"
            "> Hallo\n",
            "Danke!",
            id="german-name-after-verb",
        ),
        pytest.param(
            "Merci.\n\nLe 2 avr. 2012 à 14:20, Jean <jean@example.fr> a écrit :\n"
            "> Bonjour\n",
            "Merci.",
            id="french",
        ),
        pytest.param(
            "Спасибо\n\n"
            "2 апреля 2012 г., 14:20 пользователь Иван <ivan@example.ru> написал:\n"
            "> Привет\n",
            "Спасибо",
            id="russian",
        ),
        pytest.param(
            "Approved.\n\n-----Original Message-----\nFrom: Bob\nSent: Monday\n"
            "Subject: Budget\n\nPlease approve.\n",
            "Approved.",
            id="outlook-original-message",
        ),
        pytest.param(
            "See attached.\n\n________________________________\n"
            "From: Bob Stone <bob@example.com>\nSent: 02 April 2012 14:20\n"
            "To: Support\nSubject: Invoice\n\nWhere is my invoice?\n",
            "See attached.",
            id="outlook-underscore-separator",
        ),
        pytest.param(
            "Yes.\n\nVon: Bob Stone\nGesendet: Montag, 2. April 2012 14:20\n"
            "An: Support\nBetreff: Rechnung\n\nWo ist meine Rechnung?\n",
            "Yes.",
            id="outlook-german-header-block",
        ),
        pytest.param(
            "On 04/02/2012 06:26 PM, Megan One wrote:\n> Hi\nHello",
            "Hello",
            id="bottom-post",
        ),
        pytest.param(
            "> Is the printer fixed?\nYes.\n> And the scanner?\nNot yet.\n",
            "Yes.\nNot yet.",
            id="interleaved",
        ),
        pytest.param(
            "The disk is full.\n\n-- \nJane Roe\nACME Support\n",
            "The disk is full.",
            id="signature",
        ),
        pytest.param(
            "Done.\n\n> --- Reply above. Do not\n> remove this line. ---\n>\n"
            "> Ticket #12 was updated.\n",
            "Done.",
            id="reply-above-marker-wrapped",
        ),
        pytest.param(
            "Closing this.\n\n##- Please type your reply above this line -##\n\n"
            "Ticket #12 was updated --- by Ann.\n",
            "Closing this.",
            id="reply-above-marker-unquoted",
        ),
    ],
)
def test_split_reply_finds_new_text(body, expected_new):
    new_text, quoted = split_reply(body)

    assert squash(new_text) == squash(expected_new)
    assert quoted


def test_split_reply_keeps_unquoted_mail_whole():
    body = "Here is what my colleague wrote:\nThe server is down since 9:00.\n"

    assert split_reply(body) == (body.strip("\n"), "")


def test_split_reply_does_not_swallow_the_line_above_an_attribution():
    body = "Thanks for the help.\nOn Mon, 2 Apr 2012, John <j@example.com> wrote:\n> hi"

    assert split_reply(body)[0] == "Thanks for the help."


def test_split_reply_handles_empty_text():
    assert split_reply("") == ("", "")


def test_forwarded_message_is_not_quoted_history():
    body = (
        "FYI\n\n---------- Forwarded message ---------\nFrom: Ann <ann@example.com>\n"
        "Date: Mon, 2 Apr 2012\nSubject: Outage\nTo: ops@example.com\n\nDown again.\n"
    )

    assert not has_quoted_history(body)


@pytest.mark.parametrize(
    "body",
    [
        "Hello\n\nOn Mon, Apr 2, 2012 at 6:26 PM, Ann <ann@example.com> wrote:\n> Hi",
        "Hello\n> Hi",
    ],
)
def test_has_quoted_history(body):
    assert has_quoted_history(body)


def test_signature_alone_is_not_quoted_history():
    assert not has_quoted_history("Hello\n-- \nAnn")
