--- the OpenAPI v1 client, by its documented name: require("growatt.openapi") is growatt.openapi.v1.
return require("growatt.openapi.v1")
