"""The REST API, version 1: included at /api/v1/ by forum_market/urls.py.

Every view here answers errors in the one shape of `forum_market.api`; unknown paths too.
"""

from django.urls import path, re_path

from buyers import api as buyers_api
from forum_market import api
from forums import api as forums_api
from producers import api as producers_api

app_name = "api"
urlpatterns = [
    path("auth/token/", api.AuthTokenApi.as_view(), name="auth_token"),
    # The public catalogue.
    path("catalogue/", producers_api.CatalogueListApi.as_view(), name="catalogue_list"),
    path(
        "catalogue/<int:pk>/", producers_api.CatalogueDetailApi.as_view(), name="catalogue_detail"
    ),
    # A producer's own listings.
    path(
        "producer/products/",
        producers_api.ProducerProductListApi.as_view(),
        name="producer_products",
    ),
    path(
        "producer/products/<int:pk>/",
        producers_api.ProducerProductDetailApi.as_view(),
        name="producer_product",
    ),
    path(
        "producer/products/<int:pk>/submit/",
        producers_api.ProducerProductSubmitApi.as_view(),
        name="producer_product_submit",
    ),
    # A buyer's sourcing needs.
    path("buyer/needs/", buyers_api.NeedListApi.as_view(), name="buyer_needs"),
    path("buyer/needs/<int:pk>/", buyers_api.NeedDetailApi.as_view(), name="buyer_need"),
    path("buyer/needs/<int:pk>/close/", buyers_api.NeedCloseApi.as_view(), name="buyer_need_close"),
    path(
        "buyer/needs/<int:pk>/reopen/",
        buyers_api.NeedReopenApi.as_view(),
        name="buyer_need_reopen",
    ),
    # The organisers' review queue.
    path("review/", producers_api.ReviewListApi.as_view(), name="review_list"),
    path(
        "review/<int:pk>/approve/", producers_api.ReviewApproveApi.as_view(), name="review_approve"
    ),
    path("review/<int:pk>/reject/", producers_api.ReviewRejectApi.as_view(), name="review_reject"),
    # Meeting requests.
    path(
        "meeting-requests/",
        forums_api.MeetingRequestListApi.as_view(),
        name="meeting_requests",
    ),
    path(
        "meeting-requests/<int:pk>/",
        forums_api.MeetingRequestDetailApi.as_view(),
        name="meeting_request",
    ),
    path(
        "meeting-requests/<int:pk>/accept/",
        forums_api.MeetingRequestAcceptApi.as_view(),
        name="meeting_request_accept",
    ),
    path(
        "meeting-requests/<int:pk>/decline/",
        forums_api.MeetingRequestDeclineApi.as_view(),
        name="meeting_request_decline",
    ),
    path(
        "meeting-requests/<int:pk>/cancel/",
        forums_api.MeetingRequestCancelApi.as_view(),
        name="meeting_request_cancel",
    ),
    re_path(r"^.*$", api.ApiNotFound.as_view(), name="not_found"),
]
