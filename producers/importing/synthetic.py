"""A provincial producer list at scale, for `manage.py bench_import` and the scale tests:
`count` rows, four products per producer, old and new province names, units and
capacities in Vietnamese, Khmer and English, and one wrong cell to find."""

from __future__ import annotations

from producers.importing.export import headers

PROVINCES = ["Kampot", "Takeo", "Kiên Giang", "Tỉnh Bến Tre", "Siem Reap", "Hà Giang", "កំពត"]
UNITS = [("kg", "2 tấn"), ("lít", "500 L"), ("kg", "៥០០ គីឡូ"), ("quả", "1.200 quả")]
KEYS = (
    "producer_name",
    "kind",
    "village",
    "province",
    "phone",
    "email",
    "product_name",
    "category",
    "unit",
    "capacity",
    "min_order",
    "price",
    "currency",
    "stars",
    "certifications",
)
# The row (0-based) whose capacity no unit explains, so a preview has one error to report.
WRONG_ROW = 14_000


def synthetic_rows(count: int, *, with_error: bool = True) -> list[dict[str, str]]:
    rows = []
    for number in range(count):
        producer = number // 4
        unit, capacity = UNITS[number % len(UNITS)]
        rows.append(
            {
                "producer_name": f"HTX Village {producer}",
                "kind": "",
                "village": f"Commune {producer % 97}",
                "province": PROVINCES[producer % len(PROVINCES)],
                "phone": f"0912{producer:06d}",
                "email": "",
                "product_name": f"Product {number}",
                "category": "G1.4b",
                "unit": unit,
                "capacity": capacity,
                "min_order": "10",
                "price": f"{10 + number % 7}-{20 + number % 5}",
                "currency": "",
                "certifications": "VIETGAP (2035-01-01)" if number % 3 == 0 else "",
                "stars": str(3 + number % 3),
            }
        )
    if with_error and count > WRONG_ROW:
        rows[WRONG_ROW]["capacity"] = "2 bao"
    return rows


def synthetic_table(rows: list[dict[str, str]], language: str = "en") -> list[list[str]]:
    """Header row (in `language`) then the cells, in KEYS order."""
    return [headers(KEYS, language), *([r[key] for key in KEYS] for r in rows)]
