//! The OpenAPI 3.0 document, generated from the layer schemas and the route modules.

use coastwatch_spatial::Layer;
use coastwatch_spatial::layer::FieldType;
use serde_json::{Map, Value, json};

use crate::config::Config;
use crate::routes::features::write_roles;

fn properties_schema(layer: Layer) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for field in layer.fields() {
        let mut schema = json!({ "type": field.ty.json_name() });
        if field.ty == FieldType::Json {
            schema = json!({});
        }
        if field.nullable {
            schema["nullable"] = true.into();
        } else {
            required.push(field.name);
        }
        properties.insert(field.name.to_owned(), schema);
    }
    json!({ "type": "object", "properties": properties, "required": required })
}

fn feature_schema(layer: Layer) -> Value {
    json!({
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": { "type": "string", "enum": ["Feature"] },
            "id": { "type": "integer", "minimum": 1 },
            "geometry": { "$ref": "#/components/schemas/Geometry" },
            "properties": { "$ref": format!("#/components/schemas/{layer}_properties") },
        }
    })
}

fn error_responses() -> Value {
    let error = json!({ "description": "error", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } });
    json!({ "400": error, "401": error, "403": error, "404": error, "409": error, "413": error })
}

fn op(summary: &str, tag: &str, params: Value, ok: (&str, Value), body: Option<Value>) -> Value {
    let mut responses = error_responses();
    responses[ok.0] = ok.1;
    let mut operation =
        json!({ "summary": summary, "tags": [tag], "parameters": params, "responses": responses });
    if let Some(body) = body {
        operation["requestBody"] = json!({ "required": true, "content": { "application/geo+json": { "schema": body }, "application/json": { "schema": body } } });
    }
    operation
}

fn geojson(description: &str, schema: Value) -> Value {
    json!({ "description": description, "content": { "application/geo+json": { "schema": schema } } })
}

fn param(name: &str, location: &str, schema: Value, description: &str) -> Value {
    json!({ "name": name, "in": location, "required": location == "path", "schema": schema, "description": description })
}

/// The OpenAPI document of the server as configured.
pub fn document(config: &Config) -> Value {
    let mut paths = Map::new();
    let mut schemas = Map::new();
    let id_param = param(
        "id",
        "path",
        json!({ "type": "integer", "minimum": 1 }),
        "feature id",
    );
    let bbox = param(
        "bbox",
        "query",
        json!({ "type": "string" }),
        "min lon,min lat,max lon,max lat (WGS84)",
    );
    let limit = param(
        "limit",
        "query",
        json!({ "type": "integer", "minimum": 1, "maximum": 10000 }),
        "page size",
    );
    let offset = param(
        "offset",
        "query",
        json!({ "type": "integer", "minimum": 0 }),
        "features to skip",
    );
    let datetime = param(
        "datetime",
        "query",
        json!({ "type": "string" }),
        "RFC 3339 instant or interval a/b (.. for open)",
    );

    for layer in Layer::ALL {
        schemas.insert(format!("{layer}_properties"), properties_schema(*layer));
        schemas.insert(format!("{layer}_feature"), feature_schema(*layer));
        let feature = json!({ "$ref": format!("#/components/schemas/{layer}_feature") });
        let collection = json!({ "type": "object", "properties": { "type": { "type": "string" }, "features": { "type": "array", "items": feature } } });

        if layer.editable() {
            let roles: Vec<String> = write_roles(*layer)
                .iter()
                .map(|r| format!("{r:?}").to_lowercase())
                .collect();
            let writes = format!("(roles: {}, admin)", roles.join(", "));
            paths.insert(
                format!("/api/v1/{layer}"),
                json!({
                    "get": op(&format!("List {layer}"), "features", json!([bbox, limit, offset]), ("200", geojson("features", collection.clone())), None),
                    "post": op(&format!("Create {layer} from a Feature or FeatureCollection {writes}"), "features", json!([]), ("201", geojson("created", feature.clone())), Some(json!({ "oneOf": [feature, collection] }))),
                }),
            );
            paths.insert(
                format!("/api/v1/{layer}/{{id}}"),
                json!({
                    "get": op(&format!("Read one of {layer}"), "features", json!([id_param]), ("200", geojson("the feature", feature.clone())), None),
                    "put": op(&format!("Replace one of {layer} {writes}"), "features", json!([id_param]), ("200", geojson("replaced", feature.clone())), Some(feature.clone())),
                    "delete": op(&format!("Delete one of {layer} {writes}"), "features", json!([id_param]), ("204", json!({ "description": "deleted" })), None),
                }),
            );
        }
        paths.insert(
            format!("/ogc/collections/{layer}/items"),
            json!({ "get": op(&format!("OGC API Features items of {layer}"), "ogc", json!([bbox, limit, offset, datetime]), ("200", geojson("a page of features", collection)), None) }),
        );
        paths.insert(
            format!("/ogc/collections/{layer}/items/{{id}}"),
            json!({ "get": op(&format!("OGC API Features item of {layer}"), "ogc", json!([id_param]), ("200", geojson("the feature", feature)), None) }),
        );
    }
    let plain = |summary: &str, tag: &str| json!({ "get": op(summary, tag, json!([]), ("200", json!({ "description": "ok" })), None) });
    paths.insert(
        "/healthz".into(),
        plain("Liveness and store reachability", "system"),
    );
    paths.insert("/metrics".into(), plain("Prometheus metrics", "system"));
    paths.insert("/openapi.json".into(), plain("This document", "system"));
    paths.insert(
        "/style.json".into(),
        plain("MapLibre style of every layer", "system"),
    );
    paths.insert("/ogc".into(), plain("OGC API landing page", "ogc"));
    paths.insert(
        "/ogc/conformance".into(),
        plain("OGC API conformance classes", "ogc"),
    );
    paths.insert(
        "/ogc/collections".into(),
        plain("OGC API collections (every layer)", "ogc"),
    );
    paths.insert("/ogc/collections/{layer}".into(), json!({ "get": op("One collection", "ogc", json!([param("layer", "path", json!({ "type": "string", "enum": Layer::names() }), "layer name")]), ("200", json!({ "description": "ok" })), None) }));

    schemas.insert("Geometry".into(), json!({ "type": "object", "description": "GeoJSON geometry (RFC 7946), WGS84 lon/lat", "required": ["type"], "properties": { "type": { "type": "string" }, "coordinates": { "type": "array", "items": {} } } }));
    schemas.insert("Error".into(), json!({ "type": "object", "required": ["error"], "properties": { "error": { "type": "string" }, "detail": {} } }));

    json!({
        "openapi": "3.0.3",
        "info": { "title": format!("coastwatch — {}", config.district.name), "version": env!("CARGO_PKG_VERSION"),
                  "description": "Coastal anti-smuggling monitoring: features, OGC API Features, alerts, tiles." },
        "components": {
            "schemas": schemas,
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
        },
        "security": [{ "bearer": [] }, {}],
        "paths": paths,
    })
}
