"""Customers of an account, the undo states of imports, and remembered request ids."""

import zlib

import orjson
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Replace

from accounts.models import Account

# What people put between a phone number's digits: the search ignores them (issue 14).
PHONE_SEPARATORS = (" ", ".", "-", "(", ")")


def _phone_without_separators() -> Replace:
    """The phone with PHONE_SEPARATORS removed, as SQL both databases run (REPLACE)."""
    first, *others = PHONE_SEPARATORS
    expression = Replace(models.F("phone"), models.Value(first), models.Value(""))
    for separator in others:
        expression = Replace(expression, models.Value(separator), models.Value(""))
    return expression


# The longest value of an API 1.5 custom_field_N (kept in custom_fields, which has no
# length of its own).
CUSTOM_FIELD_MAX_LENGTH = 255


ANOTHER_CUSTOMER_HAS = "Another customer of this account already has {label} {value}."


class Customer(models.Model):
    # No index of its own: the unique (account, code) index leads with the account, and
    # PostgreSQL, with the statistics of a table growing inside one import, would pick a
    # lone account index and filter every customer of the account by code.
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="customers", db_index=False
    )
    code = models.CharField(max_length=64, help_text="The shop's id for the customer.")
    # NULL, never '', when missing: unique constraints ignore NULLs.
    card_number = models.CharField(max_length=32, null=True, blank=True)  # noqa: DJ001
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.CharField(max_length=254, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    # The phone as the admin's search matches it, stored and written by the database
    # itself, so every write path (the import's raw upserts, the admin, a rollback) keeps
    # it true without code of its own; a search reads it as it reads `phone` (one LIKE per
    # row, no function per row: docs/decisions.md has the figures).
    phone_digits = models.GeneratedField(
        expression=_phone_without_separators(),
        output_field=models.CharField(max_length=32, blank=True),
        db_persist=True,
        editable=False,
    )
    # The contract's custom_date; shops keep a birthday in it.
    custom_date = models.DateField(
        "birthday / custom date",
        null=True,
        blank=True,
        help_text=(
            "Like 2024-12-31, or 31/12/2024 or 12/31/2024 when the date can be read only one "
            "way; the file column custom_date (Birthday / custom date in the admin's export)."
        ),
    )
    street1 = models.CharField(max_length=200, blank=True)
    street2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=100, blank=True)
    custom_field = models.CharField(max_length=255, blank=True)
    customer_username = models.CharField(max_length=150, null=True, blank=True)  # noqa: DJ001
    customer_password = models.CharField(max_length=128, blank=True, help_text="A hash.")
    customer_pin = models.CharField("customer PIN", max_length=128, blank=True, help_text="A hash.")
    # API 1.5's per-account custom_field_1..N, by name.
    custom_fields = models.JSONField(default=dict, blank=True)
    # Raised by every write (import, admin, rollback): a rollback compares it with the
    # version the import left to find customers changed since.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["account", "code"]
        constraints = [
            models.UniqueConstraint(fields=["account", "code"], name="customer_unique_code"),
            models.UniqueConstraint(
                fields=["account", "card_number"], name="customer_unique_card_number"
            ),
            models.UniqueConstraint(
                fields=["account", "customer_username"], name="customer_unique_username"
            ),
            models.CheckConstraint(condition=~models.Q(code=""), name="customer_code_not_blank"),
            models.CheckConstraint(
                condition=~models.Q(card_number=""), name="customer_card_number_null_not_blank"
            ),
            models.CheckConstraint(
                condition=~models.Q(customer_username=""), name="customer_username_null_not_blank"
            ),
        ]

    def __str__(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return f"{self.code} {name}".strip()

    def unique_error_message(self, model_class, unique_check):
        """A form's refusal of a code, card number or username another customer of the
        account has, in a person's words: Django's "Customer with this Account and Code
        already exists." named the account, which the form does not change (shop owner,
        ninth run)."""
        fields = tuple(unique_check)
        if len(fields) == 2 and fields[0] == "account":
            field = self._meta.get_field(fields[1])
            label = getattr(field, "verbose_name", fields[1])
            value = getattr(self, fields[1])
            return ValidationError(
                ANOTHER_CUSTOMER_HAS.format(label=label, value=value),
                code="unique_together",
            )
        return super().unique_error_message(model_class, unique_check)


class UndoState(models.Model):
    """One import: who, when, from where, what it asked, what it did, and how to undo it."""

    class Source(models.TextChoices):
        API = "api", "API"
        ADMIN = "admin", "Admin"
        COMMAND = "command", "Command line"

    class Status(models.TextChoices):
        UNDOABLE = "undoable", "Undoable"
        ROLLED_BACK = "rolled_back", "Rolled back"
        PRUNED = "pruned", "Undo data pruned"
        # Every line failed: nothing was written, so there is nothing to roll back; the
        # state is kept for its counts and its failed lines. Its label is also what an
        # undoable import that changed nothing is said to be (status_shown).
        NOTHING_WRITTEN = "nothing_written", "Nothing to roll back"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="undo_states")
    created_at = models.DateTimeField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source = models.CharField(max_length=16, choices=Source.choices)
    parameters = models.JSONField(default=dict)
    new = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    # Of `updated` (the contract's count): the lines that left their customer as it was,
    # which the admin says apart as Unchanged (customers/import_counts.py). NULL: an import
    # recorded before they were counted; they cannot be told from its undo data (a line
    # repeating a customer an earlier line changed writes nothing either).
    unchanged = models.PositiveIntegerField(null=True, blank=True, default=0)
    # Of `updated` or `ignored`: the lines that matched a customer an earlier line of the
    # import created (ImportResult.repeated; the admin's Repeated). An import recorded
    # before they were counted has 0: its pages say its counts as they did.
    repeated = models.PositiveIntegerField(default=0)
    ignored = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.UNDOABLE)
    rolled_back_at = models.DateTimeField(null=True, blank=True)
    rolled_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # What the rollback did: {"deleted", "restored", "enrollments_removed",
    # "credits_removed"}; the undo state's page shows it once the undo data is gone.
    rollback_result = models.JSONField(null=True, blank=True, editable=False)
    # For each customer the rollback gave its values back: [id, the version the rollback
    # left, the version whose values those are], compressed (pack_versions). An earlier
    # import's rollback follows these to see that a customer is as that import left it.
    restored_versions = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["account", "-created_at"]),
            # Pruning after every import reads the newest undoable states past the kept
            # ones: without this it would walk the account's whole import history.
            models.Index(
                fields=["account", "-created_at", "-id"],
                condition=models.Q(status="undoable"),
                name="undo_state_undoable_newest",
            ),
        ]
        permissions = [("rollback_undostate", "Can roll back an import")]
        # Shop words (a shop owner read "Undo states" in the sidebar): each is an import,
        # titled "Import 4 of spring.csv into Great Widgets", and the list is their history.
        verbose_name = "import"
        verbose_name_plural = "import history"

    def __str__(self) -> str:
        """ "Import 4 of spring.csv into Great Widgets": the page's title. Its status is
        not in it: the page shows it, and the list has a column for it."""
        file_name = self.parameters.get("file_name")
        of = f" of {file_name}" if file_name else ""
        return f"Import {self.pk}{of} into {self.account.display_name}"

    def status_shown(self) -> str:
        """The status as staff read it: an undoable import that changed nothing has nothing
        to roll back, as one whose every line failed, and as its page says (its undo data
        holds nothing). One wording for one meaning: the page says why."""
        if self.status == self.Status.UNDOABLE and self.changed_nothing():
            return self.Status.NOTHING_WRITTEN.label
        return self.get_status_display()

    @staticmethod
    def changed_nothing_condition() -> models.Q:
        """changed_nothing() as a condition of a query annotated with `gave_enrollments` and
        `gave_credits` (the admin's list filters on it: customers/admin.py)."""
        return models.Q(
            status=UndoState.Status.UNDOABLE,
            new=0,
            unchanged__isnull=False,
            updated=models.F("unchanged"),
            gave_enrollments=False,
            gave_credits=False,
        )

    def changed_nothing(self) -> bool:
        """From the row alone: no customer new, every matched line unchanged, and no
        enrollment or credit given (`gave_enrollments`, `gave_credits`: EXISTS the admin
        annotates, customers/admin.py; without them it may have given some). An import
        recorded before unchanged lines were counted cannot tell."""
        return (
            self.new == 0
            and self.unchanged is not None
            and self.updated == self.unchanged
            and getattr(self, "gave_enrollments", True) is False
            and getattr(self, "gave_credits", True) is False
        )

    @staticmethod
    def pack_versions(triples: list[tuple[int, int, int]]) -> bytes:
        return zlib.compress(orjson.dumps(triples), 1)

    def unpack_versions(self) -> list[list[int]]:
        if self.restored_versions is None:
            return []
        return orjson.loads(zlib.decompress(bytes(self.restored_versions)))


