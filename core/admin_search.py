"""A bound on what one admin search may ask of the database, for every admin with a search.

Django's admin search ANDs, for each word of the term, one OR over every search field
(`icontains` on each): 800 words made one query of 800 x 6 LIKEs that took 11 s on an
almost empty shop (seventh red team). A search here uses its first SEARCH_MAX_WORDS words,
each cut to SEARCH_MAX_WORD_CHARS characters, and tells staff so; the rest of the term is
not searched. docs/decisions.md, "An admin search uses its first 10 words".

Each plain text field is searched with core.search_lookup's `case_blind_contains` rather
than `icontains`, so that a capital finds its small letter on SQLite too (AMÉLIE, amélie)
and a letter its accented and unaccented forms on both databases (Severine, Séverine).
"""

from typing import TYPE_CHECKING

from django.contrib import admin, messages
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest
from django.utils.text import smart_split

from core.search_lookup import CaseBlindContains

SEARCH_MAX_WORDS = 10
SEARCH_MAX_WORD_CHARS = 100
SEARCH_CUT = (
    "Search uses the first {words} words, each up to {chars} characters; the rest of "
    "your search was left out."
)

if TYPE_CHECKING:
    _AdminBase = admin.ModelAdmin
else:
    _AdminBase = object


def bounded_search_term(search_term: str) -> tuple[str, bool]:
    """`search_term` with no NUL, at most SEARCH_MAX_WORDS words (as Django splits them,
    a quoted phrase being one), each at most SEARCH_MAX_WORD_CHARS characters; and whether
    anything was left out. A NUL can be in no stored text (PostgreSQL refuses it in a
    query's parameters, a DataError): it is dropped, not counted as a cut."""
    words = list(smart_split(search_term.replace("\x00", "")))
    kept = [word[:SEARCH_MAX_WORD_CHARS] for word in words[:SEARCH_MAX_WORDS]]
    return " ".join(kept), kept != words


class BoundedSearchMixin(_AdminBase):
    """Every ModelAdmin's search, its list's and its autocomplete's, goes through here."""

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        term, cut = bounded_search_term(search_term)
        if cut and not _is_autocomplete(request):
            # Autocomplete answers JSON: a message would wait for the next page and puzzle.
            self.message_user(
                request,
                SEARCH_CUT.format(words=SEARCH_MAX_WORDS, chars=SEARCH_MAX_WORD_CHARS),
                messages.WARNING,
            )
        return super().get_search_results(request, queryset, term)

    def get_search_fields(self, request: HttpRequest) -> list[str]:
        """The search fields, each text field (Django's `icontains`) with the case- and
        accent-blind contains instead; prefixed ones (`=id`) and other fields as they are."""
        return [_case_blind(self.model, str(spec)) for spec in super().get_search_fields(request)]


def _case_blind(model: type[models.Model], spec: str) -> str:
    if spec[:1] in ("^", "=", "@"):
        return spec
    opts = model._meta
    field = None
    for part in spec.split(LOOKUP_SEP):
        try:
            field = opts.get_field(opts.pk.name if part == "pk" else part)
        except FieldDoesNotExist:
            return spec  # it names its lookup
        path_infos = getattr(field, "path_infos", None)
        if path_infos:
            opts = path_infos[-1].to_opts
    if isinstance(field, models.CharField | models.TextField):
        return f"{spec}{LOOKUP_SEP}{CaseBlindContains.lookup_name}"
    return spec


def _is_autocomplete(request: HttpRequest) -> bool:
    match = getattr(request, "resolver_match", None)
    return match is not None and match.url_name == "autocomplete"
