"""Certifications a producer can hold and a buyer can require: OCOP stars, OVOP/OTOP
registration, good practice, food safety, organic, halal, geographical indications and
export registration. `kind` values are those of taxonomy.models.Certification.Kind.

Geographical indications listed are ones registered by the national IP office (Cambodia's
Ministry of Commerce, Vietnam's Intellectual Property Office); EU protection is named in the
issuer where it exists.
"""

# Issuers, written once so that rows agree.
_VN_AGRICULTURE = "Vietnam Ministry of Agriculture and Environment"
_KH_GI = "Cambodia Ministry of Commerce (Department of Intellectual Property)"
_VN_GI = "Intellectual Property Office of Vietnam (Ministry of Science and Technology)"

# code, kind, stars, issuer, English, Khmer, Vietnamese
CERTIFICATIONS: list[tuple[str, str, int | None, str, str, str, str]] = [
    # OCOP star ratings (Decision 148/QĐ-TTg): the provincial People's Committee recognises
    # 3 and 4 stars, the Ministry of Agriculture 5 stars.
    (
        "OCOP-3",
        "stars",
        3,
        "Provincial People's Committee (Vietnam OCOP programme)",
        "OCOP 3 stars",
        "OCOP ៣ ផ្កាយ",
        "OCOP 3 sao",
    ),
    (
        "OCOP-4",
        "stars",
        4,
        "Provincial People's Committee (Vietnam OCOP programme)",
        "OCOP 4 stars",
        "OCOP ៤ ផ្កាយ",
        "OCOP 4 sao",
    ),
    ("OCOP-5", "stars", 5, _VN_AGRICULTURE, "OCOP 5 stars", "OCOP ៥ ផ្កាយ", "OCOP 5 sao"),
    # Registration in a national one-village/one-tambon programme
    (
        "OVOP-KH",
        "registration",
        None,
        "National Committee for One Village One Product, Cambodia",
        "OVOP registration (Cambodia)",
        "ការចុះបញ្ជីភូមិមួយផលិតផលមួយ (OVOP)",
        "Đăng ký OVOP (Campuchia)",
    ),
    (
        "OTOP-TH",
        "registration",
        None,
        "Community Development Department, Ministry of Interior, Thailand",
        "OTOP registration (Thailand)",
        "ការចុះបញ្ជីឃុំមួយផលិតផលមួយ (OTOP ថៃ)",
        "Đăng ký OTOP (Thái Lan)",
    ),
    # Good agricultural practice
    ("VIETGAP", "gap", None, _VN_AGRICULTURE, "VietGAP", "VietGAP", "VietGAP"),
    (
        "CAMGAP",
        "gap",
        None,
        "Cambodia Ministry of Agriculture, Forestry and Fisheries",
        "CamGAP",
        "CamGAP",
        "CamGAP",
    ),
    (
        "GLOBALGAP",
        "gap",
        None,
        "GLOBALG.A.P. (FoodPLUS GmbH)",
        "GLOBALG.A.P.",
        "GLOBALG.A.P.",
        "GLOBALG.A.P.",
    ),
    # Food safety
    (
        "HACCP",
        "food_safety",
        None,
        "Accredited certification body (Codex HACCP)",
        "HACCP",
        "HACCP",
        "HACCP",
    ),
    (
        "ISO-22000",
        "food_safety",
        None,
        "Accredited certification body (ISO 22000)",
        "ISO 22000",
        "ISO 22000",
        "ISO 22000",
    ),
    (
        "GMP",
        "food_safety",
        None,
        "Accredited certification body or national food safety authority",
        "Good Manufacturing Practice (GMP)",
        "ការអនុវត្តផលិតកម្មល្អ (GMP)",
        "Thực hành sản xuất tốt (GMP)",
    ),
    # Organic
    (
        "ORGANIC-EU",
        "organic",
        None,
        "EU (Regulation (EU) 2018/848)",
        "EU organic",
        "សរីរាង្គ EU",
        "Hữu cơ EU",
    ),
    (
        "ORGANIC-USDA",
        "organic",
        None,
        "USDA National Organic Program",
        "USDA Organic",
        "សរីរាង្គ USDA",
        "Hữu cơ USDA",
    ),
    (
        "ORGANIC-JAS",
        "organic",
        None,
        "Japan Ministry of Agriculture, Forestry and Fisheries (JAS)",
        "JAS Organic",
        "សរីរាង្គ JAS (ជប៉ុន)",
        "Hữu cơ JAS (Nhật Bản)",
    ),
    (
        "ORGANIC-PGS",
        "organic",
        None,
        "Participatory Guarantee System group (IFOAM - Organics International)",
        "PGS organic",
        "សរីរាង្គ PGS",
        "Hữu cơ PGS",
    ),
    # Halal
    (
        "HALAL",
        "halal",
        None,
        "Accredited halal certification body",
        "Halal",
        "ហាឡាល់",
        "Halal",
    ),
    # Geographical indications: Cambodia
    (
        "GI-KH-KAMPOT-PEPPER",
        "gi",
        None,
        f"{_KH_GI}; EU PGI",
        "Kampot pepper",
        "ម្រេចកំពត",
        "Hồ tiêu Kampot",
    ),
    (
        "GI-KH-KAMPONG-SPEU-PALM-SUGAR",
        "gi",
        None,
        f"{_KH_GI}; EU PGI",
        "Kampong Speu palm sugar",
        "ស្ករត្នោតកំពង់ស្ពឺ",
        "Đường thốt nốt Kampong Speu",
    ),
    (
        "GI-KH-KOH-TRONG-POMELO",
        "gi",
        None,
        _KH_GI,
        "Koh Trong pomelo (Kratie)",
        "ក្រូចថ្លុងកោះទ្រង់",
        "Bưởi Koh Trong (Kratie)",
    ),
    (
        "GI-KH-MONDULKIRI-WILD-HONEY",
        "gi",
        None,
        _KH_GI,
        "Mondulkiri wild honey",
        "ទឹកឃ្មុំព្រៃមណ្ឌលគិរី",
        "Mật ong rừng Mondulkiri",
    ),
    (
        "GI-KH-KAMPOT-KEP-FISH-SAUCE",
        "gi",
        None,
        _KH_GI,
        "Kampot-Kep fish sauce",
        "ទឹកត្រីកំពត-កែប",
        "Nước mắm Kampot-Kep",
    ),
    (
        "GI-KH-KAMPOT-KEP-SALT",
        "gi",
        None,
        _KH_GI,
        "Kampot-Kep salt",
        "អំបិលកំពត-កែប",
        "Muối Kampot-Kep",
    ),
    # Geographical indications: Vietnam
    (
        "GI-VN-PHU-QUOC-FISH-SAUCE",
        "gi",
        None,
        f"{_VN_GI}; EU PDO",
        "Phu Quoc fish sauce",
        "ទឹកត្រីភូកុក",
        "Nước mắm Phú Quốc",
    ),
    (
        "GI-VN-BUON-MA-THUOT-COFFEE",
        "gi",
        None,
        _VN_GI,
        "Buon Ma Thuot coffee",
        "កាហ្វេប៊ួនម៉ាធួត",
        "Cà phê Buôn Ma Thuột",
    ),
    (
        "GI-VN-MOC-CHAU-TEA",
        "gi",
        None,
        _VN_GI,
        "Moc Chau Shan Tuyet tea",
        "តែសានទ្វៀតម៉ុកចូវ",
        "Chè Shan tuyết Mộc Châu",
    ),
    (
        "GI-VN-TAN-CUONG-TEA",
        "gi",
        None,
        _VN_GI,
        "Tan Cuong tea (Thai Nguyen)",
        "តែតឹនកឿង",
        "Chè Tân Cương",
    ),
    (
        "GI-VN-LY-SON-GARLIC",
        "gi",
        None,
        _VN_GI,
        "Ly Son garlic",
        "ខ្ទឹមសលីសើន",
        "Tỏi Lý Sơn",
    ),
    (
        "GI-VN-CHU-SE-PEPPER",
        "gi",
        None,
        _VN_GI,
        "Chu Se pepper",
        "ម្រេចជឺសេ",
        "Hồ tiêu Chư Sê",
    ),
    # Export registration
    (
        "FDA-FFR",
        "export",
        None,
        "US Food and Drug Administration",
        "US FDA food facility registration",
        "ការចុះបញ្ជីរោងចក្រអាហារជាមួយ FDA សហរដ្ឋអាមេរិក",
        "Đăng ký cơ sở thực phẩm với FDA Hoa Kỳ",
    ),
]
