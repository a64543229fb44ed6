"""Upload checks: what a file really is, how big it is, and whether it is a decompression bomb.

The browser's content type and the file name are never trusted; Pillow (or the PDF header)
decides. Every failure is a ValidationError with a message a producer can act on.
"""

import os
import warnings

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.template.defaultfilters import filesizeformat
from django.utils.deconstruct import deconstructible
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

IMAGE_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}
# Anything beyond this many pixels is refused before it is decoded (about 8,000 x 6,000).
MAX_IMAGE_PIXELS = 50_000_000


@deconstructible
class PrivateMediaStorage(FileSystemStorage):
    """Evidence files are not public: they live under MEDIA_ROOT/private, which no URL serves.
    They are downloaded through a view that checks who is asking."""

    @cached_property
    def base_location(self):
        return os.path.join(settings.MEDIA_ROOT, "private")

    def url(self, name):
        raise ValueError("Private files have no public URL.")


private_storage = PrivateMediaStorage()


def _check_size(upload) -> None:
    limit = settings.UPLOAD_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            _("The file is %(size)s; the largest allowed is %(limit)s.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
            code="file_too_large",
        )


def _check_image(upload) -> None:
    """Open the file with Pillow, refusing bombs, unknown formats and truncated data."""
    position = upload.tell() if hasattr(upload, "tell") else 0
    try:
        upload.seek(0)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                if image.format not in IMAGE_FORMATS:
                    raise ValidationError(
                        _("This is a %(format)s image; please upload a JPEG, PNG or WebP photo.")
                        % {"format": image.format or _("unknown")},
                        code="image_format",
                    )
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise ValidationError(
                        _(
                            "The image is %(width)s × %(height)s pixels, which is too large; "
                            "please upload a smaller photo."
                        )
                        % {"width": width, "height": height},
                        code="image_too_many_pixels",
                    )
                # Decoding the whole image is what finds truncated or corrupt files.
                image.load()
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValidationError(
            _("The image is too large to process safely; please upload a smaller photo."),
            code="image_bomb",
        ) from exc
    except UnidentifiedImageError as exc:
        raise ValidationError(
            _("This file is not an image we can read; please upload a JPEG, PNG or WebP photo."),
            code="image_unreadable",
        ) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(
            _("The image is damaged or incomplete; please upload it again."),
            code="image_corrupt",
        ) from exc
    finally:
        upload.seek(position)


def validate_image_file(upload) -> None:
    _check_size(upload)
    _check_image(upload)


def validate_evidence_file(upload) -> None:
    _check_size(upload)
    upload.seek(0)
    head = upload.read(5)
    upload.seek(0)
    if head == b"%PDF-":
        return
    try:
        _check_image(upload)
    except ValidationError as exc:
        raise ValidationError(
            _("Evidence must be a PDF or a JPEG, PNG or WebP image that opens correctly."),
            code="evidence_type",
        ) from exc
