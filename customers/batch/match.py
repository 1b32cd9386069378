"""Validated rows of one chunk -> what to write: new customers, written customers, credits.

Rows are taken in order, as if sent one by one: a later line that matches a customer an
earlier line created or wrote sees that line's result. The chunk's existing customers are
read (and on PostgreSQL locked, in primary-key order) with a fixed number of queries.
"""

from dataclasses import dataclass, field

from accounts.models import Account
from campaigns.credits import Credit
from customers.columns import BLANK_PROFILE
from customers.selectors import customers_for_import

from . import messages as m
from .generate import IdentityGenerator
from .types import CustomerRow, GeneratedIdentity, LineError, OverwriteMode

CUSTOM_FIELD_PREFIX = "custom_field_"


@dataclass
class ChunkPlan:
    """What one chunk does. States are dicts of customer columns; written ones carry "id"."""

    inserts: dict[str, dict] = field(default_factory=dict)
    updates: dict[str, dict] = field(default_factory=dict)
    # Customer id -> every column as it was before this chunk first wrote it (for undo).
    previous: dict[int, dict] = field(default_factory=dict)
    # Code -> id of matched customers whose rows change nothing: not written, still
    # counted as updated, enrolled and credited.
    unchanged: dict[str, int] = field(default_factory=dict)
    credits: list[tuple[str, Credit]] = field(default_factory=list)
    generated: list[GeneratedIdentity] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    new: int = 0
    updated: int = 0
    ignored: int = 0


