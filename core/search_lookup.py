"""The admin search's `contains`, blind to the case of every letter and to accents, on
SQLite as on PostgreSQL.

Each letter of a search word matches a class: its case variants (as PostgreSQL's `UPPER`
folds them; SQLite's `LIKE` folds ASCII only, so "AMÉLIE" found no "amélie" there) and,
for a Latin letter, every letter of the Latin blocks that is it with accents, in either
case (French staff type "Severine" for "Séverine": shop owner). docs/decisions.md, "The
customer search finds a capital's small letter on SQLite too" and "The search is blind to
accents".

- PostgreSQL: a regular expression of those classes (`~`, every other character escaped).
- SQLite: the word without its accents by `LIKE` (which folds ASCII case), OR, for a value
  holding a character outside ASCII (the only values an accented match can be in: a cheap
  test of its length in characters against its length in bytes), a `GLOB` of the classes,
  behind a `LIKE` of the word's characters that no class widens (narrowing_likes): a GLOB
  whose `*` is followed by a class tries every position of every value, where a LIKE skips
  to its first letter.

A word whose every character matches only itself and, for an ASCII letter, its other case
(digits, "bmw") keeps Django's `icontains`.
"""

import unicodedata
from collections.abc import Callable
from functools import cache

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import CharField, Lookup, TextField
from django.db.models.lookups import IContains
from django.db.models.sql.compiler import SQLCompiler

# GLOB's own characters outside a class; each is matched as itself inside one. `]` is
# plain text outside a class, and `%` and `_` mean nothing to GLOB.
GLOB_SPECIALS = frozenset("*?[")
# The Latin letters whose accented forms a plain letter stands for: Latin-1 Supplement,
# Latin Extended-A and -B (French, the other western and central European languages,
# Romanian's ș and ț), each by its canonical decomposition (é is e + ´).
ACCENTED_LATIN = range(0x00C0, 0x0250)


@CharField.register_lookup
@TextField.register_lookup
class CaseBlindContains(Lookup):
    """`icontains`, but each letter also matches its case variants outside ASCII and its
    accented and unaccented forms, on both databases."""

    lookup_name = "case_blind_contains"
    prepare_rhs = True

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, tuple[str | int, ...]]:
        word = self._word()
        # UPPER folds every case; only a Latin letter's accents need the classes.
        if word is None or all(_latin_base(char) is None for char in word):
            return compiler.compile(IContains(self.lhs, self.rhs))
        return self._with_lhs(compiler, connection, *postgresql_test(word))

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, tuple[str | int, ...]]:
        word = self._word()
        # LIKE folds ASCII case only: a character with another form needs the classes.
        if word is None or not any(_widens(char) for char in word):
            return compiler.compile(IContains(self.lhs, self.rhs))
        test = sqlite_test(word, connection.ops.prep_for_like_query)
        return self._with_lhs(compiler, connection, *test)

    def _word(self) -> str | None:
        if self.rhs_is_direct_value() and isinstance(self.rhs, str):
            return self.rhs
        return None

    def _with_lhs(
        self,
        compiler: SQLCompiler,
        connection: BaseDatabaseWrapper,
        template: str,
        patterns: list[str],
    ) -> tuple[str, tuple[str | int, ...]]:
        """`template`'s SQL with the field for each `{lhs}` and its `%s` for `patterns`."""
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        sql: list[str] = []
        params: list[str | int] = []
        given = iter(patterns)
        for n, piece in enumerate(template.split("{lhs}")):
            if n:
                sql.append(lhs_sql)
                params.extend(lhs_params)
            sql.append(piece)
            params.extend(next(given) for _ in range(piece.count("%s")))
        return "".join(sql), tuple(params)


def postgresql_test(word: str) -> tuple[str, list[str]]:
    """PostgreSQL's test that `{lhs}` holds `word`, and its parameters."""
    return "({lhs})::text ~ %s", [regex_contains(word)]


def sqlite_test(word: str, escaped: Callable[[str], str]) -> tuple[str, list[str]]:
    """SQLite's test that `{lhs}` holds `word`, and its parameters: the word without its
    accents by LIKE, or, in a value with a character outside ASCII, the classes' GLOB
    behind the narrowing LIKEs."""
    like = "{lhs} LIKE %s ESCAPE '\\'"
    likes = narrowing_likes(word, escaped)
    tests = ["length(CAST({lhs} AS BLOB)) <> length({lhs})"]
    if likes:
        tests.append("(" + " OR ".join([like] * len(likes)) + ")")
    tests.append("{lhs} GLOB %s")
    accented = " AND ".join(tests)
    patterns = [*likes, glob_contains(word)]
    plain = folded(word)
    if plain is None:
        return f"({accented})", patterns
    return f"({like} OR ({accented}))", [f"%{escaped(plain)}%", *patterns]


