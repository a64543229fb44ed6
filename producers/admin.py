"""Admin for producers and listings. Review decisions belong in the review queue, which
emails the producer; the admin is for fixing data."""

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from producers.models import HeldCertification, Producer, Product, ProductPhoto


@admin.register(Producer)
class ProducerAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "village", "province", "phone", "created_at"]
    list_filter = ["kind", "province__country", "province"]
    search_fields = ["name", "village", "phone", "email", "members__email"]
    list_select_related = ["province"]
    filter_horizontal = ["members"]
    readonly_fields = ["created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "name" in form.changed_data:
            # Listings are searched by their producer's name too.
            Product.objects.filter(producer=obj).search_text_refresh()


class ProductPhotoInline(admin.TabularInline):
    model = ProductPhoto
    extra = 0
    fields = ["image", "position"]


class HeldCertificationInlineForm(forms.ModelForm):
    class Meta:
        model = HeldCertification
        fields = ["certification", "expires_on", "evidence", "verified_at", "verified_by"]
        # Evidence has no public URL, so the usual "currently: <link>" widget cannot render.
        widgets = {"evidence": forms.FileInput}


class HeldCertificationInline(admin.TabularInline):
    model = HeldCertification
    form = HeldCertificationInlineForm
    extra = 0
    fields = [
        "certification",
        "expires_on",
        "evidence",
        "evidence_link",
        "verified_at",
        "verified_by",
    ]
    readonly_fields = ["evidence_link"]
    raw_id_fields = ["verified_by"]

    @admin.display(description=_("evidence file"))
    def evidence_link(self, obj):
        if not obj.pk or not obj.evidence:
            return "—"
        url = reverse("producers:certification_evidence", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("download"))


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "producer", "category", "status", "revision_of", "submitted_at"]
    list_filter = ["status", "category__parent", "category", "producer__province"]
    search_fields = ["name", "name_en", "producer__name"]
    list_select_related = ["producer", "category", "revision_of"]
    raw_id_fields = ["producer", "revision_of", "reviewed_by"]
    readonly_fields = ["capacity_base", "min_order_base", "created_at", "updated_at"]
    date_hierarchy = "created_at"
    inlines = [ProductPhotoInline, HeldCertificationInline]
