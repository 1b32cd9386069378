"""What a job's failure and its lookup say, in an integrator's words."""

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
