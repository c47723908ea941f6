"""The contract in two renderings: Swagger 2.0 (what flask-restx serves) and OpenAPI 3 (apispec).

Both come from the same marshmallow schemas (`api.docs.model` registers each one). flask-restx only
emits the models an operation uses directly, documents errors as a bare `default` and knows nothing of
files, so the Swagger it builds is finished here, generically, for every endpoint (including ones
added later): every nested definition, a summary, typed success bodies (files as files), the error
responses that apply as Problem, bearer auth, multipart uploads. The OpenAPI 3 document is then the
same operations with the schemas rendered by apispec for 3.0.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask_restx import Api
from flask_restx.swagger import Swagger, extract_path

from api.problems import PROBLEM

OPENAPI_VERSION = "3.0.3"
METHODS = ("get", "post", "put", "patch", "delete")
JSON = "application/json"
AUTH_HELP = (
    "Send `Authorization: Bearer <access_token>` (from POST /auth/login). In Swagger UI paste "
    "`Bearer <access_token>`; generated OpenAPI 3 clients add the `Bearer ` prefix themselves."
)
ERRORS = {
    400: "Malformed request (the body is not JSON)",
    401: "Not logged in, or the token expired or was revoked",
    403: "Your role may not do this",
    404: "Not found (or belongs to another waste bank)",
    409: "Conflicts with the current state (e.g. already voided, already approved)",
    415: "The body must be application/json",
    422: "Invalid input; `errors` names each field",
    429: "Too many requests; retry after the Retry-After header",
}
VERBS = {"get": "Get", "post": "Submit", "put": "Replace", "patch": "Update", "delete": "Delete"}


def _views(api: Api) -> Iterator[tuple[str, str, Any]]:
    """(swagger path, method, view function) for every documented operation, as restx walks them."""
    for ns in api.namespaces:
        for resource, urls, _doc, _kw in ns.resources:
            for url in api.ns_urls(ns, urls):
                for m in METHODS:
                    fn = getattr(resource, m, None)
                    if fn is not None:
                        yield extract_path(url), m, fn


def _scrub(node: Any) -> Any:
    """No `default: null` (it is not a value of the declared type) and no `None` in an enum."""
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "default" and v is None:
                continue
            if k == "enum" and isinstance(v, list):
                v = [x for x in v if x is not None]
            out[k] = _scrub(v)
        return out
    if isinstance(node, list):
        return [_scrub(x) for x in node]
    return node


def _examples(definitions: dict) -> None:
    """A schema class may carry EXAMPLE (a dict, or a function returning one): a body the server accepts."""
    from api.docs import registry

    for name, schema in registry().items():
        example = getattr(schema, "EXAMPLE", None)
        if example is not None and name in definitions:
            definitions[name]["example"] = example() if callable(example) else example


def _singular(word: str) -> str:
    word = word.replace("-", " ")
    return word[:-3] + "y" if word.endswith("ies") else word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def _summary(path: str, method: str, operation_id: str, paged: bool, fn: Any) -> str:
    """The view's docstring (first line), else a phrase from the path: "Void collection", "Create pickup"."""
    doc = (getattr(fn, "__doc__", None) or "").strip()
    if doc:
        return doc.splitlines()[0].rstrip(".")
    parts = [p for p in path.strip("/").split("/") if p]
    last = parts[-1] if parts else ""
    if method == "post" and len(parts) >= 3 and parts[-2].startswith("{") and last.endswith("s"):
        return f"Add {_singular(last)} to {_singular(parts[-3])}"  # a sub-collection: disputes, stops, payments
    if method == "post" and len(parts) >= 3 and parts[-2].startswith("{") and not last.startswith("{"):
        return f"{last.replace('-', ' ').capitalize()} {_singular(parts[-3])}"  # an action on one thing
    if method == "post" and not last.startswith("{"):
        return f"Create {_singular(last)}" if last.endswith("s") else f"Submit {last.replace('-', ' ')}"
    words = operation_id.split("_", 1)[-1].replace("_", " ")
    words = re.sub(r"\b(one|all)\b", "", words).strip() or words
    verb = "List" if paged else VERBS.get(method, method.title())
    return f"{verb} {words}"


