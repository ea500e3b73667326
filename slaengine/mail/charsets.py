"""Turning the bytes of headers and bodies into text, whatever their label says.

Real mail mislabels its charsets, leaves them out, or names ones no codec
knows. The functions here follow what mail clients and browsers do: treat
a label as a hint, widen legacy labels to their supersets (GB2312 → GB18030,
Shift_JIS → CP932, ISO-8859-1 → windows-1252), and guess from the bytes
when nothing is declared.
"""

import base64
import binascii
import codecs
import logging
import re
import unicodedata

logger = logging.getLogger(__name__)

#: Labels read as the superset that senders really use.
_WIDER_CODECS = {
    "gb2312": "gb18030",
    "gb_2312-80": "gb18030",
    "euc-cn": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "windows-31j": "cp932",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "big5": "big5hkscs",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "iso_8859-1": "cp1252",
    "iso-8859-9": "cp1254",
    "iso-8859-11": "cp874",
    "tis-620": "cp874",
    "unicode-1-1-utf-7": "utf-7",
    "utf8": "utf-8",
}

#: Labels that declare nothing useful.
_NON_LABELS = frozenset(
    {"", "none", "unknown", "unknown-8bit", "x-unknown", "default", "us-ascii", "ascii"}
)

#: Russian and Ukrainian letters by how common they are in running text,
#: used to tell KOI8-R from windows-1251 when a message declares neither.
_CYRILLIC_TIERS = (
    ("оеаинт", 0.8),
    ("срвлкмдпуі", 0.4),
    ("яыьгзбчйхж", 0.15),
    ("шюцщэфъёїєґ", 0.04),
)
_CYRILLIC_WEIGHTS = {
    letter: weight for letters, weight in _CYRILLIC_TIERS for letter in letters
}
#: The most frequent Chinese characters, simplified and traditional; a
#: wrong CJK codec produces rare ones.
_COMMON_HAN = frozenset(
    "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会"
    "自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开"
    "手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进"
    "把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新"
    "什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代"
    "军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件"
    "安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各"
    "任至清物台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百"
    "吧某谢这個們說來時國會對裡後麼沒還發與現樣開從兩長學實經頭見問電話請您系统邮"
    "件账号登录失败密码错误管理员尊敬"
)
_FRIENDLY_SYMBOLS = frozenset("“”‘’‚„–—…€«»°§©®±×÷·•™\u00a0¡¿£¥¢")
_SINGLE_BYTE_GUESSES = ("cp1252", "koi8_r", "cp1251", "iso8859_2")
_MULTI_BYTE_GUESSES = ("gb18030", "cp932", "euc_jp", "cp949", "big5hkscs")

_ENCODED_WORD = re.compile(
    r"=\?(?P<charset>[^?\s*]*)(?:\*[^?\s]*)?\?(?P<enc>[bBqQ])\?(?P<data>[^?]*?)\?="
)
_SPACE_ONLY = re.compile(r"[ \t\r\n]*")
_QP_ESCAPE = re.compile(rb"=([0-9A-Fa-f]{2})")
_DETECT_LIMIT = 65536


def resolve_codec(label: str | None) -> str | None:
    """Return the Python codec to use for a declared charset label.

    :param label: the charset as written in the message, in any case and
        possibly quoted.
    :returns: a codec name, or ``None`` when the label declares nothing
        usable (missing, ``us-ascii``, ``none``, unknown names).
    """
    if not label:
        return None
    name = label.strip().strip("\"'").strip().lower()
    if name in _NON_LABELS:
        return None
    if name.startswith("iso-2022-jp") or name in ("csiso2022jp", "jis"):
        return "iso-2022-jp"
    name = _WIDER_CODECS.get(name, name)
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):
        return None


def decode_bytes(data: bytes, label: str | None, fallback: str | None = None) -> str:
    """Decode ``data`` declared as ``label``, never raising.

    :param data: the raw octets.
    :param label: the declared charset, or ``None``.
    :param fallback: the codec to try for undeclared 8-bit data before guessing,
        typically the charset the rest of the message declares.
    :returns: text; bytes that fit no plausible charset become U+FFFD.

    Limitations: the guess for undeclared data knows Western European,
    Cyrillic (KOI8-R, windows-1251), Central European and the common CJK
    encodings; short undeclared snippets can be guessed wrong.
    """
    codec = resolve_codec(label)
    if codec is None:
        return decode_undeclared(data, fallback)
    if codec == "iso-2022-jp":
        return _decode_iso2022jp(data)
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        if codec != "utf-8" and _is_utf8(data):
            return data.decode("utf-8")
        return data.decode(codec, "replace")


