"""Turning one raw inbound message into the facts intake needs.

:func:`parse_message` reads the bytes with the standard library ``email``
package and then decodes every header and body itself, because real mail
breaks the rules in ways the standard library reports but does not undo:
raw 8-bit headers, undeclared or mislabelled charsets, boundaries that do
not match, header folding without indentation. Nothing here touches the
database; the caller keeps the raw message.
"""

import binascii
import email
import email.policy
import email.utils
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from html.parser import HTMLParser

import nh3

from slaengine.errors import InvalidInput
from slaengine.mail.charsets import (
    decode_bytes,
    decode_encoded_words,
    decode_header_bytes,
    guess_codec,
    is_mostly_utf8,
    resolve_codec,
)
from slaengine.mail.classify import Classification, classify_headers
from slaengine.mail.repair import repair_structure

logger = logging.getLogger(__name__)

_ANGLE_IDS = re.compile(r"<([^<>\s]+)>")
_CID_REFERENCE = re.compile(r"""cid:([^"'\s>)]+)""", re.IGNORECASE)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_:.-]+)""", re.I
)
_UU_BEGIN = re.compile(r"^begin [0-7]{3,4} (\S.*?)\s*$")
_MESSAGE_TYPES = ("message/rfc822", "message/news", "message/global")
_BODY_TYPES = ("text/plain", "text/html", "text/enriched", "text/richtext")


class MessageUnparseable(InvalidInput):
    """Raised for input that holds no message at all.

    :param reason: what is wrong, in words an operator can act on.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ParsedAttachment:
    """One file carried by a message.

    ``is_inline`` is true for images the HTML body shows through ``cid:``;
    an agent does not need them listed, but they are kept for rendering.
    ``filename`` is ``None`` for unnamed parts such as a forwarded message
    without a name.
    """

    filename: str | None
    content_type: str
    payload: bytes = field(repr=False)
    content_id: str | None = None
    is_inline: bool = False


@dataclass(frozen=True)
class ParsedMessage:
    """The facts of one inbound message, decoded.

    Addresses are bare and lower case. ``text`` is the full decoded body
    (HTML-only mail rendered to text), before any quote stripping; ``html``
    is sanitized. ``headers`` holds the top-level headers, unfolded and
    decoded, in message order. ``repairs`` names the malformations that were
    worked around.
    """

    message_id: str | None
    in_reply_to: str | None
    references: list[str]
    from_address: str | None
    from_name: str | None
    to_addresses: list[str]
    cc_addresses: list[str]
    reply_to_addresses: list[str]
    delivered_to: list[str]
    original_recipients: list[str]
    return_path: str | None
    subject: str | None
    date: datetime | None
    text: str
    html: str | None
    attachments: list[ParsedAttachment]
    headers: list[tuple[str, str]] = field(repr=False)
    classification: Classification
    repairs: list[str] = field(default_factory=list)

    @property
    def is_auto_generated(self) -> bool:
        """Whether a machine sent this (auto-reply, bounce, list, notice)."""
        return self.classification.is_auto_generated

    @property
    def is_reply(self) -> bool:
        """Whether this answers an earlier message."""
        return self.classification.is_reply

    @property
    def listed_attachments(self) -> list[ParsedAttachment]:
        """Return the attachments an agent should see: named and not inline."""
        return [a for a in self.attachments if a.filename and not a.is_inline]


def parse_message(raw: bytes) -> ParsedMessage:
    """Parse one raw RFC 5322 message.

    :param raw: the message exactly as received.
    :returns: the decoded facts; malformed input is repaired where possible
        and the repairs listed in :attr:`ParsedMessage.repairs`.
    :raises MessageUnparseable: when ``raw`` is empty or not a message.

    Limitations: charsets of undeclared 8-bit text are guessed; TNEF
    (``winmail.dat``) is surfaced as a file, not unpacked; S/MIME and PGP
    parts are listed as attachments, never decrypted.
    """
    if not isinstance(raw, bytes | bytearray):
        raise MessageUnparseable("expected the raw message as bytes")
    if not raw.strip():
        raise MessageUnparseable("the message is empty")

    repaired, repairs = repair_structure(bytes(raw))
    message = _read_structure(repaired, repairs)
    headers = _RawHeaders(message)
    if not headers.items:
        raise MessageUnparseable("no header could be read")

    body_charset = _declared_body_charset(message)
    collector = _Collector(fallback=body_charset, repairs=repairs)
    collector.walk(message)
    header_charset = _choose_header_charset(headers, body_charset, raw)
    if repairs:
        logger.debug("event=mail.repaired repairs=%s", ",".join(sorted(set(repairs))))
    return _assemble(headers, collector, header_charset)


