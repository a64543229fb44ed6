"""Buyer pages under /buyer/, and the needs producers browse under /needs/.

Wired into the project with `path("", include("buyers.urls"))`.
"""

from django.urls import path

from buyers import views

app_name = "buyers"
urlpatterns = [
    path("buyer/", views.dashboard, name="dashboard"),
    path("buyer/profile/", views.profile, name="profile"),
    path("buyer/needs/new/", views.need_create, name="need_create"),
    path("buyer/needs/<int:pk>/edit/", views.need_edit, name="need_edit"),
    path("buyer/needs/<int:pk>/close/", views.need_close, name="need_close"),
    path("buyer/needs/<int:pk>/reopen/", views.need_reopen, name="need_reopen"),
    path("needs/", views.needs_for_producer, name="needs_for_producer"),
    path("needs/<int:pk>/", views.need_detail, name="need_detail"),
]
