"""The allowlist manifest is written an entry at a time, with the bytes of the whole
manifest given to ``json.dumps``: an older mailctl's manifest stays byte for byte the
same, so a run that changes nothing leaves it untouched."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from reconciler.allowlist import writer

_text = st.text(max_size=6)  # quotes, backslashes, line breaks and non-ASCII included
_entries = st.dictionaries(
    _text,
    st.builds(
        writer.Entry,
        files=st.lists(_text, max_size=3).map(tuple),
        checksum=_text,
        lineage=st.none() | _text,
        serial=st.integers(min_value=0),
        kind=_text,
    ),
    max_size=4,
)


@given(_entries)
def test_the_manifest_is_the_json_of_the_whole(entries: dict[str, writer.Entry]) -> None:
    whole = {
        "format": writer.MANIFEST_FORMAT,
        "note": "files written by mailctl allowlist; mailctl removes only these",
        "entries": {key: entries[key].as_json() for key in sorted(entries)},
    }
    expected = json.dumps(whole, indent=2, sort_keys=True) + "\n"
    assert writer._manifest_bytes(entries) == expected.encode()
