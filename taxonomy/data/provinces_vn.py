"""Vietnam's 34 provinces and centrally-run cities in force since 1 July 2025 (Resolution
202/2025/QH15: 28 provinces and 6 cities), and the 63 units they replaced.

Codes. The 63 former units keep their ISO 3166-2:VN codes (VN-44 An Giang, VN-47 Kiên
Giang, VN-SG Hồ Chí Minh...), so old spreadsheets and pycountry data map cleanly. ISO had
not published codes for all of the new units, so each current unit is coded VN-NEW-<x>,
where <x> is the ISO suffix of the former unit whose name it carries: the new An Giang
(An Giang + Kiên Giang) is VN-NEW-44, Huế (formerly Thừa Thiên Huế, VN-26) is VN-NEW-26.
Every current unit carries the name of one former unit, so the scheme is stable.

A former unit whose name survives (Hà Nội, Lai Châu, An Giang...) is still its own row,
pointing at its successor, so that "Kiên Giang" resolves to the new An Giang and the old,
smaller An Giang can still be told apart from the new one by code.

Centroids. Former units: approximate geographic centres (about 0.1 degree; island
districts such as Phú Quốc or Côn Đảo barely move them). Current units that did not merge
keep their former centroid. Merged units: the area-weighted mean of their former units'
centroids (areas from the General Statistics Office, 2022), which for distance scoring is
better than the new capital, often at one edge (Gia Lai is now run from Quy Nhơn).

Khmer names of Vietnamese provinces are phonetic transliterations as used by Cambodian
media; there is no official standard for most of them.
"""

# code, English, Khmer, Vietnamese, latitude, longitude
CURRENT: list[tuple[str, str, str, str, str, str]] = [
    # Six centrally-run cities
    ("VN-NEW-HN", "Hanoi", "ហាណូយ", "Hà Nội", "21.00", "105.70"),
    ("VN-NEW-26", "Hue", "ហ្វេ", "Huế", "16.33", "107.55"),
    ("VN-NEW-HP", "Hai Phong", "ហៃផុង", "Hải Phòng", "20.89", "106.49"),
    ("VN-NEW-DN", "Da Nang", "ដាណាំង", "Đà Nẵng", "15.62", "107.96"),
    ("VN-NEW-SG", "Ho Chi Minh City", "ហូជីមិញ", "TP. Hồ Chí Minh", "10.86", "106.83"),
    ("VN-NEW-CT", "Can Tho", "កឿនថើ", "Cần Thơ", "9.76", "105.76"),
    # Provinces that were not merged
    ("VN-NEW-01", "Lai Chau", "ឡៃចូវ", "Lai Châu", "22.32", "103.18"),
    ("VN-NEW-71", "Dien Bien", "ឌៀនបៀន", "Điện Biên", "21.72", "102.92"),
    ("VN-NEW-05", "Son La", "សើនឡា", "Sơn La", "21.18", "103.98"),
    ("VN-NEW-09", "Lang Son", "ឡាំងសើន", "Lạng Sơn", "21.83", "106.62"),
    ("VN-NEW-13", "Quang Ninh", "ក្វាងនិញ", "Quảng Ninh", "21.15", "107.25"),
    ("VN-NEW-21", "Thanh Hoa", "ថាញ់ហ័រ", "Thanh Hóa", "20.05", "105.35"),
    ("VN-NEW-22", "Nghe An", "ង៉េអាន", "Nghệ An", "19.18", "104.88"),
    ("VN-NEW-23", "Ha Tinh", "ហាទិញ", "Hà Tĩnh", "18.33", "105.75"),
    ("VN-NEW-04", "Cao Bang", "កាវបាំង", "Cao Bằng", "22.72", "106.05"),
    # Merged provinces
    ("VN-NEW-07", "Tuyen Quang", "ទុយអៀនក្វាង", "Tuyên Quang", "22.48", "105.09"),
    ("VN-NEW-02", "Lao Cai", "ឡាវកាយ", "Lào Cai", "22.00", "104.33"),
    ("VN-NEW-69", "Thai Nguyen", "ថៃង្វៀន", "Thái Nguyên", "22.01", "105.85"),
    ("VN-NEW-68", "Phu Tho", "ភូថូ", "Phú Thọ", "21.02", "105.30"),
    ("VN-NEW-56", "Bac Ninh", "បាក់និញ", "Bắc Ninh", "21.31", "106.39"),
    ("VN-NEW-66", "Hung Yen", "ហ៊ឹងយ៉េន", "Hưng Yên", "20.61", "106.26"),
    ("VN-NEW-18", "Ninh Binh", "និញប៊ិញ", "Ninh Bình", "20.29", "106.05"),
    ("VN-NEW-25", "Quang Tri", "ក្វាងទ្រី", "Quảng Trị", "17.22", "106.54"),
    ("VN-NEW-29", "Quang Ngai", "ក្វាងង៉ាយ", "Quảng Ngãi", "14.75", "108.16"),
    ("VN-NEW-30", "Gia Lai", "យ៉ាឡាយ", "Gia Lai", "13.88", "108.37"),
    ("VN-NEW-34", "Khanh Hoa", "ខាញ់ហ័រ", "Khánh Hòa", "12.05", "108.97"),
    ("VN-NEW-35", "Lam Dong", "ឡាំដុង", "Lâm Đồng", "11.67", "107.96"),
    ("VN-NEW-33", "Dak Lak", "ដាក់ឡាក់", "Đắk Lắk", "12.90", "108.47"),
    ("VN-NEW-39", "Dong Nai", "ដុងណៃ", "Đồng Nai", "11.43", "106.99"),
    ("VN-NEW-37", "Tay Ninh", "តៃនិញ", "Tây Ninh", "11.01", "106.14"),
    ("VN-NEW-49", "Vinh Long", "វិញឡុង", "Vĩnh Long", "10.00", "106.28"),
    ("VN-NEW-45", "Dong Thap", "ដុងថាប", "Đồng Tháp", "10.48", "105.92"),
    ("VN-NEW-59", "Ca Mau", "កាម៉ៅ", "Cà Mau", "9.10", "105.20"),
    ("VN-NEW-44", "An Giang", "អានយ៉ាង", "An Giang", "10.15", "105.12"),
]

