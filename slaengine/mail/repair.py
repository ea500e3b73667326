"""Mending header blocks before the standard library reads the MIME tree.

Python's feed parser ends a header block at the first line that is not a
header, so one unindented continuation line hides the rest of the headers
(and with them the MIME structure). This module walks the raw lines once,
tracking every header block (the message's, each part's, each attached
message's), and fixes what mailers are known to get wrong. Bodies are
never changed.
"""

import re

_FIELD = re.compile(rb"^[\x21-\x39\x3b-\x7e]+[ \t]*:")
_BOUNDARY_PARAM = re.compile(rb"""boundary\s*=\s*("[^"\r\n]*"|[^\s;"]+)""", re.I)
_UNQUOTED_BOUNDARY = re.compile(rb"(boundary\s*=\s*)([^\s;\"]+)", re.I)
_MESSAGE_TYPE = re.compile(
    rb"^content-type:\s*message/(rfc822|news|global)", re.I | re.M
)
_CONTENT_TYPE = re.compile(rb"^(content-type|mime-version):", re.I | re.M)
_ENCODED_TRANSFER = re.compile(
    rb"^content-transfer-encoding:\s*(base64|quoted-printable)", re.I | re.M
)
_LOOKAHEAD = 60


def repair_structure(raw: bytes) -> tuple[bytes, list[str]]:
    """Return ``raw`` with broken header blocks mended, and what was mended.

    Repairs:

    * ``unindented-continuation``: a line inside a header block that is not a
      header (a wrapped base64 run, ``boundary=...`` after a ``;``) is
      indented so it continues the header above it;
    * ``quoted-boundary``: an unquoted boundary holding characters such as
      ``=`` is quoted, since the standard library cuts it at the ``=``;
    * ``blank-line-in-attached-headers``: a blank line inside the headers of
      an attached message, followed by its Content-Type, is dropped.

    :param raw: the message as received.
    :returns: the mended bytes and the names of the repairs applied.
    """
    lines = raw.splitlines(keepends=True)
    delimiters = _delimiters(raw)
    repairs: list[str] = []
    out: list[bytes] = []
    in_headers, nested, block = True, False, bytearray()
    index = 0
    while index < len(lines):
        line = lines[index]
        content = line.rstrip(b"\r\n")
        if not in_headers:
            out.append(line)
            if content.rstrip() in delimiters:
                in_headers, nested, block = True, False, bytearray()
            index += 1
            continue
        if not content.strip():
            if not block and content:
                out.append(line)
            elif nested and _headers_resume(lines, index, block):
                repairs.append("blank-line-in-attached-headers")
            else:
                out.append(line)
                in_headers, nested = _after_block(block)
                block = bytearray()
            index += 1
            continue
        if index == 0 and content.startswith(b"From "):
            out.append(line)
        elif content[:1] in (b" ", b"\t") or _FIELD.match(content):
            line = _quote_boundary(line, repairs)
            out.append(line)
            block += line
        elif block and _continues_header(lines, index, block):
            repairs.append("unindented-continuation")
            line = _quote_boundary(b" " + line, repairs)
            out.append(line)
            block += line
        else:
            out.append(line)
            in_headers, nested, block = False, False, bytearray()
        index += 1
    repaired = b"".join(out) if repairs else raw
    return repaired, sorted(set(repairs))


def _delimiters(raw: bytes) -> set[bytes]:
    found = set()
    for match in _BOUNDARY_PARAM.finditer(raw):
        value = match[1].strip(b'"')
        if value:
            found.add(b"--" + value)
    return found


def _after_block(block: bytes) -> tuple[bool, bool]:
    """Tell whether the body after this header block is itself a message."""
    if _MESSAGE_TYPE.search(block) and not _ENCODED_TRANSFER.search(block):
        return True, True
    return False, False


def _quote_boundary(line: bytes, repairs: list[str]) -> bytes:
    match = _UNQUOTED_BOUNDARY.search(line)
    if match and re.search(rb"[=()<>@,:/?\[\]]", match[2]):
        repairs.append("quoted-boundary")
        return line[: match.start(2)] + b'"' + match[2] + b'"' + line[match.end(2) :]
    return line


def _continues_header(lines: list[bytes], index: int, block: bytes) -> bool:
    """Tell whether a non-header line sits inside a header block."""
    if block.rstrip().endswith(b";"):
        return True
    for line in lines[index + 1 : index + _LOOKAHEAD]:
        content = line.rstrip(b"\r\n")
        if not content.strip():
            return False
        if _FIELD.match(content):
            return True
    return False


def _headers_resume(lines: list[bytes], index: int, block: bytes) -> bool:
    """Tell whether a blank line splits an attached message's header block.

    Outlook has been seen writing the Content-Type and MIME-Version of an
    attached item after a blank line; the run that follows is all headers
    and ends at the real blank line.
    """
    if _CONTENT_TYPE.search(block):
        return False
    found_type = False
    for line in lines[index + 1 : index + _LOOKAHEAD]:
        content = line.rstrip(b"\r\n")
        if not content.strip():
            return found_type
        if content[:1] in (b" ", b"\t"):
            continue
        if not _FIELD.match(content):
            return False
        found_type = found_type or bool(_CONTENT_TYPE.match(content))
    return False
