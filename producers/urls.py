"""Producer pages under /producer/ and the organisers' review under /review/."""

from django.urls import path

from producers import views

app_name = "producers"
urlpatterns = [
    path("producer/", views.dashboard, name="dashboard"),
    path("producer/profile/new/", views.profile_create, name="profile_create"),
    path("producer/profile/", views.profile_edit, name="profile_edit"),
    path("producer/products/new/", views.product_create, name="product_create"),
    path("producer/products/<int:pk>/", views.product_detail, name="product_detail"),
    path("producer/products/<int:pk>/edit/", views.product_edit, name="product_edit"),
    path("producer/products/<int:pk>/delete/", views.product_delete, name="product_delete"),
    path("producer/products/<int:pk>/submit/", views.product_submit, name="product_submit"),
    path("producer/products/<int:pk>/revise/", views.product_revise, name="product_revise"),
    path("producer/products/<int:pk>/photos/", views.photo_upload, name="photo_upload"),
    path("producer/photos/<int:pk>/delete/", views.photo_delete, name="photo_delete"),
    path(
        "producer/products/<int:pk>/certifications/",
        views.certification_add,
        name="certification_add",
    ),
    path(
        "producer/certifications/<int:pk>/delete/",
        views.certification_delete,
        name="certification_delete",
    ),
    path(
        "producer/certifications/<int:pk>/evidence/",
        views.certification_evidence,
        name="certification_evidence",
    ),
    path("review/", views.review_queue, name="review_queue"),
    path("review/<int:pk>/approve/", views.review_approve, name="review_approve"),
    path("review/<int:pk>/reject/", views.review_reject, name="review_reject"),
    path(
        "review/certifications/<int:pk>/verify/",
        views.certification_verify,
        name="certification_verify",
    ),
]
