"""Every sentence a rollback shows shop staff, in one place: its refusals, its conflicts,
the summary of what it will do and of what it did. Customers are named by their code; a
customer an import "added" is one it created, one it "changed" one it wrote; a ledger
entry (campaigns.models.Transaction) is a "credit", as the model's verbose name says it
everywhere else in the admin."""

ALREADY_ROLLED_BACK = "This import was already rolled back on {when} by {who}."
PRUNED = (
    "This import's undo data was pruned (only the newest {n} imports per account keep it); "
    "it can no longer be rolled back."
)
CONFLICTS = (
    "{count:customer} of this import {count:was/were} changed after it (by the admin, "
    "another import or a later credit). To roll back anyway, tick “Roll back anyway” and "
    "confirm again: those later changes are overwritten or removed."
)
IDENTITY_TAKEN = (
    "{count:customer} of this import would get back a code, card number or username that "
    "another customer holds now; change those customers first. Nothing was rolled back."
)
UNKNOWN_USER = "an unknown user"
UNKNOWN_TIME = "an unknown date"

# Conflict reasons, by kind; {code} is the customer's code.
CHANGED_REASON = (
    "Customer {code} was changed after the import; rolling back gives it back the details "
    "it had before the import, so those later changes are lost."
)
CHANGED_CREATED_REASON = (
    "Customer {code} was added by this import and changed after it; rolling back deletes "
    "the customer, with those later changes."
)
# A CHANGED conflict whose customer was saved in the admin after the import (its change
# log says when and by whom): named as the hand edit it is (a shop owner's report).
CHANGED_BY_HAND_REASON = (
    "Customer {code} was changed by hand on {when} by {who}, after the import; rolling back "
    "gives it back the details it had before the import, so that change is lost."
)
CHANGED_CREATED_BY_HAND_REASON = (
    "Customer {code} was added by this import and changed by hand on {when} by {who}; "
    "rolling back deletes the customer, with that change."
)
DELETED_REASON = "Customer {code} was deleted after the import; it is not brought back."
CREATED_ENTRIES_REASON = (
    "Customer {code} was added by this import and has credits booked after it; rolling "
    "back deletes the customer with those credits."
)
CREATED_ENROLLMENTS_REASON = (
    "Customer {code} was added by this import and enrolled in a campaign after it; rolling "
    "back deletes the customer with that enrollment."
)
WRITTEN_ENTRIES_REASON = (
    "Customer {code} has credits booked after the import; they are kept, and only this "
    "import's credits are removed."
)
IDENTITY_TAKEN_REASON = (
    "Customer {code} cannot get its {field} {value} back: customer {holder} holds it now."
)
# How many customers of each kind, after "Of these:": a count of customers, never "1
# credits booked" (a shop owner's report).
CONFLICT_KINDS_COUNTED = {
    "changed": "{count:,} changed after the import",
    "deleted": "{count:,} deleted after the import",
    "later_enrollments": "{count:,} added by this import and enrolled in a campaign after it",
    "later_entries": "{count:,} with credits booked after the import",
    "identity_taken": "{count:,} whose code, card number or username another customer holds",
}
# The confirmation page's count of conflicts, before the count of each kind.
# The kinds are listed after it only when there are several, so one kind is said once.
CONFLICT_COUNT = "{count:customer} of this import {count:was/were} changed after it."
CONFLICT_KINDS_SAID = "Of these: {kinds}."
# When a customer is counted under more than one kind (changed and credited since).
CONFLICT_KINDS_OVERLAP_SAID = "Of these (a customer may be counted under more than one): {kinds}."
# A later import, still undoable, that wrote customers of this one.
LATER_IMPORT = (
    "{count:Customer/Customers} {codes} {count:was/were} changed later by import {pk} (by "
    "{who}, {origin}): roll that back first to undo in order."
)
# Conflict kinds as the confirmation page counts them and the download names them.
CONFLICT_KINDS = {
    "changed": "changed after the import",
    "deleted": "deleted after the import",
    "later_enrollments": "enrolled in a campaign after the import",
    "later_entries": "credits booked after the import",
    "identity_taken": "code, card number or username held by another customer",
}

