"""Images named by a request (data: URLs, http(s) URLs) → decoded RGB pictures, or a 400 naming the image.

Remote fetches send a User-Agent (some hosts answer 403 without one), stop at a byte limit and a
timeout, and follow redirects by hand so none can lead to a private or loopback address.
"""

from __future__ import annotations

import base64
import binascii
import io
import ipaddress
import socket
import urllib.error
import urllib.parse
import urllib.request

from ..errors import bad_request

MAX_IMAGE_BYTES = 10 * 1024 * 1024
FETCH_TIMEOUT_SECONDS = 10.0
MAX_REDIRECTS = 3
USER_AGENT = "Orchard/0.1 (+https://github.com/orchard; image fetch)"
MAX_PIXELS = 40_000_000  # decompression bombs: PIL's own warning threshold is about this size


class ImageError(ValueError):
    pass


def describe(index: int, url: str) -> str:
    """How an error names an image: its position and a short form of its URL."""
    short = url if not url.startswith("data:") else url.split(",", 1)[0] + ",…"
    if len(short) > 120:
        short = short[:117] + "…"
    return f"image {index + 1} ({short})"


def load_images(urls: list[str]) -> list:
    """Every image of a request, in order; the first failure is a 400 naming that image."""
    out = []
    for i, url in enumerate(urls):
        try:
            out.append(_decode(_read(url)))
        except ImageError as e:
            raise bad_request(f"Cannot use {describe(i, url)}: {e}", "messages", "invalid_image") from None
    return out


def _read(url: str) -> bytes:
    if url.startswith("data:"):
        return _from_data_url(url)
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme in ("http", "https"):
        return _fetch(url)
    raise ImageError("only data: and http(s) URLs are accepted")


def _from_data_url(url: str) -> bytes:
    head, sep, data = url.partition(",")
    if not sep or ";base64" not in head:
        raise ImageError("a data URL must be base64-encoded (data:image/png;base64,...)")
    if len(data) * 3 // 4 > MAX_IMAGE_BYTES:
        raise ImageError(f"it is larger than {MAX_IMAGE_BYTES} bytes")
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ImageError("its base64 data is not valid") from None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # redirects are followed by _fetch, which checks each target first


_OPENER = urllib.request.build_opener(_NoRedirect, urllib.request.ProxyHandler({}))


def _is_private(host: str) -> bool:
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        raise ImageError(f"the host {host!r} cannot be resolved") from None
    for info in infos:
        ip = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if not ip.is_global:
            return True
    return False


def _fetch(url: str) -> bytes:
    for hop in range(MAX_REDIRECTS + 1):
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "image/*"})
        try:
            with _OPENER.open(request, timeout=FETCH_TIMEOUT_SECONDS) as response:
                return _body(response)
        except urllib.error.HTTPError as e:
            location = e.headers.get("Location") if 300 <= e.code < 400 else None
            if location is None:
                raise ImageError(f"the server answered HTTP {e.code}") from None
            target = urllib.parse.urljoin(url, location)
            parts = urllib.parse.urlsplit(target)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ImageError("it redirects to a URL that is not http(s)") from None
            if _is_private(parts.hostname):
                raise ImageError("it redirects to a private or local address") from None
            url = target
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            if isinstance(reason, (TimeoutError, socket.timeout)):
                raise ImageError(f"the fetch timed out after {FETCH_TIMEOUT_SECONDS:g} s") from None
            raise ImageError(f"the fetch failed: {reason}") from None
        del hop
    raise ImageError(f"more than {MAX_REDIRECTS} redirects")


def _body(response) -> bytes:
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > MAX_IMAGE_BYTES:
        raise ImageError(f"it is {declared} bytes, larger than the {MAX_IMAGE_BYTES}-byte limit")
    data = response.read(MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageError(f"it is larger than the {MAX_IMAGE_BYTES}-byte limit")
    return data


def _decode(data: bytes):
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.width * probe.height > MAX_PIXELS:
                raise ImageError(f"it is {probe.width}x{probe.height} pixels, more than {MAX_PIXELS}")
            probe.load()
            return probe.convert("RGB")
    except ImageError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise ImageError("it is not an image this server can decode (PNG, JPEG, GIF, WebP, …)") from None
