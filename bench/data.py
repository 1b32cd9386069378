"""The benchmark's customers: row i is the same in every process that asks for it, so
the client, the baselines and the driver floor write exactly the same values."""

import datetime
from collections.abc import Iterator

# The profile fields each row carries, in order (also the profiles_header_N values).
HEADERS = ("code", "card_number", "first_name", "last_name", "email", "phone", "custom_date")
FIRST_NAMES = ("jane", "jim", "larry", "maria", "ahmed", "yuki", "olga", "pedro", "li", "ana")
LAST_NAMES = ("doe", "mcdoe", "smith", "garcia", "khan", "tanaka", "ivanova", "silva", "wu")
EPOCH = datetime.date(1940, 1, 1)

# The benchmark's account, importer and campaign (the demo's names; bench.tasks creates them).
ACCOUNT = "greatwidgets"
ACCOUNT_OWNER_ID = "1000000000000001"
USER_ID = "john1970"
PASSWORD = "1959caadac9b13dcb3"
API_KEY = "1959caadac9b13dcb3"
CAMPAIGN = "898989889"


def row(i: int, revision: int = 0) -> tuple[str, ...]:
    """The values of customer i, as text, in HEADERS order; a later `revision` of the
    customer has another phone number (an update that changes every row)."""
    first = FIRST_NAMES[i % len(FIRST_NAMES)]
    last = LAST_NAMES[i % len(LAST_NAMES)]
    born = EPOCH + datetime.timedelta(days=(i * 37) % 25_000)
    return (
        f"C{i:09d}",
        f"4{i:012d}",
        first,
        last,
        f"{first}.{last}.{i}@example.com",
        f"{555 + revision}-{i % 10_000_000:07d}",
        born.isoformat(),
    )


# The columns a row with secrets adds: each customer's password and PIN.
SECRET_HEADERS = ("customer_password", "customer_PIN")


def secrets(i: int) -> tuple[str, str]:
    return (f"pw-{i * 7919 % 1_000_003:07d}", f"{i * 31 % 10_000:04d}")


def rows(
    start: int, count: int, with_secrets: bool = False, revision: int = 0
) -> Iterator[tuple[str, ...]]:
    if with_secrets:
        return ((*row(i, revision), *secrets(i)) for i in range(start, start + count))
    return (row(i, revision) for i in range(start, start + count))


def profiles_data(
    start: int, count: int, delimiter: str = "|", with_secrets: bool = False, revision: int = 0
) -> str:
    """Profiles_Data text for rows start .. start + count - 1, one line each (with the
    SECRET_HEADERS columns after HEADERS when asked), in the given revision."""
    lines = (delimiter.join(values) for values in rows(start, count, with_secrets, revision))
    return "\n".join(lines) + "\n"


def failing_data(start: int, count: int) -> str:
    """Profiles_Data of `count` lines that each fail (one value where the HEADERS read
    seven): 1,000,000 of them make a body of about 4 MB, the issue's attack."""
    return "\n".join(str(i) for i in range(start, start + count)) + "\n"
