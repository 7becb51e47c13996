"""The Korean analyser: MeCab's nodes as the morphemes the resolver reads (form, Sejong tag, position)."""

from __future__ import annotations

import threading

from streams.rules.morphemes import Morpheme, _split, _unknown_words, analyser


def _read(text: str) -> list[tuple[str, str, int, int]]:
    return [(m.form, m.tag, m.start, m.len) for m in analyser().tokenize(text)]


def test_nouns_particles_and_endings_with_their_positions() -> None:
    got = _read("뚜껑 닫힌 생수병은 어떻게 버려요?")
    assert got[0] == ("뚜껑", "NNG", 0, 2)
    assert ("생수병", "NNG", 6, 3) in got  # a dictionary compound stays one noun, as it is written
    assert ("은", "JX", 9, 1) in got and got[-1] == ("?", "SF", 18, 1)


def test_an_inflected_word_is_split_and_its_ending_sits_on_the_last_letter() -> None:
    got = _read("닫힌")
    assert got == [("닫히", "VV", 0, 2), ("ᆫ", "ETM", 1, 1)]


def test_parts_that_tile_the_word_keep_their_own_positions() -> None:
    assert _split("버리면", 3, 6, "버리/VV/*+면/EC/*") == [Morpheme("버리", "VV", 3, 2), Morpheme("면", "EC", 5, 1)]


def test_a_contracted_ending_is_spelled_with_its_vowel() -> None:
    # "버려" is 버리 + ㅓ in mecab-ko-dic; the resolver's connective endings are written 어/아.
    assert _split("버려", 0, 2, "버리/VV/*+ㅓ/EC/*")[-1] == Morpheme("어", "EC", 1, 1)


def test_mecab_ko_dic_tags_are_named_the_sejong_way() -> None:
    assert _split("두개", 0, 2, "두/MM/*+개/NNBC/*")[-1].tag == "NNB"
    assert ("/", "SP", 4, 1) in _read("컵라면 / 용기")


def test_can_and_pack_are_nouns() -> None:
    # mecab-ko-dic reads this 캔 as 캐 ("to dig") + ᆫ: then 재 (ash) would follow an adnominal ending.
    assert _read("참치캔 재활용 되나요?")[:2] == [("참치", "NNG", 0, 2), ("캔", "NNG", 2, 1)]
    assert _read("우유팩 씻어서")[:2] == [("우유", "NNG", 0, 2), ("팩", "NNG", 2, 1)]  # not the adverb 팩


def test_an_interjection_glued_to_more_letters_is_an_unknown_word() -> None:
    assert [m.tag for m in _unknown_words([Morpheme("케", "IC", 0, 1), Morpheme("찹", "VA", 1, 1),
                                           Morpheme("바닥", "NNG", 3, 2)])] == ["UN", "UN", "NNG"]
    assert [t for _, t, _, _ in _read("음쓰에 버려요")][:2] == ["UN", "UN"]
    assert _read("아 이거 뭐예요")[0] == ("아", "IC", 0, 1)  # an interjection of its own stays one


def test_one_analyser_per_process_and_threads_share_it() -> None:
    seen: list[object] = []
    results: list[list[tuple[str, str, int, int]]] = []

    def work() -> None:
        seen.append(analyser())
        results.append(_read("우유팩 씻어서 버려요"))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(a) for a in seen}) == 1
    assert all(r == results[0] for r in results) and results[0][:2] == [("우유", "NNG", 0, 2), ("팩", "NNG", 2, 1)]


def test_a_passive_read_as_verb_connective_auxiliary_is_one_verb() -> None:
    # MeCab reads "깨짐" as 깨 + 아/EC + 지/VX + ㅁ but "깨진" as 깨지 + ᆫ; a connective there would read as
    # "break it and …".
    assert _read("유리병깨짐") == [("유리병", "NNG", 0, 3), ("깨지", "VV", 3, 2), ("ᄆ", "ETN", 4, 1)]
    assert _read("깨서 버려")[:2] == [("깨", "VV", 0, 1), ("서", "EC", 1, 1)]  # a real connective stays
