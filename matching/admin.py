"""Admin views of matching: weights are edited here or on /matching/weights/; runs,
suggestions, dismissals and digests are read-only records."""

from django.contrib import admin

from matching.models import DigestSent, Dismissal, MatchingWeights, MatchRun, Suggestion


@admin.register(MatchingWeights)
class MatchingWeightsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "category", "province", "certification", "volume", "min_order")
    list_select_related = ("forum",)
    raw_id_fields = ("forum",)
    readonly_fields = ("updated_at", "updated_by")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(MatchRun)
class MatchRunAdmin(ReadOnlyAdmin):
    list_display = ("pk", "kind", "status", "forum", "created_at", "suggestions_written")
    list_filter = ("kind", "status")
    list_select_related = ("forum",)


@admin.register(Suggestion)
class SuggestionAdmin(ReadOnlyAdmin):
    list_display = ("pk", "need", "product", "score", "need_rank", "producer_rank")
    list_select_related = ("need__category", "need__buyer", "product")
    raw_id_fields = ("need", "product", "producer", "buyer", "run")


@admin.register(Dismissal)
class DismissalAdmin(ReadOnlyAdmin):
    list_display = ("pk", "side", "need", "product", "producer", "created_at")
    raw_id_fields = ("need", "product", "producer", "user")


@admin.register(DigestSent)
class DigestSentAdmin(ReadOnlyAdmin):
    list_display = ("pk", "user", "run", "sent_at")
    raw_id_fields = ("user", "run")