# The previous values an undo chunk's summary keeps of each written customer, in order.
SUMMARY_COLUMNS = ("version", "code", "card_number", "customer_username")


class UndoChunk(models.Model):
    """The undo data of one chunk of an import, stored compressed: one row per chunk keeps
    recording cheap for 100,000-row imports.

    `payload` holds {"created": [customer ids], "columns": [names], "written": [[id,
    version_after, [previous values in columns' order]], ...]} (chunks written before
    "columns" existed hold a dict of previous values instead); enrollments and credits are
    found by their undo_state column.

    `summary` holds what a conflict check and the undo state's counts need, without every
    previous value: {"created": [ids], "written": [[id, version_after, version_before,
    code, card_number, customer_username before], ...]}; chunks recorded before it existed
    have none (unpack_summary derives it from the payload).
    """

    # Indexed by undo_chunk_unique_seq (undo_state, seq), which leads with it.
    undo_state = models.ForeignKey(
        UndoState, on_delete=models.CASCADE, related_name="chunks", db_index=False
    )
    seq = models.PositiveIntegerField()
    payload = models.BinaryField()
    summary = models.BinaryField(null=True)

    class Meta:
        ordering = ["undo_state", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["undo_state", "seq"], name="undo_chunk_unique_seq")
        ]

    def __str__(self) -> str:
        return f"Undo data {self.seq} of import {self.undo_state_id}"

    @staticmethod
    def pack(data: dict) -> bytes:
        """Compact JSON (dates as ISO text), compressed."""
        return zlib.compress(orjson.dumps(data), 1)

    def unpack(self) -> dict:
        """The payload, each written customer's previous values as a dict of columns."""
        data = self.unpack_lists()
        columns = data.pop("columns")
        data["written"] = [
            [pk, version, dict(zip(columns, values, strict=True))]
            for pk, version, values in data["written"]
        ]
        return data

    def unpack_summary(self) -> dict:
        """The summary (read once per instance: the rollback page reads it for the counts
        and for the conflicts); from the payload for a chunk recorded without one."""
        if self._unpacked_summary is None:
            self._unpacked_summary = self._read_summary()
        return self._unpacked_summary

    _unpacked_summary: dict | None = None

    def _read_summary(self) -> dict:
        if self.summary is not None:
            return orjson.loads(zlib.decompress(bytes(self.summary)))
        data = self.unpack_lists()
        columns = data["columns"]
        at = [columns.index(name) if name in columns else None for name in SUMMARY_COLUMNS]
        return {
            "created": data["created"],
            "written": [
                [pk, version, *(None if i is None else before[i] for i in at)]
                for pk, version, before in data["written"]
            ],
        }

    def unpack_lists(self) -> dict:
        """The payload with "columns", each written customer's previous values a list in
        their order, whichever form the chunk was written in: a rollback reads every chunk
        twice, and a dict per customer was a fifth of its time."""
        data = orjson.loads(zlib.decompress(bytes(self.payload)))
        if "columns" not in data:
            written = data["written"]
            columns = list(written[0][2]) if written else []
            data["columns"] = columns
            data["written"] = [
                [pk, version, [before[column] for column in columns]]
                for pk, version, before in written
            ]
        return data


