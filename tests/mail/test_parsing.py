"""Parsing raw messages: focused cases the corpus does not pin down."""

import base64
import binascii
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slaengine.mail.parsing import MessageUnparseable, parse_message


def crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode("utf-8")


def test_threading_ids_lose_their_brackets():
    parsed = parse_message(
        crlf(
            "From: a@example.com\nMessage-ID:\n <m1@example.com>\n"
            "In-Reply-To: <m0@example.com> (Ann's mail)\n"
            "References: <r1@example.com>\n <r2@example.com>\n\nbody\n"
        )
    )

    assert parsed.message_id == "m1@example.com"
    assert parsed.in_reply_to == "m0@example.com"
    assert parsed.references == ["r1@example.com", "r2@example.com"]


def test_missing_headers_become_none():
    parsed = parse_message(b"X-Note: only this\r\n\r\nHi\r\n")

    assert (parsed.message_id, parsed.from_address, parsed.from_name) == (
        None,
        None,
        None,
    )
    assert (parsed.subject, parsed.date, parsed.html) == (None, None, None)
    assert parsed.text == "Hi"


def test_dates_are_aware():
    with_zone = parse_message(b"From: a@b.c\nDate: Mon, 2 Apr 2012 14:20:00 +0200\n\nx")
    without_zone = parse_message(
        b"From: a@b.c\nDate: Mon, 2 Apr 2012 14:20:00 -0000\n\nx"
    )
    broken = parse_message(b"From: a@b.c\nDate: sometime soon\n\nx")

    assert with_zone.date == datetime(
        2012, 4, 2, 14, 20, tzinfo=timezone(timedelta(hours=2))
    )
    assert without_zone.date == datetime(2012, 4, 2, 14, 20, tzinfo=UTC)
    assert broken.date is None


def test_addresses_are_bare_and_lower_case():
    parsed = parse_message(
        crlf(
            'From: "Lee, Ann" <Ann.Lee@Example.COM>\n'
            "To: support@example.com, =?utf-8?q?J=C3=B6rg?= <JOERG@example.com>,\n"
            "Cc: undisclosed-recipients:;\nDelivered-To: Help+42@example.com\n"
            "X-Original-To: help@example.com\nReturn-Path: <>\n\nx\n"
        )
    )

    assert (parsed.from_name, parsed.from_address) == (
        "Lee, Ann",
        "ann.lee@example.com",
    )
    assert parsed.to_addresses == ["support@example.com", "joerg@example.com"]
    assert parsed.cc_addresses == []
    assert parsed.delivered_to == ["help+42@example.com"]
    assert parsed.original_recipients == ["help@example.com"]
    assert parsed.return_path == ""


def test_raw_utf8_and_undeclared_koi8r_headers():
    utf8 = parse_message("From: Jörg <j@example.com>\nSubject: Grüße\n\nx".encode())
    koi8 = parse_message(
        "From: Иван <i@example.ru>\nSubject: Принтер сломался\n\n"
        "Добрый день, принтер опять не печатает.\n".encode("koi8-r")
    )

    assert (utf8.from_name, utf8.subject) == ("Jörg", "Grüße")
    assert koi8.from_name == "Иван"
    assert koi8.subject == "Принтер сломался"
    assert "принтер опять не печатает" in koi8.text


def test_unknown_charsets_do_not_break_decoding():
    parsed = parse_message(
        crlf(
            "From: a@example.com\nSubject: =?x-unknown?q?caf=C3=A9?=\n"
            "Content-Type: text/plain; charset=none\n\ncaf\u00e9\n"
        )
    )

    assert parsed.subject == "café"
    assert parsed.text == "café"


def test_rfc2231_continuations_and_rfc2047_filenames():
    raw = crlf(
        "From: a@example.com\nMIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="b"\n\n--b\n'
        "Content-Type: text/plain\n\nSee files.\n--b\n"
        "Content-Type: application/pdf\n"
        "Content-Disposition: attachment;\n filename*0*=utf-8''Rechnung%20f;\n"
        " filename*1*=%C3%BCr%20M%C3%A4rz.pdf\n"
        "Content-Transfer-Encoding: base64\n\nJVBERi0=\n--b\n"
        'Content-Type: text/plain; name="=?iso-8859-1?q?r=E9sum=E9=2Etxt?="\n'
        "Content-Disposition: attachment\n\nCV\n--b--\n"
    )

    parsed = parse_message(raw)

    assert [a.filename for a in parsed.listed_attachments] == [
        "Rechnung für März.pdf",
        "résumé.txt",
    ]
    assert parsed.attachments[0].payload == b"%PDF-"
    assert parsed.text == "See files."


def test_uuencoded_files_become_attachments():
    encoded = binascii.b2a_uu(b"hello world").decode()
    raw = crlf(
        "From: a@example.com\nSubject: file\n\nHere it is.\n\n"
        f"begin 644 hello.txt\n{encoded}`\nend\n\nBye\n"
    )

    parsed = parse_message(raw)

    assert [(a.filename, a.payload) for a in parsed.attachments] == [
        ("hello.txt", b"hello world")
    ]
    assert "begin 644" not in parsed.text
    assert "Bye" in parsed.text


