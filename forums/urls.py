"""Meeting-request pages under /requests/.

Wired into the project with `path("", include("forums.urls"))`.
"""

from django.urls import path

from forums import views

app_name = "forums"
urlpatterns = [
    path("requests/incoming/", views.requests_incoming, name="requests_incoming"),
    path("requests/outgoing/", views.requests_outgoing, name="requests_outgoing"),
    path("requests/new/product/<int:product_pk>/", views.request_create, name="request_create"),
    path("requests/new/need/<int:need_pk>/", views.request_offer, name="request_offer"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("requests/<int:pk>/accept/", views.request_accept, name="request_accept"),
    path("requests/<int:pk>/decline/", views.request_decline, name="request_decline"),
    path("requests/<int:pk>/cancel/", views.request_cancel, name="request_cancel"),
]
