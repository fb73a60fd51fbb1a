#!/usr/bin/env bash
# Installs the standard OpenAPI tools the tests use (validator, client generator, response
# validator: Tests/OpenAPI/requirements.txt) into a private virtualenv. Prints its python.
exec bash "$(dirname "$0")/python-tools.sh" Tests/OpenAPI/requirements.txt openapi-venv
