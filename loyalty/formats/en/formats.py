"""The admin's dates and times in one style, the one its own lists and messages write
(2026-12-02 06:55 UTC), instead of English's "Dec. 2, 2026, 6:55 a.m." beside them (a shop
owner counted three styles). Django reads this module for English (FORMAT_MODULE_PATH)."""

DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i T"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i T"
TIME_FORMAT = "H:i"
