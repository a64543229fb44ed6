"""Matching pages: buyers' and producers' suggestions, and the organisers' runs and weights.

Wired into the project with `path("", include("matching.urls"))`.
"""

from django.urls import path

from matching import views

app_name = "matching"
urlpatterns = [
    path("buyer/needs/<int:pk>/suggestions/", views.need_suggestions, name="need_suggestions"),
    path(
        "buyer/suggestions/<int:pk>/request/",
        views.suggestion_request,
        name="suggestion_request",
    ),
    path(
        "buyer/suggestions/<int:pk>/dismiss/",
        views.suggestion_dismiss_buyer,
        name="suggestion_dismiss_buyer",
    ),
    path("producer/suggestions/", views.producer_suggestions, name="producer_suggestions"),
    path("producer/suggestions/<int:pk>/offer/", views.suggestion_offer, name="suggestion_offer"),
    path(
        "producer/suggestions/<int:pk>/dismiss/",
        views.suggestion_dismiss_producer,
        name="suggestion_dismiss_producer",
    ),
    path("matching/runs/", views.runs, name="runs"),
    path("matching/weights/", views.weights, name="weights"),
    path("matching/weights/<int:forum_pk>/", views.weights, name="forum_weights"),
]
