"""API Gateway REST APIs."""


class ApiMissing(Exception):
    def __init__(self, name: str):
        super().__init__(f"no REST API named {name}")
        self.response = {"Error": {"Code": "NotFoundException", "Message": str(self)}}


def rest_api(aws, name: str) -> dict:
    """The REST API named `name` (seed 001's `<api-id>` is its id), all pages searched."""
    pages = aws.client("apigateway").get_paginator("get_rest_apis").paginate()
    found = next((api for page in pages for api in page.get("items", []) if api["name"] == name or api["id"] == name), None)
    if found is None:
        raise ApiMissing(name)
    return found
