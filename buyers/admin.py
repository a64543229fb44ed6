"""Admin for buyers and their sourcing needs. Changes to needs made here are announced like
those made on the site, so the matching app rescoring them cannot tell the difference."""

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from buyers.models import Buyer, SourcingNeed, certifications_overlap_check
from buyers.services import sourcing_need_announce, sourcing_need_close, sourcing_need_reopen
from taxonomy.models import Category


class SourcingNeedInline(admin.TabularInline):
    model = SourcingNeed
    fields = ["category", "volume", "unit", "deadline", "status"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Buyer)
class BuyerAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "country", "province", "created_at"]
    list_filter = ["kind", "country"]
    list_select_related = ["country", "province"]
    search_fields = ["name", "members__email"]
    filter_horizontal = ["members"]
    readonly_fields = ["created_at", "updated_at"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    inlines = [SourcingNeedInline]


class SourcingNeedAdminForm(forms.ModelForm):
    class Meta:
        model = SourcingNeed
        fields = [
            "buyer",
            "category",
            "provinces",
            "required_certifications",
            "preferred_certifications",
            "min_stars",
            "volume",
            "unit",
            "order_size",
            "target_price",
            "currency",
            "deadline",
            "notes",
        ]

    def clean(self):
        cleaned = super().clean()
        required = cleaned.get("required_certifications")
        preferred = cleaned.get("preferred_certifications")
        if required is not None and preferred is not None:
            try:
                certifications_overlap_check(required, preferred)
            except forms.ValidationError as error:
                self.add_error(None, error)
        return cleaned


class CategoryGroupFilter(admin.SimpleListFilter):
    title = _("category group")
    parameter_name = "group"

    def lookups(self, request, model_admin):
        return [(group.pk, group.name) for group in Category.objects.filter(parent__isnull=True)]

    def queryset(self, request, queryset):
        if self.value():
            group_id = self.value()
            return queryset.filter(Q(category_id=group_id) | Q(category__parent_id=group_id))
        return queryset


@admin.register(SourcingNeed)
class SourcingNeedAdmin(admin.ModelAdmin):
    form = SourcingNeedAdminForm
    list_display = ["__str__", "buyer", "category", "volume", "unit", "deadline", "status"]
    list_filter = ["status", CategoryGroupFilter, "min_stars", "currency", "buyer__country"]
    list_select_related = ["buyer", "category", "unit"]
    search_fields = ["buyer__name", "notes"]
    date_hierarchy = "created_at"
    filter_horizontal = ["provinces", "required_certifications", "preferred_certifications"]
    raw_id_fields = ["buyer"]
    # Status changes go through the actions, which keep closed_at in step and announce them.
    readonly_fields = [
        "status",
        "closed_at",
        "volume_base",
        "order_size_base",
        "created_at",
        "updated_at",
    ]
    actions = ["close_needs", "reopen_needs"]

    @admin.action(description=_("Close the selected needs"))
    def close_needs(self, request, queryset):
        for need in queryset:
            sourcing_need_close(need=need)
        self.message_user(request, _("The selected needs are closed."), messages.SUCCESS)

    @admin.action(description=_("Reopen the selected needs"))
    def reopen_needs(self, request, queryset):
        for need in queryset:
            sourcing_need_reopen(need=need)
        self.message_user(request, _("The selected needs are open again."), messages.SUCCESS)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        sourcing_need_announce(need=form.instance, action="updated" if change else "created")
