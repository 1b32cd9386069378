"""Rows of plain SQL statements, converted to Python values as the ORM converts them.

The hot paths of an API request (authentication, the import's lookup of customers) run
plain SQL, since building the statement with the ORM costs more than running it; their
rows must still come out as the ORM's would (SQLite returns dates, booleans and JSON raw).
"""

from collections.abc import Sequence

from django.db import connection
from django.db.models import Field, Model


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
