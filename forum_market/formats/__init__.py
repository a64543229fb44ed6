"""Django's format modules for our languages (FORMAT_MODULE_PATH), derived from the same CLDR
data as forum_market.l10n, so that `{{ value }}`, `|date:"DATE_FORMAT"` and number_format()
agree with the Babel-formatted pages. Each setting notes the CLDR pattern it stands for;
tests/i18n/test_formats.py checks that they give the same text. Settings left out here fall
back to Django's own module for the language (input formats, first day of the week).

Django name            CLDR (Babel) width
DATE_FORMAT            date "long"       l10n.format_date(value, "long")
SHORT_DATE_FORMAT      date "short"      l10n.format_date(value, "short")
TIME_FORMAT            time "short"      l10n.format_time(value)
DATETIME_FORMAT        l10n.format_datetime(value, "long")
SHORT_DATETIME_FORMAT  l10n.format_datetime(value, "short")
"""