def test_x_uuencode_part_is_an_attachment():
    encoded = binascii.b2a_uu(b"report").decode()
    raw = crlf(
        "From: a@example.com\nMIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="b"\n\n--b\n'
        "Content-Type: text/plain\n\nAttached.\n--b\n"
        'Content-Type: application/msword; name="r.doc"\n'
        "Content-Transfer-Encoding: x-uuencode\n\n"
        f"begin 600 r.doc\n{encoded}`\nend\n--b--\n"
    )

    parsed = parse_message(raw)

    assert [(a.filename, a.payload) for a in parsed.attachments] == [
        ("r.doc", b"report")
    ]


def test_cid_images_are_inline_and_html_is_sanitized():
    png = base64.b64encode(b"\x89PNG fake").decode()
    raw = crlf(
        "From: a@example.com\nMIME-Version: 1.0\n"
        'Content-Type: multipart/related; boundary="r"\n\n--r\n'
        "Content-Type: text/html; charset=utf-8\n\n"
        '<p>Look: <img src="cid:logo@x"></p><script>alert(1)</script>\n--r\n'
        'Content-Type: image/png; name="logo.png"\nContent-ID: <logo@x>\n'
        f"Content-Transfer-Encoding: base64\n\n{png}\n--r\n"
        'Content-Type: image/png; name="other.png"\nContent-ID: <other@x>\n'
        f"Content-Transfer-Encoding: base64\n\n{png}\n--r--\n"
    )

    parsed = parse_message(raw)

    assert [(a.filename, a.is_inline) for a in parsed.attachments] == [
        ("logo.png", True),
        ("other.png", False),
    ]
    assert [a.filename for a in parsed.listed_attachments] == ["other.png"]
    assert parsed.text == "Look:"
    assert 'src="cid:logo@x"' in parsed.html
    assert "script" not in parsed.html


def test_forwarded_message_is_kept_as_attachment():
    raw = crlf(
        "From: a@example.com\nMIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="b"\n\n--b\n'
        "Content-Type: text/plain\n\nFYI\n--b\n"
        "Content-Type: message/rfc822\n\n"
        "From: b@example.com\nSubject: inner\n\ninner text\n--b--\n"
    )

    parsed = parse_message(raw)

    assert parsed.text == "FYI"
    [forwarded] = parsed.attachments
    assert (forwarded.filename, forwarded.content_type) == (None, "message/rfc822")
    assert b"Subject: inner" in forwarded.payload
    assert parsed.listed_attachments == []


def test_multipart_without_boundary_falls_back_to_text():
    parsed = parse_message(
        b"From: a@example.com\nContent-Type: multipart/mixed\n\nJust text\n"
    )

    assert parsed.text == "Just text"
    assert "multipart-without-parts" in parsed.repairs


def test_nul_bytes_are_dropped_from_text():
    parsed = parse_message(b"From: a@example.com\nSubject: a\x00b\n\nx\x00y\n")

    assert (parsed.subject, parsed.text) == ("ab", "xy")


def test_invalid_utf8_in_quoted_printable_is_replaced():
    parsed = parse_message(
        b"From: a@example.com\nContent-Type: text/plain; charset=utf-8\n"
        b"Content-Transfer-Encoding: quoted-printable\n\nok =AA\n"
    )

    assert parsed.text == "ok \ufffd"


@pytest.mark.parametrize("raw", [b"", b" \r\n \r\n", b"no headers at all"])
def test_input_without_a_message_is_unparseable(raw):
    with pytest.raises(MessageUnparseable) as caught:
        parse_message(raw)

    assert caught.value.reason


def test_text_is_not_accepted():
    with pytest.raises(MessageUnparseable):
        parse_message("From: a@example.com\n\nx")


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                b"From: a@example.com\r\n",
                b"Subject: =?utf-8?b?w6Q=?=\r\n",
                b'Content-Type: multipart/mixed; boundary="b"\r\n',
                b"Content-Type: text/html; charset=gb2312\r\n",
                b"Content-Transfer-Encoding: base64\r\n",
                b"Content-Disposition: attachment; filename*=utf-8''%C3%A4\r\n",
                b"--b\r\n",
                b"--b--\r\n",
                b"\r\n",
                b"begin 644 x.bin\r\n",
                b"end\r\n",
                b"> quoted\r\n",
                b"\xff\xfe\x00\x1b$B\r\n",
            ]
        )
        | st.binary(max_size=40),
        max_size=30,
    )
)
def test_any_input_parses_or_is_unparseable(chunks):
    try:
        parsed = parse_message(b"".join(chunks))
    except MessageUnparseable:
        return
    assert isinstance(parsed.text, str)


@pytest.mark.parametrize(
    ("body", "codec"),
    [
        ("Der Drucker ist schon wieder kaputt, großer Ärger", "cp1252"),
        ("Добрый день, принтер опять не печатает", "koi8-r"),
        ("Добрый день, принтер опять не печатает", "cp1251"),
        ("Zażółć gęślą jaźń, proszę", "iso-8859-2"),
        ("系统检测到邮箱账号频繁地登录失败，原因是密码错误", "gbk"),
        ("這是一個測試，請問您的電話號碼是什麼", "big5"),
        ("このメールはテスト用のメールです", "shift_jis"),
        ("안녕하세요 테스트 메일입니다", "euc-kr"),
    ],
)
def test_undeclared_body_charset_is_guessed(body, codec):
    raw = b"From: a@example.com\nSubject: test\n\n" + body.encode(codec)

    assert parse_message(raw).text == body
