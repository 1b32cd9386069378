"""Plain SQL for the hot paths of an API request, with values as the ORM would have them.

Authentication, the import's lookup of customers and its undo state run on every request,
and building a statement with the ORM costs more than running it. Rows read must still come
out as the ORM's would (SQLite returns dates, booleans and JSON raw), and values written are
prepared by the model's fields, as save() prepares them.
"""

import functools
from collections.abc import Sequence
from typing import TypeVar

from django.db import connection
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import Field, Model

M = TypeVar("M", bound=Model)


class RowConverter:
    """Converts rows whose columns are `fields` of `model`, in that order."""

    def __init__(self, model: type[Model], fields: Sequence[Field]):
        self.steps = []
        for index, field in enumerate(fields):
            column = field.get_col(model._meta.db_table)
            found = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
            if found:
                self.steps.append((index, found, column))

    def __call__(self, row: Sequence) -> list:
        values = list(row)
        for index, converters, column in self.steps:
            for converter in converters:
                values[index] = converter(values[index], column, connection)
        return values


def row_converter(model: type[Model], fields: Sequence[Field]) -> RowConverter:
    """The RowConverter of these fields, made once per model, fields and connection: every
    API request converts the same few kinds of rows, and finding the fields' converters
    again each time was about 4 % of a small request's time under the profiler."""
    # Keyed by the connection's operations object: connections are per thread, and a
    # converter may be a method of them.
    return _cached_converter(model, tuple(fields), connection.ops)


@functools.lru_cache(maxsize=128)
def _cached_converter(
    model: type[Model], fields: tuple, ops: BaseDatabaseOperations
) -> RowConverter:
    return RowConverter(model, fields)


def insert(instance: Model) -> None:
    """INSERT the instance (a model with an auto primary key) with one plain statement and
    set its primary key. For rows written on every API request: Model.save() spends more
    on its bookkeeping than the database spends on the statement. Values are prepared by
    the fields as save() prepares them; no signals are sent (none are used here)."""
    meta = instance._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    values = [
        field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields
    ]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(column(f)) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {quote(column(meta.pk))}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        instance.pk = cursor.fetchone()[0]
    instance._state.adding = False
    instance._state.db = connection.alias


def update(instance: Model, names: Sequence[str]) -> None:
    """UPDATE the named fields of a saved instance with one plain statement (as insert)."""
    meta = instance._meta
    fields = [concrete_field(instance, name) for name in names]
    values = [
        field.get_db_prep_save(getattr(instance, field.attname), connection) for field in fields
    ]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(column(field))} = %s" for field in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(column(meta.pk))} = %s",
            [*values, instance.pk],
        )


def select(model: type[M], condition: str, params: Sequence) -> list[M]:
    """The instances of `model` whose rows meet the SQL `condition` (as select() would
    build them from a queryset, with every concrete field loaded)."""
    meta = model._meta
    fields = meta.concrete_fields
    quote = connection.ops.quote_name
    columns = ", ".join(quote(column(field)) for field in fields)
    convert = row_converter(model, fields)
    names = [field.attname for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {quote(meta.db_table)} WHERE {condition}", params)
        rows = cursor.fetchall()
    return [model.from_db(connection.alias, names, convert(row)) for row in rows]


def column(field: Field | None) -> str:
    """The database column of a concrete field."""
    if field is None or field.column is None:
        raise TypeError(f"{field!r} has no column")
    return field.column


def concrete_field(instance: Model | type[Model], name: str) -> Field:
    """The model's concrete field called `name` (not a reverse relation)."""
    field = instance._meta.get_field(name)
    if not isinstance(field, Field):
        raise TypeError(f"{name} is not a concrete field of {instance._meta.label}")
    return field
