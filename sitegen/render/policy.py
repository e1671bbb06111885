"""The Content-Security-Policy every page carries in a meta tag: the site itself, and the collector for answers.

The theme has no inline script, inline style or `style=` attribute, and the
charts run Vega's expression interpreter instead of `eval` (vega-embed's
`ast: true`), so no page needs 'unsafe-inline' or 'unsafe-eval'. Search
(Pagefind) compiles WebAssembly, which 'wasm-unsafe-eval' allows and
nothing else: it lets no string become script. A meta tag
cannot carry `frame-ancestors` (CSP Level 3, section 6.4.2 "The `<meta>`
element"): `sitegen serve` and the web server send that one as a header.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sitegen.models.site import SiteConfig

SELF = "'self'"


def collector_origin(config: SiteConfig) -> str | None:
    """The origin (`https://collect.example.com`) survey answers go to, or None for the site's own origin."""
    if config.collector_url is None:
        return None
    address = urlsplit(str(config.collector_url))
    return f"{address.scheme}://{address.netloc}"


def page_policy(config: SiteConfig) -> str:
    """The policy of every page: nothing from other hosts; forms and the survey script reach only the collector.

    Directives after the W3C's CSP Level 3 and the OWASP CSP Cheat Sheet
    (`base-uri 'none'` and `object-src 'none'` close the usual bypasses).
    """
    answers_to = " ".join(source for source in (SELF, collector_origin(config)) if source)
    directives = {
        "default-src": SELF,
        "img-src": f"{SELF} data:",
        "style-src": SELF,
        "script-src": f"{SELF} 'wasm-unsafe-eval'",  # Pagefind's search, in every page's header
        "form-action": answers_to,
        "connect-src": answers_to,
        "base-uri": "'none'",
        "object-src": "'none'",
    }
    return "; ".join(f"{name} {sources}" for name, sources in directives.items())
