"""The public catalogue of approved listings, under /catalogue/."""

from django.urls import path

from producers import views

app_name = "catalogue"
urlpatterns = [
    path("", views.catalogue_list, name="list"),
    path("<int:pk>/", views.catalogue_detail, name="detail"),
]
