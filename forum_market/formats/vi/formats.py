# Vietnamese, as CLDR's vi_VN (the separators are Django's too).
DATE_FORMAT = r"j \t\h\á\n\g n, Y"  # d MMMM, y: 4 tháng 11, 2025
TIME_FORMAT = "H:i"  # HH:mm: 14:30
DATETIME_FORMAT = r"H:i j \t\h\á\n\g n, Y"  # {0} {1}: the time comes first
SHORT_DATE_FORMAT = "j/n/y"  # d/M/yy: 4/11/25
SHORT_DATETIME_FORMAT = "H:i j/n/y"  # {0} {1}
MONTH_DAY_FORMAT = r"j \t\h\á\n\g n"  # MMMMd: 4 tháng 11
YEAR_MONTH_FORMAT = r"\t\h\á\n\g n \n\ă\m Y"  # MMMM 'năm' y: tháng 11 năm 2025
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
