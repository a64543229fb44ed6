"""`manage.py page_weights`: what the main pages weigh, as each kind of user sees them.

For every page (home, catalogue, product, search, agenda, dashboard, sign-up), user
(anonymous, producer, buyer, organiser, where the page makes sense for them) and language,
it fetches the page through Django's test client and then every same-origin asset a browser
would fetch for it: stylesheets (and their @import and url()), scripts, icons, fonts and
images. Static files come through WhiteNoise, so with the production storage these are the
hashed, precompressed files a browser is sent.

Bytes are counted as sent compressed: the gzip body when the server compresses (Django's
GZipMiddleware, WhiteNoise's precompressed files), else the text compressed with gzip at
level 6, as production would send it. 1 KB is 1000 bytes.

- HTML, CSS, JavaScript, fonts and icons count toward the page budget (default 60 KB).
- Photos (images under MEDIA_URL) don't; on list pages each one must be a WebP of at most
  40 KB (the list thumbnail rule).

Exits non-zero (CommandError) when a page is over budget, isn't 200, an asset is missing or
off-site, a list thumbnail breaks the rule, or the demo data is missing (run `seed_demo`
first, or pass --seed).

This lives beside seed_demo in forums, the app that may import from the others: it walks
producers', buyers' and forums' pages with the demo logins that seed_demo defines.
"""

import gzip
import io
import json
import mimetypes
import re
from dataclasses import asdict, dataclass, field
from html.parser import HTMLParser
from urllib.parse import unquote, urlencode, urljoin, urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.test import Client
from django.urls import reverse

from forums.management.commands.seed_demo import BUYER_EMAIL, ORGANISER_EMAIL, PRODUCER_EMAIL
from forums.models import Forum
from producers.imagegenerators import LIST_THUMBNAIL_MAX_BYTES
from producers.models import Product

