//! The OpenAPI 3.0 document, generated from the layer schemas and the route modules.

use coastwatch_core::Layer;
use coastwatch_core::layer::FieldType;
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
        json!({ "type": "integer", "minimum": 1, "maximum": config.server.max_page_features }),
        "page size (at most server.max_page_features)",
    );
    let offset = param(
        "offset",
        "query",
        json!({ "type": "integer", "minimum": 0, "maximum": crate::extract::MAX_OFFSET }),
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
    let json_op = |summary: &str, tag: &str, params: Value, body: Option<Value>| {
        let mut operation = op(
            summary,
            tag,
            params,
            (
                "200",
                json!({ "description": "ok", "content": { "application/json": {} } }),
            ),
            None,
        );
        if let Some(body) = body {
            operation["requestBody"] =
                json!({ "required": true, "content": { "application/json": { "schema": body } } });
        }
        operation
    };
    let string = json!({ "type": "string" });
    let epoch = json!({ "type": "integer" });
    let alert_filters = json!([
        param(
            "status",
            "query",
            json!({ "type": "string", "enum": ["open", "acknowledged", "assigned", "resolved"] }),
            "lifecycle state"
        ),
        param("kind", "query", string.clone(), "alert kind"),
        param("town", "query", string.clone(), "town"),
        param(
            "since",
            "query",
            epoch.clone(),
            "changed at or after (epoch s)"
        ),
        param(
            "bbox",
            "query",
            string.clone(),
            "min_lon,min_lat,max_lon,max_lat"
        ),
    ]);
    let stream_params = json!([
        param("town", "query", string.clone(), "only this town"),
        param(
            "last_event_id",
            "query",
            epoch.clone(),
            "resume after this event (SSE: Last-Event-ID header)"
        ),
        param(
            "access_token",
            "query",
            string.clone(),
            "token for clients that cannot send headers"
        ),
    ]);
    paths.insert(
        "/api/v1/alerts".into(),
        json!({ "get": json_op("Alerts, newest changes filtered", "alerts", alert_filters, None) }),
    );
    paths.insert("/api/v1/alerts/stream".into(), json!({ "get": op("Live alert and case changes as Server-Sent Events (events `alert` and `case`, id = event number)", "alerts", stream_params.clone(), ("200", json!({ "description": "text/event-stream" })), None) }));
    paths.insert("/api/v1/alerts/ws".into(), json!({ "get": op("Live alert and case changes over WebSocket: frames {id, alert} or {id, case}", "alerts", stream_params, ("101", json!({ "description": "switching protocols" })), None) }));
    paths.insert(
        "/api/v1/alerts/{id}".into(),
        json!({ "get": json_op("One alert", "alerts", json!([id_param.clone()]), None) }),
    );
    paths.insert("/api/v1/alerts/{id}/{action}".into(), json!({ "post": json_op("Acknowledge, assign or resolve an alert (role dispatcher)", "alerts",
        json!([id_param.clone(), param("action", "path", json!({ "type": "string", "enum": ["ack", "assign", "resolve"] }), "the action")]),
        Some(json!({ "type": "object", "properties": { "note": string, "assignee": string, "outcome": { "type": "string", "enum": ["confirmed", "false_alarm", "other"] } } }))) }));
    paths.insert("/api/v1/tips".into(), json!({ "post": json_op("A public report: raises a `tip` alert (role dispatcher or ingest)", "alerts", json!([]),
        Some(json!({ "type": "object", "required": ["lon", "lat", "text"], "properties": { "lon": { "type": "number" }, "lat": { "type": "number" }, "text": string, "reporter": string, "t": epoch } }))) }));
    paths.insert("/api/v1/scorecards".into(), json!({ "get": json_op("Scorecards per town", "alerts", json!([param("since", "query", epoch.clone(), "start of the period (epoch s)")]), None) }));
    let agency = json!({ "type": "string", "enum": ["coast_guard", "police", "customs", "agriculture", "market", "transport"] });
    let command_id = param(
        "id",
        "path",
        json!({ "type": "integer", "minimum": 1 }),
        "feature id",
    );
    paths.insert("/api/v1/cases".into(), json!({
        "get": json_op("Cases the caller may see (an agency sees those it leads or supports)", "command",
            json!([param("status", "query", json!({ "type": "string", "enum": ["open", "investigating", "handed_over", "closed"] }), "lifecycle state"),
                   param("agency", "query", agency.clone(), "lead or supporting agency"), param("town", "query", string.clone(), "town")]), None),
        "post": json_op("Open a case (role dispatcher; an agency's user leads its own cases)", "command", json!([]),
            Some(json!({ "type": "object", "required": ["title"], "properties": { "title": string, "lead_agency": agency, "town": string, "lon": { "type": "number" }, "lat": { "type": "number" }, "risk_point_id": { "type": "integer" }, "alerts": { "type": "array", "items": { "type": "integer" } }, "note": string } }))),
    }));
    paths.insert(
        "/api/v1/cases/{id}".into(),
        json!({ "get": json_op("One case", "command", json!([command_id.clone()]), None) }),
    );
    paths.insert("/api/v1/cases/{id}/{action}".into(), json!({ "post": json_op("A step of a case: investigate, note, link (alerts, tips, inspections), handover (to, note) or close (outcome, goods, note); role dispatcher of the lead agency and town", "command",
        json!([command_id.clone(), param("action", "path", json!({ "type": "string", "enum": ["investigate", "note", "link", "handover", "close"] }), "the step")]),
        Some(json!({ "type": "object", "properties": { "note": string, "to": agency, "outcome": { "type": "string", "enum": ["confirmed", "no_violation", "other"] }, "goods": { "type": "string", "enum": ["frozen_food", "refined_oil", "cigarettes", "agricultural_products", "other"] }, "alerts": { "type": "array", "items": { "type": "integer" } }, "tips": { "type": "array", "items": { "type": "integer" } }, "inspections": { "type": "array", "items": { "type": "integer" } } } }))) }));
    paths.insert("/api/v1/cards".into(), json!({
        "get": json_op("Cards of towns, villages and risk points now, with their history (the rules run first)", "command",
            json!([param("unit", "query", json!({ "type": "string", "enum": ["town", "village", "risk_point"] }), "kind of unit"), param("card", "query", json!({ "type": "string", "enum": ["none", "yellow", "red"] }), "current card"), param("town", "query", string.clone(), "town")]), None),
        "post": json_op("A yellow card set by hand, with a reason (role admin)", "command", json!([]),
            Some(json!({ "type": "object", "required": ["unit", "unit_id", "reason"], "properties": { "unit": { "type": "string", "enum": ["town", "village", "risk_point"] }, "unit_id": { "type": "integer" }, "reason": string } }))),
    }));
    paths.insert("/api/v1/cards/{id}/rectify".into(), json!({ "post": json_op("Clear a yellow card with the rectification made (role dispatcher of its town)", "command", json!([command_id.clone()]),
        Some(json!({ "type": "object", "required": ["rectification"], "properties": { "rectification": string } }))) }));
    paths.insert("/api/v1/inspections".into(), json!({
        "get": json_op("Inspections, newest first", "command", json!([param("risk_point_id", "query", json!({ "type": "integer" }), "risk point"), param("since", "query", epoch.clone(), "at or after (epoch s)")]), None),
        "post": json_op("Record a visit to a risk point from the site (role dispatcher of its town; refused when far from the site or in the future)", "command", json!([]),
            Some(json!({ "type": "object", "required": ["risk_point_id", "lon", "lat", "findings"], "properties": { "risk_point_id": { "type": "integer" }, "lon": { "type": "number" }, "lat": { "type": "number" }, "t": epoch, "findings": string, "result": { "type": "string", "enum": ["ok", "issues"] } } }))),
    }));
    paths.insert("/api/v1/inspections/overdue".into(), json!({ "get": json_op("Risk points whose inspection is due", "command", json!([]), None) }));
    paths.insert("/api/v1/tips/{id}".into(), json!({ "get": json_op("A tip with its reward; the reporter's contact for admins only", "command", json!([command_id.clone()]), None) }));
    paths.insert("/api/v1/tips/{id}/verify".into(), json!({ "post": json_op("The tip led to a case: link it (role dispatcher)", "command", json!([command_id.clone()]),
        Some(json!({ "type": "object", "required": ["case_id"], "properties": { "case_id": { "type": "integer" } } }))) }));
    paths.insert("/api/v1/tips/{id}/reward".into(), json!({ "post": json_op("A reward step: propose (role dispatcher, amount_yuan), approve, pay (role admin)", "command", json!([command_id]),
        Some(json!({ "type": "object", "required": ["action"], "properties": { "action": { "type": "string", "enum": ["propose", "approve", "pay"] }, "amount_yuan": { "type": "integer", "minimum": 1 }, "paid_at": epoch } }))) }));
    let format = param(
        "format",
        "query",
        json!({ "type": "string", "enum": ["json", "csv"] }),
        "JSON (default) or CSV",
    );
    paths.insert("/api/v1/rewards".into(), json!({ "get": json_op("Rewards paid in a year (role admin)", "command", json!([param("year", "query", json!({ "type": "integer" }), "local calendar year (default this one)"), format.clone()]), None) }));
    paths.insert("/api/v1/watchlist".into(), json!({
        "get": json_op("The watch list of number plates (role dispatcher)", "command", json!([format.clone()]), None),
        "post": json_op("Watch plates: one {plate, reason}, an array of them, or CSV lines plate,reason (text/csv); all or nothing (role dispatcher)", "command", json!([]),
            Some(json!({ "type": "object", "required": ["plate", "reason"], "properties": { "plate": string, "reason": string } }))),
    }));
    paths.insert("/api/v1/watchlist/{plate}".into(), json!({ "delete": json_op("Take a plate off the watch list (role dispatcher)", "command", json!([param("plate", "path", string.clone(), "the plate")]), None) }));
    paths.insert("/api/v1/audit".into(), json!({ "get": json_op("The audit log: who did what, with before and after (role admin)", "command", json!([param("since", "query", epoch.clone(), "at or after (epoch s)"), param("limit", "query", json!({ "type": "integer", "maximum": 100_000 }), "most entries (default 10,000)"), format]), None) }));
    paths.insert("/api/v1/ingest/positions".into(), json!({ "post": json_op("Vehicle GPS fixes, all or nothing (role ingest)", "ingest", json!([]),
        Some(json!({ "type": "array", "items": { "type": "object", "required": ["vehicle_id", "t", "lon", "lat"], "properties": { "vehicle_id": string, "t": {}, "lon": { "type": "number" }, "lat": { "type": "number" }, "speed_kmh": { "type": "number" }, "heading_deg": { "type": "number" } } } }))) }));
    paths.insert("/api/v1/ingest/detections".into(), json!({ "post": json_op("Camera tracks of an external detector placed on the ground, all or nothing (role ingest)", "ingest", json!([]),
        Some(json!({ "type": "array", "items": { "type": "object", "required": ["camera_id", "track_id", "class", "t", "lon", "lat"], "properties": { "camera_id": { "type": "integer" }, "track_id": string, "class": { "type": "string", "enum": ["vessel", "person", "vehicle", "unknown"] }, "t": {}, "lon": { "type": "number" }, "lat": { "type": "number" }, "score": { "type": "number" }, "range_sigma_m": { "type": "number" }, "bearing_sigma_deg": { "type": "number" },
            "reading": { "type": "object", "required": ["confidence", "reads"], "description": "what OCR read on the track so far", "properties": { "text": string, "confidence": { "type": "number", "minimum": 0, "maximum": 1 }, "reads": { "type": "integer", "minimum": 1 } } } } } }))) }));
    paths.insert("/api/v1/coverage".into(), json!({ "get": json_op("Coverage report of the stored cameras (coverage.json without suggestions, flat terrain)", "coverage", json!([param("h3_res", "query", json!({ "type": "integer", "minimum": 0, "maximum": 15 }), "H3 resolution (default 10)")]), None) }));
    paths.insert("/api/v1/coverage/suggest".into(), json!({ "post": json_op("New camera sites by greedy maximal coverage (role planner)", "coverage", json!([]), Some(json!({ "type": "object", "properties": { "n": { "type": "integer", "maximum": 100 }, "candidates": { "type": "array", "items": { "type": "array", "items": { "type": "number" } } }, "spacing_m": { "type": "number" }, "heading_step_deg": { "type": "number" }, "h3_res": { "type": "integer" }, "camera": { "type": "object", "properties": { "height_m": { "type": "number" }, "hfov_deg": { "type": "number" }, "range_m": { "type": "number" }, "near_range_m": { "type": "number" } } } } }))) }));
    paths.insert("/api/v1/ingest/ais".into(), json!({ "post": { "summary": "NMEA 0183 AIVDM/AIVDO lines as text/plain (role ingest)", "tags": ["ingest"],
        "requestBody": { "required": true, "content": { "text/plain": { "schema": string } } }, "responses": error_responses() } }));
    let source = param(
        "source",
        "path",
        string.clone(),
        "a layer name, or several joined by commas",
    );
    let zxy = [("z", "zoom 0–24"), ("x", "column"), ("y", "row")]
        .map(|(n, d)| param(n, "path", json!({ "type": "integer", "minimum": 0 }), d));
    paths.insert("/tiles/catalog".into(), plain("Tile sources", "tiles"));
    paths.insert("/tiles/{source}".into(), json!({ "get": json_op("TileJSON 3.0.0 of a source", "tiles", json!([source.clone()]), None) }));
    paths.insert("/tiles/{source}/{z}/{x}/{y}".into(), json!({ "get": op("Mapbox Vector Tile (204 when empty)", "tiles",
        json!([source, zxy[0], zxy[1], zxy[2], param("from", "query", epoch.clone(), "track layers: from (epoch s)"), param("to", "query", epoch.clone(), "track layers: to (epoch s)")]),
        ("200", json!({ "description": "application/vnd.mapbox-vector-tile" })), None) }));
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
