"""marshmallow schemas: the single source of request validation, response shape and Swagger models."""
