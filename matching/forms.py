"""Forms for the organisers' matching pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from forums.models import Forum
from matching.models import MatchingWeights


class MatchingWeightsForm(forms.ModelForm):
    class Meta:
        model = MatchingWeights
        fields = [
            "category",
            "province",
            "certification",
            "volume",
            "min_order",
            "group_match_factor",
            "distance_scale_km",
            "k",
        ]
        widgets = {
            name: forms.NumberInput(attrs={"step": "any", "min": "0", "inputmode": "decimal"})
            for name in ("category", "province", "certification", "volume", "min_order")
        }


class RunStartForm(forms.Form):
    forum = forms.ModelChoiceField(
        label=_("Forum"),
        queryset=Forum.objects.order_by("-created_at"),
        required=False,
        empty_label=_("Everyone (all producers and buyers)"),
        help_text=_("Score only one forum's participants, with that forum's weights."),
    )
