from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.utils import translation

from accounts.models import User


class AccountAdapter(DefaultAccountAdapter):
    """Sign-up stores role, name and language; emails go out in the user's language."""

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        data = form.cleaned_data
        role = data.get("role")
        # Only the two self-service roles are accepted from a form; organisers are appointed.
        user.role = role if role in (User.Role.PRODUCER, User.Role.BUYER) else User.Role.BUYER
        user.full_name = data.get("full_name", "")
        language = data.get("language") or translation.get_language() or "en"
        user.language = language if language in dict(settings.LANGUAGES) else "en"
        if commit:
            user.save()
        return user

    def send_mail(self, template_prefix, email, context):
        user = context.get("user")
        language = getattr(user, "language", None) or translation.get_language()
        with translation.override(language):
            super().send_mail(template_prefix, email, context)

    def get_login_redirect_url(self, request):
        user = request.user
        if getattr(user, "is_producer", False):
            return "/producer/"
        if getattr(user, "is_organiser", False):
            return "/review/"
        return super().get_login_redirect_url(request)
