"""Text normalisation shared by the index, the ranker and the linker.

One function, `terms`, turns any text (a label, a synonym, a query) into canonical tokens:

1. clean: control characters become spaces, Unicode is NFKC-composed, the text is capped;
2. fold: accents removed (e.g. Sjögren -> sjogren), Greek letters spelt out (TGF-α -> tgf-alpha),
   dashes and multiplication signs made ASCII, lower case;
3. tokenise: runs of letters and digits (a decimal stays one token: 2.0);
4. canonicalise each token: British -> American spelling from spellings.tsv (haemorrhage ->
   hemorrhage, anaemia -> anemia, paediatric -> pediatric, oedema -> edema,
   thrombocytopaenia -> thrombocytopenia, randomised -> randomized, centre -> center), a few
   irregular forms (children -> child), then a light plural stemmer (cells -> cell,
   therapies -> therapy; not 'sepsis', 'status', 'class');
5. Roman numerals after phase/grade/stage/type become digits (phase II -> phase 2).

The same function runs on both sides, so matching is symmetric. Stop words are dropped by
`content`. Abbreviations (abbreviations.tsv plus pairs learnt from the graph) are spelt out by
`Abbreviations.expand`. Nothing here compiles a regular expression from its input: user text is
only ever matched against the project's own patterns.
"""

from __future__ import annotations

import bisect
import csv
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
SPELLINGS = HERE / "spellings.tsv"
ABBREVIATIONS = HERE / "abbreviations.tsv"

MAX_QUERY_CHARS = 500      # a longer query is cut here (and the caller is told)
MAX_QUERY_TERMS = 24       # at most this many content words of a query are used

STOPWORDS = frozenset("""
a an the of for from to in on at by with and or as is are was were be been being this that these those
its it into onto than then via vs versus per which what who whose whom do does did show find give me list
about all any each every some such their there here how when where why not nor but also only
derived
""".split())

CHARACTERS = HERE / "characters.tsv"


def _character_table() -> dict[str, dict[str, str]]:
    """{kind: {from: to}} from characters.tsv (padded replacements get a space on each side)."""
    out: dict[str, dict[str, str]] = {"greek": {}, "symbol": {}, "roman": {}}
    with CHARACTERS.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader((line for line in fh if not line.startswith("#")), delimiter="\t", quoting=csv.QUOTE_NONE):
            out[row["kind"]][row["from"]] = f" {row['to']} " if row["padded"] == "yes" and row["kind"] == "symbol" else row["to"]
    return out


_CHARS = _character_table()
_GREEK = _CHARS["greek"]
_SYMBOLS = _CHARS["symbol"]
_TRANSLATE = str.maketrans({**{k: f" {v} " for k, v in _GREEK.items()}, **_SYMBOLS})
_TOKEN = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")
_WORD = re.compile(r"[A-Za-z0-9]+(?:['-][A-Za-z0-9]+)*")
_POSSESSIVE = re.compile(r"(?<=[A-Za-z])'s\b")
_CAPS_PLURAL = re.compile(r"\b([A-Z][A-Za-z0-9]*[A-Z][A-Za-z0-9]*?)s\b")  # AEs, SAEs, MSCs, UC-MSCs
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_ROMAN = _CHARS["roman"]
_ROMAN_AFTER = frozenset({"phase", "grade", "stage", "type", "class", "cohort", "part", "step", "level"})
_NO_PLURAL = ("ss", "us", "is", "ys", "os", "as")


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff]")


def clean(text: str, limit: int | None = None) -> str:
    """Control and format characters become spaces; NFKC; optionally cut to `limit` characters."""
    if not isinstance(text, str):
        text = str(text)
    if limit is not None and len(text) > limit * 4:
        text = text[: limit * 4]  # never normalise megabytes to use a few hundred characters
    if not (text.isascii() and text.isprintable()):
        text = _CONTROL.sub(" ", unicodedata.normalize("NFKC", _CONTROL.sub(" ", text)))
    text = " ".join(text.split())
    return text[:limit] if limit is not None else text


def fold(text: str) -> str:
    """Accents off, Greek letters spelt out, ASCII punctuation, lower case."""
    if text.isascii():
        return text.lower()
    text = text.translate(_TRANSLATE)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.lower()


@dataclass
class _Spelling:
    words: dict[str, str] = field(default_factory=dict)
    rules: list[tuple[re.Pattern, str]] = field(default_factory=list)


