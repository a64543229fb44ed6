from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from forums import participant_views as forum_participant_views
from producers import views as producer_views

urlpatterns = [
    path("", producer_views.home, name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("account/", include("accounts.urls")),
    path("catalogue/", include("producers.catalogue_urls")),
    path("", include("producers.urls")),
    path("", include("producers.importing.urls")),
    path("", include("buyers.urls")),
    path("", include("forums.urls")),
    path("forums/", include("forums.forum_urls")),
    path("calendar/<str:token>.ics", forum_participant_views.calendar_feed, name="calendar_feed"),
    path("", include("matching.urls")),
    path("api/v1/", include("forum_market.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

if settings.DEBUG or settings.TESTING:
    # Public media only; evidence files live outside this URL space (see PrivateMediaStorage).
    urlpatterns += [
        path(
            f"{settings.MEDIA_URL.strip('/')}/<path:path>",
            serve,
            {"document_root": settings.MEDIA_ROOT},
        )
    ]
