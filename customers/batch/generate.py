"""Random codes and card numbers, unique in the account.

Candidates are drawn per chunk and checked against the database with one query per kind;
the unique constraints still guard against a concurrent import drawing the same value.
"""

import secrets
from collections.abc import Iterable

from accounts.models import Account
from customers.selectors import existing_values

CODE_DIGITS = 16
# Rounds of drawing before giving up on a nearly full card number space (4 digits, say).
MAX_ROUNDS = 8


class IdentityGenerator:
    def __init__(self, *, account: Account, digits: int | None):
        self.account = account
        self.digits = digits
        self._codes: list[str] = []
        self._card_numbers: list[str] = []
        self._issued_codes: set[str] = set()
        self._issued_card_numbers: set[str] = set()

    def prepare(
        self,
        *,
        codes: int,
        card_numbers: int,
        taken_codes: Iterable[str | None],
        taken_card_numbers: Iterable[str | None],
    ) -> None:
        """Draw enough free values for a chunk that may need `codes` and `card_numbers`."""
        self._codes = self._draw("code", codes, _random_code, set(taken_codes))
        if self.digits:
            self._card_numbers = self._draw(
                "card_number", card_numbers, self._random_card_number, set(taken_card_numbers)
            )

    def code(self) -> str:
        return self._codes.pop()

    def card_number(self) -> str | None:
        return self._card_numbers.pop() if self._card_numbers else None

    def _draw(self, field: str, count: int, draw, taken: set) -> list[str]:
        issued = self._issued_codes if field == "code" else self._issued_card_numbers
        free: set[str] = set()
        for _ in range(MAX_ROUNDS):
            missing = count - len(free)
            if missing <= 0:
                break
            candidates = {draw() for _ in range(missing)} - taken - issued - free
            free |= candidates - existing_values(
                account=self.account, field=field, values=candidates
            )
        issued |= free
        return list(free)

    def _random_card_number(self) -> str:
        return f"{secrets.randbelow(10**self.digits):0{self.digits}d}"


def _random_code() -> str:
    # No leading zero: integrators often keep the code in an integer column.
    return str(10 ** (CODE_DIGITS - 1) + secrets.randbelow(9 * 10 ** (CODE_DIGITS - 1)))
