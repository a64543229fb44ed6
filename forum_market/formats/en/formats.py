# English, written as CLDR's en_GB (see forum_market/l10n.py for why en_GB).
DATE_FORMAT = "j F Y"  # d MMMM y: 4 November 2025
TIME_FORMAT = "H:i"  # HH:mm: 14:30
DATETIME_FORMAT = "j F Y, H:i"  # {1}, {0}
SHORT_DATE_FORMAT = "d/m/Y"  # dd/MM/y: 04/11/2025
SHORT_DATETIME_FORMAT = "d/m/Y, H:i"  # {1}, {0}
MONTH_DAY_FORMAT = "j F"  # MMMMd: 4 November
YEAR_MONTH_FORMAT = "F Y"  # yMMMM: November 2025
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
