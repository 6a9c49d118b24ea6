//! Webhooks: every alert change a webhook wants is POSTed to it, in order, at least once.
//!
//! Each webhook has its own task that follows the [`AlertFeed`]. A delivery is retried with
//! exponential backoff (0.5 s doubling up to 60 s) until the endpoint answers 2xx or the
//! attempts run out; the `Idempotency-Key` header (the event number) lets the receiver drop
//! the duplicates that retries can cause.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast::error::RecvError;

use crate::alerts::{AlertFeed, AlertMessage};
use crate::config::WebhookConfig;

/// Starts one delivery task per configured webhook.
pub fn start(webhooks: &[WebhookConfig], feed: Arc<AlertFeed>) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap_or_default();
    for hook in webhooks {
        tokio::spawn(deliver_all(hook.clone(), feed.clone(), client.clone()));
    }
}

async fn deliver_all(hook: WebhookConfig, feed: Arc<AlertFeed>, client: reqwest::Client) {
    let mut last = feed.next_seq().checked_sub(1);
    loop {
        let mut subscription = feed.subscribe(last);
        for message in std::mem::take(&mut subscription.backlog) {
            last = Some(message.seq);
            deliver(&hook, &client, &message).await;
        }
        loop {
            match subscription.live.recv().await {
                Ok(message) if last.is_some_and(|l| message.seq <= l) => {}
                Ok(message) => {
                    last = Some(message.seq);
                    deliver(&hook, &client, &message).await;
                }
                // fell behind: catch up from the feed's memory
                Err(RecvError::Lagged(_)) => break,
                Err(RecvError::Closed) => return,
            }
        }
    }
}

fn wanted(hook: &WebhookConfig, message: &AlertMessage) -> bool {
    (hook.towns.is_empty() || hook.towns.iter().any(|t| message.for_town(Some(t))))
        && (hook.kinds.is_empty() || hook.kinds.contains(&message.kind))
}

async fn deliver(hook: &WebhookConfig, client: &reqwest::Client, message: &AlertMessage) {
    if !wanted(hook, message) {
        return;
    }
    let body = format!(r#"{{"event_id":{},"alert":{}}}"#, message.seq, message.json);
    let mut backoff = Duration::from_millis(500);
    for attempt in 1..=hook.max_attempts.max(1) {
        let result = client
            .post(&hook.url)
            .header("content-type", "application/json")
            .header("idempotency-key", message.seq.to_string())
            .body(body.clone())
            .send()
            .await;
        match result {
            Ok(response) if response.status().is_success() => return,
            Ok(response) => {
                tracing::warn!(url = %hook.url, attempt, status = %response.status(), "webhook refused")
            }
            Err(error) => tracing::warn!(url = %hook.url, attempt, %error, "webhook failed"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(60));
    }
    tracing::error!(url = %hook.url, event = message.seq, "webhook delivery given up");
}
