"""Route name slugs, as the controller generates them for `name` and `stat_name`.

Rules (translation.md 5.3): trim; `&` -> `and`, `@` -> `at`; drop quotes and apostrophes; dashes to
`-`; transliterate to ASCII; lower-case; anything outside ``[a-z0-9_-]`` becomes `-`; collapse runs of
`-`; strip leading/trailing `-` and `_`.

Transliteration uses Unicode decomposition plus a small table for letters that do not decompose
(ß, æ, ø, ...). Upstream uses a full transliteration table; for scripts outside Latin the two may
differ, which only affects generated names, never whether an Ingress is accepted.
"""

from __future__ import annotations

import functools
import re
import unicodedata

_SUBSTITUTIONS = (("&", "and"), ("@", "at"))
_DROPPED = str.maketrans("", "", "\"'’")
_DASHES = str.maketrans({"‒": "-", "–": "-", "—": "-", "―": "-"})
_NON_DECOMPOSING = {
    "ß": "ss",
    "ẞ": "SS",
    "æ": "ae",
    "Æ": "AE",
    "œ": "oe",
    "Œ": "OE",
    "ø": "o",
    "Ø": "O",
    "đ": "d",
    "Đ": "D",
    "ð": "d",
    "Ð": "D",
    "þ": "th",
    "Þ": "TH",
    "ł": "l",
    "Ł": "L",
    "ı": "i",
    "ħ": "h",
    "Ħ": "H",
    "ŧ": "t",
    "Ŧ": "T",
    "ŋ": "ng",
    "Ŋ": "NG",
}
_INVALID = re.compile(r"[^a-z0-9_-]+")
_DASH_RUNS = re.compile(r"-{2,}")


def _to_ascii(text: str) -> str:
    if text.isascii():
        return text
    out: list[str] = []
    for char in text:
        if char.isascii():
            out.append(char)
            continue
        mapped = _NON_DECOMPOSING.get(char)
        if mapped is not None:
            out.append(mapped)
            continue
        decomposed = unicodedata.normalize("NFKD", char)
        out.append("".join(c for c in decomposed if c.isascii()))
    return "".join(out)


@functools.lru_cache(maxsize=2048)
def slugify(text: str) -> str:
    """Slug of ``text`` per the controller's rules (memoized: the same names recur on every route)."""
    text = text.strip()
    for old, new in _SUBSTITUTIONS:
        text = text.replace(old, new)
    text = text.translate(_DROPPED).translate(_DASHES)
    text = _to_ascii(text).lower()
    text = _INVALID.sub("-", text)
    text = _DASH_RUNS.sub("-", text)
    return text.strip("-_")


def stat_name(namespace: str, ingress: str, host: str, path: str) -> str:
    """The generated route name: slug of "namespace name host", plus "-" + slug(path) if non-empty."""
    base = slugify(f"{namespace} {ingress} {host}")
    suffix = slugify(path)
    return f"{base}-{suffix}" if suffix else base
