"""Product.content_language: the language a listing's name and description are written in.

Existing listings get their producer's country's language (Cambodia: Khmer, Vietnam:
Vietnamese, ...; as producers.models.content_language_default decides for new ones); English
where the country has none. The mapping is copied here, so this migration keeps meaning what
it meant whatever later happens to the model's code.
"""

from django.db import migrations, models

COUNTRY_CONTENT_LANGUAGES = {"KH": "km", "VN": "vi", "TH": "th", "JP": "ja"}


def content_language_fill(apps, schema_editor):
    Product = apps.get_model("producers", "Product")
    for country_code, language in COUNTRY_CONTENT_LANGUAGES.items():
        Product.objects.filter(producer__province__country__code=country_code).update(
            content_language=language
        )
    Product.objects.filter(content_language="").update(content_language="en")


class Migration(migrations.Migration):
    dependencies = [
        ("producers", "0003_import_batch_claim_code"),
    ]

    operations = [
        migrations.AddField(
            model_name="product",
            name="content_language",
            field=models.CharField(
                choices=[
                    ("km", "Khmer"),
                    ("vi", "Vietnamese"),
                    ("en", "English"),
                    ("th", "Thai"),
                    ("ja", "Japanese"),
                ],
                default="",
                help_text="The language you write the product name and description in.",
                max_length=8,
                verbose_name="language of the listing",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(content_language_fill, migrations.RunPython.noop, elidable=True),
    ]