def _assemble(
    headers: "_RawHeaders", collector: "_Collector", header_charset: str | None
) -> ParsedMessage:
    decoded = headers.decoded(header_charset)
    from_name, from_address = _first_address(headers.get("From"), header_charset)
    subject = _decode_header(headers.get("Subject"), header_charset)
    subject = subject.strip() if subject is not None else None
    text = collector.render_text()
    html = collector.render_html()
    classification = classify_headers(
        decoded, text=text, from_address=from_address, subject=subject
    )
    return ParsedMessage(
        message_id=_first_id(headers.get("Message-ID")),
        in_reply_to=_first_id(headers.get("In-Reply-To")),
        references=_all_ids(headers.get("References")),
        from_address=from_address,
        from_name=from_name,
        to_addresses=_addresses(headers.get_all("To"), header_charset),
        cc_addresses=_addresses(headers.get_all("Cc"), header_charset),
        reply_to_addresses=_addresses(headers.get_all("Reply-To"), header_charset),
        delivered_to=_addresses(headers.get_all("Delivered-To"), header_charset),
        original_recipients=_addresses(
            headers.get_all("X-Original-To")
            + headers.get_all("Envelope-To")
            + headers.get_all("X-Envelope-To"),
            header_charset,
        ),
        return_path=_return_path(headers.get("Return-Path")),
        subject=subject,
        date=_parse_date(headers.get("Date")),
        text=text,
        html=html,
        attachments=collector.finish_attachments(),
        headers=decoded,
        classification=classification,
        repairs=sorted(set(collector.repairs)),
    )


def _read_structure(raw: bytes, repairs: list[str]) -> Message:
    """Build the MIME tree, preferring the modern policy.

    Python's ``policy.default`` raises on some parameters (an ISO-2022-JP
    filename with Microsoft characters, for one); compat32 builds the same
    tree without interpreting headers, and every header is decoded here
    anyway.
    """
    try:
        return email.message_from_bytes(raw, policy=email.policy.default)
    except Exception as error:  # the modern policy fails in many ways
        logger.warning("event=mail.parser_fallback policy=compat32 error=%r", error)
        repairs.append("parsed-with-compat32")
    try:
        return email.message_from_bytes(raw, policy=email.policy.compat32)
    except Exception as error:
        reason = f"the MIME structure cannot be read: {error}"
        raise MessageUnparseable(reason) from error


class _RawHeaders:
    """Header values as received: unfolded, bytes restored, not yet decoded."""

    def __init__(self, message: Message) -> None:
        self.items = [
            (name, _unfold(_restore_bytes(value)))
            for name, value in message.raw_items()
        ]

    def get(self, name: str) -> bytes | None:
        wanted = name.lower()
        return next((v for n, v in self.items if n.lower() == wanted), None)

    def get_all(self, name: str) -> list[bytes]:
        wanted = name.lower()
        return [v for n, v in self.items if n.lower() == wanted]

    def eight_bit(self) -> bytes:
        return b" ".join(v for _, v in self.items if not v.isascii())

    def decoded(self, charset: str | None) -> list[tuple[str, str]]:
        return [(n, _decode_header(v, charset) or "") for n, v in self.items]


def _restore_bytes(value: object) -> bytes:
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8", "surrogateescape")


def _unfold(value: bytes) -> bytes:
    return re.sub(rb"\r?\n(?=[ \t])|\r(?=[ \t])", b"", value).strip(b"\r\n")


