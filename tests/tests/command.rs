//! The command platform over HTTP: scopes of agencies and towns, the case lifecycle and its
//! hand-overs (live on the alert feed), cards of towns, villages and risk points, inspections,
//! tip rewards with the reporter's contact kept private, and the audit log.

use axum::http::StatusCode;
use coastwatch_core::model::Agency;
use coastwatch_core::{Feature, Layer};
use coastwatch_server::auth::Role;
use coastwatch_server::config::TokenConfig;
use coastwatch_server::{Config, clock};
use coastwatch_tests::{DISPATCHER, TestServer, VIEWER, test_config};
use geo::{LineString, MultiPolygon, Point, Polygon};
use serde_json::{Value, json};

const ADMIN: &str = "admin-token-1";
const QIUCUN: &str = "qiucun-dispatcher-1";
const CUSTOMS: &str = "customs-officer-1";
const POLICE: &str = "police-officer-1";

fn config() -> Config {
    let mut config = test_config();
    let tokens = &mut config.auth.tokens;
    tokens.push(TokenConfig::plain(ADMIN, "ada", vec![Role::Admin]));
    tokens.push(
        TokenConfig::plain(QIUCUN, "qiu", vec![Role::Dispatcher]).scoped(None, Some("Qiucun")),
    );
    tokens.push(
        TokenConfig::plain(CUSTOMS, "cus", vec![Role::Dispatcher])
            .scoped(Some(Agency::Customs), None),
    );
    tokens.push(
        TokenConfig::plain(POLICE, "pol", vec![Role::Dispatcher])
            .scoped(Some(Agency::Police), None),
    );
    config
}

fn square(lon: f64, lat: f64, size: f64) -> MultiPolygon {
    MultiPolygon(vec![Polygon::new(
        LineString::from(vec![
            (lon, lat),
            (lon + size, lat),
            (lon + size, lat + size),
            (lon, lat + size),
            (lon, lat),
        ]),
        vec![],
    )])
}

/// Two towns side by side, a village inside Qiucun, and one cold store in each town.
async fn district(server: &TestServer) -> (i64, i64) {
    let areas = vec![
        Feature::new(
            square(121.50, 29.50, 0.1),
            json!({"name": "Qiucun", "kind": "town"}),
        ),
        Feature::new(
            square(121.60, 29.50, 0.1),
            json!({"name": "Songao", "kind": "town"}),
        ),
        Feature::new(
            square(121.52, 29.52, 0.02),
            json!({"name": "Dongmen village", "kind": "village"}),
        ),
    ];
    server.store.insert(Layer::Areas, areas).await.unwrap();
    let sites = server
        .store
        .insert(
            Layer::RiskPoints,
            vec![
                Feature::new(
                    Point::new(121.53, 29.53),
                    json!({"kind": "cold_store", "name": "Qiucun cold store", "registered": true, "town": "Qiucun", "card": "none"}),
                ),
                Feature::new(
                    Point::new(121.65, 29.55),
                    json!({"kind": "oil_depot", "name": "Songao oil depot", "registered": true, "town": "Songao", "card": "none"}),
                ),
            ],
        )
        .await
        .unwrap();
    server.state.layer_changed(Layer::Areas).await.unwrap();
    (sites[0].get(), sites[1].get())
}

/// An open alert of `town` at `lon, lat`, opened `age_s` ago.
async fn alert(server: &TestServer, town: &str, lon: f64, lat: f64, age_s: i64) -> i64 {
    let now = clock::now_epoch_s() as i64;
    let feature = Feature::new(
        Point::new(lon, lat),
        json!({"kind": "loitering", "severity": "warning", "status": "open", "opened_at": now - age_s,
               "updated_at": now - age_s, "subject": {"type": "vessel", "id": "412000001"}, "town": town,
               "evidence": {}, "history": []}),
    );
    server
        .store
        .insert(Layer::Alerts, vec![feature])
        .await
        .unwrap()[0]
        .get()
}

async fn post(server: &TestServer, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
    server
        .send("POST", path, Some(token), Some(&body.to_string()))
        .await
}

async fn get(server: &TestServer, path: &str, token: &str) -> (StatusCode, Value) {
    server.send("GET", path, Some(token), None).await
}

