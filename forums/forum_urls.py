"""Forum pages under /forums/: organisers' (create, edit, booths, schedule, publish,
meetings, dashboard, exports) and participants' (register, availability, agenda, feedback).

Wired into the project with `path("forums/", include("forums.forum_urls"))`; the calendar
feed is at /calendar/<token>.ics (see forum_market/urls.py).
"""

from django.urls import path

from forums import organiser_views as org
from forums import participant_views as part

app_name = "forum_pages"
urlpatterns = [
    path("", org.forum_list, name="list"),
    path("new/", org.forum_create, name="create"),
    path("mine/", part.forums_mine, name="mine"),
    path("<int:pk>/", org.forum_detail, name="detail"),
    path("<int:pk>/edit/", org.forum_edit, name="edit"),
    path("<int:pk>/slots/", org.forum_slots_regenerate, name="slots_regenerate"),
    path("<int:pk>/participants/", org.forum_participants, name="participants"),
    path("<int:pk>/schedule/", org.forum_schedule, name="schedule"),
    path("<int:pk>/schedule/<int:run_pk>/", org.schedule_run, name="run"),
    path("<int:pk>/schedule/<int:run_pk>/publish/", org.schedule_run_publish, name="publish"),
    path("<int:pk>/meetings/", org.forum_meetings, name="meetings"),
    path("<int:pk>/meetings/<int:meeting_pk>/mark/", org.meeting_mark, name="meeting_mark"),
    path("<int:pk>/dashboard/", org.forum_dashboard, name="dashboard"),
    path("<int:pk>/export/<slug:kind>.<slug:fmt>", org.forum_export, name="export"),
    path("<int:pk>/register/", part.forum_register, name="register"),
    path("<int:pk>/availability/", part.forum_availability, name="availability"),
    path("<int:pk>/agenda/", part.forum_agenda, name="agenda"),
    path(
        "<int:pk>/meetings/<int:meeting_pk>/feedback/",
        part.meeting_feedback,
        name="meeting_feedback",
    ),
]
