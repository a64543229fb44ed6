# Khmer, as CLDR's km_KH. Django's own km module has DECIMAL_SEPARATOR "," and
# THOUSAND_SEPARATOR "."; CLDR (Babel 2.17, CLDR 46) has "." and ",", as Cambodian prices are
# written (1,500.50). CLDR wins, so every number on a Khmer page reads the same.
DATE_FORMAT = "j F Y"  # d MMMM y: 4 វិច្ឆិកា 2025
TIME_FORMAT = "g:i A"  # h:mm a: 2:30 PM
DATETIME_FORMAT = "j F Y, g:i A"  # {1}, {0}
SHORT_DATE_FORMAT = "j/n/y"  # d/M/yy: 4/11/25
SHORT_DATETIME_FORMAT = "j/n/y, g:i A"  # {1}, {0}
MONTH_DAY_FORMAT = "j F"  # MMMMd: 4 វិច្ឆិកា
YEAR_MONTH_FORMAT = "F Y"  # yMMMM: វិច្ឆិកា 2025
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
