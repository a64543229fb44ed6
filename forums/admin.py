from django.contrib import admin

from forums.models import (
    Forum,
    ForumBuyer,
    ForumDay,
    ForumProducer,
    Meeting,
    MeetingFeedback,
    MeetingRequest,
    ScheduleRun,
)


class ForumDayInline(admin.TabularInline):
    model = ForumDay
    extra = 0


@admin.register(Forum)
class ForumAdmin(admin.ModelAdmin):
    list_display = ["name", "province", "venue", "tables", "status", "schedule_published_at"]
    list_filter = ["status", "province__country"]
    search_fields = ["name", "venue"]
    filter_horizontal = ["organisers"]
    inlines = [ForumDayInline]
    list_select_related = ["province"]


@admin.register(ForumProducer)
class ForumProducerAdmin(admin.ModelAdmin):
    list_display = ["producer", "forum", "booth"]
    list_filter = ["forum"]
    search_fields = ["producer__name", "booth"]
    list_select_related = ["producer", "forum"]
    exclude = ["unavailable_slots"]


@admin.register(ForumBuyer)
class ForumBuyerAdmin(admin.ModelAdmin):
    list_display = ["buyer", "forum"]
    list_filter = ["forum"]
    search_fields = ["buyer__name"]
    list_select_related = ["buyer", "forum"]
    exclude = ["unavailable_slots"]


@admin.register(MeetingRequest)
class MeetingRequestAdmin(admin.ModelAdmin):
    list_display = ["buyer", "producer", "product", "forum", "initiated_by", "status", "expires_at"]
    list_filter = ["status", "initiated_by", "forum"]
    search_fields = ["buyer__name", "producer__name"]
    list_select_related = ["buyer", "producer", "product", "forum"]
    raw_id_fields = ["buyer", "producer", "product", "need", "created_by"]


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["buyer", "producer", "forum", "slot", "table", "status"]
    list_filter = ["status", "forum"]
    list_select_related = ["buyer", "producer", "forum", "slot"]
    raw_id_fields = ["request", "buyer", "producer", "product", "slot"]


@admin.register(MeetingFeedback)
class MeetingFeedbackAdmin(admin.ModelAdmin):
    list_display = ["meeting", "side", "rating", "outcome"]
    list_filter = ["outcome", "side"]
    raw_id_fields = ["meeting", "author"]


@admin.register(ScheduleRun)
class ScheduleRunAdmin(admin.ModelAdmin):
    list_display = ["forum", "kind", "status", "progress", "time_limit", "created_at"]
    list_filter = ["status", "kind", "forum"]
    list_select_related = ["forum"]
    raw_id_fields = ["forum", "started_by"]
    readonly_fields = ["summary", "error", "message", "progress"]
