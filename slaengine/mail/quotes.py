"""Separating what the author of a reply wrote from the history it quotes.

Mail clients mark quoted history in a handful of ways: an attribution line
("On <date>, <person> wrote:", localised and often re-wrapped over two
lines), ``>`` prefixes, Outlook's "-----Original Message-----" or
"From: ... Sent: ..." header block, a line of underscores, and helpdesk
"reply above this line" markers. :func:`split_reply` finds the earliest
of them; the caller keeps the full text either way.
"""

import re
from dataclasses import dataclass

_ATTRIBUTION_VERBS = (
    r"wrote|writes|schrieb|a\s+écrit|a\s+ecrit|написал|написала|написал\(а\)"
    r"|написав|escribió|escreveu|ha\s+scritto|schreef|skrev|kirjoitti|napisał"
    r"|napsal|írta|yazdı|έγραψε|写道|寫道"
)
_ATTRIBUTION = re.compile(rf"(?:{_ATTRIBUTION_VERBS})\s*:\s*$", re.IGNORECASE)
#: "Am 2. April schrieb Max <max@example.de>:" puts the name after the verb.
_ATTRIBUTION_NAME_LAST = re.compile(
    rf"(?:{_ATTRIBUTION_VERBS})\s+[^:]{{1,120}}:\s*$", re.IGNORECASE
)
#: How attribution lines open: "On", "Am", "Le", "El", ... or a date.
_ATTRIBUTION_OPENING = re.compile(
    r"^\s*(?:(?:on|am|le|el|il|op|em|den|dne|в)\s|\d{1,4}[./\-\s]\d|\d{4}年)",
    re.IGNORECASE,
)
_ORIGINAL_MESSAGE = re.compile(
    r"^\s*-{2,}\s*(?:original message|ursprüngliche nachricht|message d'origine"
    r"|исходное сообщение|mensaje original|messaggio originale"
    r"|oorspronkelijk bericht|originalmeddelande|alkuperäinen viesti"
    r"|wiadomość oryginalna|mensagem original)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_FORWARDED = re.compile(
    r"^\s*-{2,}\s*(?:forwarded message|weitergeleitete nachricht"
    r"|message transféré|пересылаемое сообщение|mensaje reenviado)",
    re.IGNORECASE,
)
_HEADER_FROM = re.compile(
    r"^\s*\*?(?:from|von|de|от|da|van|fra|från|od|lähettäjä)\s*:\*?\s", re.I
)
_HEADER_SENT = re.compile(
    r"^\s*\*?(?:sent|date|gesendet|datum|envoyé|date d'envoi|отправлено|дата"
    r"|enviado|enviada|fecha|inviato|data|verzonden|sendt|skickat|lähetetty"
    r"|wysłano)\s*:",
    re.IGNORECASE,
)
_HEADER_SUBJECT = re.compile(
    r"^\s*\*?(?:subject|to|betreff|an|objet|à|тема|кому|asunto|para|oggetto"
    r"|onderwerp|aan|emne|ämne|aihe|temat)\s*:",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(r"^\s*_{20,}\s*$")
_REPLY_ABOVE = re.compile(
    r"reply\s+above|above\s+this\s+line|oberhalb\s+dieser\s+zeile"
    r"|au-dessus\s+de\s+cette\s+ligne",
    re.IGNORECASE,
)
_QUOTE_PREFIX = re.compile(r"^\s*>")


@dataclass(frozen=True)
class _QuoteStart:
    index: int
    kind: str
    length: int = 1


def split_reply(text: str) -> tuple[str, str]:
    """Split a reply into the new text and the quoted history.

    :param text: the decoded plain-text body.
    :returns: ``(new_text, quoted_text)``, each stripped of surrounding blank
        lines; ``quoted_text`` is empty when nothing is quoted. A trailing
        ``-- `` signature goes with the quoted part.

    For bottom-posted and interleaved replies (``>`` quotes followed by new
    text) the new text is every unquoted line outside the attribution.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    start = _find_quote_start(lines)
    if start is None:
        new_lines, quoted_lines = lines, []
    elif start.kind in ("attribution", "quote-prefix"):
        new_lines, quoted_lines = _split_prefixed(lines, start)
    else:
        new_lines, quoted_lines = lines[: start.index], lines[start.index :]
    new_lines, signature = _cut_signature(new_lines)
    quoted = "\n".join(signature + quoted_lines)
    return "\n".join(new_lines).strip("\n"), quoted.strip("\n")


def has_quoted_history(text: str) -> bool:
    """Tell whether ``text`` quotes an earlier message (a signature does not count).

    Forwarded messages ("---------- Forwarded message ---------") are not
    quoted history.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    start = _find_quote_start(lines)
    if start is None:
        return False
    return not any(_FORWARDED.match(line) for line in lines[: start.index + 1])


def _find_quote_start(lines: list[str]) -> _QuoteStart | None:
    marker = _find_reply_above_marker(lines)
    if marker is not None:
        return marker
    for index, line in enumerate(lines):
        found = _match_marker(lines, index, line)
        if found is not None:
            return found
    return None


def _match_marker(lines: list[str], index: int, line: str) -> _QuoteStart | None:
    stripped = line.strip()
    if not stripped:
        return None
    if _ORIGINAL_MESSAGE.match(stripped):
        return _QuoteStart(index, "original-message")
    if _SEPARATOR.match(stripped) and _is_header_block(lines, index + 1):
        return _QuoteStart(index, "separator")
    if _HEADER_FROM.match(stripped) and _is_header_block(lines, index):
        return _QuoteStart(index, "header-block")
    if _QUOTE_PREFIX.match(line):
        return _QuoteStart(index, "quote-prefix")
    return _match_attribution(lines, index)


def _match_attribution(lines: list[str], index: int) -> _QuoteStart | None:
    line = lines[index].strip()
    if len(line) > 300:
        return None
    if _is_attribution(lines, index, line):
        return _QuoteStart(index, "attribution")
    following = lines[index + 1].strip() if index + 1 < len(lines) else ""
    if (
        following
        and not line.endswith(":")
        and _ATTRIBUTION_OPENING.match(line)
        and not _ATTRIBUTION_OPENING.match(following)
        and _is_attribution(lines, index + 1, f"{line} {following}")
    ):
        return _QuoteStart(index, "attribution", length=2)
    return None


def _is_attribution(lines: list[str], last: int, text: str) -> bool:
    """Tell whether ``text`` (ending on line ``last``) introduces a quote.

    The verb must end the line; an opening such as "On"/"Am"/a date, an
    address, or quoting right below must confirm it.
    """
    opens = bool(_ATTRIBUTION_OPENING.match(text))
    if opens and _ATTRIBUTION_NAME_LAST.search(text):
        return True
    if not _ATTRIBUTION.search(text):
        return False
    if opens or "@" in text:
        return True
    for line in lines[last + 1 : last + 3]:
        if line.strip():
            return bool(_QUOTE_PREFIX.match(line))
    return False


def _is_header_block(lines: list[str], index: int) -> bool:
    """Tell whether a quoted "From: / Sent: / Subject:" block starts here."""
    while index < len(lines) and not lines[index].strip():
        index += 1
    if index >= len(lines) or not _HEADER_FROM.match(lines[index].strip()):
        return False
    window = [line.strip() for line in lines[index + 1 : index + 7]]
    has_sent = any(_HEADER_SENT.match(line) for line in window)
    has_subject = any(_HEADER_SUBJECT.match(line) for line in window)
    return has_sent and has_subject


def _find_reply_above_marker(lines: list[str]) -> _QuoteStart | None:
    unquoted = [re.sub(r"^(\s*>)+\s?", "", line).strip() for line in lines]
    for index, line in enumerate(unquoted):
        following = unquoted[index + 1] if index + 1 < len(unquoted) else ""
        if not line:
            continue
        if _REPLY_ABOVE.search(line) or (
            following
            and _REPLY_ABOVE.search(f"{line} {following}")
            and not _REPLY_ABOVE.search(following)
        ):
            return _QuoteStart(_include_attribution(lines, index), "reply-above")
    return None


def _include_attribution(lines: list[str], index: int) -> int:
    previous = index - 1
    while previous >= 0 and not lines[previous].strip():
        previous -= 1
    if previous >= 0 and _match_attribution(lines, previous):
        return previous
    if previous >= 1 and _match_attribution(lines, previous - 1):
        return previous - 1
    return index


def _split_prefixed(
    lines: list[str], start: _QuoteStart
) -> tuple[list[str], list[str]]:
    """Keep every unquoted line outside the attribution as new text."""
    new_lines = lines[: start.index]
    quoted_lines: list[str] = []
    position = start.index
    if start.kind == "attribution":
        quoted_lines.extend(lines[position : position + start.length])
        position += start.length
    for line in lines[position:]:
        is_attribution = line[:1] != " " and _ATTRIBUTION.search(line.strip())
        if _QUOTE_PREFIX.match(line) or is_attribution:
            quoted_lines.append(line)
        else:
            new_lines.append(line)
    return _collapse_blank_runs(new_lines), quoted_lines


def _collapse_blank_runs(lines: list[str]) -> list[str]:
    collapsed: list[str] = []
    for line in lines:
        if not line.strip() and collapsed and not collapsed[-1].strip():
            continue
        collapsed.append(line)
    return collapsed


def _cut_signature(lines: list[str]) -> tuple[list[str], list[str]]:
    for index, line in enumerate(lines):
        if line == "-- " or (line.rstrip() == "--" and len(lines) - index <= 10):
            return lines[:index], lines[index:]
    return lines, []
