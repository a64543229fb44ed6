"""The Celery app. With no REDIS_URL, settings make every task run eagerly in-process."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "forum_market.settings")

app = Celery("forum_market")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