@lru_cache(maxsize=1)
def _spelling() -> _Spelling:
    sp = _Spelling()
    with open(SPELLINGS, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 3:
                raise ValueError(f"{SPELLINGS}:{n}: expected 3 tab-separated columns (kind, from, to)")
            kind, src, dst = parts
            if kind in ("word", "lemma"):
                sp.words[src] = dst
            elif kind == "rule":
                sp.rules.append((re.compile(src), dst))
            else:
                raise ValueError(f"{SPELLINGS}:{n}: unknown kind {kind!r} (word, rule or lemma)")
    return sp


def stem(tok: str) -> str:
    """Light plural stemmer: cells -> cell, therapies -> therapy, diseases -> disease."""
    if len(tok) <= 3 or not tok.isalpha():
        return tok
    if tok.endswith("ies") and len(tok) > 4:
        return tok[:-3] + "y"
    if tok.endswith("sses"):
        return tok[:-2]
    if tok.endswith("s") and not tok.endswith(_NO_PLURAL):
        return tok[:-1]
    return tok


@lru_cache(maxsize=200_000)
def canon(tok: str) -> str:
    """The canonical form of one folded token: American spelling, irregular forms, plural stemmed."""
    sp = _spelling()
    if tok in sp.words:
        return sp.words[tok]
    if not tok.isalpha() or len(tok) < 4:
        return tok
    t = stem(tok) if tok.endswith("s") and len(tok) > 5 and stem(tok) in sp.words else tok
    if t in sp.words:
        return sp.words[t]
    if len(t) >= 5:
        for pat, rep in sp.rules:
            t = pat.sub(rep, t)
        if t in sp.words:
            return sp.words[t]
    s = stem(t)
    return sp.words.get(s, s)


def split_identifier(text: str) -> str:
    """'ScholarlyArticle' -> 'Scholarly Article' when the whole text is one camel-case identifier."""
    if " " not in text and _CAMEL.search(text) and text.isalnum():
        return _CAMEL.sub(" ", text)
    return text


def prepare(text: str) -> str:
    """Clean and fold, dropping possessive 's and the plural s of capitalised abbreviations."""
    text = clean(text)
    if "'" in text:
        text = _POSSESSIVE.sub("", text)
    if not text.islower():
        text = _CAPS_PLURAL.sub(r"\1", text)
    return fold(text)


def terms(text: str) -> list[str]:
    """Canonical tokens of a text, in order, stop words kept."""
    return list(_terms(text))


@lru_cache(maxsize=100_000)
def _terms(text: str) -> tuple[str, ...]:
    raw = _TOKEN.findall(prepare(text))
    out: list[str] = []
    roman_ok = False
    for i, tok in enumerate(raw):
        if tok in _ROMAN and roman_ok:  # phase II, grade III-IV, phase I/II
            out.append(_ROMAN[tok])
            continue
        roman_ok = tok in _ROMAN_AFTER or (roman_ok and tok in _ROMAN)
        out.append(canon(tok))
    return tuple(out)


def content(tokens: list[str]) -> list[str]:
    """The tokens that carry meaning (stop words out; all of them if nothing else is left)."""
    kept = [t for t in tokens if t not in STOPWORDS]
    return kept if kept else list(tokens)


def content_terms(text: str) -> list[str]:
    return content(terms(text))


def bigrams(tokens: list[str]) -> list[str]:
    """Adjacent pairs of content tokens ('bone marrow', 'marrow failure'): phrase evidence."""
    return [f"{a} {b}" for a, b in zip(tokens, tokens[1:]) if a != b]


def normal(text: str) -> str:
    """One string per text for exact comparison: canonical content tokens joined by spaces."""
    return " ".join(content_terms(text))


def is_acronym_of(abbr: str, expansion: str) -> bool:
    """True when the letters of `abbr` are, in order, initials of the words of `expansion`."""
    letters = [c.lower() for c in abbr if c.isalpha()]
    if abbr.endswith("s") and len(letters) > 2 and abbr[:-1].isupper():
        letters = letters[:-1]
    words = [w for w in re.split(r"[^A-Za-z0-9]+", fold(expansion)) if w]
    initials = [w[0] for w in words]
    if len(letters) < 2 or len(words) < 2:
        return False
    i = 0
    for c in initials:
        if i < len(letters) and c == letters[i]:
            i += 1
    return i == len(letters)


def looks_like_abbreviation(text: str) -> bool:
    """Short, no spaces, at least two capitals (ITP, GVHD, CsA is not: one capital... but TPO-RA is)."""
    t = text.strip()
    return 2 <= len(t) <= 12 and " " not in t and sum(c.isupper() for c in t) >= 2 and not t.isdigit()


class Abbreviations:
    """Abbreviation -> spellings out, with the case rule of abbreviations.tsv."""

    def __init__(self) -> None:
        self.exact: dict[str, list[str]] = {}
        self.any: dict[str, list[str]] = {}

    @classmethod
    @lru_cache(maxsize=1)
    def builtin(cls) -> "Abbreviations":
        ab = cls()
        with open(ABBREVIATIONS, encoding="utf-8") as fh:
            rows = [r for r in csv.reader((ln for ln in fh if ln.strip() and not ln.startswith("#")), delimiter="\t")]
        for n, row in enumerate(rows, 1):
            if len(row) != 3 or row[2] not in ("exact", "any"):
                raise ValueError(f"{ABBREVIATIONS}: row {n} {row!r}: expected abbreviation, expansion, exact|any")
            ab.add(row[0], row[1], row[2] == "exact")
        return ab

    def copy(self) -> "Abbreviations":
        ab = Abbreviations()
        ab.exact = {k: list(v) for k, v in self.exact.items()}
        ab.any = {k: list(v) for k, v in self.any.items()}
        return ab

    def add(self, abbr: str, expansion: str, exact: bool = False) -> None:
        table, key = (self.exact, abbr) if exact else (self.any, abbr.lower())
        if expansion not in table.setdefault(key, []):
            table[key].append(expansion)

    def pairs(self) -> list[tuple[str, str, bool]]:
        return [(k, e, True) for k, v in self.exact.items() for e in v] + [(k, e, False) for k, v in self.any.items() for e in v]

    def lookup(self, word: str) -> list[str]:
        """Spellings out of one written word ('ITP', 'MSCs', 'aGVHD'), or []."""
        for w in (word, word[:-1] if word.endswith("s") and len(word) > 2 else None):
            if not w:
                continue
            if w in self.exact:
                return self.exact[w]
            if w.lower() in self.any:
                return self.any[w.lower()]
        return []

    def expand(self, text: str, variants: int = 2) -> list[tuple[str, list[tuple[str, str]]]]:
        """The text with its abbreviations spelt out: [(new text, [(abbreviation, expansion)...])].

        Variant k takes the k-th spelling out of each abbreviation (or its last); [] when none found.
        """
        text = clean(text)
        found: list[tuple[int, int, str, list[str]]] = []
        for m in _WORD.finditer(text):
            word = m.group(0)
            if word[0].isdigit() and word.isdigit():
                continue
            hit = self.lookup(word)
            if hit:
                found.append((m.start(), m.end(), word, hit))
                continue
            if "-" in word:  # UC-MSCs, SR-aGVHD parts
                pos = m.start()
                for part in word.split("-"):
                    h = self.lookup(part) if part else []
                    if h:
                        found.append((pos, pos + len(part), part, h))
                    pos += len(part) + 1
        if not found:
            return []
        out = []
        for k in range(min(variants, max(len(h) for *_, h in found))):
            pieces, used, last = [], [], 0
            for start, end, word, hit in found:
                exp = hit[min(k, len(hit) - 1)]
                pieces.append(text[last:start])
                pieces.append(f" {exp} ")
                used.append((word, exp))
                last = end
            pieces.append(text[last:])
            out.append((" ".join("".join(pieces).split()), used))
        return out


def trigrams(tok: str) -> set[str]:
    t = f"^{tok}$"
    return {t[i:i + 3] for i in range(len(t) - 2)}


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance, stopping early above `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2 = None
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        best = cur[0]
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if prev2 is not None and i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                v = min(v, prev2[j - 2] + 1)
            cur[j] = v
            best = min(best, v)
        if best > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def max_typos(tok: str) -> int:
    """How many edits a token of this length may carry and still be the same word."""
    if len(tok) < 4 or not tok.isalpha():
        return 0
    return 1 if len(tok) < 8 else 2


_SUFFIXES = frozenset("""
- a e i o y s al ic ical ically ia ies ion ions on ous ive ed ing ity ism ist ate ated ation ations ration ize ized
ization ly ics ant ance ancy ent ence ency t ce cy ry ary ory um us ae er ers or ors ment ness ible able ility
ability ar ular age oma
""".split()) | {""}


def shared_stem(a: str, b: str) -> bool:
    """'hemorrhage' ~ 'hemorrhagic', 'hematologic' ~ 'hematological', 'infection' ~ 'infectious':
    a long common beginning followed by derivational endings (not 'hemorrhage' ~ 'hemorrhoid')."""
    n = min(len(a), len(b))
    if n < 6 or a == b:
        return False
    k = 0
    while k < n and a[k] == b[k]:
        k += 1
    if k < 6 or k < n - 3:
        return False
    return any(a[j:] in _SUFFIXES and b[j:] in _SUFFIXES for j in range(k, max(5, k - 3), -1))


def stem_neighbours(tok: str, vocab: list[str]) -> list[str]:
    """Words of a sorted vocabulary that share `tok`'s stem (see shared_stem), found by its first six letters."""
    if len(tok) < 6 or not tok.isalpha():
        return []
    stem, out = tok[:6], []
    i = bisect.bisect_left(vocab, stem)
    while i < len(vocab) and vocab[i].startswith(stem):
        if shared_stem(tok, vocab[i]):
            out.append(vocab[i])
        i += 1
    return out
