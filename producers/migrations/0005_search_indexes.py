"""Indexes for catalogue search (see producers.selectors.products_search).

- product_public_newest gains, after its order, the columns the filters read (category,
  producer, stars, capacity, currency and prices): counting the public listings that match
  filters, and walking newest first to a page of them, then read the index alone (an
  index-only scan), not the table with its long texts.
- product_public_price: the price filter reads the public listings of one currency.

Indexes only: the fields of Product are left to their own migrations.
"""

from django.db import migrations, models

PUBLIC = models.Q(("revision_of__isnull", True), ("status", "approved"))


class Migration(migrations.Migration):
    dependencies = [
        ("producers", "0004_product_content_language"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="product", name="product_public_newest"),
        migrations.AddIndex(
            model_name="product",
            index=models.Index(
                condition=PUBLIC,
                fields=[
                    "-created_at",
                    "-id",
                    "category",
                    "producer",
                    "stars",
                    "capacity_unit",
                    "capacity_base",
                    "currency",
                    "price_min",
                    "price_max",
                ],
                name="product_public_newest",
            ),
        ),
        migrations.AddIndex(
            model_name="product",
            index=models.Index(
                condition=PUBLIC,
                fields=["currency", "price_min", "price_max"],
                name="product_public_price",
            ),
        ),
    ]