class FailedLineChunk(models.Model):
    """The failed lines of one chunk of an import, stored compressed (one row per chunk,
    as UndoChunk): customers/failed_lines.py writes and reads them.

    `payload` holds {"lines": [[line number, field label or None, message, [values as
    sent]], ...]}; the values of customer_password and customer_PIN are never kept (they
    are blank), so no secret is stored in plain text. The columns are the undo state's
    parameters["headers"].
    """

    undo_state = models.ForeignKey(
        UndoState, on_delete=models.CASCADE, related_name="failed_chunks", db_index=False
    )
    seq = models.PositiveIntegerField()
    payload = models.BinaryField()

    class Meta:
        ordering = ["undo_state", "seq"]
        constraints = [
            models.UniqueConstraint(
                fields=["undo_state", "seq"], name="failed_line_chunk_unique_seq"
            )
        ]

    def __str__(self) -> str:
        return f"Failed lines {self.seq} of import {self.undo_state_id}"

    @staticmethod
    def pack(data: dict) -> bytes:
        return zlib.compress(orjson.dumps(data), 1)

    def unpack(self) -> dict:
        return orjson.loads(zlib.decompress(bytes(self.payload)))


class ImportRequest(models.Model):
    """A `request_id` seen for an account, with the response it got, so a retry is answered
    with the first response instead of importing (and crediting) twice."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    request_id = models.CharField(max_length=128)
    created_at = models.DateTimeField()
    # The response (ImportResult.to_dict()) as compact JSON, compressed (pack_reply): its
    # `generated` list has every made-up code and card number, which the integrator's retry
    # must get again, so it is not capped like the line errors; compressed it is about a
    # third of its JSON (random digits do not compress further). None until answered.
    packed_response = models.BinaryField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "request_id"], name="import_request_unique_id"
            )
        ]
        # Expired replies are found by age (customers/batch/replay.py).
        indexes = [models.Index(fields=["created_at"], name="import_request_created")]

    def __str__(self) -> str:
        return f"request_id {self.request_id}"

    @property
    def response(self) -> dict | None:
        """The stored response, unpacked (None until answered)."""
        if self.packed_response is None:
            return None
        return orjson.loads(zlib.decompress(bytes(self.packed_response)))

    @response.setter
    def response(self, data: dict | None) -> None:
        self.packed_response = None if data is None else zlib.compress(orjson.dumps(data), 6)


class ImportPreview(models.Model):
    """An admin import that was previewed and not yet confirmed: its request, encrypted
    with a key derived from the secret key, which is not in the database
    (customers/pending.py). Removed when it is confirmed, and once expired."""

    token = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField(db_index=True)
    payload = models.BinaryField()

    def __str__(self) -> str:
        return f"import preview for {self.account_id} until {self.expires_at}"
