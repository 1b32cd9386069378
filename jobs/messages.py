"""What a job's failure, its lookup and the account's caps say: in an integrator's words
for the API, in shop words (ADMIN_*, ROLLBACK_*) for the admin."""

UNKNOWN_JOB = "job_id {value} is unknown: no import job of this account has that id."
MISSING_JOB_ID = (
    "job_id is required: the id that customers_batch with run_in_background=yes answered."
)
WORKER_LOST = (
    "The import stopped {attempts} times before it finished (its worker process ended: "
    "killed, out of memory, or restarted). Nothing of it was written. Submit it again, or "
    "split it into smaller batches."
)
BODY_LOST = "The import could not start: {reason}. Nothing was written; submit it again."
CRASHED = (
    "The import failed on the server ({kind}). Nothing was written; submit it again, and "
    "tell support the job_id if it fails again."
)

# The account's caps (LOYALTY["JOBS_PER_ACCOUNT"], ["JOB_BODY_BYTES_PER_ACCOUNT"]).
TOO_MANY_JOBS = (
    "run_in_background=yes refused: this account has {count:,} background jobs queued or "
    "running, the most it may have at once. Nothing was queued; submit it again once one of "
    "them has ended (customers_batch_status says when), or send it without run_in_background."
)
TOO_MANY_BODY_BYTES = (
    "run_in_background=yes refused: this account's queued and running background jobs hold "
    "{held} of data and this batch {size}, over the {cap} one account may have "
    "waiting. Nothing was queued; submit it again once one of them has ended, send it "
    "without run_in_background, or split it into smaller batches."
)
ADMIN_TOO_MANY_JOBS = (
    "This account has {count:,} imports or rollbacks running in the background already, the "
    "most it may have at once. Nothing was imported: upload the file again once one of them "
    "has finished (Import jobs lists them)."
)
ADMIN_TOO_MANY_BODY_BYTES = (
    "The imports waiting in the background for this account hold {held} of data and this "
    "file {size}, over the {cap} one account may have waiting. Nothing was imported: "
    "upload the file again once one of them has finished (Import jobs lists them), or split "
    "it into smaller files."
)
ROLLBACK_TOO_MANY_JOBS = (
    "This account has {count:,} imports or rollbacks running in the background already, the "
    "most it may have at once. Nothing was rolled back: confirm the rollback again once one "
    "of them has finished (Import jobs lists them)."
)

# A rollback job's ends (its other refusals are customers/rollback_messages.py's).
ROLLBACK_WORKER_LOST = (
    "The rollback stopped {attempts} times before it finished (its worker process ended: "
    "killed, out of memory, or restarted). Nothing was rolled back; confirm it again."
)
ROLLBACK_CRASHED = (
    "The rollback failed on the server ({kind}). Nothing was rolled back; try again, and "
    "tell support the job's id if it fails again."
)

# A job's page and list, in shop words: its title (what and when). Its status is said by
# ImportJob.Status's labels (Queued, Running, Done, Failed).
IMPORT_TITLE = "Import of {file}, {when}"
API_IMPORT_TITLE = "Import from the API, {when}"
ROLLBACK_TITLE = "Rollback of import {pk}{file}, {when}"
# An import job whose import was rolled back afterwards (from its undo state's page).
ROLLED_BACK_STATUS = "Done, since rolled back"
