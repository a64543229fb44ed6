"""The reference rows loaded by taxonomy's data migration, and the lookups that read them."""

import unicodedata
from decimal import Decimal
from importlib import import_module

import pytest
from django.apps import apps as global_apps

from taxonomy.data import categories, certifications, provinces_kh, provinces_vn, units
from taxonomy.models import Category, Certification, Country, Province, Unit
from taxonomy.selectors import (
    ProvinceIndex,
    UnitIndex,
    categories_tree,
    province_resolve,
    provinces_current,
    unit_resolve,
)

pytestmark = pytest.mark.django_db

# (min latitude, max latitude, min longitude, max longitude), land and near islands.
BOUNDING_BOXES = {
    "KH": (Decimal("9.9"), Decimal("14.7"), Decimal("102.3"), Decimal("107.7")),
    "VN": (Decimal("8.4"), Decimal("23.4"), Decimal("102.1"), Decimal("109.5")),
}

DESIGN_CERTIFICATIONS = {
    "OCOP-3": ("stars", 3),
    "OCOP-4": ("stars", 4),
    "OCOP-5": ("stars", 5),
    "OVOP-KH": ("registration", None),
    "OTOP-TH": ("registration", None),
    "VIETGAP": ("gap", None),
    "CAMGAP": ("gap", None),
    "GLOBALGAP": ("gap", None),
    "HACCP": ("food_safety", None),
    "ISO-22000": ("food_safety", None),
    "GMP": ("food_safety", None),
    "ORGANIC-EU": ("organic", None),
    "ORGANIC-USDA": ("organic", None),
    "ORGANIC-JAS": ("organic", None),
    "ORGANIC-PGS": ("organic", None),
    "HALAL": ("halal", None),
    "GI-KH-KAMPOT-PEPPER": ("gi", None),
    "GI-VN-PHU-QUOC-FISH-SAUCE": ("gi", None),
    "FDA-FFR": ("export", None),
}


def _load_again() -> None:
    migration = import_module("taxonomy.migrations.0002_reference_data")
    migration.load(global_apps, None)


def test_countries_have_time_zone_currency_and_three_names():
    rows = {c.code: c for c in Country.objects.all()}
    assert {code: (c.time_zone, c.currency) for code, c in rows.items()} == {
        "KH": ("Asia/Phnom_Penh", "KHR"),
        "VN": ("Asia/Ho_Chi_Minh", "VND"),
        "TH": ("Asia/Bangkok", "THB"),
        "JP": ("Asia/Tokyo", "JPY"),
    }
    assert all(c.name_en and c.name_km and c.name_vi for c in rows.values())


def test_cambodia_has_25_provinces_coded_kh_1_to_kh_25():
    provinces = provinces_current(country_code="KH")
    assert sorted(p.code for p in provinces) == sorted(f"KH-{n}" for n in range(1, 26))
    names = {p.code: p.name_en for p in provinces}
    assert names["KH-12"] == "Phnom Penh"
    assert names["KH-25"] == "Tbong Khmum"
    assert names["KH-23"] == "Kep"
    assert names["KH-24"] == "Pailin"
    assert names["KH-7"] == "Kampot"
    assert names["KH-5"] == "Kampong Speu"
    assert names["KH-11"] == "Mondulkiri"
    assert names["KH-17"] == "Siem Reap"
    assert names["KH-8"] == "Kandal"


def test_vietnam_has_34_current_units_six_of_them_cities():
    current = provinces_current(country_code="vn")
    assert current.count() == 34
    cities = {"Hà Nội", "Huế", "Hải Phòng", "Đà Nẵng", "TP. Hồ Chí Minh", "Cần Thơ"}
    assert cities <= {p.name_vi for p in current}
    assert not Province.objects.filter(country__code="VN", is_current=True).exclude(
        merged_into=None
    )


