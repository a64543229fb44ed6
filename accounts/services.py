"""Writes about people."""

from allauth.account.models import EmailAddress
from django.db import transaction

from accounts.models import User


@transaction.atomic
def organiser_create(*, email: str, password: str | None, full_name: str = "") -> User:
    """Make (or promote) an organiser whose email address counts as verified."""
    email = email.strip().lower()
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=password, full_name=full_name)
    elif password:
        user.set_password(password)
    user.role = User.Role.ORGANISER
    user.is_staff = True
    if full_name:
        user.full_name = full_name
    user.save()
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


@transaction.atomic
def user_create_verified(*, email: str, password: str, role: str, full_name: str = "") -> User:
    """A user whose address is already verified: for demo data and tests."""
    email = email.strip().lower()
    user, _created = User.objects.get_or_create(
        email=email, defaults={"role": role, "full_name": full_name}
    )
    user.role = role
    user.full_name = full_name or user.full_name
    user.set_password(password)
    user.save()
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user