def decode_undeclared(data: bytes, fallback: str | None = None) -> str:
    """Decode bytes that came without a charset.

    :param data: the raw octets.
    :param fallback: a codec to try after UTF-8 and before guessing.
    :returns: the text in the most plausible charset.
    """
    if data.isascii():
        return data.decode("ascii")
    if _is_utf8(data):
        return data.decode("utf-8")
    if fallback:
        return decode_bytes(data, fallback)
    return data.decode(guess_codec(data), "replace")


def guess_codec(data: bytes) -> str:
    """Guess the charset of undeclared 8-bit ``data``.

    :returns: a codec name; ``cp1252`` when nothing fits better.
    """
    sample = data[:_DETECT_LIMIT]
    if b"\x1b$B" in sample or b"\x1b$@" in sample:
        return "iso-2022-jp"
    if _is_utf8(sample):
        return "utf-8"
    high_bytes = sum(1 for byte in sample if byte > 0x7F)
    best_codec, best_score = "cp1252", float("-inf")
    for codec in _SINGLE_BYTE_GUESSES + _MULTI_BYTE_GUESSES:
        score = _score_decoding(sample, codec, high_bytes)
        if score > best_score:
            best_codec, best_score = codec, score
    logger.debug("event=mail.charset_guessed codec=%s", best_codec)
    return best_codec


def is_mostly_utf8(data: bytes) -> bool:
    """Tell whether 8-bit ``data`` is UTF-8 with at most a few broken bytes."""
    text = data.decode("utf-8", "replace")
    broken = text.count("\ufffd")
    intact = sum(1 for char in text if ord(char) > 0x7F) - broken
    return intact > broken


def decode_encoded_words(value: str, fallback: str | None = None) -> str:
    """Decode RFC 2047 encoded words inside an (already unfolded) header value.

    Adjacent encoded words in one charset are joined before decoding, so a
    multi-byte character split across two words survives; whitespace between
    encoded words is dropped, as RFC 2047 asks.

    :param value: the header text.
    :param fallback: codec for words whose charset is unknown.
    """
    if "=?" not in value:
        return value
    pieces: list[str] = []
    pending: bytearray = bytearray()
    pending_charset: str | None = None
    position = 0
    previous_was_word = False

    def flush() -> None:
        nonlocal pending, pending_charset
        if pending_charset is not None:
            pieces.append(decode_bytes(bytes(pending), pending_charset, fallback))
        pending, pending_charset = bytearray(), None

    for match in _ENCODED_WORD.finditer(value):
        between = value[position : match.start()]
        if not (previous_was_word and _SPACE_ONLY.fullmatch(between)):
            flush()
            pieces.append(between)
        charset = match["charset"] or "utf-8"
        if pending_charset is not None and charset.lower() != pending_charset.lower():
            flush()
        pending_charset = charset
        pending += _decode_word_payload(match["enc"], match["data"])
        position = match.end()
        previous_was_word = True
    flush()
    pieces.append(value[position:])
    return "".join(pieces)


def decode_header_bytes(data: bytes, fallback: str | None = None) -> str:
    """Decode a raw header value that may carry unencoded 8-bit bytes.

    :param data: the header value as octets.
    :param fallback: codec to use when the bytes are not UTF-8.
    """
    if data.isascii():
        return data.decode("ascii")
    if _is_utf8(data):
        return data.decode("utf-8")
    if fallback:
        return decode_bytes(data, fallback)
    return data.decode(guess_codec(data), "replace")


