"""Catalogue search: Product.search_text, filled in for existing listings, and on PostgreSQL the
pg_trgm extension and a GIN trigram index on it; partial indexes for the public list's two
orders (newest, largest capacity).

The PostgreSQL parts do nothing on SQLite (PostgresTrigramIndex creates no index there, and
the extension operation is skipped), so the same migration runs on both.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

import producers.models
from producers.models import product_search_text


class TrigramExtensionOnPostgres(TrigramExtension):
    """CREATE EXTENSION pg_trgm on PostgreSQL only. Never dropped on the way back: other
    apps' indexes may use it too."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        pass


def search_text_fill(apps, schema_editor):
    Product = apps.get_model("producers", "Product")
    products = list(
        Product.objects.select_related("producer").only(
            "name", "name_en", "description", "description_en", "producer__name"
        )
    )
    for product in products:
        product.search_text = product_search_text(
            name=product.name,
            name_en=product.name_en,
            producer_name=product.producer.name,
            description=product.description,
            description_en=product.description_en,
        )
    Product.objects.bulk_update(products, ["search_text"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("producers", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="product",
            name="search_text",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(search_text_fill, migrations.RunPython.noop, elidable=True),
        TrigramExtensionOnPostgres(),
        migrations.AddIndex(
            model_name="product",
            index=producers.models.PostgresTrigramIndex(
                fields=["search_text"], name="product_search_text_trgm"
            ),
        ),
        migrations.AddIndex(
            model_name="product",
            index=models.Index(
                condition=models.Q(("revision_of__isnull", True), ("status", "approved")),
                fields=["-created_at", "-id"],
                name="product_public_newest",
            ),
        ),
        migrations.AddIndex(
            model_name="product",
            index=models.Index(
                condition=models.Q(("revision_of__isnull", True), ("status", "approved")),
                fields=["-capacity_base", "-created_at", "-id"],
                name="product_public_capacity",
            ),
        ),
    ]
