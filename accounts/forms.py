from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.models import User


class SignupRoleForm(forms.Form):
    """Extra sign-up fields for allauth: who the person is. Organisers are never self-made."""

    full_name = forms.CharField(label=_("Your name"), max_length=150)
    role = forms.ChoiceField(
        label=_("I am a"),
        choices=[(User.Role.PRODUCER, _("Producer")), (User.Role.BUYER, _("Buyer"))],
        widget=forms.RadioSelect,
    )
    language = forms.ChoiceField(
        label=_("Preferred language"), choices=settings.LANGUAGES, initial="en"
    )

    def signup(self, request, user):
        # allauth's adapter has already copied the cleaned fields onto the user.
        pass


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["full_name", "language", "digest_opt_out"]
