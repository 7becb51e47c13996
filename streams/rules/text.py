"""Korean text helpers shared by the catalogue, the resolver and the offline answer writer.

- :func:`normalize` / :func:`compact`: the one normalisation used for names, aliases and questions,
  so "생수 페트병", "생수페트병" and "생수-페트병" meet on the same key;
- :func:`jamo`: syllables split into letters, so a typo costs one letter, not a whole syllable
  ("패트병" vs "페트병" differ in one of seven letters);
- :func:`josa`: the particle that fits the word ("생수병은", "우유팩은", "영수증으로").
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["compact", "compact_with_map", "has_batchim", "jamo", "josa", "normalize"]

_HANGUL_FIRST, _HANGUL_LAST = 0xAC00, 0xD7A3
_CHO = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
_JUNG = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
_JONG = " ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ"
_RIEUL = _JONG.index("ㄹ")
# How a trailing digit or Latin letter is read aloud decides the particle ("CD는", "3L는" is rare).
_DIGIT_BATCHIM = {"0": True, "1": True, "2": False, "3": True, "4": False, "5": False, "6": True,
                  "7": True, "8": True, "9": False}
_DIGIT_RIEUL = {"1", "7", "8"}
_LATIN_BATCHIM = set("lmn")
_TRAILING_PAREN = re.compile(r"\s*[\(\[][^\)\]]*[\)\]]\s*$")


def normalize(text: str) -> str:
    """NFKC (full-width letters, compatibility forms) and lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def _keep(ch: str) -> bool:
    return ch.isalnum()


def compact(text: str) -> str:
    """Normalise and keep only letters and digits: spacing and punctuation never matter."""
    return "".join(ch for ch in normalize(text) if _keep(ch))


def compact_with_map(normalized: str) -> tuple[str, list[int]]:
    """Compact an already normalised text and map each kept character to its index in the input."""
    chars: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(normalized):
        if _keep(ch):
            chars.append(ch)
            index.append(i)
    return "".join(chars), index


def jamo(text: str) -> str:
    """Decompose Hangul syllables into their letters; other characters are kept."""
    out: list[str] = []
    for ch in text:
        code = ord(ch)
        if _HANGUL_FIRST <= code <= _HANGUL_LAST:
            offset = code - _HANGUL_FIRST
            out.append(_CHO[offset // 588])
            out.append(_JUNG[(offset % 588) // 28])
            if offset % 28:
                out.append(_JONG[offset % 28])
        else:
            out.append(ch)
    return "".join(out)


def _last_sound(word: str) -> tuple[bool, bool]:
    """(has a final consonant, that consonant is ㄹ) for the last pronounced character."""
    word = _TRAILING_PAREN.sub("", word.rstrip().rstrip("'\"’”」』")).rstrip()
    if not word:
        return False, False
    ch = word[-1]
    code = ord(ch)
    if _HANGUL_FIRST <= code <= _HANGUL_LAST:
        final = (code - _HANGUL_FIRST) % 28
        return final != 0, final == _RIEUL
    if ch in _DIGIT_BATCHIM:
        return _DIGIT_BATCHIM[ch], ch in _DIGIT_RIEUL
    low = ch.lower()
    return low in _LATIN_BATCHIM or low == "l", low == "l"


def has_batchim(word: str) -> bool:
    """True when the word ends in a consonant sound (받침)."""
    return _last_sound(word)[0]


def josa(word: str, pair: str) -> str:
    """``word`` followed by the right particle of ``pair`` ("은/는", "이/가", "을/를", "과/와", "으로/로").

    Example::

        josa("생수병", "은/는")   # "생수병은"
        josa("영수증", "으로/로")  # "영수증으로"
        josa("종이", "으로/로")   # "종이로"
    """
    with_batchim, without = pair.split("/")
    batchim, rieul = _last_sound(word)
    if with_batchim == "으로":
        return word + ("로" if not batchim or rieul else "으로")
    return word + (with_batchim if batchim else without)
