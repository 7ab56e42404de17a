"""Vietnamese typed in legacy fonts (TCVN3 / ABC, VNI Windows), found and converted.

Before Unicode, Vietnamese was typed with 8-bit fonts: TCVN3 (fonts ``.VnTime``,
``.VnArial``…; ``.VnTimeH`` for capitals) and VNI (``VNI-Times``…). Such text,
once in a spreadsheet, reads as Latin-1 look-alikes: TCVN3 ``Th«n`` and VNI
``Thoân`` both mean ``Thôn``; TCVN3 ``§`` is ``Đ``.

The detector is conservative. A text is converted only when the conversion
turns words that are not Vietnamese syllables into words that are, and leaves
(almost) none broken; anything in between is reported by :func:`is_legacy` so
that the officer is asked to retype it in Unicode rather than shown a guess.
Text holding any Vietnamese letter beyond Latin-1 (ư, ơ, đ, ạ…) is Unicode and
never touched. Every text returned is NFC.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Literal

Encoding = Literal["tcvn3", "vni"]

#: How each encoding is named to the officer.
LABELS: dict[Encoding, str] = {"tcvn3": "TCVN3", "vni": "VNI"}

# --- the Vietnamese alphabet -------------------------------------------------

# Tone marks in the order legacy tables list them: sắc, huyền, hỏi, ngã, nặng.
_TONES = ("\u0301", "\u0300", "\u0309", "\u0303", "\u0323")
_VOWELS = "aăâeêioôơuưy"


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _with_tone(vowel: str, tone: int | None) -> str:
    """``vowel`` carrying tone ``tone`` (an index into ``_TONES``), precomposed."""
    return _nfc(vowel if tone is None else vowel + _TONES[tone])


_LETTERS = frozenset(
    _with_tone(v, t) for v in _VOWELS + _VOWELS.upper() for t in (None, 0, 1, 2, 3, 4)
) | {"đ", "Đ"}
#: Vietnamese letters a Latin-1 (or legacy) text cannot hold: their presence
#: proves the text is Unicode.
_BEYOND_LATIN1 = frozenset(c for c in _LETTERS if ord(c) > 0xFF)
#: Vietnamese letters that are also Latin-1 characters (à, á, â, ã, è, é, ê, …).
_LATIN1_LETTERS = frozenset(c for c in _LETTERS if 0x7F < ord(c) <= 0xFF)

# --- TCVN3 (ABC): one byte a letter ------------------------------------------

# Byte (as the Latin-1 character Windows shows) -> Unicode letter. TCVN 5712:1993
# VN3: seven capitals at A1-A7, every lower-case letter above; capitals with a
# tone exist only as the .VnTimeH font drawing these same bytes in upper case.
_TCVN3_TABLE = """
a1 Ă  a2 Â  a3 Ê  a4 Ô  a5 Ơ  a6 Ư  a7 Đ
a8 ă  a9 â  aa ê  ab ô  ac ơ  ad ư  ae đ
b5 à  b6 ả  b7 ã  b8 á  b9 ạ
bb ằ  bc ẳ  bd ẵ  be ắ  c6 ặ
c7 ầ  c8 ẩ  c9 ẫ  ca ấ  cb ậ
cc è  ce ẻ  cf ẽ  d0 é  d1 ẹ
d2 ề  d3 ể  d4 ễ  d5 ế  d6 ệ
d7 ì  d8 ỉ  dc ĩ  dd í  de ị
df ò  e1 ỏ  e2 õ  e3 ó  e4 ọ
e5 ồ  e6 ổ  e7 ỗ  e8 ố  e9 ộ
ea ờ  eb ở  ec ỡ  ed ớ  ee ợ
ef ù  f1 ủ  f2 ũ  f3 ú  f4 ụ
f5 ừ  f6 ử  f7 ữ  f8 ứ  f9 ự
fa ỳ  fb ỷ  fc ỹ  fd ý  fe ỵ
"""


def _parse_tcvn3(table: str) -> dict[str, str]:
    words = table.split()
    return {
        chr(int(code, 16)): letter for code, letter in zip(words[::2], words[1::2], strict=True)
    }


#: TCVN3 character -> Unicode letter.
TCVN3: dict[str, str] = _parse_tcvn3(_TCVN3_TABLE)
_TCVN3_TRANSLATE = str.maketrans(TCVN3)

# --- VNI Windows: a base letter followed by a mark character -----------------

# The characters VNI types after a vowel, for sắc, huyền, hỏi, ngã, nặng: after
# a plain vowel (or ơ, ư), after a circumflex vowel, after a breve vowel.
_VNI_PLAIN = "ùøûõï"
_VNI_CIRCUMFLEX = "áàåãä"
_VNI_BREVE = "éèúüë"


def _vni_tables() -> tuple[dict[str, str], dict[str, str]]:
    """(two-character sequences, single characters) -> Unicode letter."""
    pairs: dict[str, str] = {}
    singles: dict[str, str] = {}

    def add_pair(base: str, mark: str, letter: str) -> None:
        # Marks are drawn in a lower- and an upper-case size; people mix them.
        for b, m, out in ((base, mark, letter), (base.upper(), mark, letter.upper())):
            pairs[b + m.lower()] = out
            pairs[b + m.upper()] = out

    # base as typed -> its Unicode vowel, and which marks it takes
    for typed, vowel in (("a", "a"), ("e", "e"), ("o", "o"), ("u", "u"), ("ô", "ơ"), ("ö", "ư")):
        for tone, mark in enumerate(_VNI_PLAIN):
            add_pair(typed, mark, _with_tone(vowel, tone))
    for tone, mark in enumerate(_VNI_PLAIN[:4]):  # y nặng is the single character î
        add_pair("y", mark, _with_tone("y", tone))
    for typed, vowel in (("a", "â"), ("e", "ê"), ("o", "ô")):
        add_pair(typed, "â", vowel)
        for tone, mark in enumerate(_VNI_CIRCUMFLEX):
            add_pair(typed, mark, _with_tone(vowel, tone))
    add_pair("a", "ê", "ă")
    for tone, mark in enumerate(_VNI_BREVE):
        add_pair("a", mark, _with_tone("ă", tone))
    # i with a tone, y nặng, đ, ơ and ư are one character each.
    for typed, letter in zip("íìæóòîñôö", "íìỉĩịỵđơư", strict=True):
        singles[typed] = letter
        singles[typed.upper()] = letter.upper()
    return pairs, singles


#: VNI two-character sequences and single characters -> Unicode letter.
VNI_PAIRS, VNI_SINGLES = _vni_tables()

#: Characters that only a legacy font puts in Vietnamese text: in a legacy
#: table and not a Vietnamese letter themselves (« § ® ø ö ñ …).
_LEGACY_ONLY = frozenset(
    c
    for c in (
        set(TCVN3)
        | set(VNI_SINGLES)
        | {ch for pair in VNI_PAIRS for ch in pair if not ch.isascii()}
    )
    if c not in _LATIN1_LETTERS
)

#: Every VNI mark character, in both of its sizes.
_VNI_MARKS = frozenset(
    mark
    for marks in (_VNI_PLAIN, _VNI_CIRCUMFLEX, _VNI_BREVE, "âê")
    for mark in marks + marks.upper()
)

# --- what a Vietnamese syllable looks like -----------------------------------

# Onset, vowel nucleus (tones taken off), final consonant; alternatives longest first.
# A nucleus ending in a glide (ai, ao, ươi…) takes no final consonant.
_ONSETS = "ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnprstvx]"
_CLOSED = (
    "iêu|yêu|oai|oao|oay|oeo|uây|uôi|uya|uyu|ươi|ươu|"
    "ai|ao|au|ay|âu|ây|eo|êu|ia|iu|oi|ôi|ơi|ua|ui|ưa|ưi|ưu"
)
# "oo" (xoong, boong) is left out: too rare to weigh against TCVN3 "oõ" for VNI "oâ".
_OPEN = "uyê|iê|yê|uô|ươ|oa|oă|oe|uâ|uê|uy|[aăâeêioôơuưy]"
_CODAS = "ch|ng|nh|[cmnpt]"
_SYLLABLE = re.compile(f"(?:{_ONSETS})?(?:(?:{_CLOSED})|(?:{_OPEN})(?:{_CODAS})?)")
_TONE_MARKS = frozenset(_TONES)

# Words are split at white space, ASCII punctuation, digits and general
# punctuation (– “ ” …); Latin-1 symbols stay inside words because legacy fonts
# use them as letters (« § · ¸ …).
_WORD = re.compile(r"[^\s!-@\[-`{-~\u2000-\u206f]+")


@lru_cache(maxsize=4096)
def is_syllable(word: str) -> bool:
    """Whether ``word`` is written like one Vietnamese syllable (at most one tone)."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = sum(1 for c in decomposed if c in _TONE_MARKS)
    if tones > 1:
        return False
    bare = _nfc("".join(c for c in decomposed if c not in _TONE_MARKS))
    return _SYLLABLE.fullmatch(bare) is not None


