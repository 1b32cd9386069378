"""Django-side steps of the benchmark, each run as `python -m bench.tasks STEP ...` in a
subprocess with the server's environment, printing one JSON object:

  migrate-and-setup        migrate, then create the account, importer, API key, campaign
  rollback UNDO_STATE_ID   roll the import back (confirming conflicts), timed in here
  stored REQUEST_ID        the sizes of what a request left stored: its request_id reply
                           and its undo state's failed lines
  profile ROWS SCENARIO    cProfile import_customers on the benchmark's rows (new, update,
                           changed or mix) without HTTP, and print the top functions to stderr
"""

import argparse
import cProfile
import io
import pstats
import sys
import time

import django

from . import data
from .server import emit


def migrate_and_setup() -> dict:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    return setup_data()


def setup_data() -> dict:
    """The benchmark's account, importer (password and API key) and points campaign."""
    from django.contrib.auth import get_user_model

    from accounts.models import Account, ApiKey, Membership, hash_api_key
    from campaigns.models import Campaign

    account = Account.objects.create(
        slug=data.ACCOUNT, owner_id=data.ACCOUNT_OWNER_ID, name="Benchmark"
    )
    user = get_user_model().objects.create_user(data.USER_ID, password=data.PASSWORD)
    Membership.objects.create(account=account, user=user, role=Membership.Role.IMPORTER)
    ApiKey.objects.create(
        user=user,
        name="benchmark",
        prefix=data.API_KEY[:8],
        key_hash=hash_api_key(data.API_KEY),
    )
    Campaign.objects.create(
        account=account, campaign_id=data.CAMPAIGN, type=Campaign.Type.POINTS, name="Points"
    )
    return {"account_id": account.pk}


def rollback(undo_state_id: int) -> dict:
    """Roll back with conflicts confirmed: a rolled-back later import raised the versions of
    the customers it restored, so an earlier import's rollback finds them changed."""
    from customers.models import UndoState
    from customers.rollback import roll_back

    undo_state = UndoState.objects.select_related("user").get(pk=undo_state_id)
    started = time.perf_counter()
    result = roll_back(undo_state=undo_state, user=undo_state.user, overwrite_conflicts=True)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "deleted": result.deleted,
        "restored": result.restored,
        "enrollments_removed": result.enrollments_removed,
        "conflicts": len({conflict.customer_id for conflict in result.conflicts}),
    }


def stored(request_id: str) -> dict:
    """Bytes of the request_id reply (its JSON) and of the failed lines (compressed) that
    the request with `request_id` left in the database."""
    import json

    from customers.models import FailedLineChunk, ImportRequest

    reply = ImportRequest.objects.get(request_id=request_id).response
    undo_state = reply["undo_state"]
    chunks = FailedLineChunk.objects.filter(undo_state_id=undo_state)
    return {
        "reply_bytes": len(json.dumps(reply)),
        "failed_line_bytes": sum(
            len(bytes(payload)) for payload in chunks.values_list("payload", flat=True)
        ),
    }


def profile(rows: int, scenario: str, top: int = 25) -> dict:
    """import_customers under cProfile, the way the API view calls it (1.0, undo recorded);
    `update` (the same rows), `changed` (every row's phone) and `mix` first import the rows
    they find, unprofiled."""
    from accounts.models import Account
    from customers.batch.params import parse_batch_request
    from customers.batch.service import import_customers
    from customers.models import UndoState

    from .client import batch_params

    account = Account.objects.get(slug=data.ACCOUNT)
    user = account.memberships.get().user

    def run(start: int, overwrite: str | None, revision: int = 0):
        text = data.profiles_data(start, rows, revision=revision)
        params, _headers = batch_params(text, overwrite=overwrite)
        request = parse_batch_request({key.lower(): value for key, value in params.items()})
        return import_customers(
            account=account, user=user, request=request, source=UndoState.Source.API
        )

    start, overwrite, revision = {
        "new": (0, None, 0),
        "update": (0, "update", 0),
        "changed": (0, "update", 1),
        "mix": (rows // 2, "update", 0),
    }[scenario]
    if scenario != "new":
        run(0, None)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    result = run(start, overwrite, revision)
    profiler.disable()
    seconds = time.perf_counter() - started
    for order in ("tottime", "cumulative"):
        report = io.StringIO()
        pstats.Stats(profiler, stream=report).sort_stats(order).print_stats(top)
        print(report.getvalue(), file=sys.stderr)
    return {"seconds": seconds, "new": result.new, "updated": result.updated}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.tasks")
    steps = parser.add_subparsers(dest="step", required=True)
    steps.add_parser("migrate-and-setup")
    step = steps.add_parser("rollback")
    step.add_argument("undo_state_id", type=int)
    step = steps.add_parser("stored")
    step.add_argument("request_id")
    step = steps.add_parser("profile")
    step.add_argument("rows", type=int)
    step.add_argument("scenario", choices=("new", "update", "changed", "mix"))
    step.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    django.setup()
    if args.step == "migrate-and-setup":
        emit(migrate_and_setup())
    elif args.step == "rollback":
        emit(rollback(args.undo_state_id))
    elif args.step == "stored":
        emit(stored(args.request_id))
    else:
        emit(profile(args.rows, args.scenario, args.top))


if __name__ == "__main__":
    main(sys.argv[1:])
