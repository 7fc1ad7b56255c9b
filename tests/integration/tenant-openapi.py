#!/usr/bin/env python3
"""Checks a real response against docs/api/openapi.yaml (tests/integration/tenant-openapi.sh).

usage: tenant-openapi.py SPEC METHOD PATH_TEMPLATE STATUS BODY_FILE [CONTENT_TYPE]

A small validator for the subset of OpenAPI 3.0 schemas the spec uses: $ref,
type (with nullable), required, properties, additionalProperties: false,
items, enum, minimum/maximum, pattern. Exits 0 when the body fits the
schema documented for that status, else 1 with what does not fit.
"""
import json
import re
import sys

import yaml


def resolve(spec, node):
    while isinstance(node, dict) and "$ref" in node:
        parts = node["$ref"].lstrip("#/").split("/")
        node = spec
        for p in parts:
            node = node[p]
    return node


def check(spec, schema, value, where, errors):
    schema = resolve(spec, schema)
    if value is None:
        if not schema.get("nullable"):
            errors.append(f"{where}: null where {schema.get('type', 'a value')} belongs")
        return
    t = schema.get("type")
    kinds = {"object": dict, "array": list, "string": str, "boolean": bool}
    if t == "integer":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
            errors.append(f"{where}: {value!r} is not an integer")
            return
    elif t == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            errors.append(f"{where}: {value!r} is not a number")
            return
    elif t in kinds and not isinstance(value, kinds[t]):
        errors.append(f"{where}: {type(value).__name__} where {t} belongs")
        return
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: {value!r} is not one of {schema['enum']}")
    if "minimum" in schema and value < schema["minimum"]:
        errors.append(f"{where}: {value} is below {schema['minimum']}")
    if "maximum" in schema and value > schema["maximum"]:
        errors.append(f"{where}: {value} is above {schema['maximum']}")
    if "pattern" in schema and isinstance(value, str) and not re.search(schema["pattern"], value):
        errors.append(f"{where}: {value!r} does not match {schema['pattern']}")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for r in schema.get("required", []):
            if r not in value:
                errors.append(f"{where}: {r} is missing")
        for k, v in value.items():
            if k in props:
                check(spec, props[k], v, f"{where}.{k}", errors)
            elif schema.get("additionalProperties") is False:
                errors.append(f"{where}: {k} is not documented")
    if isinstance(value, list) and "items" in schema:
        for i, v in enumerate(value):
            check(spec, schema["items"], v, f"{where}[{i}]", errors)


def main():
    spec_path, method, template, status, body_path = sys.argv[1:6]
    ctype = sys.argv[6] if len(sys.argv) > 6 else "application/json"
    spec = yaml.safe_load(open(spec_path, encoding="utf-8"))
    op = spec["paths"].get(template, {}).get(method.lower())
    if op is None:
        print(f"# {method} {template} is not in the spec")
        return 1
    resp = op["responses"].get(status)
    if resp is None:
        print(f"# {method} {template}: status {status} is not documented (has {', '.join(op['responses'])})")
        return 1
    resp = resolve(spec, resp)
    media = resp.get("content", {}).get(ctype)
    if media is None:
        print(f"# {method} {template} {status}: {ctype} is not documented")
        return 1
    if ctype != "application/json":
        return 0
    try:
        body = json.load(open(body_path, encoding="utf-8"))
    except ValueError as e:
        print(f"# the body is not JSON: {e}")
        return 1
    errors = []
    check(spec, media.get("schema", {}), body, "body", errors)
    for e in errors[:10]:
        print(f"# {e}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