#[tokio::test]
async fn scopes_limit_towns_and_agencies() {
    let server = TestServer::new(config()).await;
    district(&server).await;
    let songao = alert(&server, "Songao", 121.65, 29.55, 60).await;
    let qiucun = alert(&server, "Qiucun", 121.55, 29.55, 60).await;

    // a Qiucun dispatcher cannot act on a Songao alert, and nothing changes
    let (status, body) = post(
        &server,
        &format!("/api/v1/alerts/{songao}/ack"),
        QIUCUN,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body["error"].as_str().unwrap().contains("Songao"), "{body}");
    let (_, stored) = get(&server, &format!("/api/v1/alerts/{songao}"), VIEWER).await;
    assert_eq!(stored["status"], "open");
    let (status, acked) = post(
        &server,
        &format!("/api/v1/alerts/{qiucun}/ack"),
        QIUCUN,
        json!({}),
    )
    .await;
    assert_eq!(
        (status, acked["status"].as_str()),
        (StatusCode::OK, Some("acknowledged"))
    );

    // the police open two cases; customs sees only the one handed to it
    let open = |title: &str, alerts: Vec<i64>| json!({"title": title, "lead_agency": "police", "alerts": alerts});
    let (status, handed) = post(
        &server,
        "/api/v1/cases",
        POLICE,
        open("frozen goods at night", vec![songao]),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{handed}");
    assert_eq!(
        handed["town"], "Songao",
        "the town comes from the alert's place"
    );
    let (status, kept) = post(
        &server,
        "/api/v1/cases",
        POLICE,
        open("loitering skiff", vec![qiucun]),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{kept}");
    let (status, _) = post(
        &server,
        &format!("/api/v1/cases/{}/handover", handed["id"]),
        POLICE,
        json!({"to": "customs", "note": "imported frozen meat"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, seen) = get(&server, "/api/v1/cases", CUSTOMS).await;
    let ids: Vec<&Value> = seen.as_array().unwrap().iter().map(|c| &c["id"]).collect();
    assert_eq!(ids, [&handed["id"]]);
    let (status, _) = get(&server, &format!("/api/v1/cases/{}", kept["id"]), CUSTOMS).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, all) = get(&server, "/api/v1/cases", DISPATCHER).await;
    assert_eq!(
        all.as_array().unwrap().len(),
        2,
        "the centre sees every case"
    );
    let (status, _) = get(&server, "/ogc/collections/cases/items", CUSTOMS).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no way around the scope");

    // the police follow the case they handed over but no longer act on it
    let (status, _) = get(&server, &format!("/api/v1/cases/{}", handed["id"]), POLICE).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = post(
        &server,
        &format!("/api/v1/cases/{}/note", handed["id"]),
        POLICE,
        json!({"note": "still ours?"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // a police officer cannot open a case for customs
    let (status, _) = post(
        &server,
        "/api/v1/cases",
        POLICE,
        json!({"title": "x", "lead_agency": "customs"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // a Qiucun dispatcher cannot open a case in Songao
    let (status, _) = post(
        &server,
        "/api/v1/cases",
        QIUCUN,
        json!({"title": "x", "lead_agency": "police", "town": "Songao"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_case_is_opened_handed_over_and_closed_live_and_audited() {
    let server = TestServer::new(config()).await;
    district(&server).await;
    let mut feed = server.state.alerts.feed.subscribe(None).live;
    let (status, case) = post(
        &server,
        "/api/v1/cases",
        DISPATCHER,
        json!({"title": "Oil transfer at sea", "lead_agency": "coast_guard", "lon": 121.66, "lat": 29.56, "note": "from a tip"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    assert_eq!(
        (case["status"].as_str(), case["town"].as_str()),
        (Some("open"), Some("Songao"))
    );
    let id = case["id"].as_i64().unwrap();
    let event = feed.recv().await.unwrap();
    assert_eq!(event.topic.name(), "case");
    assert!(event.json.contains("Oil transfer at sea"));

    let path = |action: &str| format!("/api/v1/cases/{id}/{action}");
    let before = get(&server, &format!("/api/v1/cases/{id}"), VIEWER).await.1;
    for (action, body, want) in [
        (
            "handover",
            json!({"to": "coast_guard", "note": "x"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            "handover",
            json!({"to": "navy", "note": "x"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            "handover",
            json!({"to": "customs"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            "close",
            json!({"outcome": "confirmed", "note": "seized"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            "close",
            json!({"outcome": "no_violation", "goods": "cigarettes", "note": "x"}),
            StatusCode::BAD_REQUEST,
        ),
        ("fly", json!({}), StatusCode::NOT_FOUND),
    ] {
        let (status, body) = post(&server, &path(action), DISPATCHER, body).await;
        assert_eq!(status, want, "{action}: {body}");
        assert!(body["error"].is_string(), "{body}");
    }
    let (_, after) = get(&server, &format!("/api/v1/cases/{id}"), VIEWER).await;
    assert_eq!(after, before, "refused steps change nothing");
    let (status, _) = post(&server, &path("investigate"), VIEWER, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "viewers do not act");

    let (status, _) = post(
        &server,
        &path("investigate"),
        DISPATCHER,
        json!({"note": "boarding"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, handed) = post(
        &server,
        &path("handover"),
        DISPATCHER,
        json!({"to": "customs", "note": "goods from abroad"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{handed}");
    assert_eq!(
        (
            handed["status"].as_str(),
            handed["lead_agency"].as_str(),
            &handed["supporting"]
        ),
        (
            Some("handed_over"),
            Some("customs"),
            &json!(["coast_guard"])
        )
    );
    let (status, closed) = post(
        &server,
        &path("close"),
        CUSTOMS,
        json!({"outcome": "confirmed", "goods": "refined_oil", "note": "40 t of diesel seized"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    assert_eq!(
        (closed["outcome"].as_str(), closed["goods"].as_str()),
        (Some("confirmed"), Some("refined_oil"))
    );
    let steps: Vec<&str> = closed["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["open", "investigate", "handover", "close"]);
    let (status, _) = post(&server, &path("note"), DISPATCHER, json!({"note": "late"})).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a closed case takes no more steps"
    );

    let mut seen = Vec::new();
    while let Ok(event) = feed.try_recv() {
        seen.push(event.topic.name());
    }
    assert_eq!(seen, ["case"; 3], "every step is published");

    // the audit log: admins only, JSON and CSV, with before and after
    let (status, _) = get(&server, "/api/v1/audit", DISPATCHER).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, log) = get(&server, "/api/v1/audit", ADMIN).await;
    assert_eq!(status, StatusCode::OK);
    let entries: Vec<(&str, &str)> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["target"] == format!("cases/{id}"))
        .map(|e| (e["action"].as_str().unwrap(), e["user"].as_str().unwrap()))
        .collect();
    assert_eq!(
        entries,
        [
            ("case.open", "dan"),
            ("case.investigate", "dan"),
            ("case.handover", "dan"),
            ("case.close", "cus")
        ]
    );
    let handover = log
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "case.handover")
        .unwrap();
    assert_eq!(handover["before"]["lead_agency"], "coast_guard");
    assert_eq!(handover["after"]["lead_agency"], "customs");
    // edits of the editable layers are in the log too
    let site = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [121.6, 29.6]},
        "properties": {"kind": "dock", "name": "New jetty", "registered": false, "card": "none"}});
    let (status, created) = post(&server, "/api/v1/risk_points", ADMIN, site).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (status, _) = server
        .send(
            "DELETE",
            &format!("/api/v1/risk_points/{}", created["id"]),
            Some(ADMIN),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, log) = get(
        &server,
        &format!("/api/v1/audit?since={}", clock::now_epoch_s() as i64 - 60),
        ADMIN,
    )
    .await;
    let target = format!("risk_points/{}", created["id"]);
    let edits: Vec<&Value> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["target"] == target)
        .collect();
    assert_eq!(edits.len(), 2, "{log}");
    assert_eq!(
        (edits[0]["action"].as_str(), edits[1]["action"].as_str()),
        (Some("risk_points.create"), Some("risk_points.delete"))
    );
    assert_eq!(edits[1]["before"]["properties"]["name"], "New jetty");
    assert_eq!(edits[1]["after"], Value::Null);
    let (status, headers, csv) = server
        .send_raw("GET", "/api/v1/audit?format=csv", Some(ADMIN), None, &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = String::from_utf8(csv).unwrap();
    assert!(
        csv.starts_with("id,at,user,action,target,before,after\r\n"),
        "{csv}"
    );
    assert!(csv.contains(",cus,case.close,cases/"), "{csv}");
}

fn card_of<'a>(cards: &'a Value, unit: &str, name: &str) -> &'a Value {
    cards
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["unit"] == unit && c["name"] == name)
        .unwrap_or_else(|| panic!("no {unit} {name} in {cards}"))
}

fn reasons(card: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = card["cards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["reason"].as_str().unwrap().to_owned(),
                c["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn cards_follow_cases_coverage_inspections_and_waiting_alerts() {
    let mut config = config();
    config.command.rectification_days = 0; // deadlines pass at once
    let server = TestServer::new(config).await;
    let (cold_store, oil_depot) = district(&server).await;
    // an alert waiting for 25 h in the village (in Qiucun)
    alert(&server, "Qiucun", 121.525, 29.525, 25 * 3600).await;
    // the oil depot was inspected today
    let (status, body) = post(
        &server,
        "/api/v1/inspections",
        DISPATCHER,
        json!({"risk_point_id": oil_depot, "lon": 121.6505, "lat": 29.5502, "findings": "tanks sealed"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let (status, cards) = get(&server, "/api/v1/cards", VIEWER).await;
    assert_eq!(status, StatusCode::OK, "{cards}");
    let active = |r: &str| (r.to_owned(), "active".to_owned());
    assert_eq!(
        reasons(card_of(&cards, "risk_point", "Qiucun cold store")),
        [active("inspection_overdue"), active("not_covered")],
        "no camera, never inspected"
    );
    assert_eq!(
        reasons(card_of(&cards, "risk_point", "Songao oil depot")),
        [active("not_covered")],
        "inspected today"
    );
    let village = card_of(&cards, "village", "Dongmen village");
    assert_eq!(reasons(village), [active("unacknowledged_alerts")]);
    assert_eq!(village["town"], "Qiucun");
    let qiucun = card_of(&cards, "town", "Qiucun");
    assert!(
        reasons(qiucun).contains(&active("unacknowledged_alerts")),
        "{qiucun}"
    );
    assert_eq!(qiucun["award_eligible"], true);
    let (_, again) = get(&server, "/api/v1/cards", VIEWER).await;
    assert_eq!(
        reasons(card_of(&again, "risk_point", "Qiucun cold store")).len(),
        2,
        "a condition is carded once"
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (_, later) = get(&server, "/api/v1/cards?unit=risk_point", VIEWER).await;
    assert_eq!(
        card_of(&later, "risk_point", "Songao oil depot")["overdue"],
        true,
        "past its deadline"
    );
    assert!(
        later
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["unit"] == "risk_point")
    );

    // a confirmed case at the cold store: red for the site, its town and its village
    let (_, case) = post(
        &server,
        "/api/v1/cases",
        DISPATCHER,
        json!({"title": "Frozen meat landed", "lead_agency": "market", "risk_point_id": cold_store, "lon": 121.53, "lat": 29.53}),
    )
    .await;
    let (status, _) = post(
        &server,
        &format!("/api/v1/cases/{}/close", case["id"]),
        DISPATCHER,
        json!({"outcome": "confirmed", "goods": "frozen_food", "note": "8 t seized"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, cards) = get(&server, "/api/v1/cards?card=red", VIEWER).await;
    let red: Vec<&str> = cards
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(red.len(), 3, "{red:?}");
    for name in ["Qiucun cold store", "Qiucun", "Dongmen village"] {
        assert!(red.contains(&name), "{name} in {red:?}");
    }
    assert_eq!(card_of(&cards, "town", "Qiucun")["award_eligible"], false);
    // the town scorecards show the same card
    let (_, scorecards) = get(&server, "/api/v1/scorecards", VIEWER).await;
    let qiucun = scorecards["towns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["town"] == "Qiucun")
        .unwrap();
    assert_eq!(
        (qiucun["card"].as_str(), qiucun["award_eligible"].as_bool()),
        (Some("red"), Some(false)),
        "{qiucun}"
    );
    let site = server
        .store
        .get(
            Layer::RiskPoints,
            coastwatch_core::model::FeatureId::try_from(cold_store).unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(site.properties["card"], "red", "risk_points.card follows");

    // rectifying: a yellow card clears, a red one does not; Qiucun cannot clear Songao's
    let (_, songao) = get(&server, "/api/v1/cards?town=Songao&unit=risk_point", VIEWER).await;
    let yellow = card_of(&songao, "risk_point", "Songao oil depot")["cards"][0]["id"]
        .as_i64()
        .unwrap();
    let red_id = card_of(&cards, "risk_point", "Qiucun cold store")["cards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["color"] == "red")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let rectify = |id: i64| format!("/api/v1/cards/{id}/rectify");
    let (status, _) = post(
        &server,
        &rectify(yellow),
        QIUCUN,
        json!({"rectification": "x"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = post(
        &server,
        &rectify(yellow),
        DISPATCHER,
        json!({"rectification": " "}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, done) = post(
        &server,
        &rectify(yellow),
        DISPATCHER,
        json!({"rectification": "PTZ camera ordered, night patrols meanwhile"}),
    )
    .await;
    assert_eq!(
        (status, done["status"].as_str()),
        (StatusCode::OK, Some("rectified")),
        "{done}"
    );
    let (status, _) = post(
        &server,
        &rectify(red_id),
        ADMIN,
        json!({"rectification": "x"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, songao) = get(&server, "/api/v1/cards?town=Songao&unit=risk_point", VIEWER).await;
    let depot = card_of(&songao, "risk_point", "Songao oil depot");
    // with 0 rectification days the recheck comes at once: still no camera, a new card
    assert_eq!(
        reasons(depot),
        [
            active("not_covered"),
            ("not_covered".into(), "rectified".into())
        ]
    );
    let cleared = depot["cards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == yellow)
        .unwrap();
    assert_eq!(cleared["overdue"], false, "a cleared card is not overdue");
    assert!(
        cleared["rectification"]
            .as_str()
            .unwrap()
            .contains("PTZ camera")
    );

    // an admin sets a yellow card by hand, with a reason
    let manual = json!({"unit": "risk_point", "unit_id": oil_depot, "reason": "fence broken"});
    let (status, _) = post(&server, "/api/v1/cards", DISPATCHER, manual.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = post(
        &server,
        "/api/v1/cards",
        ADMIN,
        json!({"unit": "risk_point", "unit_id": 999, "reason": "x"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, card) = post(&server, "/api/v1/cards", ADMIN, manual).await;
    assert_eq!(status, StatusCode::CREATED, "{card}");
    assert_eq!(
        (
            card["reason"].as_str(),
            card["detail"].as_str(),
            card["issued_by"].as_str()
        ),
        (Some("manual"), Some("fence broken"), Some("ada"))
    );
    let (_, songao) = get(&server, "/api/v1/cards?town=Songao&unit=risk_point", VIEWER).await;
    assert_eq!(
        card_of(&songao, "risk_point", "Songao oil depot")["card"],
        "yellow"
    );
}

#[tokio::test]
async fn inspections_are_recorded_at_the_site_and_in_the_past() {
    let server = TestServer::new(config()).await;
    let (cold_store, oil_depot) = district(&server).await;
    let now = clock::now_epoch_s() as i64;
    let visit = |site: i64, lon: f64, t: i64| json!({"risk_point_id": site, "lon": lon, "lat": 29.53, "t": t, "findings": "log book kept", "result": "ok"});
    for (body, want, says) in [
        (
            visit(cold_store, 121.54, now),
            StatusCode::BAD_REQUEST,
            "m from risk point",
        ),
        (
            visit(cold_store, 121.5301, now + 3600),
            StatusCode::BAD_REQUEST,
            "in the future",
        ),
        (
            visit(cold_store, 121.5301, now - 40 * 86_400),
            StatusCode::BAD_REQUEST,
            "30 days",
        ),
        (
            visit(999, 121.5301, now),
            StatusCode::BAD_REQUEST,
            "no such risk point",
        ),
        (
            json!({"risk_point_id": cold_store, "lon": 121.53, "lat": 29.53, "findings": ""}),
            StatusCode::BAD_REQUEST,
            "findings",
        ),
        (
            visit(oil_depot, 121.65, now),
            StatusCode::FORBIDDEN,
            "Songao",
        ),
    ] {
        let (status, body) = post(&server, "/api/v1/inspections", QIUCUN, body).await;
        assert_eq!(status, want, "{body}");
        assert!(
            body["error"].as_str().unwrap().contains(says),
            "{says}: {body}"
        );
    }
    let (_, listed) = get(&server, "/api/v1/inspections", VIEWER).await;
    assert_eq!(listed, json!([]), "refused visits store nothing");
    let (_, far) = post(
        &server,
        "/api/v1/inspections",
        QIUCUN,
        visit(cold_store, 121.54, now),
    )
    .await;
    assert!(
        far["detail"]["distance_m"].as_f64().unwrap() > 900.0,
        "{far}"
    );

    let (_, overdue) = get(&server, "/api/v1/inspections/overdue", VIEWER).await;
    assert_eq!(
        overdue.as_array().unwrap().len(),
        2,
        "never inspected: both due"
    );
    let (status, recorded) = post(
        &server,
        "/api/v1/inspections",
        QIUCUN,
        visit(cold_store, 121.5302, now - 600),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{recorded}");
    assert_eq!(recorded["inspector"], "qiu");
    assert!(recorded["distance_m"].as_f64().unwrap() < 30.0);
    let (_, overdue) = get(&server, "/api/v1/inspections/overdue", VIEWER).await;
    let names: Vec<&str> = overdue
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Songao oil depot"]);
    let (_, listed) = get(
        &server,
        &format!("/api/v1/inspections?risk_point_id={cold_store}"),
        VIEWER,
    )
    .await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn tip_rewards_follow_their_steps_and_contacts_stay_private() {
    let server = TestServer::new(config()).await;
    district(&server).await;
    let (status, tip) = post(
        &server,
        "/api/v1/tips",
        DISPATCHER,
        json!({"lon": 121.66, "lat": 29.56, "text": "boat unloading boxes at night", "reporter": "Wang, 138 0000 1234"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{tip}");
    let id = tip["id"].as_i64().unwrap();
    assert!(
        !tip.to_string().contains("138 0000"),
        "the alert carries no contact: {tip}"
    );
    let (_, as_viewer) = get(&server, &format!("/api/v1/tips/{id}"), VIEWER).await;
    assert!(as_viewer.get("contact").is_none(), "{as_viewer}");
    assert!(!as_viewer.to_string().contains("138 0000"));
    let (_, as_admin) = get(&server, &format!("/api/v1/tips/{id}"), ADMIN).await;
    assert_eq!(as_admin["contact"], "Wang, 138 0000 1234");

    let reward = format!("/api/v1/tips/{id}/reward");
    let (status, body) = post(
        &server,
        &reward,
        DISPATCHER,
        json!({"action": "propose", "amount_yuan": 5000}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "not verified: {body}");
    assert!(body["error"].as_str().unwrap().contains("not verified"));

    let (_, case) = post(
        &server,
        "/api/v1/cases",
        DISPATCHER,
        json!({"title": "Night unloading", "lead_agency": "customs"}),
    )
    .await;
    let verify = format!("/api/v1/tips/{id}/verify");
    let (status, _) = post(&server, &verify, DISPATCHER, json!({"case_id": 999})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, verified) =
        post(&server, &verify, DISPATCHER, json!({"case_id": case["id"]})).await;
    assert_eq!(status, StatusCode::OK, "{verified}");
    assert_eq!(verified["evidence"]["reward"]["status"], "verified");
    let (_, linked) = get(&server, &format!("/api/v1/cases/{}", case["id"]), VIEWER).await;
    assert_eq!(linked["links"]["tips"], json!([id]));
    let (status, _) = post(&server, &verify, DISPATCHER, json!({"case_id": case["id"]})).await;
    assert_eq!(status, StatusCode::CONFLICT, "verified once");

    let (status, _) = post(&server, &reward, DISPATCHER, json!({"action": "propose"})).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a proposal names the amount"
    );
    let (status, _) = post(
        &server,
        &reward,
        DISPATCHER,
        json!({"action": "propose", "amount_yuan": 5000}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = post(&server, &reward, DISPATCHER, json!({"action": "approve"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "admins approve");
    let (status, _) = post(&server, &reward, ADMIN, json!({"action": "pay"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "paid only once approved");
    let (status, _) = post(&server, &reward, ADMIN, json!({"action": "approve"})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, paid) = post(&server, &reward, ADMIN, json!({"action": "pay"})).await;
    assert_eq!(status, StatusCode::OK, "{paid}");
    assert_eq!(paid["evidence"]["reward"]["status"], "paid");
    assert_eq!(paid["evidence"]["reward"]["amount_yuan"], 5000);

    let (status, _) = get(&server, "/api/v1/rewards", DISPATCHER).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, ledger) = get(&server, "/api/v1/rewards", ADMIN).await;
    assert_eq!(ledger[0]["amount_yuan"], 5000);
    assert_eq!(ledger[0]["tip_id"], id);
    let (_, _, csv) = server
        .send_raw(
            "GET",
            "/api/v1/rewards?format=csv&year=2001",
            Some(ADMIN),
            None,
            &[],
        )
        .await;
    assert_eq!(
        String::from_utf8(csv).unwrap(),
        "tip_id,case_id,amount_yuan,paid_at,town\r\n",
        "another year"
    );
}
