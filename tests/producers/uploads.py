"""Uploads built in memory: real photos and deliberately broken files."""

import io
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def image_bytes(fmt="JPEG", size=(64, 48), color="green") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    return buffer.getvalue()


def jpeg_upload(name="photo.jpg", size=(64, 48)) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes("JPEG", size), content_type="image/jpeg")


def text_named_jpg() -> SimpleUploadedFile:
    return SimpleUploadedFile(
        "holiday.jpg", b"This is a text file, not a photo.\n" * 20, content_type="image/jpeg"
    )


def truncated_jpeg() -> SimpleUploadedFile:
    data = image_bytes("JPEG", size=(400, 300), color="red")
    return SimpleUploadedFile("cut.jpg", data[: len(data) // 2], content_type="image/jpeg")


def oversized_file(megabytes=12) -> SimpleUploadedFile:
    """A real JPEG padded to `megabytes`, so only its size is wrong."""
    data = image_bytes("JPEG")
    data += b"\0" * (megabytes * 1024 * 1024 - len(data))
    return SimpleUploadedFile("big.jpg", data, content_type="image/jpeg")


def png_claiming(width: int, height: int, name="bomb.png") -> SimpleUploadedFile:
    """A tiny PNG whose header claims width x height pixels (CRC fixed, so it parses)."""
    data = bytearray(image_bytes("PNG", size=(1, 1)))
    # Signature (8 bytes), then the IHDR chunk: length (4), type (4), data (13), CRC (4).
    ihdr = bytearray(data[12:29])
    ihdr[4:12] = struct.pack(">II", width, height)
    data[12:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(ihdr)) & 0xFFFFFFFF)
    return SimpleUploadedFile(name, bytes(data), content_type="image/png")


def pdf_upload(name="certificate.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, b"%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n", content_type="application/pdf"
    )