def test_each_of_the_63_former_vietnamese_units_maps_to_one_current_unit():
    former = Province.objects.filter(country__code="VN", is_current=False).select_related(
        "merged_into"
    )
    assert former.count() == 63
    for province in former:
        assert province.merged_into is not None, province.code
        assert province.merged_into.is_current and province.merged_into.merged_into_id is None
    # Every current unit is the successor of at least one former unit (itself, if unmerged).
    successors = {p.merged_into.code for p in former}
    assert successors == set(provinces_current(country_code="VN").values_list("code", flat=True))
    merged = {
        code: sorted(p.name_vi for p in former if p.merged_into.code == code)
        for code in ("VN-NEW-44", "VN-NEW-SG", "VN-NEW-18", "VN-NEW-HN")
    }
    assert merged == {
        "VN-NEW-44": ["An Giang", "Kiên Giang"],
        "VN-NEW-SG": ["Bà Rịa - Vũng Tàu", "Bình Dương", "TP. Hồ Chí Minh"],
        "VN-NEW-18": ["Hà Nam", "Nam Định", "Ninh Bình"],
        "VN-NEW-HN": ["Hà Nội"],
    }


def test_every_province_has_three_names_and_a_centroid_inside_its_country():
    for province in Province.objects.select_related("country"):
        assert province.name_en and province.name_km and province.name_vi, province.code
        south, north, west, east = BOUNDING_BOXES[province.country.code]
        assert south <= province.latitude <= north, province.code
        assert west <= province.longitude <= east, province.code


def _without_accents(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in text if not unicodedata.combining(c) or c >= "\u1780")


def test_no_two_places_share_a_name_even_without_accents():
    index = ProvinceIndex()
    for province in Province.objects.all():
        for name in (province.name_en, province.name_km, province.name_vi):
            for text in (name, _without_accents(name), name.upper()):
                current, _former = index.resolve(text)
                assert current == index.successor(province), (province.code, text)


def test_six_ocop_groups_each_with_subgroups():
    tree = categories_tree()
    assert [group.code for group in tree] == ["G1", "G2", "G3", "G4", "G5", "G6"]
    for group in tree:
        assert group.children.all(), group.code
        for child in group.children.all():
            assert child.code.startswith(group.code + ".")
            assert child.name_en and child.name_km and child.name_vi
    assert Category.objects.filter(parent__isnull=False).count() == 26
    subgroups = {c.code: c.name_en for c in Category.objects.exclude(parent=None)}
    assert "pepper" in subgroups["G1.4b"] and "garlic" in subgroups["G1.4b"]
    assert "fish sauce" in subgroups["G1.4a"]
    assert "Honey" in subgroups["G1.2b"]
    assert "Tea" in subgroups["G1.5a"]
    assert "silk" in subgroups["G4.2"]


def test_certifications_include_those_in_the_design():
    rows = {c.code: (c.kind, c.stars) for c in Certification.objects.all()}
    assert DESIGN_CERTIFICATIONS.items() <= rows.items()
    assert all(c.issuer and c.name_km and c.name_vi for c in Certification.objects.all())
    kinds = {value for value, _label in Certification.Kind.choices}
    assert {kind for kind, _stars in rows.values()} <= kinds


def test_units_convert_to_their_base_unit():
    tonne = Unit.objects.get(code="t")
    assert tonne.to_base_quantity(Decimal("1")) == Decimal("1000")
    assert Unit.objects.get(code="g").to_base_quantity(Decimal("250")) == Decimal("0.25")
    assert Unit.objects.get(code="mL").from_base_quantity(Decimal("1.5")) == Decimal("1500")
    assert Unit.objects.get(code="dozen").to_base_quantity(Decimal("2")) == Decimal("24")
    for dimension, base in Unit.BASE_UNITS.items():
        assert Unit.objects.get(code=base).dimension == dimension
        assert Unit.objects.get(code=base).to_base == 1


def test_one_tan_is_a_thousand_kilograms():
    tan = unit_resolve("tấn")
    kg = unit_resolve("kg")
    assert tan.from_base_quantity(kg.to_base_quantity(Decimal("1000"))) == 1


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("tấn", "t"),
        ("TAN", "t"),
        ("ton", "t"),
        ("គីឡូ", "kg"),
        ("Kí", "kg"),
        ("ki-lô-gam", "kg"),
        ("KG", "kg"),
        ("lít", "L"),
        ("litre", "L"),
        ("l", "L"),
        ("ml", "mL"),
        ("cái", "piece"),
        ("pcs", "piece"),
        ("ដុំ", "piece"),
        ("tạ", "quintal"),
        ("tá", "dozen"),
        ("dozen", "dozen"),
    ],
)
def test_unit_resolve_reads_codes_symbols_names_and_aliases(text, code):
    unit = unit_resolve(text)
    assert unit is not None and unit.code == code


