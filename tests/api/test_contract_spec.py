"""The served contract as a mobile developer meets it: both documents validate, every operation is complete."""

from __future__ import annotations

import json

import pytest
from openapi_spec_validator import OpenAPIV2SpecValidator, OpenAPIV30SpecValidator

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
def swagger(client):
    resp = client.get("/api/v1/swagger.json")
    assert resp.status_code == 200
    return resp.get_json()


@pytest.fixture
def openapi(client):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200
    return resp.get_json()


def _ops(doc):
    return {(m, p): op for p, item in doc["paths"].items() for m, op in item.items() if m in METHODS}


def _walk(node, path=""):
    if isinstance(node, dict):
        for k, v in node.items():
            yield path, k, v
            yield from _walk(v, f"{path}/{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, f"{path}/{i}")


def test_swagger_2_validates_with_no_errors(swagger):
    errors = [str(e)[:300] for e in OpenAPIV2SpecValidator(swagger).iter_errors()]
    assert errors == []


def test_openapi_3_validates_with_no_errors(openapi):
    assert openapi["openapi"].startswith("3.")
    errors = [str(e)[:300] for e in OpenAPIV30SpecValidator(openapi).iter_errors()]
    assert errors == []


def test_every_ref_resolves_and_nested_line_schemas_are_defined(swagger, openapi):
    for doc, prefix, defs in (
        (swagger, "#/definitions/", swagger["definitions"]),
        (openapi, "#/components/schemas/", openapi["components"]["schemas"]),
    ):
        refs = {v for _p, k, v in _walk(doc) if k == "$ref"}
        assert refs, "no refs at all?"
        missing = sorted(r for r in refs if r.removeprefix(prefix) not in defs)
        assert missing == []
    assert {"TicketLineIn", "TicketLineOut", "PassbookEntry"} <= set(openapi["components"]["schemas"])


def test_both_documents_have_the_same_operations_and_every_one_is_complete(swagger, openapi):
    ops2, ops3 = _ops(swagger), _ops(openapi)
    assert set(ops2) == set(ops3)
    assert len(ops3) >= 100
    for (method, path), op in ops3.items():
        assert op.get("summary"), (method, path)
        success = [c for c in op["responses"] if c.isdigit() and int(c) < 300]
        assert success, (method, path)
        for c in success:
            content = op["responses"][c].get("content")
            assert content, f"{method} {path} {c} has no typed body"
        assert "default" not in op["responses"]
        for code, r in op["responses"].items():
            if int(code) >= 400:
                assert list(r["content"]) == ["application/problem+json"], (method, path, code)
                assert r["content"]["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/Problem"}
        if op.get("security") != []:
            assert {"401", "403"} <= set(op["responses"]), (method, path)
        if "requestBody" in op:
            assert "422" in op["responses"], (method, path)


def test_files_and_pages_are_typed_with_their_media_types(openapi):
    ops = _ops(openapi)
    receipt = ops[("get", "/collections/{ticket_id}/receipt")]["responses"]["200"]["content"]
    assert receipt == {"text/plain": {"schema": {"type": "string"}}}
    qr = ops[("get", "/households/{household_id}/qr")]["responses"]["200"]["content"]
    assert qr["image/png"]["schema"] == {"type": "string", "format": "binary"}
    bank = ops[("get", "/settlements/{run_id}/bank-file")]["responses"]["200"]["content"]
    assert "text/csv" in bank
    board = ops[("get", "/public/{tenant}/prices/board")]["responses"]["200"]["content"]
    assert "text/html" in board


def test_bearer_auth_declared_for_both(swagger, openapi):
    assert openapi["components"]["securitySchemes"]["Bearer"] == {
        **openapi["components"]["securitySchemes"]["Bearer"],
        "type": "http",
        "scheme": "bearer",
    }
    sd = swagger["securityDefinitions"]["Bearer"]
    assert sd["type"] == "apiKey" and sd["in"] == "header" and sd["name"] == "Authorization" and "Bearer" in sd["description"]
    assert _ops(openapi)[("post", "/auth/login")]["security"] == []


def test_price_import_is_a_multipart_file_upload(swagger, openapi):
    op2 = _ops(swagger)[("post", "/prices/import")]
    assert op2["consumes"] == ["multipart/form-data"]
    assert {"name": "file", "in": "formData", "type": "file"}.items() <= next(
        p for p in op2["parameters"] if p["in"] == "formData"
    ).items()
    body = _ops(openapi)[("post", "/prices/import")]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert body["properties"]["file"] == {"type": "string", "format": "binary"}


def test_no_null_defaults_and_no_null_in_enums(swagger, openapi):
    for doc in (swagger, openapi):
        assert [p for p, k, v in _walk(doc) if k == "default" and v is None] == []
        assert [p for p, k, v in _walk(doc) if k == "enum" and None in v] == []


def test_the_weigh_in_body_is_fully_described(openapi):
    """A generated example of POST /collections has lines with material_code/grade/weight_g, not ["string"]."""
    schemas = openapi["components"]["schemas"]
    body = _ops(openapi)[("post", "/collections")]["requestBody"]["content"]["application/json"]["schema"]
    create = schemas[body["$ref"].rsplit("/", 1)[1]]
    line = schemas[create["properties"]["lines"]["items"]["$ref"].rsplit("/", 1)[1]]
    assert {"material_code", "grade", "weight_g"} <= set(line["properties"])


def test_documents_are_plain_json_a_tool_can_save(client):
    for url in ("/api/v1/swagger.json", "/api/v1/openapi.json"):
        resp = client.get(url)
        assert resp.mimetype == "application/json"
        json.loads(resp.data)
