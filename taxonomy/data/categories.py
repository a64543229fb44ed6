"""OCOP product classification of Decision 148/QĐ-TTg (24 February 2023), Appendix I: six
product groups (ngành) and the 26 product sets (bộ sản phẩm) that are scored separately.
Cambodian OVOP products map onto the same tree.

Codes follow the decision's own numbering: group I is G1; its "nhóm" 3 (processed food),
"phân nhóm" c is G1.3c. Where a "nhóm" has no "phân nhóm" the code stops at the "nhóm"
(G1.6 coffee and cocoa, G4.2 textiles). So every subgroup code starts with the code of its
group, and G1.3 still names all processed foods.

Note that Decision 148 replaced the 2019 grouping (Decision 1048/QĐ-TTg) in which textiles
and "souvenirs, furniture and decoration" were groups of their own: textiles and garments
are now G4.2 under handicrafts, and G5 is ornamental plants and animals.
"""

# code, English, Khmer, Vietnamese, subgroups as (code, English, Khmer, Vietnamese)
GROUPS: list[tuple[str, str, str, str, list[tuple[str, str, str, str]]]] = [
    (
        "G1",
        "Food",
        "ផលិតផលអាហារ",
        "Thực phẩm",
        [
            (
                "G1.1a",
                "Fresh vegetables, tubers, fruit and nuts",
                "បន្លែ មើម ផ្លែឈើ និងគ្រាប់ស្រស់",
                "Rau, củ, quả, hạt tươi",
            ),
            (
                "G1.1b",
                "Fresh meat, fish and seafood, eggs and milk",
                "សាច់ ត្រី អាហារសមុទ្រ ពង និងទឹកដោះស្រស់",
                "Thịt, thủy sản, trứng, sữa tươi",
            ),
            (
                "G1.2a",
                "Rice, cereals and other minimally processed grains",
                "អង្ករ ធញ្ញជាតិ និងគ្រាប់កែច្នៃបឋមផ្សេងៗ",
                "Gạo, ngũ cốc, hạt sơ chế khác",
            ),
            (
                "G1.2b",
                "Honey, other syrups and sugars, and other farm foods",
                "ទឹកឃ្មុំ ទឹកស្ករ និងកសិផលអាហារផ្សេងៗ",
                "Mật ong, mật khác và nông sản thực phẩm khác",
            ),
            ("G1.3a", "Fast food and ready meals", "អាហាររហ័ស", "Đồ ăn nhanh"),
            (
                "G1.3b",
                "Processed rice and cereal products",
                "ផលិតផលកែច្នៃពីអង្ករ និងធញ្ញជាតិ",
                "Chế biến từ gạo, ngũ cốc",
            ),
            (
                "G1.3c",
                "Processed vegetable, tuber, fruit and nut products",
                "ផលិតផលកែច្នៃពីបន្លែ មើម ផ្លែឈើ និងគ្រាប់",
                "Chế biến từ rau, củ, quả, hạt",
            ),
            (
                "G1.3d",
                "Processed meat, seafood, egg, dairy, honey and other farm products",
                "ផលិតផលកែច្នៃពីសាច់ ជលផល ពង ទឹកដោះ ទឹកឃ្មុំ និងកសិផលផ្សេងៗ",
                "Chế biến từ thịt, trứng, sữa, thủy sản, các sản phẩm từ mật ong, mật khác và "
                "nông sản thực phẩm khác",
            ),
            (
                "G1.4a",
                "Sauces, fish sauce and other liquid condiments",
                "ទឹកជ្រលក់ ទឹកត្រី និងគ្រឿងទេសរាវផ្សេងៗ",
                "Tương, nước mắm, gia vị dạng lỏng khác",
            ),
            (
                "G1.4b",
                "Other spices and seasonings (salt, shallot, garlic, pepper...)",
                "គ្រឿងទេសផ្សេងៗ (អំបិល ខ្ទឹម ម្រេច...)",
                "Gia vị khác (muối, hành, tỏi, tiêu...)",
            ),
            ("G1.5a", "Tea, fresh and processed", "តែស្រស់ និងតែកែច្នៃ", "Chè tươi, chè chế biến"),
            (
                "G1.5b",
                "Herbal teas from other plants",
                "តែពីរុក្ខជាតិផ្សេងៗ",
                "Sản phẩm trà từ thực vật khác",
            ),
            ("G1.6", "Coffee and cocoa", "កាហ្វេ និងកាកាវ", "Cà phê, ca cao"),
        ],
    ),
    (
        "G2",
        "Beverages",
        "ភេសជ្ជៈ",
        "Đồ uống",
        [
            ("G2.1a", "Distilled rice spirits", "ស្រាស", "Rượu trắng"),
            (
                "G2.1b",
                "Other alcoholic drinks",
                "ភេសជ្ជៈមានជាតិអាល់កុលផ្សេងៗ",
                "Đồ uống có cồn khác",
            ),
            (
                "G2.2a",
                "Natural mineral water and bottled drinking water",
                "ទឹករ៉ែធម្មជាតិ និងទឹកបរិសុទ្ធវេចខ្ចប់ក្នុងដប",
                "Nước khoáng thiên nhiên, nước uống đóng chai",
            ),
            (
                "G2.2b",
                "Other non-alcoholic drinks",
                "ភេសជ្ជៈគ្មានជាតិអាល់កុលផ្សេងៗ",
                "Đồ uống không cồn khác",
            ),
        ],
    ),
    (
        "G3",
        "Medicinal herbs and herbal products",
        "រុក្ខជាតិឱសថ និងផលិតផលពីរុក្ខជាតិឱសថ",
        "Dược liệu và sản phẩm từ dược liệu",
        [
            (
                "G3.1",
                "Functional foods, herbal and traditional medicines",
                "អាហារបំប៉នសុខភាព ឱសថពីរុក្ខជាតិ និងឱសថបុរាណ",
                "Thực phẩm chức năng, thuốc dược liệu, thuốc cổ truyền",
            ),
            (
                "G3.2",
                "Cosmetics with herbal ingredients",
                "គ្រឿងសម្អាងមានគ្រឿងផ្សំពីរុក្ខជាតិឱសថ",
                "Mỹ phẩm có thành phần từ dược liệu",
            ),
            (
                "G3.3",
                "Essential oils and other medicinal herbs",
                "ប្រេងក្រអូប និងរុក្ខជាតិឱសថផ្សេងៗ",
                "Tinh dầu và dược liệu khác",
            ),
        ],
    ),
    (
        "G4",
        "Handicrafts",
        "សិប្បកម្ម",
        "Hàng thủ công mỹ nghệ",
        [
            (
                "G4.1",
                "Household and decorative handicrafts",
                "សិប្បកម្មប្រើប្រាស់ក្នុងផ្ទះ និងសម្រាប់លម្អ",
                "Thủ công mỹ nghệ gia dụng, trang trí",
            ),
            (
                "G4.2",
                "Textiles and garments (silk, cotton, brocade)",
                "វាយនភណ្ឌ និងសម្លៀកបំពាក់ (សូត្រ កប្បាស)",
                "Vải, may mặc (lụa, bông, thổ cẩm)",
            ),
        ],
    ),
    (
        "G5",
        "Ornamental plants and animals",
        "រុក្ខជាតិ និងសត្វលម្អ",
        "Sinh vật cảnh",
        [
            ("G5.1", "Flowers", "ផ្កា", "Hoa"),
            ("G5.2", "Ornamental plants", "រុក្ខជាតិលម្អ", "Cây cảnh"),
            ("G5.3", "Ornamental animals", "សត្វលម្អ", "Động vật cảnh"),
        ],
    ),
    (
        "G6",
        "Community tourism, eco-tourism and tourist sites",
        "ទេសចរណ៍សហគមន៍ អេកូទេសចរណ៍ និងរមណីយដ្ឋាន",
        "Dịch vụ du lịch cộng đồng, du lịch sinh thái và điểm du lịch",
        [
            (
                "G6.1",
                "Community tourism, eco-tourism and tourist site services",
                "សេវាទេសចរណ៍សហគមន៍ អេកូទេសចរណ៍ និងរមណីយដ្ឋាន",
                "Dịch vụ du lịch cộng đồng, du lịch sinh thái và điểm du lịch",
            ),
        ],
    ),
]
