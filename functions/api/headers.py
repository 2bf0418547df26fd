"""Security headers of every answer: the API's (Chalice, API Gateway) and the portal's
(CloudFront's ResponseHeadersPolicy in template.yaml, the local portal server).

Kept in one place so the local platform answers exactly what AWS answers.
"""

from __future__ import annotations

from urllib.parse import urlsplit

# The portal loads its own script, style sheet and data: QR codes; it calls /v1 on its
# own origin. No inline script, no framing.
PORTAL_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# JSON and files only: nothing to run, nothing to frame.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
HSTS = "max-age=63072000; includeSubDomains"

COMMON = {
    "Strict-Transport-Security": HSTS,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
API_HEADERS = COMMON | {"Content-Security-Policy": API_CSP, "Cache-Control": "no-store"}
PORTAL_HEADERS = COMMON | {"Content-Security-Policy": PORTAL_CSP}

CORS_ALLOW_HEADERS = "Content-Type,Authorization,Idempotency-Key"
CORS_ALLOW_METHODS = "GET,POST,PUT,PATCH,DELETE,OPTIONS"


def origin_of(url: str) -> str | None:
    """``https://portail.example.fr/path`` → ``https://portail.example.fr``."""
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def allowed_origins(cors_setting: str | None, portal_base_url: str | None) -> frozenset[str]:
    """The browser origins the API answers cross-origin: ``CORS_ALLOWED_ORIGINS``
    (comma-separated) if set, else the portal's own origin. Never ``*``."""
    raw = cors_setting if cors_setting else (portal_base_url or "")
    return frozenset(o for o in (origin_of(x) for x in raw.split(",") if x.strip()) if o)


def cors_headers(origin: str | None, allowed: frozenset[str]) -> dict[str, str]:
    headers = {"Vary": "Origin"}
    if origin and origin in allowed:
        headers |= {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Headers": CORS_ALLOW_HEADERS,
            "Access-Control-Allow-Methods": CORS_ALLOW_METHODS,
        }
    return headers
