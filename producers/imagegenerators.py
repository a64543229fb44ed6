"""ImageKit specs for product photos.

List thumbnails (catalogue cards, the home page, a producer's dashboard) are WebP and at most
LIST_THUMBNAIL_MAX_BYTES each, so a page of cards stays light on a 3G connection. At
320x240 and quality 60 even the worst case, a photo that is noise at the thumbnail's own
scale, stays under the limit (about 38 KB); should an encoder ever make a bigger file, the
spec encodes it again at lower qualities until it fits.
"""

from imagekit.exceptions import MissingSource
from imagekit.processors import ResizeToFill
from imagekit.specs import ImageSpec
from imagekit.utils import open_image
from pilkit.processors import ProcessorPipeline
from pilkit.utils import img_to_fobj

# 40 KB, counted in thousands of bytes as `manage.py page_weights` counts them.
LIST_THUMBNAIL_MAX_BYTES = 40_000
LIST_THUMBNAIL_SIZE = (320, 240)


class ListThumbnail(ImageSpec):
    """A 320x240 WebP crop, at most `max_bytes`.

    processors, format and options are those the thumbnails always had, so the cache file
    names (a hash of them) and the thumbnails already made stay valid.
    """

    processors = [ResizeToFill(*LIST_THUMBNAIL_SIZE)]
    format = "WEBP"
    options = {"quality": 60}
    max_bytes = LIST_THUMBNAIL_MAX_BYTES
    # Tried in turn, after options["quality"], while the file is still too big.
    fallback_qualities = (50, 40, 30, 20, 10)

    def generate(self):
        if not self.source:
            raise MissingSource(f"The spec '{self}' has no source file associated with it.")
        closed = self.source.closed
        if closed:
            self.source.open()
        try:
            image = ProcessorPipeline(self.processors).process(open_image(self.source))
        finally:
            if closed:
                self.source.close()
        options = dict(self.options or {})
        qualities = [options.pop("quality", 60), *self.fallback_qualities]
        for quality in qualities:
            content = img_to_fobj(image, self.format, self.autoconvert, quality=quality, **options)
            if _size(content) <= self.max_bytes:
                break
        return content


def _size(content) -> int:
    content.seek(0, 2)
    size = content.tell()
    content.seek(0)
    return size