def _choose_header_charset(
    headers: _RawHeaders, body_charset: str | None, raw: bytes
) -> str | None:
    """Pick the charset for raw 8-bit header bytes.

    UTF-8 wins when the bytes mostly are UTF-8; otherwise the charset the
    body declares (a GB2312 notice writes its subject in GB2312 too);
    otherwise a guess from all the undeclared bytes of the message.
    """
    eight_bit = headers.eight_bit()
    if not eight_bit:
        return body_charset
    if is_mostly_utf8(eight_bit):
        return "utf-8"
    if body_charset:
        return body_charset
    return guess_codec(eight_bit + b"\n" + raw[-65536:])


def _decode_header(value: bytes | None, charset: str | None) -> str | None:
    if value is None:
        return None
    text = decode_header_bytes(value, charset)
    return decode_encoded_words(text, charset).replace("\x00", "")


def _first_id(value: bytes | None) -> str | None:
    ids = _all_ids(value)
    return ids[0] if ids else None


def _all_ids(value: bytes | None) -> list[str]:
    if value is None:
        return []
    text = value.decode("ascii", "replace")
    found = _ANGLE_IDS.findall(text)
    if found:
        return found
    return [token.strip("<>") for token in text.split() if token.strip("<>")]


def _return_path(value: bytes | None) -> str | None:
    if value is None:
        return None
    text = value.decode("ascii", "replace").strip()
    return text.strip("<>").strip().lower()


def _parse_date(value: bytes | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value.decode("ascii", "replace"))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


# --- addresses -----------------------------------------------------------


def _first_address(
    value: bytes | None, charset: str | None
) -> tuple[str | None, str | None]:
    if value is None:
        return None, None
    parsed = _parse_address_list(decode_header_bytes(value, charset), charset)
    return parsed[0] if parsed else (None, None)


def _addresses(values: list[bytes], charset: str | None) -> list[str]:
    found: list[str] = []
    for value in values:
        for _name, address in _parse_address_list(
            decode_header_bytes(value, charset), charset
        ):
            if address and address not in found:
                found.append(address)
    return found


def _parse_address_list(
    text: str, charset: str | None
) -> list[tuple[str | None, str | None]]:
    """Split an address header into (display name, bare address) pairs.

    Tolerant of what RFC 5322 forbids but mailers write: an unquoted ``@``
    in a display name, encoded words inside quotes, dangling commas.
    """
    result = []
    for segment in _split_outside_quotes(text, ",;"):
        segment = re.sub(r'^\s*[^"<>@,:]*:', "", segment).strip()
        if not segment:
            continue
        result.append(_parse_one_address(segment, charset))
    return result


def _parse_one_address(
    segment: str, charset: str | None
) -> tuple[str | None, str | None]:
    angle = re.search(r"<([^<>]*)>\s*(\([^()]*\))?\s*$", segment)
    if angle:
        address = angle[1]
        name = segment[: angle.start()]
    else:
        comment = re.search(r"\(([^()]*)\)", segment)
        name = comment[1] if comment else ""
        address = re.sub(r"\([^()]*\)", "", segment)
    address = re.sub(r"^mailto:", "", address.strip(), flags=re.I).strip().strip('"')
    return _clean_display_name(name, charset), (address.lower() or None)


def _clean_display_name(name: str, charset: str | None) -> str | None:
    name = name.strip()
    if len(name) >= 2 and name[0] == name[-1] == '"':
        name = re.sub(r"\\(.)", r"\1", name[1:-1])
    name = decode_encoded_words(name, charset)
    name = re.sub(r"\s+", " ", name).strip().strip('"').strip()
    return name or None


def _split_outside_quotes(text: str, separators: str) -> list[str]:
    parts, current, quoted, depth_angle, depth_paren = [], [], False, 0, 0
    escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif not quoted and char == "<":
            depth_angle += 1
        elif not quoted and char == ">":
            depth_angle = max(depth_angle - 1, 0)
        elif not quoted and char == "(":
            depth_paren += 1
        elif not quoted and char == ")":
            depth_paren = max(depth_paren - 1, 0)
        elif char in separators and not (quoted or depth_angle or depth_paren):
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


# --- MIME parameters -----------------------------------------------------


