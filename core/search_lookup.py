"""The admin search's `contains`, blind to the case of every letter on SQLite too.

Django's `icontains` is `LIKE` on SQLite, whose case folding knows ASCII only: "AMÉLIE"
found no "amélie" there (shop owner), while PostgreSQL's `UPPER ... LIKE` folds every
letter its locale knows. On SQLite a search word with a character outside ASCII is matched
with `GLOB`, each letter as a class of its case variants (`*[Aa][Mm][Éé][Ll][Ii][Ee]*`),
behind a `LIKE` that narrows the rows (narrowing_likes): a GLOB whose `*` is followed by a
class tries every position of every value, four times LIKE's time, while a LIKE skips to
its first letter. docs/decisions.md, "The customer search finds a capital's small letter
on SQLite too". An ASCII word keeps Django's `LIKE`; PostgreSQL keeps `icontains`.
"""

from collections.abc import Callable
from functools import cache

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import CharField, Lookup, TextField
from django.db.models.lookups import IContains
from django.db.models.sql.compiler import SQLCompiler

# GLOB's own characters outside a class; each is matched as itself inside one. `]` is
# plain text outside a class, and `%` and `_` mean nothing to GLOB.
GLOB_SPECIALS = frozenset("*?[")


@CharField.register_lookup
@TextField.register_lookup
class CaseBlindContains(Lookup):
    """`icontains`, but a word with a character outside ASCII is a case-variant GLOB on
    SQLite, where LIKE leaves such letters' case as typed."""

    lookup_name = "case_blind_contains"
    prepare_rhs = True

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, tuple[str | int, ...]]:
        return compiler.compile(IContains(self.lhs, self.rhs))

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, tuple[str | int, ...]]:
        if not (self.rhs_is_direct_value() and isinstance(self.rhs, str)) or self.rhs.isascii():
            return self.as_sql(compiler, connection)
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        likes = narrowing_likes(self.rhs, connection.ops.prep_for_like_query)
        narrowed = " OR ".join([f"{lhs_sql} LIKE %s ESCAPE '\\'"] * len(likes))
        params = [param for like in likes for param in (*lhs_params, like)]
        return (
            f"(({narrowed}) AND {lhs_sql} GLOB %s)",
            (*params, *lhs_params, glob_contains(self.rhs)),
        )


def narrowing_likes(word: str, escaped: Callable[[str], str]) -> list[str]:
    """LIKE patterns of which every value holding `word` in any case matches one: the
    word's ASCII characters (LIKE folds their case) with any one character for each other
    (`%AM_LIE%`); for a word with none, its first letter in each of its cases (`%Ж%`,
    `%ж%`), which LIKE finds as fast, where GLOB's `*[Жж]` tries every position."""
    if any(char.isascii() for char in word):
        return ["%" + "".join(escaped(c) if c.isascii() else "_" for c in word) + "%"]
    return [f"%{variant}%" for variant in case_variants(word[0])]


def glob_contains(word: str) -> str:
    """A GLOB pattern matching any text that holds `word`, each letter outside ASCII as any
    letter of the same capital, as PostgreSQL's `UPPER(...) LIKE UPPER(...)` matches it (σ
    and ς for Σ), an ASCII letter as its two cases, as LIKE matches it (i, not ı); a letter
    whose capital is not one character (ß's is "SS") matches itself and its small letter."""
    return "*" + "".join(_glob_char(char) for char in word) + "*"


def _glob_char(char: str) -> str:
    variants = case_variants(char)
    if len(variants) > 1:
        # No letter's case variant is `]`, `^` or `-`, which a class would read.
        return "[" + "".join(variants) + "]"
    return f"[{char}]" if char in GLOB_SPECIALS else char


def case_variants(char: str) -> list[str]:
    """`char` and the one-character letters of its case (see glob_contains), `char` first."""
    variants = dict.fromkeys(v for v in (char, char.lower(), char.upper()) if len(v) == 1)
    if not char.isascii():
        variants.update(dict.fromkeys(_same_capital().get(char.upper(), "")))
    return list(variants)


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