KB = 1000
DEFAULT_BUDGET_KB = 60
ANONYMOUS, PRODUCER, BUYER, ORGANISER = "anonymous", "producer", "buyer", "organiser"
EVERYONE = (ANONYMOUS, PRODUCER, BUYER, ORGANISER)
# page, who sees it, whether its photos are list thumbnails
PAGES = [
    ("home", EVERYONE, True),
    ("catalogue", EVERYONE, True),
    ("product", EVERYONE, False),
    ("search", EVERYONE, True),
    ("agenda", (PRODUCER, BUYER), False),
    ("dashboard", (PRODUCER, BUYER, ORGANISER), True),
    ("sign-up", (ANONYMOUS,), False),
]
PAGE_NAMES = [name for name, _users, _thumbs in PAGES]
COMPRESSIBLE = re.compile(r"^(text/|application/(javascript|json|xml|manifest\+json)|image/svg)")
CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""", re.IGNORECASE)
CSS_IMPORT = re.compile(r"""@import\s+(?:url\(\s*)?['"]?([^'")\s;]+)""", re.IGNORECASE)


class MissingData(Exception):
    """The database lacks what a page needs (a user, a listing, a forum)."""


@dataclass
class Asset:
    url: str
    kind: str  # css, js, photo or other (fonts, icons, static images)
    status: int = 0
    content_type: str = ""
    raw_bytes: int = 0
    sent_bytes: int = 0
    encoding: str = ""  # gzip as sent, "gzip-6 (estimated)", or identity
    webp: bool = False
    body: bytes = field(default=b"", repr=False)


@dataclass
class PageResult:
    page: str
    user: str
    language: str
    url: str = ""
    status: int = 0
    requests: int = 0
    html_bytes: int = 0
    css_js_bytes: int = 0
    other_bytes: int = 0
    photo_bytes: int = 0
    photos: int = 0
    scripts: int = 0  # <script> elements
    script_handlers: int = 0  # on* attributes and javascript: links
    viewport: bool = False
    assets: list = field(default_factory=list)
    problems: list = field(default_factory=list)

    @property
    def budget_bytes(self) -> int:
        return self.html_bytes + self.css_js_bytes + self.other_bytes

    @property
    def ok(self) -> bool:
        return not self.problems


class AssetParser(HTMLParser):
    """The assets a page references, and its scripts."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.refs: list[tuple[str, str]] = []  # (kind, url); kind "image" until classified
        self.scripts = 0
        self.script_handlers = 0
        self.viewport = False
        self._in_style = False
        self._style = []

    def add(self, kind: str, url: str | None) -> None:
        if url and url.strip() and not url.strip().startswith(("data:", "#")):
            self.refs.append((kind, url.strip()))

    def handle_starttag(self, tag, attrs):
        attrs_dict = {name: value or "" for name, value in attrs}
        for name, value in attrs_dict.items():
            if name.startswith("on") or value.strip().lower().startswith("javascript:"):
                self.script_handlers += 1
        if "style" in attrs_dict:
            self.css_refs(attrs_dict["style"])
        rel = set(attrs_dict.get("rel", "").lower().split())
        if tag == "link" and attrs_dict.get("href"):
            href = attrs_dict["href"]
            if "stylesheet" in rel:
                self.add("css", href)
            elif rel & {"icon", "apple-touch-icon", "mask-icon", "manifest"}:
                self.add("other", href)
            elif rel & {"preload", "modulepreload"}:
                kind = {"style": "css", "script": "js", "image": "image"}.get(
                    attrs_dict.get("as", ""), "js" if "modulepreload" in rel else "other"
                )
                self.add(kind, href)
        elif tag == "script":
            self.scripts += 1
            self.add("js", attrs_dict.get("src"))
        elif tag in ("img", "source", "input", "video"):
            if tag == "input" and attrs_dict.get("type", "").lower() != "image":
                return
            src = attrs_dict.get("src") or attrs_dict.get("poster")
            if not src and attrs_dict.get("srcset"):
                src = attrs_dict["srcset"].split(",")[0].split()[0]  # one candidate is loaded
            self.add("image", src)
        elif tag == "meta" and attrs_dict.get("name", "").lower() == "viewport":
            self.viewport = "width=device-width" in attrs_dict.get("content", "").replace(" ", "")
        elif tag == "style":
            self._in_style = True

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False
            self.css_refs("".join(self._style))
            self._style = []

    def handle_data(self, data):
        if self._in_style:
            self._style.append(data)

    def css_refs(self, css: str) -> None:
        for kind, url in css_references(css):
            self.add(kind, url)


def css_references(css: str) -> list[tuple[str, str]]:
    """@import and url() references in a stylesheet, inline data aside."""
    imports = CSS_IMPORT.findall(css)
    refs = [("css", url) for url in imports]
    refs += [("image", url) for _q, url in CSS_URL.findall(css) if url not in imports]
    return [(kind, url) for kind, url in refs if not url.startswith(("data:", "#"))]


class Walker:
    """Fetches pages and their assets with one test client per user and language."""

    def __init__(self, *, budget_bytes: int, thumbnail_bytes: int):
        self.budget_bytes = budget_bytes
        self.thumbnail_bytes = thumbnail_bytes
        self.host = self.pick_host()
        self.secure = bool(getattr(settings, "SECURE_SSL_REDIRECT", False))
        self.origin = f"{'https' if self.secure else 'http'}://{self.host}"
        self.media_prefix = urlsplit(settings.MEDIA_URL).path
        self.cache: dict[str, Asset] = {}  # the same file weighs the same on every page
        self.clients: dict[tuple, Client] = {}

    @staticmethod
    def pick_host() -> str:
        hosts = settings.ALLOWED_HOSTS
        if not hosts or "*" in hosts or "testserver" in hosts:
            return "testserver"
        return hosts[0].lstrip(".")

    def client(self, user, language: str) -> Client:
        """A client for one user and language; logged in once, however many pages it sees."""
        key = (getattr(user, "pk", None), language)
        if key not in self.clients:
            client = Client(
                raise_request_exception=False, SERVER_NAME=self.host, HTTP_HOST=self.host
            )
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
            if user is not None:
                client.force_login(user)
            self.clients[key] = client
        return self.clients[key]

    def log_out(self) -> None:
        """End the sessions the walk opened, so it leaves none behind in the database."""
        for client in self.clients.values():
            client.logout()
        self.clients.clear()

    def get(self, client: Client, url: str):
        response = client.get(url, secure=self.secure, headers={"accept-encoding": "gzip"})
        # Reading a streamed body closes the response, as the client closes any other.
        if getattr(response, "streaming", False):
            body = b"".join(response.streaming_content)
        else:
            body = response.content
        return response, body

    def measure(self, response, body: bytes, asset: Asset) -> Asset:
        asset.status = response.status_code
        asset.content_type = response.get("Content-Type", "").split(";")[0].strip()
        encoding = response.get("Content-Encoding", "")
        if encoding == "gzip":
            asset.sent_bytes, asset.encoding = len(body), "gzip"
            body = gzip.decompress(body)
        elif COMPRESSIBLE.match(asset.content_type):
            compressed = gzip.compress(body, compresslevel=6, mtime=0)
            asset.sent_bytes, asset.encoding = len(compressed), "gzip-6 (estimated)"
        else:
            asset.sent_bytes, asset.encoding = len(body), "identity"
        asset.raw_bytes = len(body)
        asset.body = body
        asset.webp = body[:4] == b"RIFF" and body[8:12] == b"WEBP"
        return asset

    def media_asset(self, url: str) -> Asset:
        """A photo, read from storage: production serves media from outside Django."""
        name = unquote(urlsplit(url).path)[len(self.media_prefix) :]
        asset = Asset(url=url, kind="photo", encoding="identity")
        try:
            with default_storage.open(name) as handle:
                body = handle.read()
        except (OSError, ValueError, SuspiciousFileOperation):
            asset.status = 404
            return asset
        asset.status = 200
        asset.content_type = mimetypes.guess_type(name)[0] or ""
        asset.raw_bytes = asset.sent_bytes = len(body)
        asset.webp = body[:4] == b"RIFF" and body[8:12] == b"WEBP"
        return asset

    def asset(self, client: Client, kind: str, url: str) -> Asset:
        if url in self.cache:
            return self.cache[url]
        path = urlsplit(url).path
        if path.startswith(self.media_prefix):
            asset = self.media_asset(url)
        else:
            if kind == "image":
                kind = "other"
            response, body = self.get(client, url)
            asset = self.measure(response, body, Asset(url=url, kind=kind))
            if "css" in asset.content_type:
                asset.kind = "css"
            elif "javascript" in asset.content_type:
                asset.kind = "js"
        self.cache[url] = asset
        return asset

    def walk(self, *, page: str, user_kind: str, user, language: str, url: str, thumbnails):
        result = PageResult(page=page, user=user_kind, language=language, url=url)
        client = self.client(user, language)
        response, body = self.get(client, url)
        html = self.measure(response, body, Asset(url=url, kind="html"))
        result.status, result.requests, result.html_bytes = html.status, 1, html.sent_bytes
        if html.status != 200:
            where = response.get("Location", "")
            result.problems.append(f"HTTP {html.status}" + (f" to {where}" if where else ""))
            return result
        parser = AssetParser()
        parser.feed(html.body.decode("utf-8", "replace"))
        result.scripts, result.script_handlers = parser.scripts, parser.script_handlers
        result.viewport = parser.viewport
        if not parser.viewport:
            result.problems.append("no <meta name=viewport content=width=device-width>")
        base = self.origin + url
        queue = [(kind, urljoin(base, ref)) for kind, ref in parser.refs]
        seen = set()
        while queue:
            kind, absolute = queue.pop(0)
            if absolute in seen:
                continue
            seen.add(absolute)
            result.requests += 1
            parts = urlsplit(absolute)
            if f"{parts.scheme}://{parts.netloc}" != self.origin:
                result.problems.append(f"off-site asset {absolute} (not measured)")
                continue
            local = parts.path + (f"?{parts.query}" if parts.query else "")
            asset = self.asset(client, kind, local)
            result.assets.append(
                {
                    "url": local,
                    "kind": asset.kind,
                    "status": asset.status,
                    "content_type": asset.content_type,
                    "sent_bytes": asset.sent_bytes,
                    "encoding": asset.encoding,
                }
            )
            if asset.status != 200:
                result.problems.append(f"{local}: HTTP {asset.status}")
                continue
            if asset.kind == "photo":
                result.photos += 1
                result.photo_bytes += asset.sent_bytes
                if thumbnails and not asset.webp:
                    result.problems.append(f"thumbnail {local} is not WebP")
                if thumbnails and asset.sent_bytes > self.thumbnail_bytes:
                    result.problems.append(
                        f"thumbnail {local} is {asset.sent_bytes / KB:.1f} KB "
                        f"(limit {self.thumbnail_bytes / KB:g} KB)"
                    )
            elif asset.kind in ("css", "js"):
                result.css_js_bytes += asset.sent_bytes
            else:
                result.other_bytes += asset.sent_bytes
            if asset.kind == "css":
                css = asset.body.decode("utf-8", "replace")
                css_base = self.origin + local
                queue += [(k, urljoin(css_base, ref)) for k, ref in css_references(css)]
        if result.budget_bytes > self.budget_bytes:
            result.problems.append(
                f"over budget: {result.budget_bytes / KB:.2f} KB > {self.budget_bytes / KB:g} KB"
            )
        return result


def find_forum_for(user) -> Forum | None:
    return (
        Forum.objects.filter(
            Q(producer_entries__producer__members=user)
            | Q(buyer_entries__buyer__members=user)
            | Q(meetings__producer__members=user)
            | Q(meetings__buyer__members=user)
        )
        .distinct()
        .order_by("pk")
        .first()
    )


class Command(BaseCommand):
    help = (
        "Weigh the main pages (HTML, CSS and JavaScript, compressed) for each kind of user and "
        "language, count requests, check list thumbnails, and fail when a page is over budget."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--budget-kb",
            type=float,
            default=DEFAULT_BUDGET_KB,
            help="Most a page may send, photos aside, compressed (KB of 1000 bytes; default 60).",
        )
        parser.add_argument(
            "--thumbnail-kb",
            type=float,
            default=LIST_THUMBNAIL_MAX_BYTES / KB,
            help="Most one list thumbnail may weigh (KB; default 40).",
        )
        parser.add_argument(
            "--language",
            action="append",
            dest="languages",
            choices=[code for code, _name in settings.LANGUAGES],
            help="Only this language (repeatable; default: every language of the site).",
        )
        parser.add_argument(
            "--page",
            action="append",
            dest="pages",
            choices=PAGE_NAMES,
            help="Only this page (repeatable; default: all).",
        )
        parser.add_argument(
            "--seed",
            action="store_true",
            help="Run seed_demo first (idempotent; it makes demo logins with a published "
            "password, so not on a public site).",
        )
        parser.add_argument("--query", default="pepper", help="The search page's query.")
        parser.add_argument("--producer", default=PRODUCER_EMAIL, help="The producer's email.")
        parser.add_argument("--buyer", default=BUYER_EMAIL, help="The buyer's email.")
        parser.add_argument("--organiser", default=ORGANISER_EMAIL, help="The organiser's email.")
        parser.add_argument("--json", action="store_true", help="Print JSON instead of a table.")

    def handle(self, *args, **options):
        if options["seed"]:
            call_command("seed_demo", stdout=io.StringIO())
        walker = Walker(
            budget_bytes=round(options["budget_kb"] * KB),
            thumbnail_bytes=round(options["thumbnail_kb"] * KB),
        )
        languages = options["languages"] or [code for code, _name in settings.LANGUAGES]
        wanted = set(options["pages"] or PAGE_NAMES)
        users, missing_users = self.users(options)
        results = []
        for page, kinds, thumbnails in PAGES:
            if page not in wanted:
                continue
            for kind in kinds:
                for language in languages:
                    result = PageResult(page=page, user=kind, language=language)
                    if kind in missing_users:
                        result.problems.append(missing_users[kind])
                        results.append(result)
                        continue
                    try:
                        url = self.page_url(page, kind, users.get(kind), options["query"])
                    except MissingData as missing:
                        result.problems.append(f"missing data: {missing}")
                        results.append(result)
                        continue
                    results.append(
                        walker.walk(
                            page=page,
                            user_kind=kind,
                            user=users.get(kind),
                            language=language,
                            url=url,
                            thumbnails=thumbnails,
                        )
                    )
        walker.log_out()
        failed = [r for r in results if not r.ok]
        if options["json"]:
            self.stdout.write(json.dumps(self.as_json(results, walker), indent=2))
        else:
            self.table(results, walker)
        if failed:
            # Each problem once, with the first page that has it; the table has them all.
            problems = {}
            for r in failed:
                for problem in r.problems:
                    problems.setdefault(problem, f"{r.page} as {r.user} ({r.language})")
            listed = [f"{where}: {problem}" for problem, where in list(problems.items())[:8]]
            more = " ..." if len(problems) > 8 else ""
            raise CommandError(
                f"{len(failed)} of {len(results)} pages failed: {'; '.join(listed)}{more}"
            )

    def users(self, options) -> tuple[dict, dict]:
        User = get_user_model()
        users, missing = {ANONYMOUS: None}, {}
        for kind in (PRODUCER, BUYER, ORGANISER):
            email = options[kind]
            user = User.objects.filter(email__iexact=email).first()
            if user is None:
                missing[kind] = (
                    f"missing data: no user {email}; run `manage.py seed_demo` first or pass --seed"
                )
            else:
                users[kind] = user
        return users, missing

    def page_url(self, page: str, kind: str, user, query: str) -> str:
        if page == "home":
            return reverse("home")
        if page == "catalogue":
            return reverse("catalogue:list")
        if page == "search":
            return f"{reverse('catalogue:list')}?{urlencode({'q': query})}"
        if page == "sign-up":
            return reverse("account_signup")
        if page == "product":
            product = (
                Product.objects.approved().filter(photos__isnull=False).order_by("pk").first()
                or Product.objects.approved().order_by("pk").first()
            )
            if product is None:
                raise MissingData("no approved listing")
            return reverse("catalogue:detail", args=[product.pk])
        if page == "agenda":
            forum = find_forum_for(user)
            if forum is None:
                raise MissingData(f"no forum that {user.email} takes part in")
            return reverse("forum_pages:agenda", args=[forum.pk])
        if page == "dashboard":
            if kind == PRODUCER:
                return reverse("producers:dashboard")
            if kind == BUYER:
                return reverse("buyers:dashboard")
            forum = Forum.objects.filter(organisers=user).order_by("pk").first()
            if forum is None:
                raise MissingData(f"no forum that {user.email} organises")
            return reverse("forum_pages:dashboard", args=[forum.pk])
        raise MissingData(f"unknown page {page}")

    def as_json(self, results, walker) -> dict:
        pages = []
        for result in results:
            row = asdict(result)
            row.update(budget_bytes=result.budget_bytes, ok=result.ok)
            pages.append(row)
        return {
            "budget_bytes": walker.budget_bytes,
            "thumbnail_max_bytes": walker.thumbnail_bytes,
            "ok": all(r.ok for r in results),
            "pages": pages,
        }

    def table(self, results, walker) -> None:
        header = (
            f"{'page':<10} {'user':<10} {'lang':<4} {'status':>6} {'reqs':>4} {'HTML':>6} "
            f"{'CSS+JS':>6} {'other':>6} {'total':>6} {'photos':>7} {'scripts':>7}  result"
        )
        self.stdout.write(
            f"Budget {walker.budget_bytes / KB:g} KB a page (HTML, CSS, JS, fonts, icons; "
            f"compressed; photos aside); list thumbnails WebP and at most "
            f"{walker.thumbnail_bytes / KB:g} KB. Sizes in KB (1000 bytes)."
        )
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for r in results:
            verdict = "OK" if r.ok else ("OVER" if r.budget_bytes > walker.budget_bytes else "FAIL")
            line = (
                f"{r.page:<10} {r.user:<10} {r.language:<4} {r.status or '-':>6} {r.requests:>4} "
                f"{r.html_bytes / KB:>6.1f} {r.css_js_bytes / KB:>6.1f} {r.other_bytes / KB:>6.1f} "
                f"{r.budget_bytes / KB:>6.1f} {r.photo_bytes / KB:>7.1f} {r.scripts:>7}  {verdict}"
            )
            self.stdout.write(line if r.ok else self.style.ERROR(line))
            for problem in r.problems:
                self.stdout.write(f"    {problem}")
        heaviest = max(results, key=lambda r: r.budget_bytes, default=None)
        failed = sum(not r.ok for r in results)
        summary = f"{len(results)} pages, {failed} failed"
        if heaviest is not None:
            summary += (
                f"; heaviest {heaviest.page} as {heaviest.user} ({heaviest.language}) at "
                f"{heaviest.budget_bytes / KB:.1f} KB in {heaviest.requests} requests"
            )
        self.stdout.write(summary)
