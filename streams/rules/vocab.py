"""Fixed vocabulary of the resolver: category words, materials, connectives and question noise.

Item names live in the rules documents; this module only holds the words people use for a whole
category ("플라스틱 용기 같은데", "음식물쓰레기", "건전지류") and the glue words around item names.
All entries are compared after :func:`streams.rules.text.compact`.
"""

from __future__ import annotations

__all__ = ["BRITTLE", "CATEGORY_WORDS", "CONJUNCTIONS", "GENERIC_CONTAINERS", "HEAD_WORDS", "MATERIAL_WORDS",
           "PART_HEADS", "SPELLINGS", "STOPWORDS"]


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


#: Words that name a category (not an item). Category codes and category-doc names are added at load.
CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "종이": _words("종이 종이류 폐지 종이제품 종이재질 종이쓰레기 헌종이"),
    # Not 종이곽: "과자 종이곽" is a paper box; cartons are 우유곽, 주스곽 (item names).
    "종이팩": _words("종이팩 종이팩류 팩류 멸균팩 일반팩 살균팩"),
    "무색페트병": _words("무색페트병 투명페트병 투명페트 무색페트 투명pet"),
    "플라스틱류": _words(
        "플라스틱 플라스틱류 플라스틱용기 플라스틱통 플라스틱제품 합성수지 플라스틱재질 플라스틱쓰레기 pp "
        "pe ps 플라스틱용기류 투명통 투명용기 투명플라스틱통 플라 플라통 플라용기 플통"
    ),
    "비닐류": _words("비닐 비닐류 필름류 폐비닐 비닐쓰레기 필름"),
    "발포합성수지": _words(
        "스티로폼 스티로폴 발포합성수지 발포스티렌 스티로폼류 스티로폼재질 스트로폼 스치로폼 스티로품"
    ),
    "유리병": _words("유리병 유리병류 유리 공병 유리재질"),
    "금속류": _words(
        "캔류 금속 금속류 고철 고철류 쇠 철 알루미늄 스텐 스테인리스 스테인레스 철제 금속캔 깡통 쇠붙이 "
        "금속제품"
    ),
    "의류및원단": _words("옷 의류 헌옷 원단 섬유 의류및원단 헌옷류 의류수거함"),
    "전지": _words("건전지 건전지류 전지 배터리 폐건전지 폐배터리 이차전지 전지류 밧데리"),
    "조명제품": _words("조명 조명제품 폐형광등 조명기구"),
    "전기전자제품": _words(
        "가전 가전제품 전자제품 전기전자제품 전자기기 폐가전 폐가전제품 소형가전 대형가전 전기제품 "
        "전자제품류 가전류"
    ),
    "음식물류폐기물": _words(
        "음식물 음식물쓰레기 음쓰 음식쓰레기 음식물류폐기물 음식물류 잔반 음식물류쓰레기"
    ),
    "일반종량제폐기물": _words("일반쓰레기 종량제 종량제봉투 일반종량제폐기물 생활쓰레기 일쓰 일반폐기물"),
    "불연성종량제폐기물": _words(
        "불연성 불연성쓰레기 불연성폐기물 불연성종량제폐기물 불연성마대 마대 불연물"
    ),
    "대형폐기물": _words("대형폐기물 대형쓰레기 가구 폐가구 대형생활폐기물"),
    "공사장생활폐기물": _words(
        "공사장생활폐기물 공사장폐기물 인테리어폐기물 건축폐기물 폐건축자재 건설폐기물 공사폐기물 폐자재 "
        "건축자재"
    ),
    "생활계유해폐기물": _words("유해폐기물 생활계유해폐기물 의약품 폐의약품 약 폐약 유해물질"),
}

#: Category words that describe what a thing is made of; one right before an item name that
#: disagrees with the item's category ("유리 반찬통") makes the match doubtful.
MATERIAL_WORDS: frozenset[str] = frozenset(_words(
    "쇠 철 pe pp ps 금속 비닐 스텐 유리 종이 스티로폼 알루미늄 플라스틱 스테인레스 스테인리스 스티로폴 "
    "스트로폼 스치로폼"
))

#: Category words that name a thing, not only a material: they head a noun phrase ("TV 포장 스티로폼",
#: "영양제 플라스틱 통", "꿀 유리병"), while a bare material after a name is a part of it ("거울 유리").
HEAD_WORDS: frozenset[str] = frozenset(_words(
    "스티로폼 스티로폴 스티로폼류 비닐 폐비닐 유리병 공병 플라스틱통 플라스틱용기 플라스틱용기류 투명통 "
    "투명용기 투명페트병 무색페트병 투명페트 무색페트 깡통 금속캔 종이팩 멸균팩"
))

