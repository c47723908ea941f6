"""One schema per shape: marshmallow validates and serializes, and the Swagger models are generated from it.

`body`, `query`, `response` and `paginated` do both jobs at once, so an endpoint cannot document one
shape and accept another. The marshmallow → JSON schema step is apispec's; restx shows the result.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Response, g, request
from flask_restx import Namespace
from marshmallow import RAISE, Schema, ValidationError, fields, validate
from sqlalchemy import Select, func, select

from api.extensions import api
from recycle.errors import InvalidInput

_plugin = MarshmallowPlugin()
_spec = APISpec("thangngoen", "1", "2.0", plugins=[_plugin])
_doc = Namespace("_doc")  # only its doc() decorator is used: it merges into __apidoc__
_registry: dict[str, type[Schema] | Schema] = {}


class ProblemSchema(Schema):
    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    request_id = fields.String()


def _name(schema: type[Schema] | Schema) -> str:
    cls = schema if isinstance(schema, type) else type(schema)
    return cls.__name__.removesuffix("Schema") or cls.__name__


def model(schema: type[Schema] | Schema):
    """The restx model for a marshmallow schema (and every schema it nests), generated once."""
    name = _name(schema)
    _registry.setdefault(name, schema)
    if name not in api.models:
        if name not in _spec.components.schemas:
            _spec.components.schema(name, schema=schema)
        for n, js in _spec.to_dict().get("definitions", {}).items():
            if n not in api.models:
                api.schema_model(n, js)
    return api.models[name]


def registry() -> dict[str, type[Schema] | Schema]:
    """Every schema the endpoints named, in registration order (the OpenAPI 3 rendering replays it)."""
    return dict(_registry)


def spec_definitions() -> dict[str, dict]:
    """Swagger 2.0 definitions of every registered schema and every schema they nest."""
    return _spec.to_dict().get("definitions", {})


def _with_default_problem(fn: Callable) -> Callable:
    return _doc.doc(responses={"default": ("Error (application/problem+json)", model(ProblemSchema))})(fn)


def _nul_fields(value: Any, path: str = "") -> list[str]:
    """Paths of strings holding a NUL character: PostgreSQL text cannot store one, so refuse them up front."""
    if isinstance(value, str):
        return [path or "_schema"] if "\x00" in value else []
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _nul_fields(v, f"{path}.{k}" if path else str(k))] + [
            path or "_schema" for k in value if isinstance(k, str) and "\x00" in k
        ]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _nul_fields(v, f"{path}.{i}" if path else str(i))]
    return []


def _refuse_nul(value: Any) -> None:
    bad = _nul_fields(value)
    if bad:
        raise InvalidInput("text must not contain NUL characters", {p: ["must not contain NUL characters"] for p in bad})


def body(schema: type[Schema], *, location: str = "json") -> Callable:
    """Validate the JSON body (unknown fields refused) and pass the loaded data as `data`."""
    inst = schema(unknown=RAISE)

    def deco(fn: Callable) -> Callable:
        @wraps(fn)
        def wrapper(*args: Any, **kw: Any) -> Any:
            if not request.is_json:
                from werkzeug.exceptions import UnsupportedMediaType

                raise UnsupportedMediaType("send the body as application/json")
            payload = request.get_json(silent=True)
            if payload is None:
                from werkzeug.exceptions import BadRequest

                raise BadRequest("the body is not valid JSON")
            if not isinstance(payload, dict):
                raise InvalidInput("the body must be a JSON object", {"_schema": ["expected a JSON object"]})
            _refuse_nul(payload)
            return fn(*args, data=inst.load(payload), **kw)

        wrapper = _doc.doc(expect=[model(schema)], validate=False)(wrapper)
        return _with_default_problem(wrapper)

    return deco


def _query_params(schema: type[Schema]) -> dict[str, dict]:
    params = {}
    for p in _plugin.converter.schema2parameters(schema(), location="query"):
        p = dict(p)
        params[p.pop("name")] = p
    return params


def query(schema: type[Schema]) -> Callable:
    """Parse the query string with a schema and pass it as `args`."""
    inst = schema(unknown=RAISE)

    def deco(fn: Callable) -> Callable:
        @wraps(fn)
        def wrapper(*args: Any, **kw: Any) -> Any:
            # `_` is a browser's or jQuery's cache buster: ignored, while any other unknown name is refused
            raw = {k: (v if len(v) > 1 else v[0]) for k, v in request.args.lists() if k != CACHE_BUSTER}
            _refuse_nul(raw)
            return fn(*args, args=inst.load(raw), **kw)

        return _doc.doc(params=_query_params(schema))(wrapper)

    return deco


CACHE_BUSTER = "_"


class Dumped(dict):
    """A body already serialized by its schema (e.g. before a rollback); `response` sends it as is."""


def response(schema: type[Schema] | None, status: int = 200, description: str = "OK", many: bool = False) -> Callable:
    """Dump what the view returns with the schema (a Response passes through untouched)."""
    inst = schema(many=many) if schema else None

    def deco(fn: Callable) -> Callable:
        @wraps(fn)
        def wrapper(*args: Any, **kw: Any) -> Any:
            result = fn(*args, **kw)
            if isinstance(result, Response):
                return result
            headers = {}
            if isinstance(result, tuple):
                result, headers = result
            if isinstance(result, Dumped) or not inst:
                return dict(result) if isinstance(result, Dumped) else result, status, headers
            return inst.dump(result), status, headers

        doc_model = ([model(schema)] if many else model(schema)) if schema else None
        wrapper = _doc.doc(responses={str(status): (description, doc_model)})(wrapper)
        return _with_default_problem(wrapper)

    return deco


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


_page_schemas: dict[str, type[Schema]] = {}


def page_schema(item: type[Schema]) -> type[Schema]:
    name = _name(item) + "PageSchema"
    if name not in _page_schemas:
        _page_schemas[name] = type(
            name,
            (Schema,),
            {
                "items": fields.List(fields.Nested(item), required=True),
                "page": fields.Integer(required=True),
                "per_page": fields.Integer(required=True),
                "total": fields.Integer(required=True),
            },
        )
    return _page_schemas[name]


def paginated(item: type[Schema], filters: type[Schema] | None = None, non_staff_item: type[Schema] | None = None) -> Callable:
    """Every list pages: the view returns a Select (or a list), the wrapper counts and slices it.

    `non_staff_item` is a narrower schema for callers who are not staff (documented: the staff one)."""
    args_schema = type(f"{_name(item)}ListArgs", (filters, PageArgs) if filters else (PageArgs,), {})
    page_cls = page_schema(item)
    narrow_cls = page_schema(non_staff_item) if non_staff_item else page_cls

    def deco(fn: Callable) -> Callable:
        @query(args_schema)
        @wraps(fn)
        def wrapper(*a: Any, args: dict, **kw: Any) -> Any:
            from api.session import session

            page, per_page = args.pop("page"), args.pop("per_page")
            result = fn(*a, args=args, **kw)
            if isinstance(result, Select):
                db = session()
                total = db.scalar(select(func.count()).select_from(result.order_by(None).subquery()))
                items = list(db.scalars(result.limit(per_page).offset((page - 1) * per_page)).unique())
            else:
                total, items = len(result), list(result)[(page - 1) * per_page : page * per_page]
            principal = g.get("principal")
            cls = page_cls if principal is None or principal.is_staff else narrow_cls
            return cls().dump({"items": items, "page": page, "per_page": per_page, "total": total}), 200

        wrapper = _doc.doc(responses={"200": ("A page of results", model(page_cls))})(wrapper)
        return _with_default_problem(wrapper)

    return deco


__all__ = ["body", "query", "response", "paginated", "model", "ValidationError"]
