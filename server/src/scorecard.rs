//! Area scorecards: per town, PRODUCT.md's card rule.
//!
//! A town's card is `red` when a case was confirmed in the period, `yellow` when alerts
//! stay unacknowledged for more than 24 h or its risk-point coverage is under 80 %, else
//! `none`.

use coastwatch_core::Feature;
use serde_json::{Value, json};

/// Seconds an open alert may wait for acknowledgement before the town turns yellow.
const ACK_DEADLINE_S: i64 = 24 * 3600;

/// The scorecard of `town` from the alerts changed in `[since, now]` and its camera coverage
/// (flat terrain), when known.
pub fn card(
    town: &str,
    alerts: &[Feature],
    since: i64,
    now: i64,
    coverage: Option<&coastwatch_coverage::TownCoverage>,
) -> Value {
    let mine: Vec<&Feature> = alerts
        .iter()
        .filter(|a| a.properties["town"].as_str() == Some(town))
        .collect();
    let status = |a: &Feature| {
        a.properties["status"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let opened = |a: &Feature| a.properties["opened_at"].as_i64().unwrap_or_default();
    let history = |a: &Feature| {
        a.properties["history"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    let open = mine.iter().filter(|a| status(a) != "resolved").count();
    let confirmed = mine
        .iter()
        .filter(|a| {
            history(a).iter().any(|h| {
                h["outcome"] == "confirmed" && h["at"].as_i64().is_some_and(|t| t >= since)
            })
        })
        .count();
    let unacknowledged_24h = mine
        .iter()
        .filter(|a| status(a) == "open" && now - opened(a) > ACK_DEADLINE_S)
        .count();
    let mut ack_delays: Vec<i64> = mine
        .iter()
        .filter_map(|a| {
            let first = history(a).iter().filter_map(|h| h["at"].as_i64()).min()?;
            Some((first - opened(a)).max(0))
        })
        .collect();
    ack_delays.sort_unstable();
    let median_ack_s = match ack_delays.len() {
        0 => None,
        n if n % 2 == 1 => Some(ack_delays[n / 2] as f64),
        n => Some((ack_delays[n / 2 - 1] + ack_delays[n / 2]) as f64 / 2.0),
    };
    let risk_pct = coverage.and_then(|c| c.risk_point_coverage_pct);
    let coast_pct = coverage.and_then(|c| c.coastline_coverage_pct);
    let card = if confirmed > 0 {
        "red"
    } else if unacknowledged_24h > 0 || risk_pct.is_some_and(|p| p < 80.0) {
        "yellow"
    } else {
        "none"
    };
    json!({
        "town": town,
        "card": card,
        "open_cases": open,
        "confirmed_cases": confirmed,
        "alerts": mine.len(),
        "unacknowledged_over_24h": unacknowledged_24h,
        "median_time_to_ack_s": median_ack_s,
        "risk_point_coverage_pct": risk_pct,
        "coastline_coverage_pct": coast_pct,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use coastwatch_core::model::FeatureId;
    use geo::Point;

    fn alert(id: i64, town: &str, status: &str, opened_at: i64, history: Value) -> Feature {
        Feature::new(
            Point::new(121.6, 29.6),
            json!({"town": town, "status": status, "opened_at": opened_at, "history": history}),
        )
        .with_id(FeatureId::try_from(id).unwrap())
    }

    #[test]
    fn cards_follow_the_rules() {
        let now = 1_000_000;
        let alerts = vec![
            alert(
                1,
                "Chunhu",
                "resolved",
                now - 5000,
                json!([{"at": now - 4000, "action": "ack"}, {"at": now - 3000, "action": "resolve", "outcome": "confirmed"}]),
            ),
            alert(
                2,
                "Chunhu",
                "acknowledged",
                now - 1000,
                json!([{"at": now - 800, "action": "ack"}]),
            ),
            alert(3, "Qiucun", "open", now - 2 * 86_400, json!([])),
            alert(4, "Songao", "open", now - 100, json!([])),
        ];
        let chunhu = card("Chunhu", &alerts, now - 86_400, now, None);
        assert_eq!(chunhu["card"], "red");
        assert_eq!(chunhu["open_cases"], 1);
        assert_eq!(chunhu["confirmed_cases"], 1);
        assert_eq!(chunhu["median_time_to_ack_s"], 600.0);
        assert_eq!(card("Qiucun", &alerts, 0, now, None)["card"], "yellow");
        let songao = card("Songao", &alerts, 0, now, None);
        assert_eq!(songao["card"], "none");
        assert_eq!(songao["median_time_to_ack_s"], Value::Null);
    }
}
