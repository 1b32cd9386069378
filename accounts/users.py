"""The user type for annotations: the model settings.AUTH_USER_MODEL names."""

from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser

if TYPE_CHECKING:
    # django-stubs' name for the configured user model: its plugin resolves it to
    # AUTH_USER_MODEL, as it does the foreign keys to it (UndoState.user and the others).
    from django.contrib.auth.models import _User as User
else:
    # At run time only the base every user model has: annotations are not evaluated.
    from django.contrib.auth.base_user import AbstractBaseUser as User


def signed_in(user: "User | AnonymousUser") -> "User":
    """The user of a request that authentication admitted (the admin's, or the API's after
    its permission); TypeError for an anonymous one, which no such request has."""
    if isinstance(user, AnonymousUser):
        raise TypeError("an authenticated request has no anonymous user")
    return user


__all__ = ["User", "signed_in"]
