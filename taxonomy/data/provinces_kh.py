"""Cambodia's capital and 24 provinces, coded as in ISO 3166-2:KH (KH-1 .. KH-25).

Centroids are approximate geographic centres of each province (about 0.1 degree), good
enough for the distance decay of the matching engine; Phnom Penh is the city centre.
"""

# code, English, Khmer, Vietnamese, latitude, longitude
PROVINCES: list[tuple[str, str, str, str, str, str]] = [
    ("KH-1", "Banteay Meanchey", "បន្ទាយមានជ័យ", "Banteay Meanchey", "13.75", "102.95"),
    ("KH-2", "Battambang", "បាត់ដំបង", "Battambang", "13.00", "103.05"),
    ("KH-3", "Kampong Cham", "កំពង់ចាម", "Kampong Cham", "12.10", "105.30"),
    ("KH-4", "Kampong Chhnang", "កំពង់ឆ្នាំង", "Kampong Chhnang", "12.10", "104.50"),
    ("KH-5", "Kampong Speu", "កំពង់ស្ពឺ", "Kampong Speu", "11.55", "104.25"),
    ("KH-6", "Kampong Thom", "កំពង់ធំ", "Kampong Thom", "12.80", "104.95"),
    ("KH-7", "Kampot", "កំពត", "Kampot", "10.85", "104.30"),
    ("KH-8", "Kandal", "កណ្ដាល", "Kandal", "11.30", "104.95"),
    ("KH-9", "Koh Kong", "កោះកុង", "Koh Kong", "11.55", "103.35"),
    ("KH-10", "Kratie", "ក្រចេះ", "Kratie", "12.55", "106.20"),
    ("KH-11", "Mondulkiri", "មណ្ឌលគិរី", "Mondulkiri", "12.55", "107.10"),
    ("KH-12", "Phnom Penh", "ភ្នំពេញ", "Phnôm Pênh", "11.55640", "104.92820"),
    ("KH-13", "Preah Vihear", "ព្រះវិហារ", "Preah Vihear", "13.85", "105.05"),
    ("KH-14", "Prey Veng", "ព្រៃវែង", "Prey Veng", "11.45", "105.45"),
    ("KH-15", "Pursat", "ពោធិ៍សាត់", "Pursat", "12.30", "103.55"),
    ("KH-16", "Ratanakiri", "រតនគិរី", "Ratanakiri", "13.85", "107.10"),
    ("KH-17", "Siem Reap", "សៀមរាប", "Xiêm Riệp", "13.55", "103.95"),
    ("KH-18", "Preah Sihanouk", "ព្រះសីហនុ", "Preah Sihanouk", "10.75", "103.65"),
    ("KH-19", "Stung Treng", "ស្ទឹងត្រែង", "Stung Treng", "13.85", "106.10"),
    ("KH-20", "Svay Rieng", "ស្វាយរៀង", "Svay Rieng", "11.10", "105.80"),
    ("KH-21", "Takeo", "តាកែវ", "Takeo", "10.95", "104.80"),
    ("KH-22", "Oddar Meanchey", "ឧត្ដរមានជ័យ", "Oddar Meanchey", "14.15", "103.85"),
    ("KH-23", "Kep", "កែប", "Kep", "10.52", "104.33"),
    ("KH-24", "Pailin", "ប៉ៃលិន", "Pailin", "12.85", "102.60"),
    ("KH-25", "Tbong Khmum", "ត្បូងឃ្មុំ", "Tbong Khmum", "11.90", "105.75"),
]

# Other spellings met in spreadsheets: the ISO 3166-2 romanisation, older "Kompong" forms and
# traditional Vietnamese names. Read by taxonomy.selectors.province_resolve, not stored.
ALIASES: dict[str, tuple[str, ...]] = {
    "KH-1": ("Banteay Mean Chey", "Banteay Mean Choăy", "Bantey Meanchey"),
    "KH-2": ("Baat Dambang", "Batdambang", "Bát Tam Bang"),
    "KH-3": ("Kampong Chaam", "Kompong Cham", "Công Pông Chàm"),
    "KH-4": ("Kompong Chhnang",),
    "KH-5": ("Kampong Spueu", "Kompong Speu"),
    "KH-6": ("Kampong Thum", "Kompong Thom"),
    "KH-8": ("Kandaal",),
    "KH-9": ("Kaoh Kong",),
    "KH-10": ("Kracheh", "Kratié"),
    "KH-11": ("Mondol Kiri", "Mondolkiri"),
    "KH-12": ("Phnum Penh", "Nam Vang"),
    "KH-14": ("Prey Veaeng",),
    "KH-15": ("Pousaat", "Pouthisat"),
    "KH-16": ("Rotanak Kiri", "Rattanakiri", "Ratanak Kiri"),
    "KH-17": ("Siem Reab", "Siemreap"),
    "KH-18": ("Sihanoukville", "Kampong Som", "Kompong Som"),
    "KH-19": ("Stueng Traeng", "Stoĕng Trêng", "Stoeng Treng"),
    "KH-20": ("Svaay Rieng",),
    "KH-21": ("Taakaev", "Takéo"),
    "KH-22": ("Otdar Mean Chey", "Oddar Mean Chey", "Otdar Meanchey"),
    "KH-23": ("Kaeb",),
    "KH-25": ("Tboung Khmum", "Tboung Khmoum"),
}