@pytest.mark.parametrize("text", ["ta", "", "box", "bao"])
def test_unit_resolve_refuses_unknown_or_ambiguous_text(text):
    # "ta" without accents could be tạ (100 kg) or tá (a dozen).
    assert unit_resolve(text) is None


def test_every_unit_spelling_names_a_single_unit():
    index = UnitIndex()
    for unit in Unit.objects.all():
        for text in [unit.code, unit.symbol, unit.name_en, unit.name_km, unit.name_vi]:
            assert index.resolve(text) == unit, (unit.code, text)
        for text in unit.aliases.splitlines():
            assert index.resolve(text) == unit, (unit.code, text)


def test_kien_giang_is_now_part_of_an_giang():
    current, former = province_resolve("Kien Giang")
    assert current.code == "VN-NEW-44" and current.name_vi == "An Giang"
    assert former.code == "VN-47" and former.name_vi == "Kiên Giang"
    assert province_resolve("Tỉnh Kiên Giang") == (current, former)
    assert province_resolve("VN-47") == (current, former)
    assert province_resolve("កៀនយ៉ាង") == (current, former)


def test_a_name_still_in_force_resolves_to_the_current_unit_only():
    current, former = province_resolve("An Giang")
    assert (current.code, former) == ("VN-NEW-44", None)
    current, former = province_resolve("Hà Nội")
    assert (current.code, former) == ("VN-NEW-HN", None)
    # The old code still tells the old, smaller unit apart.
    current, former = province_resolve("vn-44")
    assert (current.code, former.code) == ("VN-NEW-44", "VN-44")


@pytest.mark.parametrize(
    ("text", "current_code", "former_code"),
    [
        ("kampot", "KH-7", None),
        ("កំពត", "KH-7", None),
        ("ខេត្តកំពត", "KH-7", None),
        ("Kampot Province", "KH-7", None),
        ("KH-7", "KH-7", None),
        ("រាជធានីភ្នំពេញ", "KH-12", None),
        ("Phnôm Pênh", "KH-12", None),
        ("Kompong Speu", "KH-5", None),
        ("កណ្តាល", "KH-8", None),  # written with subscript ta instead of da
        ("Siem Reab", "KH-17", None),
        ("Thành phố Hồ Chí Minh", "VN-NEW-SG", None),
        ("TP.HCM", "VN-NEW-SG", None),
        ("Sài Gòn", "VN-NEW-SG", None),
        ("Binh Duong", "VN-NEW-SG", "VN-57"),
        ("Thừa Thiên Huế", "VN-NEW-26", "VN-26"),
        ("Hue", "VN-NEW-26", None),
        ("tinh ha giang", "VN-NEW-07", "VN-03"),
        ("ĐẮK NÔNG", "VN-NEW-35", "VN-72"),
        ("Dak Lak", "VN-NEW-33", None),
        ("Hanoi", "VN-NEW-HN", None),
        ("Ha Noi", "VN-NEW-HN", None),
    ],
)
def test_province_resolve_reads_any_language_with_or_without_accents(
    text, current_code, former_code
):
    current, former = province_resolve(text)
    assert current is not None and current.code == current_code
    assert (former.code if former else None) == former_code


@pytest.mark.parametrize("text", ["", "   ", "Bangkok", "Province"])
def test_province_resolve_returns_nothing_for_unknown_text(text):
    assert province_resolve(text) == (None, None)


def test_loading_twice_changes_nothing_and_repairs_edits():
    counts = [m.objects.count() for m in (Country, Province, Category, Certification, Unit)]
    Province.objects.filter(code="KH-7").update(name_km="", latitude=0)
    Unit.objects.filter(code="t").update(to_base=1)
    _load_again()
    assert [m.objects.count() for m in (Country, Province, Category, Certification, Unit)] == (
        counts
    )
    kampot = Province.objects.get(code="KH-7")
    assert (kampot.name_km, kampot.latitude) == ("កំពត", Decimal("10.85"))
    assert Unit.objects.get(code="t").to_base == 1000


def test_data_modules_agree_with_the_database():
    assert Province.objects.count() == (
        len(provinces_kh.PROVINCES) + len(provinces_vn.CURRENT) + len(provinces_vn.FORMER)
    )
    assert Category.objects.count() == sum(1 + len(g[4]) for g in categories.GROUPS)
    assert Certification.objects.count() == len(certifications.CERTIFICATIONS)
    assert Unit.objects.count() == len(units.UNITS)
