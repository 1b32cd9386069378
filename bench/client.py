"""The benchmark's HTTP client, run as its own process (`python -m bench.client ...`) so the
server's time and memory are not shared with the process that builds and sends requests.

  batch PORT START COUNT [--overwrite MODE] [--api 1.5] [--secrets] [--revision N]
        [--failing] [--request-id ID]
                                              one customers_batch of rows START.. (API 1.0
                                              password, or 1.5 api_access_key header; undo
                                              recorded; --secrets adds each customer's
                                              password and PIN), timed from sending the
                                              body to reading the whole response;
                                              --failing: every line fails (one value)
  small PORT SECONDS API BASE [--no-undo]     3-row batches from CLIENTS processes for
                                              SECONDS; API 1.5 (api_access_key header) or
                                              1.0 (password); rows numbered from BASE;
                                              undo recorded unless --no-undo (API 1.5
                                              records it only when asked: allow_undo)
"""

import argparse
import http.client
import json
import multiprocessing
import sys
import time
from urllib.parse import urlencode

from . import data
from .server import emit

CLIENTS = 8
SMALL_ROWS = 3
# Row numbers each small-request client process may use: far apart, so none collide (a
# 30 s run sends a few thousand rows per client; the runs start 50,000,000 apart).
ROWS_PER_CLIENT = 1_000_000
TIMEOUT_SECONDS = 1800


def batch_params(
    profiles_data: str,
    *,
    api: str = "1.0",
    overwrite: str | None = None,
    with_secrets: bool = False,
    record_undo: bool = True,
) -> tuple[dict[str, str], dict[str, str]]:
    """(form fields, headers) of a customers_batch, shaped like the tests' batch_params:
    the benchmark's credentials, pipe-delimited, one campaign, JSON out, undo recorded
    unless `record_undo` is false."""
    params = {
        "user_id": data.USER_ID,
        "account_id": data.ACCOUNT,
        "type": "customers_batch",
        "delimiter": "pipe",
        "campaigns_to_include": data.CAMPAIGN,
        "output": "JSON",
        "Profiles_Data": profiles_data,
    }
    fields = data.HEADERS + (data.SECRET_HEADERS if with_secrets else ())
    for number, name in enumerate(fields, start=1):
        params[f"profiles_header_{number}"] = name
    headers = {}
    if api == "1.5":
        # 1.5 records undo only when asked (allow_undo), 1.0 unless told not to (no_undo).
        params["API"] = "1.5"
        if record_undo:
            params["allow_undo"] = "yes"
        headers["api_access_key"] = data.API_KEY
    else:
        params["user_password"] = data.PASSWORD
        if not record_undo:
            params["no_undo"] = "yes"
    if overwrite:
        params["overwrite_duplicates"] = overwrite
    return params, headers


def post(port: int, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_SECONDS)
    try:
        connection.request(
            "POST",
            "/api",
            body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded", **headers},
        )
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def batch(
    port: int,
    start: int,
    count: int,
    overwrite: str | None,
    api: str = "1.0",
    with_secrets: bool = False,
    revision: int = 0,
    failing: bool = False,
    request_id: str | None = None,
) -> dict:
    if failing:
        profiles_data = data.failing_data(start, count)
    else:
        profiles_data = data.profiles_data(
            start, count, with_secrets=with_secrets, revision=revision
        )
    params, headers = batch_params(
        profiles_data, api=api, overwrite=overwrite, with_secrets=with_secrets
    )
    if request_id:
        params["request_id"] = request_id
    body = urlencode(params).encode()
    started = time.perf_counter()
    status, answer = post(port, body, headers)
    seconds = time.perf_counter() - started
    result = {
        "seconds": seconds,
        "rows": count,
        "request_bytes": len(body),
        "answer_bytes": len(answer),
        "status": status,
    }
    try:
        decoded = json.loads(answer)
        result.update(decoded["batch"]["customers"])
        result["undo_state"] = decoded["batch"].get("undo_state")
        result["errors_listed"] = len(decoded["batch"].get("errors", []))
    except (ValueError, KeyError):
        result["error"] = answer[:500].decode(errors="replace")
    return result