class ChunkMatcher:
    """Matches one chunk's rows against the account's customers and each other."""

    def __init__(self, *, account: Account, overwrite: OverwriteMode, generator: IdentityGenerator):
        self.account = account
        self.overwrite = overwrite
        self.generator = generator

    def plan(self, items: list[CustomerRow | LineError]) -> ChunkPlan:
        rows = [item for item in items if isinstance(item, CustomerRow)]
        self.result = ChunkPlan(errors=[item for item in items if isinstance(item, LineError)])
        # Every row has the same fields (the request's headers): look for custom ones once.
        self.custom_names = [
            name
            for name in (rows[0].values if rows else ())
            if name.startswith(CUSTOM_FIELD_PREFIX)
        ]
        self._load(rows)
        self.generator.prepare(
            codes=sum(1 for row in rows if row.code is None),
            card_numbers=sum(1 for row in rows if row.card_number is None),
            taken_codes={row.code for row in rows} | self.states.keys(),
            taken_card_numbers={row.card_number for row in rows} | self.card_holders.keys(),
        )
        for row in rows:
            error = self._take(row)
            if error is not None:
                self.result.errors.append(error)
        self.result.errors.sort(key=lambda error: error.line)
        return self.result

    def _load(self, rows: list[CustomerRow]) -> None:
        existing = customers_for_import(
            account=self.account,
            codes={row.code for row in rows if row.code is not None},
            card_numbers={row.card_number for row in rows if row.card_number is not None},
            usernames={
                row.values["customer_username"]
                for row in rows
                if row.values.get("customer_username")
            },
        )
        self.states = {state["code"]: state for state in existing}
        self.card_holders = {s["card_number"]: s["code"] for s in existing if s["card_number"]}
        self.username_holders = {
            s["customer_username"]: s["code"] for s in existing if s["customer_username"]
        }

    def _take(self, row: CustomerRow) -> LineError | None:
        target = self._target(row)
        error = self._identity_conflict(row, target)
        if error is not None:
            return error
        if target is not None and self.overwrite is OverwriteMode.IGNORE:
            self.result.ignored += 1
            return None
        error = self._username_conflict(row, target or row.code)
        if error is not None:
            return error
        if target is None:
            return self._create(row)
        return self._write(row, target)

    def _target(self, row: CustomerRow) -> str | None:
        """The code of the customer the row matches, or None for a new customer."""
        if row.code is not None:
            return row.code if row.code in self.states else None
        if row.card_number is not None:
            return self.card_holders.get(row.card_number)
        return None

    def _identity_conflict(self, row: CustomerRow, target: str | None) -> LineError | None:
        if row.card_number is None:
            return None
        holder = self.card_holders.get(row.card_number)
        if holder is None or holder == (target or row.code):
            return None
        if target is not None:
            message = m.CODE_AND_CARD_DISAGREE.format(code=row.code, card_number=row.card_number)
        else:
            message = m.CARD_NUMBER_TAKEN.format(card_number=row.card_number)
        return LineError(row.line, "card_number", message)

    def _username_conflict(self, row: CustomerRow, me: str | None) -> LineError | None:
        username = row.values.get("customer_username")
        holder = self.username_holders.get(username) if username else None
        if holder is None or holder == me:
            return None
        message = m.USERNAME_TAKEN.format(value=m.shown(username))
        return LineError(row.line, "customer_username", message)

    def _create(self, row: CustomerRow) -> LineError | None:
        code = row.code or self.generator.code()
        start = {**BLANK_PROFILE, "code": code, "card_number": None, "version": 1}
        state = _applied(start, row, self.custom_names)
        error = self._give_card_number(row, state)
        if error is not None:
            return error
        self._register(state)
        self.result.inserts[code] = state
        self.result.new += 1
        if row.code is None or (row.card_number is None and state["card_number"]):
            self.result.generated.append(
                GeneratedIdentity(row.line, state["code"], state["card_number"])
            )
        self._credit(row, code)
        return None

    def _write(self, row: CustomerRow, target: str) -> LineError | None:
        before = self.states[target]
        start = (
            dict(before) if self.overwrite is OverwriteMode.UPDATE else {**before, **BLANK_PROFILE}
        )
        state = _applied(start, row, self.custom_names)
        had_card = state["card_number"] is not None
        error = self._give_card_number(row, state)
        if error is not None:
            return error
        if state == before:
            # Nothing to write: version, updated_at and the undo data stay as they are, so
            # a sync that sends every customer again rewrites only those that changed.
            if "id" in before and target not in self.result.updates:
                self.result.unchanged[target] = before["id"]
        elif "id" in before:
            self.result.unchanged.pop(target, None)
            self.result.previous.setdefault(before["id"], before)
            state["version"] = before["version"] + 1
            self.result.updates[target] = state
        else:
            self.result.inserts[target] = state
        self._register(state)
        self.result.updated += 1
        if not had_card and state["card_number"]:
            self.result.generated.append(GeneratedIdentity(row.line, target, state["card_number"]))
        self._credit(row, target)
        return None

    def _give_card_number(self, row: CustomerRow, state: dict) -> LineError | None:
        if state["card_number"] is not None or not self.generator.digits:
            return None
        card_number = self.generator.card_number()
        if card_number is None:
            message = m.NO_FREE_CARD_NUMBER.format(digits=self.generator.digits)
            return LineError(row.line, "card_number", message)
        state["card_number"] = card_number
        return None

    def _register(self, state: dict) -> None:
        # Identities a customer gives up stay reserved until the chunk is written, so no
        # statement of the chunk can collide with a value another row still holds.
        self.states[state["code"]] = state
        if state["card_number"]:
            self.card_holders[state["card_number"]] = state["code"]
        if state["customer_username"]:
            self.username_holders[state["customer_username"]] = state["code"]

    def _credit(self, row: CustomerRow, code: str) -> None:
        if row.credit is not None:
            self.result.credits.append((code, row.credit))


def _applied(start: dict, row: CustomerRow, custom_names: list[str]) -> dict:
    """`start` with the row's values written over it (a new dict); the row's custom_field_N
    values (`custom_names`) go into custom_fields, a blank one removing its key."""
    state = {**start, **row.values}
    if custom_names:
        custom = dict(state["custom_fields"])
        for name in custom_names:
            value = state.pop(name)
            if value:
                custom[name] = value
            else:
                custom.pop(name, None)
        state["custom_fields"] = custom
    if row.card_number is not None:
        state["card_number"] = row.card_number
    return state
