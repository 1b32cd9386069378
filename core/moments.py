"""A moment as the admin and its messages show it: 2026-12-02 06:55 UTC, the style of
DATETIME_FORMAT (loyalty/formats/en/formats.py), in one place for the text Python writes."""

import datetime


def shown_time(moment: datetime.datetime) -> str:
    return f"{moment.astimezone(datetime.UTC):%Y-%m-%d %H:%M} UTC"