def _words(text: str) -> list[str]:
    """The words of ``text`` that hold a character beyond ASCII, quotes «…» taken off.

    « and » are TCVN3 letters (ô, ằ) too: they are taken for quotes only
    around a word that reads without them.
    """
    found = []
    for word in _WORD.findall(text):
        if word[:1] == "«" and _reads(word[1:].rstrip("»")):
            word = word[1:]
        if word[-1:] == "»" and _reads(word[:-1]):
            word = word[:-1]
        if not word.isascii():
            found.append(word)
    return found


def _reads(word: str) -> bool:
    return word.isascii() or is_syllable(word)


# --- conversion --------------------------------------------------------------


def _vni_to_unicode(text: str) -> str:
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        pair = VNI_PAIRS.get(text[i : i + 2])
        if pair is not None:
            out.append(pair)
            i += 2
            continue
        out.append(VNI_SINGLES.get(text[i], text[i]))
        i += 1
    return "".join(out)


def _tcvn3_capitals(original: str, converted: str) -> str:
    # .VnTimeH draws the lower-case bytes as capitals: a word whose ASCII letters
    # are all capitals ("TH«NG") was typed in capitals throughout.
    letters = [c for c in original if c.isascii() and c.isalpha()]
    if letters and all(c.isupper() for c in letters):
        return converted.upper()
    return converted


