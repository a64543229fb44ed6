"""The OpenAPI 3 schema describes the whole API without a warning, and the docs page loads."""

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_the_schema_endpoint_serves_a_valid_openapi_document(anon):
    response = anon.get("/api/schema/")

    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for path in (
        "/api/v1/auth/token/",
        "/api/v1/catalogue/",
        "/api/v1/catalogue/{id}/",
        "/api/v1/producer/products/{id}/submit/",
        "/api/v1/buyer/needs/{id}/reopen/",
        "/api/v1/review/{id}/reject/",
        "/api/v1/meeting-requests/{id}/cancel/",
    ):
        assert path in paths
    catalogue = {
        parameter["name"] for parameter in paths["/api/v1/catalogue/"]["get"]["parameters"]
    }
    assert {"q", "category", "province", "min_stars", "sort", "page", "page_size"} <= catalogue
    assert "Error" in schema["components"]["schemas"]


def test_the_schema_validates_with_no_warnings(tmp_path):
    # Raises SchemaGenerationError on any warning, and validates against the OpenAPI spec.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", tmp_path / "s.yaml")

    assert (tmp_path / "s.yaml").read_text().startswith("openapi: 3.")


def test_the_docs_page_loads(anon):
    assert anon.get("/api/docs/").status_code == 200
