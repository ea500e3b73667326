"""Malformed bytes and headers thrown at the intake: it never raises for
them and never loses the raw message."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slaengine.mail.intake import fingerprint, receive
from slaengine.models import InboundMessage
from tests.mail.test_intake import NOW

HEADER_NAMES = [
    "From",
    "To",
    "Cc",
    "Subject",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Content-Type",
    "Content-Transfer-Encoding",
    "Content-Disposition",
    "Auto-Submitted",
    "Precedence",
    "Content-Language",
    "Date",
    "Delivered-To",
]
VALUES = st.one_of(
    st.text(max_size=80),
    st.sampled_from(
        [
            "<a@b>",
            "=?utf-8?b?w6TDtsO8?=",
            "=?x-unknown?q?=FF=FE?=",
            "multipart/mixed",
            'multipart/alternative; boundary="',
            "text/plain; charset=utf-7",
            "base64",
            "quoted-printable",
            "support+12@help.example",
            "[#1] re: x",
            "auto-replied",
            "attachment; filename*0*=utf-8''%E2%82; filename*1=\"x\"",
            "Pat <pat@customer.example>",
        ]
    ),
)
EOL = st.sampled_from([b"\r\n", b"\n", b"\r"])


@st.composite
def messages(draw) -> bytes:
    eol = draw(EOL)
    headers = draw(
        st.lists(st.tuples(st.sampled_from(HEADER_NAMES), VALUES), max_size=12)
    )
    lines = [
        name.encode() + b": " + value.encode("utf-8", "surrogatepass")
        for name, value in headers
    ]
    if draw(st.booleans()):
        lines.append(draw(st.binary(max_size=60)))  # a raw, possibly 8-bit, header line
    body = draw(
        st.one_of(st.binary(max_size=400), st.text(max_size=400).map(str.encode))
    )
    return eol.join(lines) + eol + eol + body


FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def _check_kept(database, raw: bytes, result) -> None:
    assert result.status in ("processed", "set_aside"), result.reason
    with database.session() as session:
        row = session.get(InboundMessage, result.inbound_id)
        assert row is not None
        assert row.raw == raw or (
            result.is_duplicate and fingerprint(row.raw) == fingerprint(raw)
        )


@FUZZ
@given(raw=st.binary(min_size=1, max_size=3000))
def test_arbitrary_bytes_are_kept(database, mail_settings, raw):
    result = receive(database, raw, source="mailgate", settings=mail_settings, now=NOW)

    _check_kept(database, raw, result)


@FUZZ
@given(raw=messages())
def test_malformed_headers_are_kept(database, mail_settings, raw):
    result = receive(database, raw, source="mailgate", settings=mail_settings, now=NOW)

    _check_kept(database, raw, result)