def to_unicode(text: str, encoding: Encoding) -> str:
    """``text`` read as ``encoding`` and written in Unicode NFC (no detection)."""
    if encoding == "vni":
        return _nfc(_vni_to_unicode(text))
    parts = re.split(f"({_WORD.pattern})", text)
    for i in range(1, len(parts), 2):  # the words; separators stay as they are
        parts[i] = _tcvn3_capitals(parts[i], parts[i].translate(_TCVN3_TRANSLATE))
    return _nfc("".join(parts))


# --- detection ---------------------------------------------------------------


def _could_be_legacy(text: str) -> bool:
    # ASCII needs no conversion; a letter like ư or ạ proves Unicode.
    return not text.isascii() and _BEYOND_LATIN1.isdisjoint(text)


def _score(words: list[str], encoding: Encoding) -> tuple[int, int]:
    """(words made Vietnamese by the conversion, words not Vietnamese after it)."""
    fixed = bad = 0
    for word in words:
        if len(word) < 2:  # a lone sign ("©", "°") says nothing either way
            continue
        converted = to_unicode(word, encoding)
        if is_syllable(converted):
            if converted != word and not is_syllable(word):
                fixed += 1
        else:
            bad += 1
    return fixed, bad


def detect(text: str, *, prefer: Encoding | None = None) -> Encoding | None:
    """The legacy encoding ``text`` was typed in, when a conversion is beyond doubt.

    When both encodings read equally well (VNI "Löu" is "Lưu", TCVN3 "Löu"
    is "Lửu"), the answer is ``prefer`` (the encoding of the font the file
    uses, see :func:`encoding_of_font`), or None without one.
    """
    text = _nfc(text)
    if not _could_be_legacy(text):
        return None
    words = _words(text)
    accepted: list[tuple[int, Encoding]] = []
    for encoding in ("tcvn3", "vni"):
        fixed, bad = _score(words, encoding)
        # One word still not Vietnamese is allowed per five repaired (a typo);
        # in a short text, none.
        if fixed and bad * 5 <= fixed:
            accepted.append((fixed, encoding))
    if len(accepted) == 2 and accepted[0][0] == accepted[1][0]:
        return prefer  # both read well: the font decides, or nobody
    return max(accepted)[1] if accepted else None


def encoding_of_font(font: str) -> Encoding | None:
    """The legacy encoding a font name stands for (".VnTime" -> "tcvn3", "VNI-Times" -> "vni")."""
    name = font.strip().lower()
    if name.startswith(".vn"):
        return "tcvn3"
    if name.startswith("vni"):
        return "vni"
    return None


def is_legacy(text: str) -> bool:
    """Whether ``text`` shows legacy-font letters in words that are not Vietnamese.

    True for text to be retyped (TCVN3/VNI that :func:`detect` could not convert
    with confidence); False for Unicode text and for a confident conversion's result.
    """
    text = _nfc(text)
    if not _could_be_legacy(text):
        return False
    words = _words(text)
    suspect = sum(
        1 for w in words if len(w) > 1 and not _LEGACY_ONLY.isdisjoint(w) and not is_syllable(w)
    )
    return suspect > 0 and suspect * 2 >= len(words)


def repair(text: str, *, prefer: Encoding | None = None) -> tuple[str, Encoding | None]:
    """``text`` in Unicode NFC, and the legacy encoding it was typed in (None if Unicode).

    When the text looks legacy but cannot be converted with confidence, it is
    returned unchanged (NFC) with the more likely encoding, and
    :func:`is_legacy` is true for it: the officer must retype it. ``prefer``
    settles a tie, as in :func:`detect`.
    """
    text = _nfc(text)
    encoding = detect(text, prefer=prefer)
    if encoding is not None:
        return to_unicode(text, encoding), encoding
    if is_legacy(text):
        tcvn3 = sum(1 for c in text if c in TCVN3)
        vni = sum(1 for c in text if c in VNI_SINGLES or c in _VNI_MARKS)
        return text, "tcvn3" if tcvn3 >= vni else "vni"
    return text, None