def folded(word: str) -> str | None:
    """`word` in ASCII, each character outside it as the ASCII letter of its class (é as
    e, K as k); None if one has none (ж, ß): such a word is found only in values with a
    character outside ASCII."""
    letters = []
    for char in word:
        ascii_forms = [c for c in letter_class(char) if c.isascii()]
        if char.isascii():
            letters.append(char)
        elif ascii_forms:
            letters.append(ascii_forms[0])
        else:
            return None
    return "".join(letters)


def narrowing_likes(word: str, escaped: Callable[[str], str]) -> list[str]:
    """LIKE patterns of which every value holding `word` in any case and accents matches
    one: the word's characters that match only themselves (an ASCII letter in either
    case, LIKE folds it) with any one character for each other (`%__v_r___%` for
    "Séverine"); for a word with none, its first letter in each of its forms if they are
    at most three (`%Ж%`, `%ж%`), which LIKE finds as fast, where GLOB's `*[Жж]` tries
    every position; else none (`anne`: every letter has accented forms)."""
    kept = ["_" if _widens(char) else escaped(char) for char in word]
    if any(part != "_" for part in kept):
        return ["%" + "".join(kept) + "%"]
    variants = letter_class(word[0])
    if len(variants) <= 3:
        return [f"%{escaped(variant)}%" for variant in variants]
    return []


def _widens(char: str) -> bool:
    return len({c.lower() if c.isascii() else c for c in letter_class(char)}) > 1


def glob_contains(word: str) -> str:
    """A GLOB pattern matching any text that holds `word`, each letter as its class."""
    return "*" + "".join(_glob_char(char) for char in word) + "*"


def _glob_char(char: str) -> str:
    variants = letter_class(char)
    if len(variants) > 1:
        # No letter of a class is `]`, `^` or `-`, which a class would read.
        return "[" + "".join(variants) + "]"
    return f"[{char}]" if char in GLOB_SPECIALS else char


def regex_contains(word: str) -> str:
    """A PostgreSQL regular expression (ARE) matching any text that holds `word`, each
    letter as its class, any other character escaped (a backslash before a character that
    is not a letter or digit is that character)."""
    return "".join(_regex_char(char) for char in word)


def _regex_char(char: str) -> str:
    variants = letter_class(char)
    if len(variants) > 1:
        return "[" + "".join(variants) + "]"
    return char if char.isalnum() else "\\" + char


def letter_class(char: str) -> list[str]:
    """`char` first, then the one-character letters of its case (a letter outside ASCII as
    any letter of the same capital, as PostgreSQL's `UPPER(...) LIKE UPPER(...)` matches
    it: σ and ς for Σ; an ASCII letter as its two cases, as LIKE matches it: i, not ı;
    ß, whose capital is "SS", as itself), then, for a Latin letter, its accented and
    unaccented forms in either case (e: é, È, ê, ë, ...)."""
    variants = dict.fromkeys(v for v in (char, char.lower(), char.upper()) if len(v) == 1)
    if not char.isascii():
        variants.update(dict.fromkeys(_same_capital().get(char.upper(), "")))
    base = _latin_base(char)
    if base is not None:
        variants.update(dict.fromkeys(_latin_forms()[base]))
    return list(variants)


def _latin_base(char: str) -> str | None:
    """The small ASCII letter `char` is, accents aside (é: e; e: e), or None."""
    first = unicodedata.normalize("NFD", char)[:1]
    if first.isascii() and first.isalpha():
        base = first.lower()
        return base if base in _latin_forms() else None
    return None


@cache
def _latin_forms() -> dict[str, str]:
    """Each small ASCII letter that has accented forms in ACCENTED_LATIN: itself, its
    capital, then those forms (e: "eEÈÉÊËèéêëĒē..."). Built once."""
    forms: dict[str, str] = {}
    for code in ACCENTED_LATIN:
        char = chr(code)
        decomposed = unicodedata.normalize("NFD", char)
        if len(decomposed) > 1 and decomposed[0].isascii() and decomposed[0].isalpha():
            base = decomposed[0].lower()
            forms[base] = forms.get(base, base + base.upper()) + char
    return forms


@cache
def _same_capital() -> dict[str, str]:
    """Each capital of the Basic Multilingual Plane and the letters whose capital it is
    (Σ: "σς"), built once, in about 20 ms: a letter's own small letter may be only one
    of them. Beyond the plane a letter's variants are its lower() and upper()."""
    letters: dict[str, str] = {}
    for code in range(0x10000):
        char = chr(code)
        capital = char.upper()
        if len(capital) == 1 and capital != char:
            letters[capital] = letters.get(capital, "") + char
    return letters
