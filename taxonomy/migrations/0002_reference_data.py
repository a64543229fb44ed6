"""Load the reference rows of taxonomy/data: countries, provinces, OCOP categories,
certifications and units.

Rows are matched by code, so running it again updates names and centroids in place and
creates what is missing (an update_or_create by code, done in bulk: a few queries per
model). A later change to taxonomy/data needs a new migration that runs `load` again.
The reverse deletes the rows by code; it fails while other rows still point at them.
"""

from decimal import Decimal

from django.db import migrations

from taxonomy.data import (
    categories,
    certifications,
    countries,
    provinces_kh,
    provinces_vn,
    units,
)


def _upsert(model, rows):
    """Create or update `rows` (dicts with a unique `code`) in bulk; return {code: obj}."""
    existing = {obj.code: obj for obj in model.objects.filter(code__in=[r["code"] for r in rows])}
    to_create, to_update, fields = [], [], set()
    for row in rows:
        obj = existing.get(row["code"])
        if obj is None:
            to_create.append(model(**row))
            continue
        changed = [name for name, value in row.items() if getattr(obj, name) != value]
        if changed:
            for name in changed:
                setattr(obj, name, row[name])
            fields.update(changed)
            to_update.append(obj)
    model.objects.bulk_create(to_create)
    if to_update:
        model.objects.bulk_update(to_update, sorted(fields))
    # bulk_create does not set primary keys on every backend: read them back.
    return {obj.code: obj for obj in model.objects.filter(code__in=[r["code"] for r in rows])}


def _names(en, km, vi):
    return {"name_en": en, "name_km": km, "name_vi": vi}


def _province(country, code, en, km, vi, lat, lon, *, current, successor=None):
    return {
        "code": code,
        **_names(en, km, vi),
        "country_id": country.pk,
        "latitude": Decimal(lat),
        "longitude": Decimal(lon),
        "is_current": current,
        "merged_into_id": successor.pk if successor else None,
    }


def load(apps, schema_editor):
    Country = apps.get_model("taxonomy", "Country")
    Province = apps.get_model("taxonomy", "Province")
    Category = apps.get_model("taxonomy", "Category")
    Certification = apps.get_model("taxonomy", "Certification")
    Unit = apps.get_model("taxonomy", "Unit")

    country = _upsert(
        Country,
        [
            {"code": code, **_names(en, km, vi), "time_zone": tz, "currency": currency}
            for code, en, km, vi, tz, currency in countries.COUNTRIES
        ],
    )

    # Current units first, so that former units can point at them.
    current = _upsert(
        Province,
        [_province(country["KH"], *row, current=True) for row in provinces_kh.PROVINCES]
        + [_province(country["VN"], *row, current=True) for row in provinces_vn.CURRENT],
    )
    _upsert(
        Province,
        [
            _province(country["VN"], *row, current=False, successor=current[successor])
            for *row, successor in provinces_vn.FORMER
        ],
    )

    groups = _upsert(
        Category,
        [
            {"code": code, **_names(en, km, vi), "parent_id": None, "position": position}
            for position, (code, en, km, vi, _children) in enumerate(categories.GROUPS, 1)
        ],
    )
    _upsert(
        Category,
        [
            {
                "code": code,
                **_names(en, km, vi),
                "parent_id": groups[group_code].pk,
                "position": position,
            }
            for group_code, _en, _km, _vi, children in categories.GROUPS
            for position, (code, en, km, vi) in enumerate(children, 1)
        ],
    )

    _upsert(
        Certification,
        [
            {"code": code, "kind": kind, "stars": stars, "issuer": issuer, **_names(en, km, vi)}
            for code, kind, stars, issuer, en, km, vi in certifications.CERTIFICATIONS
        ],
    )

    _upsert(
        Unit,
        [
            {
                "code": code,
                "symbol": symbol,
                "dimension": dimension,
                "to_base": Decimal(to_base),
                **_names(en, km, vi),
                "aliases": "\n".join(aliases),
            }
            for code, symbol, dimension, to_base, en, km, vi, aliases in units.UNITS
        ],
    )


def unload(apps, schema_editor):
    Province = apps.get_model("taxonomy", "Province")
    Category = apps.get_model("taxonomy", "Category")
    # Children before parents: former provinces and subgroups point at the others.
    Province.objects.filter(code__in=[row[0] for row in provinces_vn.FORMER]).delete()
    Province.objects.filter(
        code__in=[row[0] for row in provinces_kh.PROVINCES + provinces_vn.CURRENT]
    ).delete()
    Category.objects.filter(
        code__in=[child[0] for group in categories.GROUPS for child in group[4]]
    ).delete()
    Category.objects.filter(code__in=[group[0] for group in categories.GROUPS]).delete()
    apps.get_model("taxonomy", "Certification").objects.filter(
        code__in=[row[0] for row in certifications.CERTIFICATIONS]
    ).delete()
    apps.get_model("taxonomy", "Unit").objects.filter(
        code__in=[row[0] for row in units.UNITS]
    ).delete()
    apps.get_model("taxonomy", "Country").objects.filter(
        code__in=[row[0] for row in countries.COUNTRIES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("taxonomy", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
