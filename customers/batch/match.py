"""Validated rows of one chunk -> what to write: new customers, written customers, credits.

Rows are taken in order, as if sent one by one: a later line that matches a customer an
earlier line created or wrote sees that line's result. The chunk's existing customers are
read (and on PostgreSQL locked, in primary-key order) with a fixed number of queries.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from accounts.models import Account
from campaigns.credits import Credit
from customers.columns import BLANK_PROFILE
from customers.selectors import customers_for_import

from . import messages as m
from .generate import IdentityGenerator
from .types import (
    CustomerRecord,
    CustomerRow,
    GeneratedIdentity,
    LineError,
    OverwriteMode,
    lines_of,
)

CUSTOM_FIELD_PREFIX = "custom_field_"


@dataclass
class ChunkPlan:
    """What one chunk does: customer records by code, new ones and written ones (which
    carry their "id")."""

    inserts: dict[str, CustomerRecord] = field(default_factory=dict)
    updates: dict[str, CustomerRecord] = field(default_factory=dict)
    # Customer id -> every column as it was before this chunk first wrote it (for undo).
    previous: dict[int, CustomerRecord] = field(default_factory=dict)
    # Code -> id of matched customers whose rows change nothing: not written, still
    # counted as updated, enrolled and credited.
    unchanged: dict[str, int] = field(default_factory=dict)
    credits: list[tuple[str, Credit]] = field(default_factory=list)
    generated: list[GeneratedIdentity] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    # The lines `errors` are of (a line of refused values has an error per field).
    failed: int = 0
    new: int = 0
    updated: int = 0
    # Of `updated`: the rows that leave their customer as it was (the admin's preview
    # counts them apart, as Unchanged).
    unchanged_rows: int = 0
    ignored: int = 0
    # Of `updated` or `ignored`: the rows that matched a customer an earlier line of this
    # import created (the admin says them apart; the contract counts them as matched).
    repeated: int = 0


class ChunkMatcher:
    """Matches one chunk's rows against the account's customers and each other."""

    def __init__(self, *, account: Account, overwrite: OverwriteMode, generator: IdentityGenerator):
        self.account = account
        self.overwrite = overwrite
        self.generator = generator
        # Codes of the customers this matcher created: a request's one matcher sees them
        # over all its chunks, a stream's matcher of one chunk over that chunk.
        self.created: set[str] = set()

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
            taken_codes={row.code for row in rows} | self.customers.keys(),
            taken_card_numbers={row.card_number for row in rows} | self.card_holders.keys(),
        )
        for row in rows:
            error = self._take(row)
            if error is not None:
                self.result.errors.append(error)
        # Stable: a line's errors keep their column order.
        self.result.errors.sort(key=lambda error: error.line)
        self.result.failed = lines_of(self.result.errors)
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
        # Code -> the customer's record as this chunk has left it so far.
        self.customers: dict[str, CustomerRecord] = {c["code"]: c for c in existing}
        self.card_holders = {c["card_number"]: c["code"] for c in existing if c["card_number"]}
        self.username_holders = {
            c["customer_username"]: c["code"] for c in existing if c["customer_username"]
        }

    def _take(self, row: CustomerRow) -> LineError | None:
        target = self._target(row)
        error = self._identity_conflict(row, target)
        if error is not None:
            return error
        if target is not None and self.overwrite is OverwriteMode.IGNORE:
            self.result.ignored += 1
            self.result.repeated += target in self.created
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
            return row.code if row.code in self.customers else None
        if row.card_number is not None:
            holder = self.card_holders.get(row.card_number)
            # A card number its holder gave up earlier in the chunk stays reserved (see
            # _register) but names no one: such a line is refused as "already held".
            if holder is not None and self.customers[holder]["card_number"] == row.card_number:
                return holder
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
        if not username:
            return None
        holder = self.username_holders.get(username)
        if holder is None or holder == me:
            return None
        message = m.USERNAME_TAKEN.format(value=m.shown(username))
        return LineError(row.line, "customer_username", message)

    def _create(self, row: CustomerRow) -> LineError | None:
        code = row.code or self.generator.code()
        start = {**BLANK_PROFILE, "code": code, "card_number": None, "version": 1}
        record = _applied(start, row, self.custom_names)
        error = self._give_card_number(row, record)
        if error is not None:
            return error
        self._register(record)
        self.result.inserts[code] = record
        self.created.add(code)
        self.result.new += 1
        if row.code is None or (row.card_number is None and record["card_number"]):
            self.result.generated.append(
                GeneratedIdentity(row.line, record["code"], record["card_number"])
            )
        self._credit(row, code)
        return None

    def _write(self, row: CustomerRow, target: str) -> LineError | None:
        before = self.customers[target]
        start = (
            dict(before) if self.overwrite is OverwriteMode.UPDATE else {**before, **BLANK_PROFILE}
        )
        record = _applied(start, row, self.custom_names)
        had_card = record["card_number"] is not None
        error = self._give_card_number(row, record)
        if error is not None:
            return error
        repeated = target in self.created
        if record == before:
            # A repeat of a new customer is counted as a repeat, not as Unchanged.
            self.result.unchanged_rows += not repeated
            # Nothing to write: version, updated_at and the undo data stay as they are, so
            # a sync that sends every customer again rewrites only those that changed.
            if "id" in before and target not in self.result.updates:
                self.result.unchanged[target] = before["id"]
        elif "id" in before:
            self.result.unchanged.pop(target, None)
            self.result.previous.setdefault(before["id"], before)
            record["version"] = before["version"] + 1
            self.result.updates[target] = record
        else:
            self.result.inserts[target] = record
        self._register(record)
        self.result.updated += 1
        self.result.repeated += repeated
        if not had_card and record["card_number"]:
            self.result.generated.append(GeneratedIdentity(row.line, target, record["card_number"]))
        self._credit(row, target)
        return None

    def _give_card_number(self, row: CustomerRow, record: CustomerRecord) -> LineError | None:
        if record["card_number"] is not None or not self.generator.digits:
            return None
        card_number = self.generator.card_number()
        if card_number is None:
            message = m.NO_FREE_CARD_NUMBER.format(digits=self.generator.digits)
            return LineError(row.line, "card_number", message)
        record["card_number"] = card_number
        return None

    def _register(self, record: CustomerRecord) -> None:
        # Identities a customer gives up stay reserved until the chunk is written, so no
        # statement of the chunk can collide with a value another row still holds.
        self.customers[record["code"]] = record
        if record["card_number"]:
            self.card_holders[record["card_number"]] = record["code"]
        if record["customer_username"]:
            self.username_holders[record["customer_username"]] = record["code"]

    def _credit(self, row: CustomerRow, code: str) -> None:
        if row.credit is not None:
            self.result.credits.append((code, row.credit))


def _applied(start: Mapping[str, Any], row: CustomerRow, custom_names: list[str]) -> CustomerRecord:
    """`start` with the row's values written over it (a new dict); the row's custom_field_N
    values (`custom_names`) go into custom_fields, a blank one removing its key."""
    record: dict[str, Any] = {**start, **row.values}
    if custom_names:
        custom = dict(record["custom_fields"])
        for name in custom_names:
            value = record.pop(name)
            if value:
                custom[name] = value
            else:
                custom.pop(name, None)
        record["custom_fields"] = custom
    if row.card_number is not None:
        record["card_number"] = row.card_number
    # `start` holds every column (a record, or BLANK_PROFILE and the identities) and the
    # row's values are columns or the custom_field_N moved out above: a CustomerRecord,
    # which a merge of dicts cannot show mypy.
    return cast(CustomerRecord, record)
