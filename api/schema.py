"""The OpenAPI description of POST /api and /api.php: drf-spectacular's `extend_schema`
arguments for ApiView (CUSTOMERS_BATCH, applied in views.py).

spectacular generates the document (/api/schema/, Swagger UI at /api/docs/: api/docs.py)
from the view and these. The form is described by documentation-only serializers:
customers/batch/params.py checks the parameters, these never see a request. Every list and
limit in them (calls, header fields, delimiters, overwrite modes, lengths, patterns) is read
from the code that enforces it, and the examples are rendered by the API's own renderers, so
the document cannot drift. Written here by hand: the prose, and `profiles_header_N`, a
family of numbered parameters that only `patternProperties` can name (FormRequestExtension).
What else spectacular is taught is in api/schema_extensions.py.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from django.conf import settings
from django.http import QueryDict
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
)
from rest_framework import serializers

from accounts.credentials import INVALID_CREDENTIALS, THROTTLED
from accounts.models import Account
from customers.batch import messages
from customers.batch.params import (
    CAMPAIGN_SEPARATORS,
    CUSTOM_FIELD_HEADER,
    DELIMITERS,
    HEADER_FIELDS,
    MAX_CAMPAIGNS,
    MAX_HEADER_NUMBER,
    PRINTABLE_TOKEN,
)
from customers.batch.rows import MAX_LENGTHS
from customers.batch.types import (
    BatchStatus,
    GeneratedIdentity,
    ImportResult,
    LineError,
    OverwriteMode,
)
from customers.models import CUSTOM_FIELD_MAX_LENGTH
from jobs.messages import TOO_MANY_JOBS, UNKNOWN_JOB, WORKER_LOST
from jobs.models import ImportJob

from .calls import CALLS, FAILED_DATA_TYPE, FAILED_LINES_TYPE
from .exceptions import BUSY_RETRY_AFTER_SECONDS, DATABASE_BUSY, METHOD_NOT_ALLOWED
from .negotiation import CALLBACK, CALLBACK_MAX_LENGTH, CONDENSED_YES
from .parsers import TOO_BIG, FormParser, MultiPartParser
from .renderers import JSONPRenderer, JSONRenderer, XMLRenderer
from .schema_extensions import API_KEY_HEADER_NAME, Const, Secret
from .serializers import batch_data, error_data, job_data

XML, JSON, JSONP = XMLRenderer.media_type, JSONRenderer.media_type, JSONPRenderer.media_type
HEADER_PARAMETER_PATTERN = r"^profiles_header_[1-9][0-9]*$"
# customers/batch/params.py accepts 4..32 digits (tests/deploy/test_api_schema.py checks).
CARD_NUMBER_DIGITS = (4, 32)
YES_NO = ["yes", "no"]
# The API versions a call other than customers_batch accepts (one enumeration for them all:
# ENUM_NAME_OVERRIDES' ApiVersionEnum).
API_VERSIONS = ["1", "1.0", "1.5"]

HEADER_FIELD_RULES = {
    "code": "The shop's id for the customer. A line with a code matches the account's "
    "customer with that code; a new customer without one gets a random 16-digit code, "
    "listed in `generated`. An empty value never clears it.",
    "card_number": "A line without a code matches by card number. A card number held by "
    "another customer is a line error. card_number_generate fills it when missing. An "
    "empty value never clears it.",
    "email": "Must look like local@domain.tld.",
    "custom_date": "Exactly YYYY-MM-DD and a real date; anything else is a line error.",
    "customer_username": "Unique in the account when set.",
    "customer_password": "Stored hashed.",
    "customer_PIN": "Stored hashed.",
    "auto_add": "Credits this amount, in the unit of the first listed campaign, to created "
    "and written customers: whole points or visits, money with at most 2 decimals, or a "
    "buyx item's id or name (one purchase). Empty or 0 credits nothing (the customer is "
    "still imported).",
}
COMMON_FIELD_RULE = "Values are trimmed; a longer value or a control character is a line error."


def header_field_rules() -> list[tuple[str, int | None, str]]:
    """(name, maximum length, rule) of every header field, in the contract's order; no
    maximum for custom_date, whose rule fixes its form."""
    return [
        (name, MAX_LENGTHS.get(attribute), HEADER_FIELD_RULES.get(name, ""))
        for name, attribute in HEADER_FIELDS.items()
    ]


# The form of customers_batch, one serializer per API version.


class FormRequest(serializers.Serializer):
    """Form fields of a call; FormRequestExtension adds `profiles_header_N`."""

    api_version = "1.0"


def _request_fields(version: str) -> dict[str, serializers.Field]:
    v15 = version == "1.5"
    data_name = "profiles_data" if v15 else "Profiles_Data"
    separator = CAMPAIGN_SEPARATORS[version]
    fields: dict[str, serializers.Field] = {
        "API": (
            Const("1.5", help_text="Selects the 1.5 rules.")
            if v15
            else serializers.ChoiceField(
                ["1", "1.0"], required=False, help_text="Absent, `1` or `1.0`: the 1.0 rules."
            )
        ),
        "type": serializers.ChoiceField(
            sorted(CALLS),
            help_text="The call. Missing or unknown: an error naming the accepted types.",
        ),
        "user_id": serializers.CharField(help_text="The user's login."),
    }
    if v15:
        fields["user_api_key"] = Secret(
            required=False,
            help_text=f"The user's API key; or send it in the `{API_KEY_HEADER_NAME}` header, "
            "which wins. One of the two is required.",
        )
    else:
        fields["user_password"] = Secret(help_text="The user's password.")
    fields |= {
        "account_id": serializers.SlugField(
            max_length=Account._meta.get_field("slug").max_length,
            help_text="The account's slug (e.g. greatwidgets) or its 16-digit owner id.",
        ),
        "delimiter": serializers.ChoiceField(
            list(DELIMITERS),
            help_text="Separates the values of a line: pipe, comma or tab, or the character "
            "itself. Standard CSV double-quote quoting works with each.",
        ),
        "overwrite_duplicates": serializers.ChoiceField(
            [mode.value for mode in OverwriteMode],
            required=False,
            default=OverwriteMode.IGNORE.value,
            help_text="A line that matches a customer: `ignore` leaves it untouched; "
            "`update` writes the columns in the headers (an empty value clears that field); "
            "`yes` also blanks every profile field not in the headers.",
        ),
        ("allow_undo" if v15 else "no_undo"): serializers.ChoiceField(
            YES_NO,
            required=False,
            help_text="`yes`: record an undo state (1.5 records none unless asked)."
            if v15
            else "`yes`: record no undo state (1.0 records one unless told not to).",
        ),
        "card_number_generate": serializers.IntegerField(
            min_value=CARD_NUMBER_DIGITS[0],
            max_value=CARD_NUMBER_DIGITS[1],
            required=False,
            help_text="N: give every customer that would have no card number a random, "
            "all-digit, N-digit one, unique in the account (listed in `generated`).",
        ),
        "campaigns_to_include": serializers.CharField(
            help_text=f"This account's active campaign ids, separated by `{separator}`"
            + (" (spaces trimmed)" if v15 else "")
            + f". At most {MAX_CAMPAIGNS}. An unknown or inactive id is an error naming it; "
            "nothing is imported.",
        ),
        data_name: serializers.CharField(
            help_text="The lines, one customer each; header k names the k-th value. UTF-8; "
            "LF, CRLF or CR; blank lines skipped; line numbers count from 1 over the raw "
            "data. Matched case-insensitively (Profiles_Data or profiles_data). In a "
            "`multipart/form-data` body it may also be a file part (`curl -F "
            "'Profiles_Data=@customers.csv'`, PHP's CURLFile), read as this text in the "
            "request's charset.",
        ),
        "output": serializers.ChoiceField(
            ["XML", "JSON"],
            required=False,
            default="XML",
            help_text="The response format (case-insensitive).",
        ),
        "callback": serializers.RegexField(
            f"^{CALLBACK.pattern}$",
            max_length=CALLBACK_MAX_LENGTH,
            required=False,
            help_text=f"JSONP: the answer is `callback({{...}});` as {JSONP}, always with "
            "HTTP 200.",
        ),
        "condensed": serializers.ChoiceField(
            [*CONDENSED_YES, "no"],
            required=False,
            help_text="`yes` (or `1`, `true`): JSON without white space.",
        ),
        "request_id": serializers.RegexField(
            PRINTABLE_TOKEN.pattern,
            required=False,
            help_text="A client token: the same token for the same account within "
            f"{settings.LOYALTY['REQUEST_ID_TTL_SECONDS'] // 3600} hours (LOYALTY_REQUEST_ID_"
            "TTL_SECONDS) returns the first response again and changes nothing; after that "
            "the stored response is deleted and the token is new again.",
        ),
        "validate_only": serializers.ChoiceField(
            YES_NO,
            required=False,
            help_text="`yes`: do everything except write; report what would happen.",
        ),
        "all_or_nothing": serializers.ChoiceField(
            YES_NO,
            required=False,
            help_text="`yes`: if any line fails, import nothing and report every failing "
            "line (HTTP 400, batch status `rejected`).",
        ),
        "run_in_background": serializers.ChoiceField(
            YES_NO,
            required=False,
            help_text="`yes`: answer at once with batch status `queued` and its `job_id`; a worker "
            "imports the batch, and `type=customers_batch_status` with `job_id` (and these "
            "credentials) answers its state, then this call's answer. A `request_id` a "
            "synchronous import already answered gets that answer at once instead, as a "
            "synchronous retry does (no job is queued).",
        ),
    }
    return fields


Request10Serializer = type(
    "Request10Serializer",
    (FormRequest,),
    {"__doc__": "customers_batch, API 1.0", "api_version": "1.0", **_request_fields("1.0")},
)
Request15Serializer = type(
    "Request15Serializer",
    (FormRequest,),
    {"__doc__": "customers_batch, API 1.5", "api_version": "1.5", **_request_fields("1.5")},
)


class CallCredentials(serializers.Serializer):
    """The credentials every call but customers_batch takes, as customers_batch takes them."""

    API = serializers.ChoiceField(
        API_VERSIONS, required=False, help_text="As for customers_batch: the credentials."
    )
    user_id = serializers.CharField(help_text="The user's login.")
    user_password = Secret(required=False, help_text="API 1.0: the user's password.")
    user_api_key = Secret(
        required=False, help_text=f"API 1.5: the API key (or the `{API_KEY_HEADER_NAME}` header)."
    )
    account_id = serializers.CharField(help_text="The account's slug or owner id.")


class FailedLinesRequestSerializer(CallCredentials):
    """customers_batch_failed_lines: the failed lines of one import, as CSV."""

    type = Const("customers_batch_failed_lines")
    undo_state = serializers.IntegerField(
        min_value=1,
        help_text="The import's undo state, as its customers_batch answer gave it "
        "(`undo_state`); one of this account's.",
    )
    data_only = serializers.ChoiceField(
        ["yes", "no"],
        required=False,
        help_text="`yes`: a machine file (text/plain) of the failed lines' values alone, as "
        "sent and not neutralised (no header row, no error column, no byte order mark), in "
        "the import's delimiter, a row each: the Profiles_Data to send again with the "
        "import's profiles_header_N and delimiter. Not for a spreadsheet. Default `no`: the "
        "CSV file for a person (text/csv), the admin's.",
    )
    output = serializers.ChoiceField(
        ["XML", "JSON"], required=False, help_text="The format of an error answer."
    )


class StatusRequestSerializer(CallCredentials):
    """customers_batch_status: where a background import stands, and its answer once done."""

    type = Const("customers_batch_status")
    job_id = serializers.UUIDField(
        help_text="The job's id, as customers_batch with `run_in_background=yes` answered it "
        "(`batch.job_id`); one of this account's (another account's is unknown, as a made-up one)."
    )
    output = serializers.ChoiceField(
        ["XML", "JSON"], required=False, help_text="As for customers_batch."
    )
    callback = serializers.CharField(
        required=False, help_text="As for customers_batch: JSONP, always HTTP 200."
    )


class FormRequestExtension(OpenApiSerializerExtension):
    """The request's fields as spectacular maps them, plus `profiles_header_N`: a family of
    numbered parameters, which only `patternProperties` can name."""

    target_class = FormRequest
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        version = self.target.api_version
        name = f"HeaderField{version.replace('.', '')}"
        component = ResolvedComponent(
            name=name,
            type=ResolvedComponent.SCHEMA,
            object=name,
            schema=_header_field_schema(version),
        )
        auto_schema.registry.register_on_missing(component)
        schema["patternProperties"] = {
            HEADER_PARAMETER_PATTERN: {
                **component.ref,
                "description": f"profiles_header_N (N = 1..{MAX_HEADER_NUMBER}) names the "
                "field of the N-th value of every line. At least one; a missing or empty "
                "number leaves that column unread, two missing in a row are an error; a field "
                "named twice is an error.",
            }
        }
        return schema


def _header_field_schema(version: str) -> dict[str, Any]:
    choices = [
        {"const": name, "description": _field_rule(rule, limit)}
        for name, limit, rule in header_field_rules()
    ]
    if version == "1.5":
        choices.append(
            {
                "type": "string",
                "pattern": CUSTOM_FIELD_HEADER.pattern,
                "description": _field_rule(
                    "The account's custom field N (up to its custom field count).",
                    CUSTOM_FIELD_MAX_LENGTH,
                ),
            }
        )
    return {
        "title": f"Header field, API {version}",
        "description": "A field name, matched case-insensitively. An unknown name is an "
        "error that suggests the closest valid one (custome_date: did you mean custom_date?).",
        "oneOf": choices,
    }


def _field_rule(rule: str, limit: int | None) -> str:
    if limit is not None:
        rule = f"{rule} At most {limit} characters."
    return f"{rule} {COMMON_FIELD_RULE}".strip()


# The answers, in their JSON shape (api/serializers.py builds them).


class CountsSerializer(serializers.Serializer):
    new = serializers.IntegerField(min_value=0)
    updated = serializers.IntegerField(min_value=0)
    ignored = serializers.IntegerField(min_value=0)
    failed = serializers.IntegerField(min_value=0)


class GeneratedIdentitySerializer(serializers.Serializer):
    line = serializers.IntegerField()
    code = serializers.CharField(required=False)
    card_number = serializers.CharField(required=False)


class LineErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    field = serializers.CharField(required=False)
    message = serializers.CharField()


class BatchSerializer(serializers.Serializer):
    # Labelled by name, as ENUM_NAME_OVERRIDES' BatchStatusEnum reads the enumeration.
    status = serializers.ChoiceField([(status.value, status.name) for status in BatchStatus])
    customers = CountsSerializer()
    undo_state = serializers.IntegerField(
        required=False, help_text="The undo state's id; absent when none was recorded."
    )
    generated = GeneratedIdentitySerializer(
        many=True, help_text="Every customer whose code or card number the service made up."
    )
    # A field, though Serializer.errors is a property: the serializer's metaclass moves
    # declared fields off the class (into _declared_fields), which the stubs cannot show.
    errors = LineErrorSerializer(  # type: ignore[assignment]
        many=True,
        help_text="Line errors: one per refused field of a failing line (one without "
        "`field` for a line that could not be read or has the wrong number of values), "
        f"those of the first {settings.LOYALTY['LINE_ERRORS_LISTED']:,} failing lines "
        "(LOYALTY_LINE_ERRORS_LISTED); `customers.failed` counts the failing lines all.",
    )
    errors_not_listed = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="Only when `errors` was cut: the failing lines it does not list. With an "
        "undo state, `type=customers_batch_failed_lines` gives every failed line.",
    )


class SuccessResponseSerializer(serializers.Serializer):
    status = Const("success")
    batch = BatchSerializer()


class ErrorResponseSerializer(serializers.Serializer):
    status = Const("error")
    error = serializers.CharField(help_text="What went wrong, for people.")
    batch = BatchSerializer(
        required=False,
        help_text="Only for a batch rejected by all_or_nothing: its line errors (nothing "
        "was written).",
    )


# A background import's batch: queued, running or failed (the job's progress), or once
# done the synchronous call's batch; `job_id` in every state.
JOB_BATCH_STATUSES = [
    *(status for status in ImportJob.Status if status != ImportJob.Status.DONE),
    *BatchStatus,
]


class JobBatchSerializer(serializers.Serializer):
    """The batch of a background import (customers_batch with run_in_background=yes,
    customers_batch_status)."""

    # Labelled by name, as ENUM_NAME_OVERRIDES' JobBatchStatusEnum reads the enumeration.
    status = serializers.ChoiceField(
        [(status.value, status.name) for status in JOB_BATCH_STATUSES],
        help_text="queued; running (lines_done moves after each chunk); failed (`error` says "
        "why; nothing was written); or, once done, the synchronous call's status (imported, "
        "validated, rejected) with its batch.",
    )
    job_id = serializers.UUIDField(help_text="The job id to ask customers_batch_status about.")
    lines_done = serializers.IntegerField(
        required=False, min_value=0, help_text="Queued, running, failed: lines imported so far."
    )
    lines_total = serializers.IntegerField(
        required=False,
        min_value=0,
        help_text="Queued, running, failed: the data lines, counted at submission.",
    )
    attempt = serializers.IntegerField(
        required=False,
        min_value=2,
        help_text="Queued or running again after its worker was lost (killed, restarted): "
        "the attempt queued or running; lines_done starts again from 0 with it.",
    )
    attempts_allowed = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="With attempt: how many attempts the job has (LOYALTY_JOB_ATTEMPTS) "
        "before it fails.",
    )
    customers = CountsSerializer(required=False, help_text="Once done, as Batch.")
    undo_state = serializers.IntegerField(required=False, help_text="Once done, as Batch.")
    generated = GeneratedIdentitySerializer(
        many=True, required=False, help_text="Once done, as Batch."
    )
    errors = LineErrorSerializer(  # type: ignore[assignment]
        many=True, required=False, help_text="Once done, as Batch."
    )
    errors_not_listed = serializers.IntegerField(
        required=False, min_value=1, help_text="Once done, as Batch."
    )


class JobResponseSerializer(serializers.Serializer):
    """The answer of a background import (HTTP 200 in every state of a known job)."""

    status = serializers.ChoiceField(
        [("success", "SUCCESS"), ("error", "ERROR")],
        help_text="`error` for a failed job and for a done job whose batch all_or_nothing "
        "rejected, as the synchronous call's answer would say.",
    )
    error = serializers.CharField(
        required=False, help_text="A failed job's reason, or the rejected batch's error."
    )
    batch = JobBatchSerializer()


class AnswerSerializer(serializers.Serializer):
    """An HTTP 200 answer: a batch's (SuccessResponse) or a background import's
    (JobResponse); AnswerExtension describes it as either."""


class AnswerExtension(OpenApiSerializerExtension):
    target_class = AnswerSerializer

    def map_serializer(self, auto_schema, direction):
        return {
            "anyOf": [
                auto_schema.resolve_serializer(SuccessResponseSerializer, direction).ref,
                auto_schema.resolve_serializer(JobResponseSerializer, direction).ref,
            ]
        }


# Examples, rendered by the real renderers so they cannot drift.

EXAMPLE_RESULT = ImportResult(
    new=2,
    updated=1,
    failed=1,
    undo_state_id=42,
    generated=[GeneratedIdentity(line=3, code="4417093316641128", card_number="0071937715")],
    errors=[
        LineError(
            line=5, field="custom_date", message=messages.BAD_DATE_FORMAT.format(value="04-03-2010")
        )
    ],
)
EXAMPLE_REQUEST_10 = {
    "user_id": "john1970",
    "user_password": "1959caadac9b13dcb3",
    "account_id": "greatwidgets",
    "type": "customers_batch",
    "delimiter": "pipe",
    "overwrite_duplicates": "update",
    "campaigns_to_include": "898989889|,|13234545",
    "profiles_header_1": "code",
    "profiles_header_2": "first_name",
    "profiles_header_3": "custom_date",
    "Profiles_Data": "\n11223344|jane|1970-07-14\n22334455|jim|1966-07-28\n",
}
EXAMPLE_REQUEST_15 = {
    "API": "1.5",
    "user_id": "john1970",
    "user_api_key": "1959caadac9b13dcb3",
    "account_id": "greatwidgets",
    "type": "customers_batch",
    "delimiter": "comma",
    "allow_undo": "yes",
    "campaigns_to_include": "898989889, 13234545",
    "profiles_header_1": "code",
    "profiles_header_2": "email",
    "profiles_header_3": "custom_field_1",
    "profiles_data": "11223344,jane@example.com,gold\n",
    "output": "JSON",
}


class _ExampleRequest:
    """Stands for a request with these parameters when rendering the examples."""

    def __init__(self, **params: str) -> None:
        self.POST = QueryDict(mutable=True)
        self.POST.update(params)


def _rendered(data: dict[str, Any], media_type: str) -> str | Any:
    renderer = {XML: XMLRenderer, JSON: JSONRenderer, JSONP: JSONPRenderer}[media_type]()
    params = {JSON: {"output": "json"}, JSONP: {"callback": "handle", "condensed": "yes"}}
    context = {"request": _ExampleRequest(**params.get(media_type, {}))}
    rendered = renderer.render(data, renderer_context=context)
    text = rendered.decode() if isinstance(rendered, bytes) else rendered
    return json.loads(text) if media_type == JSON else text


def _answer(status, description, examples, *, media_types=(XML, JSON)):
    """{(status, media type): OpenApiResponse} for each of `media_types`, with `examples`
    ({summary: answer data}) as each renders them."""
    answers = {}
    for media_type in media_types:
        if media_type == JSONP:
            body: Any = OpenApiTypes.STR
        else:
            body = AnswerSerializer if status == 200 else ErrorResponseSerializer
        rendered = [
            OpenApiExample(
                summary,
                value=_rendered(data, media_type),
                media_type=media_type,
                status_codes=[status],
                response_only=True,
            )
            for summary, data in examples.items()
        ]
        answers[(status, media_type)] = OpenApiResponse(body, description, rendered)
    return answers


_UNKNOWN_FIELD = messages.UNKNOWN_FIELD_SUGGESTION.format(
    name="profiles_header_5", value="custome_date", suggestion="custom_date"
)

ANSWER_200 = (
    "The batch was imported or validated; or a background import's batch (with `job_id`): "
    "queued (the answer of run_in_background=yes), then customers_batch_status's running, "
    "the synchronous call's answer once done, or failed. JSONP answers are always 200, errors "
    "included, so the callback runs."
)
EXAMPLE_JOB_ID = "5e0f3c1a-8d7b-4f7e-9a53-2f4d2f8a9c10"
JOB_EXAMPLES = {
    "Job queued": job_data(
        job_id=EXAMPLE_JOB_ID, status="queued", lines_done=0, lines_total=100_000, result=None
    ),
    "Job running": job_data(
        job_id=EXAMPLE_JOB_ID, status="running", lines_done=35_000, lines_total=100_000, result=None
    ),
    "Job done": job_data(
        job_id=EXAMPLE_JOB_ID, status="done", lines_done=4, lines_total=4, result=EXAMPLE_RESULT
    ),
    "Job failed": job_data(
        job_id=EXAMPLE_JOB_ID,
        status="failed",
        lines_done=0,
        lines_total=100_000,
        error=WORKER_LOST.format(attempts=3),
    ),
}

CUSTOMERS_BATCH: dict[str, Any] = {
    "summary": "Call the API; type=customers_batch imports customers in bulk (at once, or "
    "as a background job with run_in_background=yes), type=customers_batch_status says "
    "where a job stands, type=customers_batch_failed_lines gives an import's failed lines "
    "as CSV.",
    "description": (
        "Form data, `application/x-www-form-urlencoded` or `multipart/form-data`. Parameter "
        "names are matched case-insensitively; a name given twice (in any case) is refused. "
        "Credentials in the query string are refused. Without `API` the 1.0 rules apply; "
        "`API=1.5` selects the 1.5 spellings. The answer's format is chosen by `output` "
        "and `callback` alone, never by a request header. Only POST is accepted: any other "
        "method is answered 405 with the error envelope and `Allow: POST`."
    ),
    "tags": ["customers_batch"],
    # Both versions, in each of the parsers' media types (api/parsers.py).
    "request": PolymorphicProxySerializer(
        component_name="CustomersBatchRequest",
        serializers=[
            Request10Serializer,
            Request15Serializer,
            FailedLinesRequestSerializer,
            StatusRequestSerializer,
        ],
        resource_type_field_name=None,
    ),
    "parameters": [
        OpenApiParameter(
            API_KEY_HEADER_NAME,
            OpenApiTypes.STR,
            OpenApiParameter.HEADER,
            description="API 1.5: the API key; wins over `user_api_key` in the body. Spelled "
            "`api-access-key` it passes every server and proxy (docs/deploy.md).",
        ),
        OpenApiParameter(
            "Retry-After",
            OpenApiTypes.INT,
            OpenApiParameter.HEADER,
            response=[429, 503],
            description="429: seconds until failures expire (an upper bound); absent when "
            "the account's background jobs are at their cap: when a job ends is not known. "
            f"503: {BUSY_RETRY_AFTER_SECONDS}, since the import SQLite is running may take "
            "minutes.",
        ),
        # DRF's ?format= does not choose this API's answer: output and callback do.
        OpenApiParameter("format", exclude=True),
    ],
    "examples": [
        OpenApiExample(summary, value=value, media_type=parser.media_type, request_only=True)
        for parser in (FormParser, MultiPartParser)
        for summary, value in (("API 1.0", EXAMPLE_REQUEST_10), ("API 1.5", EXAMPLE_REQUEST_15))
    ],
    "responses": {
        **_answer(200, ANSWER_200, {"Imported": batch_data(EXAMPLE_RESULT)}, media_types=(JSONP,)),
        **_answer(200, ANSWER_200, {"Imported": batch_data(EXAMPLE_RESULT), **JOB_EXAMPLES}),
        (200, FAILED_LINES_TYPE.split(";")[0]): OpenApiResponse(
            OpenApiTypes.STR,
            "type=customers_batch_failed_lines: the import's failed lines as CSV (CRLF; "
            "UTF-8 with a byte order mark, or an admin import's own encoding), the file the "
            "admin's undo state page offers, for a person to open in a spreadsheet, fix and "
            "import again through the admin: a header row of `line`, the import's read "
            "columns as the contract names them (an admin import's by its file's own "
            "header texts), then `error`; a row per failed line, in "
            "line order: its line number, its values as sent (customer_password and "
            "customer_PIN always blank: they are not kept), a value that a spreadsheet "
            "would run as a formula (starting with = + - @ TAB or CR, also after a `;`) "
            "given an apostrophe in front, then its error in the admin's words, naming "
            "its column by its header text alone. An import "
            "without failed lines gives the header row alone. Errors are the envelope in "
            "XML or JSON, as for "
            "customers_batch.",
        ),
        (200, FAILED_DATA_TYPE.split(";")[0]): OpenApiResponse(
            OpenApiTypes.STR,
            "type=customers_batch_failed_lines with data_only=yes: a machine file, the "
            "failed lines' values alone as sent (not neutralised; secrets blank), in the "
            "import's delimiter, one line each, nothing else: Profiles_Data to send again.",
        ),
        **_answer(
            400,
            "A request error (nothing was done), or a batch rejected by all_or_nothing "
            "(the error holds the batch and its line errors; nothing was written).",
            {
                "Unknown header field": error_data(_UNKNOWN_FIELD),
                "Unknown job (customers_batch_status)": error_data(
                    UNKNOWN_JOB.format(value=EXAMPLE_JOB_ID)
                ),
                "Rejected by all_or_nothing": batch_data(
                    replace(EXAMPLE_RESULT, status=BatchStatus.REJECTED, undo_state_id=None)
                ),
            },
        ),
        **_answer(
            401,
            "Authentication failed; one message for every cause.",
            {"Not authenticated": error_data(INVALID_CREDENTIALS)},
        ),
        **_answer(
            405,
            "A method other than POST; the answer carries `Allow: POST`.",
            {"Not POST": error_data(METHOD_NOT_ALLOWED)},
        ),
        **_answer(
            413,
            "The body is larger than the server accepts (LOYALTY_MAX_REQUEST_BYTES).",
            {"Too large": error_data(TOO_BIG.format(limit=settings.DATA_UPLOAD_MAX_MEMORY_SIZE))},
        ),
        **_answer(
            429,
            "Too many failed authentication attempts for this user id or client address; or, "
            "with run_in_background=yes, the account has LOYALTY_JOBS_PER_ACCOUNT jobs queued "
            "or running, or their saved bodies would pass LOYALTY_JOB_BODY_BYTES_PER_ACCOUNT "
            "(nothing was queued: submit again once a job has ended).",
            {
                "Throttled": error_data(THROTTLED),
                "Background jobs at the account's cap": error_data(
                    TOO_MANY_JOBS.format(count=settings.LOYALTY["JOBS_PER_ACCOUNT"])
                ),
            },
        ),
        **_answer(
            503,
            "On SQLite only: the call waited the busy timeout (LOYALTY_SQLITE_BUSY_SECONDS, "
            "30 s) behind another import, which holds SQLite's one write lock until it ends "
            "(a background job too, validate_only included): nothing was changed; send it "
            "again after Retry-After. PostgreSQL runs several imports at once.",
            {"SQLite busy with another import": error_data(DATABASE_BUSY.format(waited=30))},
        ),
    },
}
