"""The REST API's interactive docs (Swagger UI), served by the app itself: nothing from a CDN.

FastAPI's default ``/docs`` page loads Swagger UI's script and style sheet from
a CDN, so it breaks offline and leaks every visit to a third party.  Here the
app is created without it and :func:`install` serves the same page
(:func:`fastapi.openapi.docs.get_swagger_ui_html`) with the script, style
sheet and icon of the ``swagger-ui-bundle`` package (the swagger-ui-dist
files, shipped on PyPI) mounted under ``/docs-assets``, plus the OAuth2
redirect page the "Authorize" button's password flow returns to.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

ASSETS = "/docs-assets"
DOCS = "/docs"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"


def install(app: FastAPI) -> None:
    """Serve Swagger UI at ``/docs`` from the app's own files (create the app with ``docs_url=None``)."""
    app.mount(ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    @app.get(DOCS, include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title}: REST API",
            oauth2_redirect_url=OAUTH2_REDIRECT,
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
        )

    @app.get(OAUTH2_REDIRECT, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