# ISO 3166-2:VN code, English, Khmer, Vietnamese, latitude, longitude, successor code
FORMER: list[tuple[str, str, str, str, str, str, str]] = [
    # Units that became a current unit on their own
    ("VN-HN", "Hanoi", "ហាណូយ", "Hà Nội", "21.00", "105.70", "VN-NEW-HN"),
    ("VN-26", "Thua Thien Hue", "ធឿធៀនហ្វេ", "Thừa Thiên Huế", "16.33", "107.55", "VN-NEW-26"),
    ("VN-01", "Lai Chau", "ឡៃចូវ", "Lai Châu", "22.32", "103.18", "VN-NEW-01"),
    ("VN-71", "Dien Bien", "ឌៀនបៀន", "Điện Biên", "21.72", "102.92", "VN-NEW-71"),
    ("VN-05", "Son La", "សើនឡា", "Sơn La", "21.18", "103.98", "VN-NEW-05"),
    ("VN-09", "Lang Son", "ឡាំងសើន", "Lạng Sơn", "21.83", "106.62", "VN-NEW-09"),
    ("VN-13", "Quang Ninh", "ក្វាងនិញ", "Quảng Ninh", "21.15", "107.25", "VN-NEW-13"),
    ("VN-21", "Thanh Hoa", "ថាញ់ហ័រ", "Thanh Hóa", "20.05", "105.35", "VN-NEW-21"),
    ("VN-22", "Nghe An", "ង៉េអាន", "Nghệ An", "19.18", "104.88", "VN-NEW-22"),
    ("VN-23", "Ha Tinh", "ហាទិញ", "Hà Tĩnh", "18.33", "105.75", "VN-NEW-23"),
    ("VN-04", "Cao Bang", "កាវបាំង", "Cao Bằng", "22.72", "106.05", "VN-NEW-04"),
    # Hải Phòng = Hải Phòng + Hải Dương
    ("VN-HP", "Hai Phong", "ហៃផុង", "Hải Phòng", "20.82", "106.65", "VN-NEW-HP"),
    ("VN-61", "Hai Duong", "ហៃយឿង", "Hải Dương", "20.95", "106.35", "VN-NEW-HP"),
    # Đà Nẵng = Đà Nẵng + Quảng Nam
    ("VN-DN", "Da Nang", "ដាណាំង", "Đà Nẵng", "16.05", "108.08", "VN-NEW-DN"),
    ("VN-27", "Quang Nam", "ក្វាងណាម", "Quảng Nam", "15.57", "107.95", "VN-NEW-DN"),
    # TP. Hồ Chí Minh = TP. Hồ Chí Minh + Bình Dương + Bà Rịa - Vũng Tàu
    ("VN-SG", "Ho Chi Minh City", "ហូជីមិញ", "TP. Hồ Chí Minh", "10.77", "106.68", "VN-NEW-SG"),
    ("VN-57", "Binh Duong", "ប៊ិញយឿង", "Bình Dương", "11.17", "106.65", "VN-NEW-SG"),
    (
        "VN-43",
        "Ba Ria - Vung Tau",
        "បារៀ-វុងតៅ",
        "Bà Rịa - Vũng Tàu",
        "10.55",
        "107.25",
        "VN-NEW-SG",
    ),
    # Cần Thơ = Cần Thơ + Sóc Trăng + Hậu Giang
    ("VN-CT", "Can Tho", "កឿនថើ", "Cần Thơ", "10.08", "105.60", "VN-NEW-CT"),
    ("VN-52", "Soc Trang", "សុកត្រាំង", "Sóc Trăng", "9.60", "105.90", "VN-NEW-CT"),
    ("VN-73", "Hau Giang", "ហូវយ៉ាង", "Hậu Giang", "9.80", "105.60", "VN-NEW-CT"),
    # Tuyên Quang = Tuyên Quang + Hà Giang
    ("VN-07", "Tuyen Quang", "ទុយអៀនក្វាង", "Tuyên Quang", "22.08", "105.23", "VN-NEW-07"),
    ("VN-03", "Ha Giang", "ហាយ៉ាង", "Hà Giang", "22.77", "104.98", "VN-NEW-07"),
    # Lào Cai = Lào Cai + Yên Bái
    ("VN-02", "Lao Cai", "ឡាវកាយ", "Lào Cai", "22.30", "104.12", "VN-NEW-02"),
    ("VN-06", "Yen Bai", "យ៉េនបៃ", "Yên Bái", "21.72", "104.52", "VN-NEW-02"),
    # Thái Nguyên = Thái Nguyên + Bắc Kạn
    ("VN-69", "Thai Nguyen", "ថៃង្វៀន", "Thái Nguyên", "21.68", "105.85", "VN-NEW-69"),
    ("VN-53", "Bac Kan", "បាក់កាន", "Bắc Kạn", "22.25", "105.85", "VN-NEW-69"),
    # Phú Thọ = Phú Thọ + Vĩnh Phúc + Hòa Bình
    ("VN-68", "Phu Tho", "ភូថូ", "Phú Thọ", "21.30", "105.15", "VN-NEW-68"),
    ("VN-70", "Vinh Phuc", "វិញភុក", "Vĩnh Phúc", "21.35", "105.55", "VN-NEW-68"),
    ("VN-14", "Hoa Binh", "ហ័រប៊ិញ", "Hòa Bình", "20.72", "105.35", "VN-NEW-68"),
    # Bắc Ninh = Bắc Ninh + Bắc Giang
    ("VN-56", "Bac Ninh", "បាក់និញ", "Bắc Ninh", "21.12", "106.08", "VN-NEW-56"),
    ("VN-54", "Bac Giang", "បាក់យ៉ាង", "Bắc Giang", "21.35", "106.45", "VN-NEW-56"),
    # Hưng Yên = Hưng Yên + Thái Bình
    ("VN-66", "Hung Yen", "ហ៊ឹងយ៉េន", "Hưng Yên", "20.80", "106.05", "VN-NEW-66"),
    ("VN-20", "Thai Binh", "ថៃប៊ិញ", "Thái Bình", "20.50", "106.38", "VN-NEW-66"),
    # Ninh Bình = Ninh Bình + Hà Nam + Nam Định
    ("VN-18", "Ninh Binh", "និញប៊ិញ", "Ninh Bình", "20.20", "105.92", "VN-NEW-18"),
    ("VN-63", "Ha Nam", "ហាណាម", "Hà Nam", "20.53", "105.95", "VN-NEW-18"),
    ("VN-67", "Nam Dinh", "ណាមឌិញ", "Nam Định", "20.25", "106.22", "VN-NEW-18"),
    # Quảng Trị = Quảng Trị + Quảng Bình
    ("VN-25", "Quang Tri", "ក្វាងទ្រី", "Quảng Trị", "16.75", "106.95", "VN-NEW-25"),
    ("VN-24", "Quang Binh", "ក្វាងប៊ិញ", "Quảng Bình", "17.50", "106.30", "VN-NEW-25"),
    # Quảng Ngãi = Quảng Ngãi + Kon Tum
    ("VN-29", "Quang Ngai", "ក្វាងង៉ាយ", "Quảng Ngãi", "14.95", "108.65", "VN-NEW-29"),
    ("VN-28", "Kon Tum", "កុងទុំ", "Kon Tum", "14.65", "107.90", "VN-NEW-29"),
    # Gia Lai = Gia Lai + Bình Định
    ("VN-30", "Gia Lai", "យ៉ាឡាយ", "Gia Lai", "13.80", "108.15", "VN-NEW-30"),
    ("VN-31", "Binh Dinh", "ប៊ិញឌិញ", "Bình Định", "14.10", "108.95", "VN-NEW-30"),
    # Khánh Hòa = Khánh Hòa + Ninh Thuận
    ("VN-34", "Khanh Hoa", "ខាញ់ហ័រ", "Khánh Hòa", "12.28", "109.05", "VN-NEW-34"),
    ("VN-36", "Ninh Thuan", "និញធ្វឹន", "Ninh Thuận", "11.70", "108.85", "VN-NEW-34"),
    # Lâm Đồng = Lâm Đồng + Đắk Nông + Bình Thuận
    ("VN-35", "Lam Dong", "ឡាំដុង", "Lâm Đồng", "11.75", "108.10", "VN-NEW-35"),
    ("VN-72", "Dak Nong", "ដាក់ណុង", "Đắk Nông", "12.25", "107.65", "VN-NEW-35"),
    ("VN-40", "Binh Thuan", "ប៊ិញធ្វឹន", "Bình Thuận", "11.10", "108.05", "VN-NEW-35"),
    # Đắk Lắk = Đắk Lắk + Phú Yên
    ("VN-33", "Dak Lak", "ដាក់ឡាក់", "Đắk Lắk", "12.80", "108.25", "VN-NEW-33"),
    ("VN-32", "Phu Yen", "ភូយ៉េន", "Phú Yên", "13.17", "109.05", "VN-NEW-33"),
    # Đồng Nai = Đồng Nai + Bình Phước
    ("VN-39", "Dong Nai", "ដុងណៃ", "Đồng Nai", "11.05", "107.15", "VN-NEW-39"),
    ("VN-58", "Binh Phuoc", "ប៊ិញភឿក", "Bình Phước", "11.75", "106.85", "VN-NEW-39"),
    # Tây Ninh = Tây Ninh + Long An
    ("VN-37", "Tay Ninh", "តៃនិញ", "Tây Ninh", "11.35", "106.12", "VN-NEW-37"),
    ("VN-41", "Long An", "ឡុងអាន", "Long An", "10.70", "106.15", "VN-NEW-37"),
    # Vĩnh Long = Vĩnh Long + Bến Tre + Trà Vinh
    ("VN-49", "Vinh Long", "វិញឡុង", "Vĩnh Long", "10.12", "106.00", "VN-NEW-49"),
    ("VN-50", "Ben Tre", "បេនត្រែ", "Bến Tre", "10.12", "106.45", "VN-NEW-49"),
    ("VN-51", "Tra Vinh", "ត្រាវិញ", "Trà Vinh", "9.80", "106.30", "VN-NEW-49"),
    # Đồng Tháp = Đồng Tháp + Tiền Giang
    ("VN-45", "Dong Thap", "ដុងថាប", "Đồng Tháp", "10.55", "105.63", "VN-NEW-45"),
    ("VN-46", "Tien Giang", "ទៀនយ៉ាង", "Tiền Giang", "10.38", "106.30", "VN-NEW-45"),
    # Cà Mau = Cà Mau + Bạc Liêu
    ("VN-59", "Ca Mau", "កាម៉ៅ", "Cà Mau", "9.00", "105.05", "VN-NEW-59"),
    ("VN-55", "Bac Lieu", "បាក់លៀវ", "Bạc Liêu", "9.30", "105.50", "VN-NEW-59"),
    # An Giang = An Giang + Kiên Giang
    ("VN-44", "An Giang", "អានយ៉ាង", "An Giang", "10.50", "105.15", "VN-NEW-44"),
    ("VN-47", "Kien Giang", "កៀនយ៉ាង", "Kiên Giang", "9.95", "105.10", "VN-NEW-44"),
]

# Other spellings met in spreadsheets. Read by taxonomy.selectors.province_resolve, not
# stored. Keys may be current or former codes.
ALIASES: dict[str, tuple[str, ...]] = {
    "VN-NEW-SG": ("Hồ Chí Minh", "Sài Gòn", "Saigon", "HCMC", "HCM", "TPHCM", "TP.HCM"),
    "VN-NEW-HN": ("Ha Noi",),
    "VN-NEW-DN": ("Danang",),
    "VN-26": ("Thừa Thiên - Huế", "Thua Thien-Hue"),
    "VN-43": ("Bà Rịa Vũng Tàu", "Vũng Tàu", "BR-VT"),
    "VN-33": ("Daklak", "Đắc Lắc"),
    "VN-72": ("Daknong", "Đắc Nông"),
    "VN-53": ("Bắc Cạn",),
}
