"""/docs: Swagger UI served by the app itself; every URL the page loads is local."""

from __future__ import annotations

import re


def test_docs_load_only_local_files_and_they_are_served(client):
    page = client.get("/docs")
    assert page.status_code == 200 and "SwaggerUIBundle" in page.text
    urls = re.findall(r'(?:src|href)="([^"]+)"', page.text) + re.findall(
        r"url: '([^']+)'", page.text
    )
    assert urls and all(u.startswith("/") and not u.startswith("//") for u in urls), urls
    assert "http" not in page.text.lower().replace("http-equiv", "")
    for url in urls:
        got = client.get(url)
        assert got.status_code == 200, url
    script = client.get("/docs-assets/swagger-ui-bundle.js")
    assert "javascript" in script.headers["content-type"] and len(script.content) > 100_000
    assert "text/css" in client.get("/docs-assets/swagger-ui.css").headers["content-type"]
    assert "oauth2" in client.get("/docs/oauth2-redirect").text.lower()
    assert client.get("/redoc").status_code in (303, 404)  # ReDoc (from a CDN) is off
    assert "/docs" not in client.get("/openapi.json").json()["paths"]
