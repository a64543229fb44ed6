"""The import under /organiser/import/, claim codes under /organiser/claims/ and /claim/,
and the catalogue export under /catalogue/export/."""

from django.urls import path

from producers.importing import views

app_name = "importing"
urlpatterns = [
    path("organiser/import/", views.upload, name="upload"),
    path(
        "organiser/import/template/<str:language>.<str:file_format>",
        views.template,
        name="template",
    ),
    path("organiser/import/<uuid:pk>/", views.preview, name="preview"),
    path("organiser/import/<uuid:pk>/mapping/", views.mapping, name="mapping"),
    path("organiser/import/<uuid:pk>/check/", views.recheck, name="recheck"),
    path("organiser/import/<uuid:pk>/commit/", views.commit, name="commit"),
    path("organiser/import/<uuid:pk>/done/", views.done, name="done"),
    path("organiser/claims/", views.claims, name="claims"),
    path("organiser/claims/print/", views.claims_print, name="claims_print"),
    path("organiser/claims/invite/", views.claims_invite, name="claims_invite"),
    path("claim/", views.claim, name="claim"),
    path("catalogue/export/", views.catalogue_export, name="export"),
]