def small(port: int, seconds: float, api: str, base: int, record_undo: bool = True) -> dict:
    deadline = time.monotonic() + seconds
    jobs = [
        (port, api, record_undo, deadline, base + index * ROWS_PER_CLIENT)
        for index in range(CLIENTS)
    ]
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(CLIENTS) as pool:
        outcomes = pool.starmap(_small_client, jobs)
    elapsed = time.perf_counter() - started
    latencies = sorted(latency for done, _, _ in outcomes for latency in done)
    errors = sum(failed for _, failed, _ in outcomes)
    first_error = next((error for _, _, error in outcomes if error), None)
    requests = len(latencies) + errors
    return {
        "seconds": elapsed,
        "requests": requests,
        "errors": errors,
        "rps": requests / elapsed,
        "p50_ms": _percentile(latencies, 50) * 1000,
        "p99_ms": _percentile(latencies, 99) * 1000,
        "first_error": first_error,
    }


def _small_client(port: int, api: str, record_undo: bool, deadline: float, first_row: int):
    """One client process: (latencies of successful requests, errors, first error)."""
    latencies: list[float] = []
    errors = 0
    first_error = None
    row = first_row
    while time.monotonic() < deadline:
        profiles_data = data.profiles_data(row, SMALL_ROWS)
        params, headers = batch_params(profiles_data, api=api, record_undo=record_undo)
        row += SMALL_ROWS
        body = urlencode(params).encode()
        started = time.perf_counter()
        try:
            status, answer = post(port, body, headers)
        except OSError as exc:
            status, answer = 0, str(exc).encode()
        latency = time.perf_counter() - started
        if status == 200 and _new_customers(answer) == SMALL_ROWS:
            latencies.append(latency)
        else:
            errors += 1
            first_error = first_error or f"{status}: {answer[:300].decode(errors='replace')}"
    return latencies, errors, first_error


def _new_customers(answer: bytes) -> int | None:
    try:
        return json.loads(answer)["batch"]["customers"]["new"]
    except (ValueError, KeyError, TypeError):
        return None


def _percentile(values: list[float], percent: float) -> float:
    """Nearest-rank percentile of sorted `values` (NaN when empty)."""
    if not values:
        return float("nan")
    rank = max(1, -(-len(values) * percent // 100))
    return values[int(rank) - 1]


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.client")
    kinds = parser.add_subparsers(dest="kind", required=True)
    kind = kinds.add_parser("batch")
    kind.add_argument("port", type=int)
    kind.add_argument("start", type=int)
    kind.add_argument("count", type=int)
    kind.add_argument("--overwrite")
    kind.add_argument("--api", choices=("1.0", "1.5"), default="1.0")
    kind.add_argument("--secrets", action="store_true")
    kind.add_argument("--revision", type=int, default=0)
    kind.add_argument("--failing", action="store_true")
    kind.add_argument("--request-id")
    kind = kinds.add_parser("small")
    kind.add_argument("port", type=int)
    kind.add_argument("seconds", type=float)
    kind.add_argument("api", choices=("1.0", "1.5"))
    kind.add_argument("base", type=int)
    kind.add_argument("--no-undo", dest="record_undo", action="store_false")
    args = parser.parse_args(argv)
    if args.kind == "batch":
        emit(
            batch(
                args.port,
                args.start,
                args.count,
                args.overwrite,
                args.api,
                args.secrets,
                args.revision,
                args.failing,
                args.request_id,
            )
        )
    else:
        emit(small(args.port, args.seconds, args.api, args.base, args.record_undo))


if __name__ == "__main__":
    main(sys.argv[1:])