def _parse_parameters(value: str, charset: str | None) -> tuple[str, dict[str, str]]:
    """Split a Content-Type or Content-Disposition value.

    Handles RFC 2231 continuations and charsets, RFC 2047 words inside
    quoted values (Gmail, Outlook), and a parameter list that is itself an
    encoded word.
    """
    segments = _split_outside_quotes(value, ";")
    main = segments[0].strip().lower()
    pieces: dict[str, dict[int, tuple[bool, str]]] = {}
    for segment in segments[1:]:
        segment = segment.strip()
        if "=" not in segment.split("=?", 1)[0] and "=?" in segment:
            segment = decode_encoded_words(segment, charset).replace('\\"', '"')
        name, sep, raw_value = segment.partition("=")
        if not sep:
            continue
        name = name.strip().lower()
        raw_value = raw_value.strip()
        is_quoted = raw_value.startswith('"')
        if is_quoted:
            raw_value = re.sub(r"\\(.)", r"\1", raw_value.strip('"'))
        match = re.fullmatch(r"([^*]+)(?:\*(\d+))?(\*)?", name)
        if not match:
            continue
        base, index, extended = match[1], int(match[2] or 0), bool(match[3])
        pieces.setdefault(base, {})[index] = (extended and not is_quoted, raw_value)
    return main, {
        name: _join_parameter(parts, charset) for name, parts in pieces.items()
    }


def _join_parameter(parts: dict[int, tuple[bool, str]], charset: str | None) -> str:
    ordered = [parts[index] for index in sorted(parts)]
    declared: str | None = None
    buffer = bytearray()
    any_extended = False
    for position, (extended, text) in enumerate(ordered):
        if extended:
            any_extended = True
            if position == 0 and text.count("'") >= 2:
                declared, _language, text = text.split("'", 2)
            buffer += re.sub(
                rb"%([0-9A-Fa-f]{2})",
                lambda m: bytes([int(m[1], 16)]),
                text.encode("utf-8", "surrogateescape"),
            )
        else:
            buffer += text.encode("utf-8", "surrogateescape")
    data = bytes(buffer)
    if any_extended and declared:
        return decode_bytes(data, declared, charset)
    return decode_encoded_words(decode_header_bytes(data, charset), charset)


# --- bodies --------------------------------------------------------------


@dataclass
class _Piece:
    text: str
    from_html: bool


