"""Random codes and card numbers, unique in the account.

A value is drawn uniformly from the free values of its space. Per chunk, random candidates
are checked against the database, one query per round; when a space is too dense for a few
rounds to find enough, its free values are counted exactly (one query reads the account's
values of that length) and drawn from, so generation fails only when the space is used up.
The unique constraints still guard against a concurrent import drawing the same value: the
import runs again (retry.py) and then sees the other's customers.
"""

import bisect
import math
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from accounts.models import Account
from customers.selectors import existing_values, values_of_length

CODE_DIGITS = 16
# Rounds of random candidates before the free values are counted exactly.
DRAW_ROUNDS = 3
# The most candidates one round checks. Needing more (or more than half the space) means
# the space is dense: reading its taken values is cheaper than guessing.
MAX_CANDIDATES = 50_000

_random = secrets.SystemRandom()


@dataclass(frozen=True)
class Space:
    """The `size` numbers from `low`, written with exactly `digits` digits."""

    digits: int
    low: int
    size: int

    def value(self, number: int) -> str:
        return f"{self.low + number:0{self.digits}d}"

    def number(self, value: str) -> int | None:
        """`value`'s place in the space, or None if it is not one of its values."""
        if len(value) != self.digits or not (value.isascii() and value.isdigit()):
            return None
        number = int(value) - self.low
        return number if 0 <= number < self.size else None


# No leading zero: integrators often keep the code in an integer column.
CODES = Space(digits=CODE_DIGITS, low=10 ** (CODE_DIGITS - 1), size=9 * 10 ** (CODE_DIGITS - 1))


def card_number_space(digits: int) -> Space:
    """N-digit card numbers: any N digits, leading zeros included (10**N of them)."""
    return Space(digits=digits, low=0, size=10**digits)


class IdentityGenerator:
    def __init__(self, *, account: Account, digits: int | None):
        self.account = account
        self.digits = digits
        self._codes: list[str] = []
        self._card_numbers: list[str] = []

    def prepare(
        self,
        *,
        codes: int,
        card_numbers: int,
        taken_codes: Iterable[str | None],
        taken_card_numbers: Iterable[str | None],
    ) -> None:
        """Draw free values for a chunk that may need `codes` and `card_numbers`: that many,
        or every free one if fewer are left. Values handed out by an earlier chunk are in
        the database by now (each chunk is written before the next is prepared)."""
        self._codes = self._draw("code", CODES, codes, taken_codes)
        if self.digits:
            space = card_number_space(self.digits)
            self._card_numbers = self._draw("card_number", space, card_numbers, taken_card_numbers)

    def code(self) -> str:
        return self._codes.pop()

    def card_number(self) -> str | None:
        return self._card_numbers.pop() if self._card_numbers else None

    def _draw(self, field: str, space: Space, count: int, given: Iterable[str | None]) -> list[str]:
        """`count` free values of `space` (fewer if fewer are free), in random order: the
        values come out of sets of numbers, which iterate in nearly sorted order, and the
        lines take them in turn, so line 1 would otherwise get a predictable one."""
        values = self._draw_ordered(field, space, count, given)
        _random.shuffle(values)
        return values

    def _draw_ordered(
        self, field: str, space: Space, count: int, given: Iterable[str | None]
    ) -> list[str]:
        taken = {value for value in given if value is not None}
        free: set[str] = set()
        checked = 0
        for _ in range(DRAW_ROUNDS):
            missing = count - len(free)
            if missing <= 0:
                return list(free)
            # As many candidates as the share found free so far says are needed, an eighth
            # more and a few to spare, so a sparse space takes one round.
            share = len(free) / checked if checked else 1.0
            if not share:
                # Nothing free among all checked: guessing more would not find any.
                break
            wanted = math.ceil((missing + 8) / share * 1.125)
            if wanted > MAX_CANDIDATES or wanted > space.size // 2:
                break
            numbers = _distinct_numbers(space.size, wanted)
            checked += len(numbers)
            candidates = {space.value(number) for number in numbers} - taken - free
            free |= candidates - existing_values(
                account=self.account, field=field, values=candidates
            )
        missing = count - len(free)
        if missing <= 0:
            return list(free)
        held = values_of_length(account=self.account, field=field, length=space.digits)
        return [*free, *_draw_free(space, missing, [*held, *taken, *free])]


def _draw_free(space: Space, count: int, held: Iterable[str]) -> list[str]:
    """`count` distinct values of `space` outside `held`, uniformly at random, or all the
    free ones if fewer are left; works without listing the space (10**32 for 32 digits)."""
    taken = sorted({number for value in held if (number := space.number(value)) is not None})
    # The k-th free number (from 0) is k plus the count of taken numbers below it. taken[i]
    # has taken[i] - i free numbers below it, so it lies below the k-th free number exactly
    # when taken[i] - i <= k: a count bisect finds in that non-decreasing list.
    below = [number - i for i, number in enumerate(taken)]
    free = space.size - len(taken)
    ranks = _distinct_numbers(free, min(count, free))
    return [space.value(rank + bisect.bisect_right(below, rank)) for rank in ranks]


def _distinct_numbers(size: int, count: int) -> set[int]:
    """`count` distinct numbers from 0 to size - 1, uniformly at random (count <= size)."""
    if 2 * count > size:
        # Only for a small range: at most twice the count, which is at most a chunk's.
        return set(_random.sample(range(size), count))
    numbers: set[int] = set()
    while len(numbers) < count:
        numbers.add(secrets.randbelow(size))
    return numbers
