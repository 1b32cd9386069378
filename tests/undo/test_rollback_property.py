"""Property: whatever a batch does to whatever customers there are, rolling it back leaves
every table exactly as before (customers, enrollments, ledger)."""

from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from customers.models import UndoState
from customers.rollback import roll_back
from tests.conftest import EVENTS, POINTS
from tests.undo import clean_up

HEADERS = ("code", "card_number", "first_name", "customer_username", "custom_date", "auto_add")
# Small pools, so lines collide with each other and with the customers already there.
codes = st.sampled_from(["", "C1", "C2", "C3", "C4"])
card_numbers = st.sampled_from(["", "901", "902", "903"])
names = st.sampled_from(["", "Ann", "Bob", "Cy"])
usernames = st.sampled_from(["", "ann", "bob"])
dates = st.sampled_from(["", "1970-01-01", "2001-12-31"])
credits = st.sampled_from(["", "1", "25"])
lines = st.tuples(codes, card_numbers, names, usernames, dates, credits).map("|".join)
batches = st.lists(lines, min_size=1, max_size=8).map("\n".join)


@hypothesis_settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    starting=batches,
    batch=batches,
    mode=st.sampled_from(["update", "yes", "ignore"]),
    with_credits=st.booleans(),
    campaign_ids=st.sampled_from([POINTS, f"{POINTS}|,|{EVENTS}", f"{EVENTS}|,|{POINTS}"]),
    chunk_rows=st.sampled_from([1, 2, 5000]),
)
def test_rollback_restores_every_table(
    import_batch,
    user,
    settings,
    snapshot,
    starting,
    batch,
    mode,
    with_credits,
    campaign_ids,
    chunk_rows,
):
    # import_customers opens a durable transaction, so an example cannot run inside a
    # savepoint of its own: it cleans up instead.
    clean_up()
    settings.LOYALTY = {**settings.LOYALTY, "IMPORT_CHUNK_ROWS": chunk_rows}
    headers = HEADERS if with_credits else HEADERS[:-1]
    data = (
        batch if with_credits else "\n".join(line.rsplit("|", 1)[0] for line in batch.split("\n"))
    )
    try:
        import_batch(HEADERS, starting, overwrite_duplicates="update")
        before = snapshot()
        result = import_batch(
            headers, data, overwrite_duplicates=mode, campaigns_to_include=campaign_ids
        )
        outcome = roll_back(undo_state=UndoState.objects.get(pk=result.undo_state_id), user=user)

        assert outcome.conflicts == ()
        assert snapshot() == before
    finally:
        clean_up()
