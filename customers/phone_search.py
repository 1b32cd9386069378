"""The customer search's reading of a term that is a phone number ("06 11 11 11 11",
"+33 6 10 20 30 40", "0033.6.10.20.30.40"): one number, not words.

Django's search ANDs a term's words across the search fields, so "06 11 11 11 11" found
every customer holding "06" and "11" anywhere ("06 09 10 11 12", shop owner). A term that
is a phone number is searched as one: the phone's digits (`Customer.phone_digits`, its
separators removed by the database) holding the term's, or the same number in its other
form, national (trunk 0) or international (+ or 00 and a country code); and every other
search field holding the term as typed or without its separators (a code or card number
of digits). docs/decisions.md, "A phone number typed with spaces is one number".
"""

import re

from django.db.models import Q

from core.search_lookup import CaseBlindContains

from .models import PHONE_SEPARATORS

# Digits with the phone's separators, perhaps after a +; the term's digits are at least
# PHONE_MIN_DIGITS, so "06 12" is still two words (a code "06" and a name "12" match).
PHONE_NUMBER_TERM = re.compile(r"\+?[0-9 .()\-]+")
PHONE_MIN_DIGITS = 6
PHONE_TERM_MAX_CHARS = 100
# The other search fields a phone-number term may be in.
NUMBER_FIELDS = ("code", "card_number")
# ITU-T E.164's country codes of one and two digits; every other code has three, whose
# first two digits are none of these (the codes are prefix-free: a number's code is read
# from its first digits alone).
ONE_DIGIT_CODES = ("1", "7")
TWO_DIGIT_CODES = (
    "20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 "
    "60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98"
).split()
# Any country code, as a regular expression both Python's re (SQLite's REGEXP, in Django)
# and PostgreSQL's `~` read.
COUNTRY_CODE = (
    "(?:"
    + "|".join(ONE_DIGIT_CODES)
    + "|"
    + "|".join(TWO_DIGIT_CODES)
    + "|"
    + "|".join(
        f"{a}{b}[0-9]" for a in "2345689" for b in "0123456789" if a + b not in TWO_DIGIT_CODES
    )
    + ")"
)


def phone_number_search(term: str) -> Q | None:
    """The customers a phone-number `term` finds, or None if `term` is no phone number
    (then Django's search and the phone-digits match apply)."""
    term = term.strip()
    digits = without_separators(term)
    if (
        len(term) > PHONE_TERM_MAX_CHARS
        or not PHONE_NUMBER_TERM.fullmatch(term)
        or sum(char.isdigit() for char in digits) < PHONE_MIN_DIGITS
    ):
        return None
    found = Q(phone_digits__contains=digits)
    for field in NUMBER_FIELDS:
        for value in dict.fromkeys((term, digits)):
            found |= Q(**{f"{field}__{CaseBlindContains.lookup_name}": value})
    return found | _other_forms(digits)


def without_separators(text: str) -> str:
    for separator in PHONE_SEPARATORS:
        text = text.replace(separator, "")
    return text


def _other_forms(digits: str) -> Q:
    """The phones that are the number `digits` in its other form: "0610203040" is
    "+33 6 10 20 30 40" (after any country code); "+33610203040" and "0033610203040" are
    "06 10 20 30 40", each other and "+33 (0)6 10 20 30 40"."""
    if digits.startswith("0") and not digits.startswith("00"):
        national = digits[1:]
        # The LIKE first: the regular expression (a Python call per row on SQLite) only
        # tests the few phones holding the digits.
        return Q(phone_digits__contains=national) & Q(
            phone_digits__regex=f"^(?:\\+|00){COUNTRY_CODE}{national}"
        )
    international = digits[1:] if digits.startswith("+") else digits[2:]
    code = _country_code(international)
    national = international[len(code) :]
    contained = [prefix + international for prefix in ("+", "00")]
    if national and not national.startswith("0"):
        # "+33 (0)6 10 20 30 40": the trunk 0 kept in brackets.
        contained += [f"{prefix}{code}0{national}" for prefix in ("+", "00")]
    forms = Q()
    for form in contained:
        if form != digits:
            forms |= Q(phone_digits__contains=form)
    if national:
        forms |= Q(phone_digits__startswith="0" + national)
        if national.startswith("0"):
            # Italy's numbers keep their 0 (+39 06 ... is 06 ...), and "+33 (0)6 ...".
            forms |= Q(phone_digits__startswith=national)
    return forms


def _country_code(international: str) -> str:
    for length, codes in ((1, ONE_DIGIT_CODES), (2, TWO_DIGIT_CODES)):
        if international[:length] in codes:
            return international[:length]
    return international[:3]