class _Collector:
    """Walk the MIME tree, gathering body text, HTML and attachments."""

    def __init__(self, *, fallback: str | None, repairs: list[str]) -> None:
        self.fallback = fallback
        self.repairs = repairs
        self.pieces: list[_Piece] = []
        self.htmls: list[str] = []
        self.attachments: list[ParsedAttachment] = []

    def child(self) -> "_Collector":
        return _Collector(fallback=self.fallback, repairs=self.repairs)

    def walk(self, part: Message) -> None:
        ctype, params = _content_type(part, self.fallback)
        if ctype.startswith("multipart/"):
            payload = part.get_payload()
            if isinstance(payload, list):
                if ctype == "multipart/alternative":
                    self._walk_alternative(payload)
                else:
                    for child in payload:
                        self.walk(child)
                return
            self.repairs.append("multipart-without-parts")
            ctype, params = "text/plain", {}
        if ctype in _MESSAGE_TYPES:
            self._add_message(part, ctype, params)
            return
        self._add_leaf(part, ctype, params)

    def _walk_alternative(self, children: list[Message]) -> None:
        branches = []
        for child in children:
            branch = self.child()
            branch.walk(child)
            branches.append(branch)
            self.attachments.extend(branch.attachments)
        plain = [b for b in branches if any(not p.from_html for p in b.pieces)]
        rich = [b for b in branches if b.htmls]
        chosen = (
            plain[0]
            if plain
            else next((b for b in reversed(branches) if b.pieces), None)
        )
        if chosen is not None:
            self.pieces.extend(chosen.pieces)
        if rich:
            self.htmls.extend(rich[-1].htmls)

    def _add_message(self, part: Message, ctype: str, params: dict[str, str]) -> None:
        filename = _filename(part, params, self.fallback)
        payload = _message_bytes(part)
        self.attachments.append(
            ParsedAttachment(filename, ctype, payload, _content_id(part), False)
        )

    def _add_leaf(self, part: Message, ctype: str, params: dict[str, str]) -> None:
        filename = _filename(part, params, self.fallback)
        disposition = _disposition(part, self.fallback)
        payload = _payload_bytes(part)
        is_body = ctype in _BODY_TYPES and not filename and disposition != "attachment"
        if not is_body:
            self.attachments.append(
                ParsedAttachment(filename, ctype, payload, _content_id(part), False)
            )
            return
        if ctype == "text/html":
            label = params.get("charset") or _meta_charset(payload)
            html = decode_bytes(payload, label, self.fallback).replace("\x00", "")
            self.htmls.append(html)
            self.pieces.append(_Piece(render_html_text(html), from_html=True))
            return
        text = decode_bytes(payload, params.get("charset"), self.fallback)
        text, files = _extract_uuencoded(text.replace("\x00", ""))
        self.attachments.extend(files)
        self.pieces.append(_Piece(text, from_html=False))

    def render_text(self) -> str:
        texts = [p.text.strip("\r\n") for p in self.pieces if p.text.strip()]
        return _normalise_newlines("\n\n".join(texts))

    def render_html(self) -> str | None:
        if not self.htmls:
            return None
        cleaned = nh3.clean(
            "\n".join(self.htmls), url_schemes=nh3.ALLOWED_URL_SCHEMES | {"cid"}
        )
        return cleaned.strip() or None

    def finish_attachments(self) -> list[ParsedAttachment]:
        referenced = {
            ref.lower()
            for source in self.htmls
            for ref in _CID_REFERENCE.findall(source)
        }
        finished = []
        for attachment in self.attachments:
            cid = (attachment.content_id or "").lower()
            if cid and cid in referenced:
                attachment = ParsedAttachment(
                    attachment.filename,
                    attachment.content_type,
                    attachment.payload,
                    attachment.content_id,
                    is_inline=True,
                )
            finished.append(attachment)
        return finished


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _header_text(part: Message, name: str) -> str | None:
    wanted = name.lower()
    for key, value in part.raw_items():
        if key.lower() == wanted:
            return _unfold(_restore_bytes(value)).decode("utf-8", "surrogateescape")
    return None


def _content_type(part: Message, fallback: str | None) -> tuple[str, dict[str, str]]:
    value = _header_text(part, "Content-Type")
    if value is None:
        return part.get_default_type(), {}
    ctype, params = _parse_parameters(value, fallback)
    if "/" not in ctype:
        return "text/plain", params
    return ctype, params


def _disposition(part: Message, fallback: str | None) -> str | None:
    value = _header_text(part, "Content-Disposition")
    if value is None:
        return None
    return _parse_parameters(value, fallback)[0] or None


def _filename(
    part: Message, params: dict[str, str], fallback: str | None
) -> str | None:
    value = _header_text(part, "Content-Disposition")
    if value is not None:
        name = _parse_parameters(value, fallback)[1].get("filename")
        if name:
            return name.replace("\x00", "")
    name = params.get("name")
    return name.replace("\x00", "") if name else None


def _content_id(part: Message) -> str | None:
    value = _header_text(part, "Content-ID")
    if not value:
        return None
    return value.strip().strip("<>").strip() or None


def _transfer_encoding(part: Message) -> str:
    return (_header_text(part, "Content-Transfer-Encoding") or "").strip().lower()


def _payload_bytes(part: Message) -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # a broken transfer encoding: keep the raw payload
        payload = None
    if payload is None:
        raw = part.get_payload()
        payload = (
            raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""
        )
    return payload


def _message_bytes(part: Message) -> bytes:
    """Return the bytes of an attached message, undoing a forbidden encoding.

    RFC 2046 allows only 7bit, 8bit and binary for message/rfc822, yet some
    mailers base64 it; the standard library then sees a headerless message.
    """
    inner = part.get_payload()
    if isinstance(inner, list) and inner:
        inner = inner[0]
    if isinstance(inner, Message):
        data = _serialise(inner)
    else:
        data = str(inner or "").encode("utf-8", "surrogateescape")
    encoding = _transfer_encoding(part)
    if encoding == "base64":
        try:
            return binascii.a2b_base64(data)
        except binascii.Error:
            return data
    if encoding == "quoted-printable":
        return binascii.a2b_qp(data)
    return data


