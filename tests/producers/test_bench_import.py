"""`manage.py bench_import` measures a preview and a commit and leaves nothing behind."""

import io
import re

import pytest
from django.core.management import call_command

from producers.importing.models import ImportBatch
from producers.models import Producer, Product

pytestmark = pytest.mark.django_db


def test_bench_import_prints_its_figures_and_rolls_everything_back(settings):
    out = io.StringIO()
    call_command("bench_import", rows=40, stdout=out)

    text = out.getvalue()
    for line in ("preview csv", "preview xlsx"):
        assert re.search(rf"{line} .*median +\d+\.\d\d s.*\(40 rows, 0 with errors\)", text), text
    assert re.search(r"commit csv: median +\d+\.\d\d s", text), text
    assert not ImportBatch.objects.exists()
    assert not Producer.objects.exists() and not Product.objects.exists()
    imports = settings.MEDIA_ROOT / "private" / "imports"
    assert not imports.exists() or not any(imports.iterdir())
