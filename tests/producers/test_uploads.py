"""Photos, logos and evidence: bad files get a clear message on their field, never a 500."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from producers.models import HeldCertification, ProductPhoto
from tests.factories import CertificationFactory, ProductPhotoFactory, ProvinceFactory
from tests.producers.uploads import (
    jpeg_upload,
    oversized_file,
    pdf_upload,
    png_claiming,
    text_named_jpg,
    truncated_jpeg,
)

BAD_IMAGES = [
    pytest.param(text_named_jpg, "holiday.jpg: This file is not an image we can read", id="text"),
    pytest.param(truncated_jpeg, "cut.jpg: The image is damaged or incomplete", id="truncated"),
    pytest.param(
        oversized_file,
        "big.jpg: The file is 12.0\xa0MB; the largest allowed is 10.0\xa0MB",
        id="12MB",
    ),
    pytest.param(
        lambda: png_claiming(100_000, 100_000),
        "bomb.png: The image is too large to process safely",
        id="bomb",
    ),
    pytest.param(
        lambda: png_claiming(8_000, 8_000),
        "bomb.png: The image is 8000 × 8000 pixels, which is too large",
        id="too-many-pixels",
    ),
]


def upload_photos(client, product, *files):
    return client.post(
        reverse("producers:photo_upload", args=[product.pk]), {"images": list(files)}
    )


def test_producer_uploads_several_photos_and_sees_webp_thumbnails(login, alice, draft):
    client = login(alice)
    response = upload_photos(client, draft, jpeg_upload("a.jpg"), jpeg_upload("b.png"))
    assert response.status_code == 302
    assert draft.photos.count() == 3
    page = client.get(reverse("producers:product_detail", args=[draft.pk]))
    photo = draft.photos.last()
    assert photo.thumbnail.url.endswith(".webp")
    assert photo.thumbnail.url in page.content.decode()


@pytest.mark.parametrize(("make_file", "message"), BAD_IMAGES)
def test_bad_photo_is_refused_with_a_clear_message_on_the_field(
    login, alice, draft, make_file, message
):
    response = upload_photos(login(alice), draft, make_file())
    assert response.status_code == 200
    errors = response.context["photo_form"].errors["images"]
    assert any(error.startswith(message) for error in errors), errors
    assert "Please correct the errors below." in response.content.decode()
    assert draft.photos.count() == 1


def test_one_bad_photo_among_good_ones_names_the_bad_file_and_saves_none(login, alice, draft):
    response = upload_photos(login(alice), draft, jpeg_upload("good.jpg"), text_named_jpg())
    assert response.status_code == 200
    assert response.context["photo_form"].errors["images"] == [
        "holiday.jpg: This file is not an image we can read; please upload a JPEG, PNG or "
        "WebP photo."
    ]
    assert draft.photos.count() == 1


def test_ninth_photo_is_refused_with_a_clear_message(login, alice, draft):
    ProductPhotoFactory.create_batch(7, product=draft)
    client = login(alice)
    response = upload_photos(client, draft, jpeg_upload())
    assert response.status_code == 200
    assert response.context["photo_form"].errors["images"] == [
        "A listing can have up to 8 photos. It has 8 already, so you can add 0 more."
    ]
    assert draft.photos.count() == 8


def test_too_many_photos_at_once_are_all_refused(login, alice, draft):
    ProductPhotoFactory.create_batch(5, product=draft)  # 6 with the fixture's photo
    response = upload_photos(login(alice), draft, *(jpeg_upload(f"{i}.jpg") for i in range(3)))
    assert response.status_code == 200
    assert "so you can add 2 more" in response.context["photo_form"].errors["images"][0]
    assert draft.photos.count() == 6


def test_producer_removes_a_photo(login, alice, draft):
    photo = draft.photos.get()
    response = login(alice).post(reverse("producers:photo_delete", args=[photo.pk]))
    assert response.status_code == 302
    assert not ProductPhoto.objects.filter(pk=photo.pk).exists()


# --- Logo -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("make_file", "message"), BAD_IMAGES)
def test_bad_logo_is_refused_with_a_clear_message(login, alice, make_file, message):
    province = ProvinceFactory()
    response = login(alice).post(
        reverse("producers:profile_create"),
        {
            "name": "Alice Pepper Farm",
            "kind": "household",
            "village": "Trapeang",
            "province": province.pk,
            "logo": make_file(),
        },
    )
    assert response.status_code == 200
    expected = message.split(": ", 1)[1]
    assert any(e.startswith(expected) for e in response.context["form"].errors["logo"])
    # What the producer typed comes back.
    assert 'value="Alice Pepper Farm"' in response.content.decode()


# --- Evidence -------------------------------------------------------------------------------


def add_certification(client, product, **data):
    certification = data.pop("certification", None) or CertificationFactory()
    payload = {
        "certification": certification.pk,
        "expires_on": (timezone.localdate() + dt.timedelta(days=200)).isoformat(),
        "evidence": pdf_upload(),
        **data,
    }
    return client.post(reverse("producers:certification_add", args=[product.pk]), payload)


@pytest.mark.parametrize(
    "evidence",
    [
        pytest.param(pdf_upload, id="pdf"),
        pytest.param(lambda: jpeg_upload("scan.jpg"), id="jpeg"),
    ],
)
def test_producer_adds_a_certification_with_evidence_and_it_is_not_verified_yet(
    login, alice, draft, evidence
):
    client = login(alice)
    response = add_certification(client, draft, evidence=evidence())
    assert response.status_code == 302
    held = draft.certifications.get()
    assert held.verified_at is None
    page = client.get(reverse("producers:product_detail", args=[draft.pk])).content.decode()
    assert "Not verified yet" in page


def test_expired_certificate_is_refused_on_entry(login, alice, draft):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    response = add_certification(login(alice), draft, expires_on=yesterday.isoformat())
    assert response.status_code == 200
    [error] = response.context["certification_form"].errors["expires_on"]
    assert error.startswith("This certificate expired on")
    assert not HeldCertification.objects.exists()


@pytest.mark.parametrize(
    "make_file",
    [
        pytest.param(text_named_jpg, id="text"),
        pytest.param(truncated_jpeg, id="truncated"),
        pytest.param(lambda: png_claiming(100_000, 100_000), id="bomb"),
    ],
)
def test_evidence_that_is_not_a_pdf_or_image_is_refused(login, alice, draft, make_file):
    response = add_certification(login(alice), draft, evidence=make_file())
    assert response.status_code == 200
    assert response.context["certification_form"].errors["evidence"] == [
        "Evidence must be a PDF or a JPEG, PNG or WebP image that opens correctly."
    ]


def test_too_large_evidence_is_refused_with_its_size(login, alice, draft):
    response = add_certification(login(alice), draft, evidence=oversized_file())
    assert response.context["certification_form"].errors["evidence"] == [
        "The file is 12.0\xa0MB; the largest allowed is 10.0\xa0MB."
    ]


def test_same_certification_twice_is_refused_on_the_field(login, alice, draft):
    client = login(alice)
    certification = CertificationFactory()
    add_certification(client, draft, certification=certification)
    response = add_certification(client, draft, certification=certification)
    assert response.status_code == 200
    [error] = response.context["certification_form"].errors["certification"]
    assert "already has" in error


def test_evidence_is_stored_privately_and_streamed_to_the_producer(login, alice, draft, settings):
    client = login(alice)
    add_certification(client, draft)
    held = draft.certifications.get()
    assert held.evidence.path.startswith(str(settings.MEDIA_ROOT / "private"))
    with pytest.raises(ValueError):
        held.evidence.url  # noqa: B018 - there is no public URL to leak
    response = client.get(reverse("producers:certification_evidence", args=[held.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
