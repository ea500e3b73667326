"""A cheap guess at the language of an inbound message.

``Content-Language`` wins where it names a language we support. Otherwise
the script decides for Japanese (kana) and Chinese (Han without kana), and
counts of very common words decide between English, Spanish, German and
French. Anything unclear gives ``None``, and the ticket service falls back to
the customer's or organization's language.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from slaengine.people import LANGUAGES

_WORD = re.compile(r"[^\W\d_]+")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_COMMON = {
    "en": "the and is are to of you we it this that not for with have please",
    "es": "el la los las que de y es en por para una un no con gracias hola",
    "de": "der die das und ist nicht ich sie wir mit für auf ein eine bitte danke",
    "fr": "le la les et est pas je vous nous avec pour une un des merci bonjour",
}
_COMMON_WORDS = {code: frozenset(words.split()) for code, words in _COMMON.items()}
MIN_WORDS = 3
SAMPLE = 4000


def content_language(headers: Iterable[tuple[str, str]]) -> str | None:
    """The first supported language named by ``Content-Language``."""
    for name, value in headers:
        if name.lower() != "content-language":
            continue
        for tag in value.split(","):
            code = tag.strip().lower()[:2]
            if code in LANGUAGES:
                return code
    return None


def detect_language(text: str) -> str | None:
    """Guess the language of ``text``; ``None`` when unsure."""
    sample = text[:SAMPLE]
    if _KANA.search(sample):
        return "ja"
    if len(_HAN.findall(sample)) >= 4:
        return "zh"
    words = [word.lower() for word in _WORD.findall(sample)]
    scores = {
        code: sum(word in common for word in words)
        for code, common in _COMMON_WORDS.items()
    }
    best = max(scores, key=lambda code: scores[code])
    ranked = sorted(scores.values(), reverse=True)
    if ranked[0] < MIN_WORDS or ranked[0] == ranked[1]:
        return None
    return best


def message_language(headers: Iterable[tuple[str, str]], text: str) -> str | None:
    """``Content-Language`` if it is usable, else a guess from the text."""
    return content_language(headers) or detect_language(text)
