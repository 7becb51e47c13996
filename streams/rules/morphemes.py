"""The Korean analyser: a question's morphemes with their tags and positions (MeCab with mecab-ko-dic).

The resolver reads morphemes for two things only: where a word's morphemes begin and end (a short name
must sit on their edges) and what kind each is (a noun, a particle, a verb, an ending). MeCab answers that
in ~0.07 ms a question from a dictionary it maps from disk: a few MB of a worker's own memory, plus the
dictionary's pages that questions touch (page cache, shared, reclaimable), against ~250 MB built in memory
by the analyser this replaced (kiwipiepy), which kept the gpt5 stage over the seed's 256 MiB pods. Of the
1,529 labelled and tuning questions, 8 resolve differently with the two (docs/understanding.md).

MeCab reports an inflected word as one node ("버려요": 버리/VX + 어요/EF); :func:`_split` gives each part
of it a position the way the resolver expects (a contracted ending sits on the word's last letter),
:data:`_TAGS` names mecab-ko-dic's few tags of its own the Sejong way, and three readings are corrected
where mecab-ko-dic and the resolver's rules disagree (:data:`_NOUNS`, :func:`_unknown_words`,
:func:`_passives`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

__all__ = ["Morpheme", "analyser"]

# mecab-ko-dic's own tags, renamed to the Sejong tags the resolver's rules are written in.
_TAGS = {"NNBC": "NNB", "SC": "SP", "SY": "SW", "UNKNOWN": "UN"}
# Read otherwise by mecab-ko-dic in some sentences (캔 as 캐 "dig" + ᆫ, 팩 as an adverb); in a question
# about waste they are the can and the pack.
_NOUNS = frozenset({"캔", "팩"})
# A contracted ending is written with a bare vowel ("버려" → 버리 + ㅓ); the resolver knows 어/아.
_VOWELS = str.maketrans({"ㅓ": "어", "ㅏ": "아"})


@dataclass(frozen=True, slots=True)
class Morpheme:
    """One morpheme: its form, Sejong tag, and where it lies in the analysed text (characters)."""

    form: str
    tag: str
    start: int
    len: int


def _tag(tag: str) -> str:
    return _TAGS.get(tag, tag)


def _split(surface: str, start: int, end: int, expression: str) -> list[Morpheme]:
    """The parts of an inflected or pre-analysed word ("닫힌" = 닫히/VV + ᆫ/ETM), each with a position."""
    parts = [(bits[0].translate(_VOWELS), bits[1]) for p in expression.split("+") if len(bits := p.split("/")) >= 2]
    if not parts:
        return [Morpheme(surface, "UN", start, end - start)]
    if "".join(form for form, _ in parts) == surface:  # nothing contracted: the parts tile the word
        out, at = [], start
        for form, tag in parts:
            out.append(Morpheme(form, _tag(tag), at, len(form)))
            at += len(form)
        return out
    # Contracted: the stem covers the word and what follows sits on its last letter, as in "마신".
    (form, tag), rest = parts[0], parts[1:]
    return [Morpheme(form, _tag(tag), start, end - start)] + [Morpheme(f, _tag(t), end - 1, 1) for f, t in rest]


class _Analyser:
    def __init__(self) -> None:
        import mecab  # type: ignore[import-untyped]  # python-mecab-ko; imported here, where it is needed

        self._mecab = mecab.MeCab()

    def tokenize(self, text: str) -> list[Morpheme]:
        out: list[Morpheme] = []
        for node in self._mecab.parse(text):
            feature, span = node.feature, node.span
            if node.surface in _NOUNS:
                out.append(Morpheme(node.surface, "NNG", span.start, span.end - span.start))
            elif feature.expression and feature.type in ("Inflect", "Preanalysis"):
                out.extend(_split(node.surface, span.start, span.end, feature.expression))
            else:  # a compound ("생수병" = 생수 + 병) stays one noun: names are matched on the text itself
                out.append(Morpheme(node.surface, _tag(feature.pos.rsplit("+", 1)[-1]), span.start,
                                    span.end - span.start))
        return _passives(_unknown_words(out))


def _passives(morphemes: list[Morpheme]) -> list[Morpheme]:
    """"깨짐" is 깨 + 아/EC + 지/VX + ㅁ to MeCab, but "깨진" is 깨지 + ᆫ: one verb either way. A connective
    inside the word would read as "break it and …", the thing a side action is done to
    (:meth:`~streams.rules.context.TextContext.is_dependent`)."""
    out: list[Morpheme] = []
    i = 0
    while i < len(morphemes):
        m = morphemes[i]
        nxt = morphemes[i + 1:i + 3]
        if (m.tag.startswith("V") and len(nxt) == 2 and nxt[0].tag == "EC" and nxt[0].form in ("아", "어")
                and nxt[1].tag == "VX" and nxt[1].form == "지" and nxt[0].start <= m.start + m.len):
            end = nxt[1].start + nxt[1].len
            out.append(Morpheme(m.form + "지", "VV", m.start, end - m.start))
            i += 3
            continue
        out.append(m)
        i += 1
    return out


def _unknown_words(morphemes: list[Morpheme]) -> list[Morpheme]:
    """An interjection glued to what follows is a word MeCab does not know ("음쓰": 음/IC + 쓰/IC, "케찹": 케/IC
    + 찹/VA): an interjection stands alone. Its letters up to the first particle or ending become ``UN``, as
    an unknown word (which the resolver may read as a typo of a name)."""
    out = list(morphemes)
    for i, m in enumerate(morphemes[:-1]):
        if m.tag != "IC" or morphemes[i + 1].start != m.start + m.len:
            continue
        j, end = i, m.start + m.len
        while j < len(out) and out[j].start <= end and not out[j].tag.startswith(("J", "E", "VCP", "S")):
            end = out[j].start + out[j].len
            out[j] = Morpheme(out[j].form, "UN", out[j].start, out[j].len)
            j += 1
    return out


_ANALYSER: Any = None
_LOCK = threading.Lock()


def analyser() -> _Analyser:
    """The one analyser of the process (its dictionary maps in ~10 ms; MeCab parses from several threads)."""
    global _ANALYSER
    if _ANALYSER is None:
        with _LOCK:
            if _ANALYSER is None:
                _ANALYSER = _Analyser()
    return _ANALYSER