def _error_codes(path: str, method: str, op: dict, fn: Any) -> list[int]:
    codes = []
    params = op.get("parameters", [])
    has_body = any(p.get("in") == "body" for p in params)
    public = op.get("security") == [] or getattr(fn, "_roles", None) == ()
    if has_body:
        codes += [400, 415]
    if not public:
        codes += [401, 403]
    elif any(p.get("in") == "header" and p.get("required") for p in params):
        codes.append(401)  # a public endpoint that authenticates its caller another way (LINE's webhook signature)
    if "{" in path or has_body or any(p.get("in") == "query" and p.get("name", "").endswith("_id") for p in params):
        codes.append(404)  # a path id, or an id in the body or query, that is not yours
    if method != "get":
        codes.append(409)
    if has_body or any(p.get("in") in ("query", "formData") for p in params):
        codes.append(422)
    codes.append(429)
    return sorted(set(codes))


def _is_json(mt: str) -> bool:
    return mt == JSON or mt.endswith("+json")


def swagger2(api: Api) -> dict:
    """restx's Swagger, finished: valid 2.0 with every nested definition and documented errors."""
    from api.docs import ProblemSchema, model, spec_definitions

    model(ProblemSchema)
    raw = Swagger(api).as_dict()
    spec = _scrub(copy.deepcopy(raw))
    spec["definitions"] = {**_scrub(spec_definitions()), **spec.get("definitions", {})}
    _examples(spec["definitions"])
    spec.pop("responses", None)  # restx's mask errors: masks are off
    spec["produces"] = [JSON, PROBLEM]
    spec["securityDefinitions"] = {
        "Bearer": {"type": "apiKey", "in": "header", "name": "Authorization", "description": AUTH_HELP}
    }
    problem_ref = {"$ref": "#/definitions/Problem"}
    views = {(p, m): fn for p, m, fn in _views(api)}
    for path, item in spec["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            fn = views.get((path, method))
            apidoc = getattr(fn, "__apidoc__", {}) or {}
            responses = op.setdefault("responses", {})
            responses.pop("default", None)
            success = sorted(c for c in responses if c.isdigit() and int(c) < 400)
            paged = any("Page" in str(responses[c].get("schema", {}).get("$ref", "")) for c in success)
            op["summary"] = _summary(path, method, op.get("operationId", method), paged, fn)
            if success and not op.get("description"):
                op["description"] = responses[success[0]].get("description", "")
            produces = op.get("produces")
            if produces:
                op["produces"] = list(dict.fromkeys([*produces, PROBLEM]))
            for c in success:
                r = responses[c]
                if "schema" not in r and c not in ("204", "304") and produces and not any(_is_json(x) for x in produces):
                    # `type: file` is Swagger 2's own word, but openapi-spec-validator refuses it in a response
                    binary = any(not x.startswith("text/") for x in produces)
                    r["schema"] = {"type": "string", "format": "binary"} if binary else {"type": "string"}
            consumes = apidoc.get("consumes")
            if consumes and "multipart/form-data" in consumes:
                op["consumes"] = ["multipart/form-data"]
                op.setdefault("parameters", []).append(
                    {"name": "file", "in": "formData", "type": "file", "required": True, "description": "the CSV file"}
                )
            # the path's parameters count too (restx puts them on the path item)
            params = op.get("parameters", []) + item.get("parameters", [])
            for code in _error_codes(path, method, {**op, "parameters": params}, fn):
                responses.setdefault(str(code), {"description": ERRORS[code], "schema": problem_ref})
    return spec


# ---- OpenAPI 3 -------------------------------------------------------------------------------------------

_PARAM_KEYS = ("name", "in", "required", "description")


def _ref3(node: Any) -> Any:
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                out[k] = v.replace("#/definitions/", "#/components/schemas/")
            elif k == "x-nullable":
                out["nullable"] = v
            else:
                out[k] = _ref3(v)
        return out
    if isinstance(node, list):
        return [_ref3(x) for x in node]
    return node


def _param3(p: dict) -> dict:
    out = {k: p[k] for k in _PARAM_KEYS if k in p}
    schema = {k: v for k, v in p.items() if k not in _PARAM_KEYS and k != "collectionFormat"}
    out["schema"] = _ref3(schema)
    if p.get("in") == "path":
        out["required"] = True
    if p.get("collectionFormat") == "multi":
        out["style"], out["explode"] = "form", True
    return out


def _media_schema(mt: str, schema: dict | None) -> dict:
    if _is_json(mt):
        return _ref3(schema) if schema and schema.get("type") != "string" else {}
    if mt.startswith("text/"):
        return {"type": "string"}
    return {"type": "string", "format": "binary"}


def _nullable_refs(node: Any) -> Any:
    """apispec writes a nullable nested schema as anyOf [ref, {type: object, nullable}]: generators then make
    an empty anonymous model. OpenAPI 3.0's own spelling is allOf [ref] + nullable, which they type properly."""
    if isinstance(node, dict):
        any_of = node.get("anyOf")
        if isinstance(any_of, list) and len(any_of) == 2:
            refs = [x for x in any_of if "$ref" in x]
            nulls = [x for x in any_of if x.get("nullable") and x.get("type") == "object" and len(x) == 2]
            if len(refs) == 1 and len(nulls) == 1:
                rest = {k: v for k, v in node.items() if k != "anyOf"}
                return {**_nullable_refs(rest), "allOf": refs, "nullable": True}
        return {k: _nullable_refs(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_nullable_refs(x) for x in node]
    return node


def _components(registry: dict) -> dict:
    spec3 = APISpec("thangngoen", "1", OPENAPI_VERSION, plugins=[MarshmallowPlugin()])
    for name, schema in registry.items():
        if name not in spec3.components.schemas:
            spec3.components.schema(name, schema=schema)
    return _nullable_refs(_scrub(spec3.to_dict()["components"]["schemas"]))


def openapi3(api: Api, swagger: dict) -> dict:
    """The same operations as `swagger`, with components rendered by apispec for OpenAPI 3."""
    from api.docs import registry

    schemas = _components(registry())
    _examples(schemas)
    missing = set(swagger["definitions"]) - set(schemas)
    for name in missing:  # restx-only models (none today): converted, so every $ref resolves
        schemas[name] = _ref3(swagger["definitions"][name])
    doc: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": swagger["info"],
        "servers": [{"url": swagger.get("basePath", "/api/v1")}],
        "tags": swagger.get("tags", []),
        "security": [{"Bearer": []}],
        "paths": {},
        "components": {
            "schemas": schemas,
            "securitySchemes": {"Bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": AUTH_HELP}},
        },
    }
    for path, item in swagger["paths"].items():
        item3: dict[str, Any] = {}
        if item.get("parameters"):
            item3["parameters"] = [_param3(p) for p in item["parameters"]]
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            op3 = {k: v for k, v in op.items() if k in ("summary", "description", "operationId", "tags", "security")}
            params = op.get("parameters", [])
            plain = [_param3(p) for p in params if p["in"] not in ("body", "formData")]
            if plain:
                op3["parameters"] = plain
            body = next((p for p in params if p["in"] == "body"), None)
            if body:
                op3["requestBody"] = {"required": True, "content": {JSON: {"schema": _ref3(body["schema"])}}}
            form = [p for p in params if p["in"] == "formData"]
            if form:
                props = {
                    p["name"]: {"type": "string", "format": "binary"} if p.get("type") == "file" else _param3(p)["schema"]
                    for p in form
                }
                op3["requestBody"] = {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": props,
                                "required": [p["name"] for p in form if p.get("required")],
                            }
                        },
                    },
                }
            produces = [m for m in (op.get("produces") or [JSON]) if m != PROBLEM]
            responses = {}
            for code, r in op.get("responses", {}).items():
                r3: dict[str, Any] = {"description": r.get("description", "")}
                if code.isdigit() and int(code) >= 400:
                    r3["content"] = {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}
                elif code not in ("204", "304"):
                    content = {}
                    for mt in produces:
                        s = _media_schema(mt, r.get("schema"))
                        if s or _is_json(mt):
                            content[mt] = {"schema": s}
                    if content:
                        r3["content"] = content
                responses[code] = r3
            op3["responses"] = responses
            item3[method] = op3
        doc["paths"][path] = item3
    return doc


def openapi3_for(api: Api) -> dict:
    """Built once per process, like the Swagger it is derived from."""
    if not getattr(api, "_openapi3", None):
        api._openapi3 = openapi3(api, api.__schema__)
    return api._openapi3