def _decode_word_payload(encoding: str, data: str) -> bytes:
    raw = data.encode("utf-8", "surrogateescape")
    if encoding in "qQ":
        raw = raw.replace(b"_", b" ")
        return _QP_ESCAPE.sub(lambda match: bytes([int(match[1], 16)]), raw)
    raw = re.sub(rb"[^A-Za-z0-9+/]", b"", raw)
    raw += b"=" * (-len(raw) % 4)
    try:
        return base64.b64decode(raw)
    except binascii.Error:
        return base64.b64decode(raw[: len(raw) - len(raw) % 4 - 4] or b"")


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _score_decoding(data: bytes, codec: str, high_bytes: int) -> float:
    try:
        text = data.decode(codec)
    except UnicodeDecodeError:
        return float("-inf")
    score = 0.0
    for word in re.finditer(r"[^\W\d_]+", text):
        score += _score_word(word.group())
    for char in text:
        if ord(char) > 0x7F and not char.isalpha():
            score += _score_symbol(char)
    return score / max(high_bytes, 1)


def _score_word(word: str) -> float:
    if word.isascii():
        return 0.0
    has_ascii = any(char.isascii() for char in word)
    mixed_case = not (word.islower() or word.isupper() or word.istitle())
    score = -0.5 if mixed_case else 0.0
    for char in word:
        if char.isascii():
            continue
        code = ord(char)
        if 0x0400 <= code <= 0x04FF:
            score += -1.0 if has_ascii else _CYRILLIC_WEIGHTS.get(char.lower(), 0.02)
        elif 0x00C0 <= code <= 0x024F:
            score += 1.0 if has_ascii else 0.1
        elif 0x3040 <= code <= 0x30FF:
            score += 2.5
        elif 0x4E00 <= code <= 0x9FFF:
            score += 2.5 if char in _COMMON_HAN else 0.5
        elif 0xAC00 <= code <= 0xD7AF:
            score += 2.0
    return score


def _score_symbol(char: str) -> float:
    if char in _FRIENDLY_SYMBOLS or 0x3000 <= ord(char) <= 0x303F:
        return 0.2
    category = unicodedata.category(char)
    if category in ("Cc", "Co", "Cn") or 0x2500 <= ord(char) <= 0x259F:
        return -1.0
    return -0.3


def _decode_iso2022jp(data: bytes) -> str:
    try:
        return data.decode("iso2022_jp")
    except UnicodeDecodeError:
        pass
    try:
        return _decode_iso2022jp_as_cp932(data)
    except UnicodeDecodeError:
        return data.decode("iso2022_jp_ext", "replace")


_JIS_ESCAPE = re.compile(rb"\x1b(\(B|\(J|\(I|\$@|\$B|\$\(D)")


def _decode_iso2022jp_as_cp932(data: bytes) -> str:
    """Decode ISO-2022-JP with the Microsoft extensions (NEC row 13, IBM rows).

    Windows mailers write characters such as ① (JIS row 13) inside plain
    ISO-2022-JP; strict codecs reject them. Each two-byte JIS character is
    moved to its Shift_JIS position and decoded as CP932.
    """
    out: list[str] = []
    mode = b"(B"
    position = 0
    for match in [*_JIS_ESCAPE.finditer(data), None]:
        end = match.start() if match else len(data)
        out.append(_decode_jis_run(data[position:end], mode))
        if match:
            mode, position = match[1], match.end()
    return "".join(out)


def _decode_jis_run(run: bytes, mode: bytes) -> str:
    if mode in (b"(B", b"(J"):
        return run.decode("ascii", "replace")
    if mode == b"(I":
        return bytes(byte | 0x80 for byte in run).decode("cp932", "replace")
    if mode == b"$(D":
        return (
            ("\x1b$(D" + run.decode("latin-1"))
            .encode("latin-1")
            .decode("iso2022_jp_2", "replace")
        )
    pairs = run.rstrip(b"\r\n")
    if any(not 0x21 <= byte <= 0x7E for byte in pairs):
        raise UnicodeDecodeError("iso2022_jp", run, 0, len(run), "not a JIS byte")
    sjis = bytearray()
    for index in range(0, len(pairs) - 1, 2):
        sjis += _jis_to_sjis(pairs[index], pairs[index + 1])
    return sjis.decode("cp932") + run[len(pairs) :].decode("ascii")


def _jis_to_sjis(first: int, second: int) -> bytes:
    lead = ((first + 1) >> 1) + (0x70 if first <= 0x5E else 0xB0)
    odd_row_offset = 0x1F if second <= 0x5F else 0x20
    trail = second + (odd_row_offset if first % 2 else 0x7E)
    return bytes([lead, trail])
