import getpass

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from accounts.services import organiser_create


class Command(BaseCommand):
    help = "Create an organiser (a provincial OVOP/OCOP committee member), or promote a user."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--name", default="")
        parser.add_argument(
            "--password", help="Password to set; asked for interactively when omitted."
        )

    def handle(self, *args, email, name, password, **options):
        try:
            validate_email(email)
        except ValidationError as exc:
            raise CommandError(f"'{email}' is not a valid email address.") from exc
        if password is None and options.get("interactive", True):
            password = getpass.getpass("Password: ")
        user = organiser_create(email=email, password=password, full_name=name)
        self.stdout.write(self.style.SUCCESS(f"Organiser {user.email} is ready."))