# The confirmation page: what the rollback will do.
WILL_DELETE = (
    "{count:customer} this import added {count:is/are} deleted, with their campaign "
    "enrollments and credits."
)
WILL_RESTORE = (
    "{count:customer} this import changed {count:gets/get} back the details they had before it."
)
WILL_REMOVE = "{enrollments:campaign enrollment} and {credits:credit} this import gave are removed."
WILL_NOT_BRING_BACK = (
    "{count:customer} this import changed {count:was/were} deleted since; {count:it is/they "
    "are} not brought back."
)
WILL_LEAVE_AS_IS = (
    "{count:customer} this import changed already got back the details {count:it/they} had "
    "before import {pk}, when that import was rolled back; {count:it is/they are} left as "
    "{count:it is/they are}."
)
# Given after the import to customers it added: deleted with them (an out-of-order rollback).
WILL_REMOVE_LATER = (
    "With the customers it added, {enrollments:campaign enrollment} and {credits:credit} "
    "given to them after the import are removed too{imports}."
)
WILL_REMOVE_LATER_IMPORTS = " ({count:import/imports} {pks})"
# The confirmation page's button, beside "No, take me back".
CONFIRM_LABEL = "Yes, undo this import"
OVERWRITE_LABEL = "Roll back anyway: overwrite or delete these later changes"
NO_CONFLICTS = "No customer of this import was changed after it."
CONFLICTS_SHOWN = "The first {shown:,} of {count:,} are listed; download them all as a CSV file."
NOTHING_TO_ROLL_BACK = (
    "There is nothing to roll back: this import added no customer, changed none and gave no "
    "enrollment or credit."
)
ALL_LINES_FAILED = "Every line of this import failed ({failed:,}), so it changed nothing."

# The message after a rollback, and the refusal when its conflicts changed meanwhile.
ROLLED_BACK = (
    "Import {pk} rolled back: {deleted:customer} it added deleted, {restored:customer} given "
    "back the details they had before it, {enrollments:enrollment} and {credits:credit} "
    "removed."
)
CONFLICTS_CHANGED = (
    "The conflicts changed since the page was shown. Nothing was rolled back; review them "
    "again below."
)
# A large import's rollback handed to a background job (customers/rollback_background.py).
ROLLBACK_QUEUED = (
    "The rollback of import {pk} runs in the background: this page follows it, and you can "
    "leave it and come back: Import jobs lists it."
)
ROLLBACK_ALREADY_QUEUED = (
    "A rollback of import {pk} is already queued or running: it was not queued again. Follow "
    "it under Import jobs."
)
# A rollback run in the background found other conflicts than those confirmed.
CONFLICTS_CHANGED_SINCE = (
    "The conflicts changed after the rollback was confirmed. Nothing was rolled back; review "
    "them again on the import's rollback page."
)

# The undo state's page once the import was rolled back: what the rollback did.
ROLLED_BACK_ON = "This import was rolled back on {when} by {who}."
DID_DELETE = "{count:customer} this import added {count:was/were} deleted."
DID_RESTORE = "{count:customer} this import changed got back the details they had before it."
DID_REMOVE = "{enrollments:enrollment} and {credits:credit} were removed."
DID_LEAVE_AS_IS = (
    "{count:customer} this import changed {count:was/were} left as {count:it was/they were}: "
    "the rollback of import {pk} had already given {count:it/them} back the details from "
    "before that import."
)
# A later import's page, after an earlier import's rollback deleted customers it had
# given enrollments or credits to.
TAKEN_BY_ROLLBACK = (
    "{count:,} of them {count:was/were} removed when import {pk} was rolled back: it deleted "
    "the customers {count:it was/they were} given to."
)
ROLLED_BACK_UNKNOWN = "What the rollback did was not recorded (it was done by an earlier version)."
PRUNED_EFFECTS = (
    "This import's undo data was pruned: which customers it added and changed is no longer known."
)
# What the import did, beside the lines it counted.
UNCHANGED_LINES = (
    "{count:,} of the {updated:line} updated changed nothing (the customer already had those "
    "details, or an earlier line of the file had written them)."
)
# Unchanged lines counted apart (customers/import_counts.py): what else makes fewer
# customers changed than lines Updated.
REPEATED_LINES = (
    "{count:,} of the {updated:line} updated changed a customer that another line of the "
    "file had also changed or added, so fewer customers than lines were changed."
)
