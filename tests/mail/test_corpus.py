"""Every message of the shared inbound-mail corpus, against its manifest.

The corpus lives beside the repository (``../shared/mail-corpus``) or
wherever ``SLAENGINE_MAIL_CORPUS`` points. Files are only read, never
written.
"""

import json
import os
import re
from collections import Counter
from pathlib import Path

import pytest

from slaengine.mail.parsing import parse_message
from slaengine.mail.quotes import split_reply

CORPUS = Path(
    os.environ.get(
        "SLAENGINE_MAIL_CORPUS",
        Path(__file__).resolve().parents[2].parent / "shared" / "mail-corpus",
    )
)
MANIFEST = CORPUS / "MANIFEST.json"

#: Automatic mail that carries no machine-readable signal at all; telling it
#: from a person's mail needs content analysis the classifier does not do.
UNSIGNALLED_AUTOMATIC = "no auto header: only the content shows it is automatic"


def load_entries() -> list[dict]:
    if not MANIFEST.is_file():
        return []
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


ENTRIES = load_entries()

pytestmark = pytest.mark.skipif(
    not ENTRIES, reason=f"mail corpus not found at {CORPUS}"
)


def entry_params(*, classification: bool = False) -> list:
    params = []
    for entry in ENTRIES:
        marks = []
        if classification and entry["is_auto_generated"] and not entry["auto_signals"]:
            marks.append(pytest.mark.xfail(reason=UNSIGNALLED_AUTOMATIC, strict=True))
        params.append(pytest.param(entry, id=entry["file"], marks=marks))
    return params


def parse_entry(entry: dict):
    return parse_message((CORPUS / entry["file"]).read_bytes())


def normalise_space(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.parametrize("entry", entry_params())
def test_extracts_manifest_facts(entry):
    parsed = parse_entry(entry)

    assert parsed.from_address == entry["from_address"]
    assert parsed.from_name == entry["from_name"]
    assert parsed.subject == entry["subject"]
    listed = [attachment.filename for attachment in parsed.listed_attachments]
    assert Counter(listed) == Counter(entry["attachments"])
    if entry["body_contains"] is not None:
        assert entry["body_contains"] in parsed.text
    if entry["reply_text"] is not None:
        new_text, _quoted = split_reply(parsed.text)
        assert normalise_space(new_text) == normalise_space(entry["reply_text"])


@pytest.mark.parametrize("entry", entry_params(classification=True))
def test_classifies_like_manifest(entry):
    parsed = parse_entry(entry)

    assert parsed.classification.is_auto_generated == entry["is_auto_generated"]
    assert parsed.classification.is_reply == entry["is_reply"]