def _serialise(message: Message) -> bytes:
    try:
        return message.as_bytes(policy=email.policy.compat32)
    except Exception:  # a part too broken to serialise: keep its body
        payload = message.get_payload()
        return str(payload).encode("utf-8", "surrogateescape")


def _meta_charset(payload: bytes) -> str | None:
    match = _META_CHARSET.search(payload[:4096])
    return match[1].decode("ascii") if match else None


def _declared_body_charset(message: Message) -> str | None:
    """Return the first non-ASCII charset any text part declares."""
    for part in message.walk():
        value = _header_text(part, "Content-Type")
        if value and value.lower().lstrip().startswith("text/"):
            codec = resolve_codec(_parse_parameters(value, None)[1].get("charset"))
            if codec:
                return codec
    return None


def _extract_uuencoded(text: str) -> tuple[str, list[ParsedAttachment]]:
    """Cut uuencoded files out of a text body and return them as attachments."""
    if "begin " not in text:
        return text, []
    lines = text.splitlines(keepends=True)
    kept: list[str] = []
    files: list[ParsedAttachment] = []
    index = 0
    while index < len(lines):
        match = _UU_BEGIN.match(lines[index])
        end = _find_uu_end(lines, index) if match else None
        if match is None or end is None:
            kept.append(lines[index])
            index += 1
            continue
        payload = _decode_uu_lines(lines[index + 1 : end])
        files.append(ParsedAttachment(match[1], "application/octet-stream", payload))
        index = end + 1
    return "".join(kept), files


def _find_uu_end(lines: list[str], start: int) -> int | None:
    for index in range(start + 1, len(lines)):
        stripped = lines[index].strip()
        if stripped == "end":
            return index
        if stripped and not stripped.startswith(("`", " ")) and " " in stripped:
            return None
    return None


def _decode_uu_lines(lines: list[str]) -> bytes:
    data = bytearray()
    for line in lines:
        raw = line.rstrip("\r\n").encode("latin-1", "replace")
        if not raw.strip():
            continue
        try:
            data += binascii.a2b_uu(raw)
        except binascii.Error:
            length = (((raw[0] - 32) & 63) * 4 + 5) // 3
            try:
                data += binascii.a2b_uu(raw[:length])
            except binascii.Error:
                continue
    return bytes(data)


# --- HTML ----------------------------------------------------------------

_BLOCK_TAGS = frozenset(
    {"address", "article", "aside", "blockquote", "dd", "div", "dl", "dt"}
    | {"footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr"}
    | {"li", "ol", "p", "pre", "section", "table", "tr", "ul"}
)
_HIDDEN_TAGS = frozenset({"script", "style", "head", "title", "template", "xml"})


class _TextRenderer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.hidden = 0
        self.preformatted = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in _HIDDEN_TAGS:
            self.hidden += 1
        elif tag == "br":
            self.chunks.append("\n")
        elif tag in _BLOCK_TAGS:
            self.chunks.append("\n- " if tag == "li" else "\n")
        if tag == "pre":
            self.preformatted += 1

    def handle_startendtag(self, tag: str, attrs: object) -> None:
        if tag == "br":
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_TAGS:
            self.hidden = max(self.hidden - 1, 0)
        elif tag in _BLOCK_TAGS or tag == "td":
            self.chunks.append("\n" if tag != "td" else " ")
        if tag == "pre":
            self.preformatted = max(self.preformatted - 1, 0)

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        if not self.preformatted:
            data = re.sub(r"\s+", " ", data)
        self.chunks.append(data)


def render_html_text(html: str) -> str:
    """Render HTML as readable plain text: blocks become lines, markup goes.

    :param html: an HTML document or fragment, possibly broken.
    """
    renderer = _TextRenderer()
    try:
        renderer.feed(html)
        renderer.close()
    except Exception:  # hostile markup: keep what was rendered so far
        logger.debug("event=mail.html_render_failed")
    text = "".join(renderer.chunks).replace("\xa0", " ")
    lines = [line.strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