#: What may stand between two item names when the user lists several items ("A랑 B", "A, B").
CONJUNCTIONS: frozenset[str] = frozenset(_words(
    "과 나 도 또 랑 및 와 과요 또는 랑요 와요 이나 이랑 하고 혹은 그리고 이나요 이랑요 하고요 그리고요"
))

#: Nouns of question noise: never worth a fuzzy guess.
STOPWORDS: frozenset[str] = frozenset(_words(
    "개 거 것 곳 그 날 다 데 등 때 뭐 밖 법 속 안 옆 위 이 저 집 통 같이 경우 궁금 그거 그것 그냥 내일 "
    "동네 무엇 문의 물건 방법 배출 봉투 분리 사진 수거 아래 안에 어디 예요 오늘 요령 요일 용기 우리 이거 "
    "이건 이것 이런 인데 재질 저거 저건 저것 저런 전부 정도 제품 종류 주택 질문 처리 함께 혹시 같은데 "
    "되나요 박스안 버려도 버려요 버리기 수거일 수거함 쓰레기 아파트 어디에 어떻게 이것들 이런거 이에요 "
    "재활용 궁금해요 배출방법 버리는법 분리배출 분리수거 종량제에 처리방법 버리는방법 안녕하세요 요거 요고 요건 요것 "
    "물기"
))

#: Parts and accessories: after a device's or product's name they are the thing being thrown away, not the
#: device ("노트북 파우치", "태블릿 케이스", "공기청정기 필터"). When modifier + part is not a name of its own,
#: the resolver never answers for the modifier.
PART_HEADS: frozenset[str] = frozenset(_words(
    "파우치 케이스 커버 스킨 키스킨 보호필름 필름 강화유리 스트랩 손목줄 줄 끈 필터 거치대 받침대 스탠드 충전기 "
    "충전선 어댑터 아답터 케이블 선 패드 리모컨 리모콘 가방 포장재 포장지 포장박스 설명서 부품 문짝 선반 "
    "서랍 바퀴 손잡이 다리 받침 망 거름망 호스 코드 전선 플러그 이어팁 솜 쿠션 매트 방석 시트 덮개 "
    "카트리지 토너 잉크 배터리팩 렌즈 액정 화면 부속"
))

#: Words for a container of no particular material, and the everyday kinds it may be. A question that
#: names only one of these ("이 컵은 플라스틱인가요?" without a photo) gets one short line per kind.
GENERIC_CONTAINERS: dict[str, tuple[str, ...]] = {
    "컵": ("종이컵", "플라스틱 컵", "유리컵", "스티로폼 컵"),
    "병": ("유리병", "투명 페트병", "유색 페트병"),
    "통": ("플라스틱 통", "통조림 캔", "종이 통"),
    "용기": ("플라스틱 용기", "유리 용기", "스티로폼 용기", "종이 용기"),
    "뚜껑": ("플라스틱 뚜껑", "금속 뚜껑"),
    "봉지": ("비닐봉지", "종이봉투"),
    "그릇": ("플라스틱 그릇", "도자기 그릇", "유리 그릇"),
    "접시": ("도자기 접시", "플라스틱 접시", "종이 접시", "스티로폼 접시"),
    "상자": ("종이 상자", "스티로폼 상자", "플라스틱 상자"),
    "박스": ("종이 상자", "스티로폼 상자", "플라스틱 상자"),
}

#: The kinds of a generic container that break ("깨진 접시" is a plate that can shatter: ceramic or glass).
BRITTLE: tuple[str, ...] = ("유리", "도자기", "사기")

#: Everyday spellings of loanwords and brand-like words, against the spelling our names use. Fuzzy
#: matching cannot reach them when a syllable is missing or added ("알미늄캔" for 알루미늄 캔), so the index
#: adds each name again with the spelling people type. Only whole, unambiguous word forms belong here.
SPELLINGS: dict[str, tuple[str, ...]] = {
    "알루미늄": ("알미늄", "알류미늄", "알루미니움"),
    "페트": ("패트", "펫트"),
    "라벨": ("라밸", "래벨", "레이블"),
    "플라스틱": ("프라스틱", "플래스틱", "플라스틲", "플"),  # "플컵", "플통"
    "스티로폼": ("스치로폼", "스트로폼", "스티로폴", "스티로품", "스티로포움"),
    "배터리": ("밧데리", "바테리", "배러리"),
    "프라이팬": ("후라이팬", "후라이판", "프라이판"),
    "전자레인지": ("전자렌지", "전자렌인지"),
    "테이프": ("테잎", "테입"),
    "비닐": ("비니루",),
    "스프레이": ("스프래이", "스프레이통"),
    "아이스팩": ("아이스펙",),
    "가스": ("까스",),
    "매트리스": ("매트레스", "메트리스"),
    "텀블러": ("텀블라",),
    "티슈": ("티쓔",),
    "컵라면": ("컾라면",),
    "봉지": ("봉다리",),
}
