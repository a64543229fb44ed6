"""Countries the marketplace serves: producers in Cambodia and Vietnam, buyers also from
Thailand and Japan."""

# code (ISO 3166-1 alpha-2), English, Khmer, Vietnamese, IANA time zone, ISO 4217 currency
COUNTRIES: list[tuple[str, str, str, str, str, str]] = [
    ("KH", "Cambodia", "កម្ពុជា", "Campuchia", "Asia/Phnom_Penh", "KHR"),
    ("VN", "Vietnam", "វៀតណាម", "Việt Nam", "Asia/Ho_Chi_Minh", "VND"),
    ("TH", "Thailand", "ថៃ", "Thái Lan", "Asia/Bangkok", "THB"),
    ("JP", "Japan", "ជប៉ុន", "Nhật Bản", "Asia/Tokyo", "JPY"),
]
