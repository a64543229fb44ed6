"""Every model admin's list page opens for a superuser (no broken list_display,
list_select_related or field names)."""

import pytest
from django.contrib import admin
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "model",
    list(admin.site._registry),
    ids=lambda model: f"{model._meta.app_label}.{model._meta.model_name}",
)
def test_admin_changelist_opens(admin_client, model):
    opts = model._meta
    response = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert response.status_code == 200
