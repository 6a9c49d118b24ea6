//! Dispatchers' actions on alerts (acknowledge, assign, resolve), new tips and every write of
//! the command platform (cases, cards, inspections, tip verification and rewards) are applied
//! by the leading core. Its alert book holds the open episodes and numbers new alerts, and it
//! is the one writer of alerts and of the command platform's records, so an action taken on
//! any node cannot be overwritten by the next update of its episode, two nodes cannot give one
//! number to two records, and no read-modify-write step (a case's handover, a reward's
//! payment) races one taken on another node. A node sends the request on
//! `coastwatch.core.actions` (CBOR: an inspection's photos travel as bytes, so the NATS
//! servers' `max_payload` must hold `server.body_limits.features_bytes`); the leader applies it
//! as the single process does and answers with the record, or with the refusal's status and
//! message. With no core leading, the request is refused with 503 and may be sent again.

use std::time::Duration;

use coastwatch_core::alerting::book::{Action, ActionBody, alert_json};
use coastwatch_core::model::FeatureId;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Cluster;
use crate::auth::User;
use crate::command::{Write, Written};
use crate::error::AppError;
use crate::state::AppState;

/// The subject the leading core answers actions on.
const ACTIONS: &str = "coastwatch.core.actions";
/// An action not answered within this is refused (503).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// What crosses to the leader.
#[derive(Debug, Serialize, Deserialize)]
enum Request {
    /// A dispatcher's action on an alert.
    Act {
        alert: i64,
        action: String,
        body: ActionBody,
        user: User,
    },
    /// A tip: a new alert.
    Tip {
        location: [f64; 2],
        text: String,
        reporter: Option<String>,
        t: f64,
        town: Option<String>,
    },
    /// A write of the command platform.
    Write { write: Write, user: User },
}

/// The leader's answer: what the request gave, or why not.
#[derive(Debug, Serialize, Deserialize)]
enum Answer {
    /// The alert as the API shows it.
    Done(Value),
    /// What a command platform's write gave.
    Wrote(Written),
    Refused {
        status: u16,
        message: String,
    },
}

impl Cluster {
    /// Has the leading core apply `action` by `user` to alert `id`; the alert's JSON.
    ///
    /// # Errors
    /// What the leader refused it with; 503 when no core answers.
    pub async fn act(
        &self,
        id: FeatureId,
        action: Action,
        body: ActionBody,
        user: &User,
    ) -> Result<Value, AppError> {
        self.ask(Request::Act {
            alert: id.get(),
            action: action.name().into(),
            body,
            user: user.clone(),
        })
        .await?
        .alert()
    }

    /// Has the leading core raise a tip alert (see [`Alerts::tip`]); the alert's JSON.
    ///
    /// # Errors
    /// What the leader refused it with; 503 when no core answers.
    pub async fn tip(
        &self,
        location: [f64; 2],
        text: &str,
        reporter: Option<String>,
        t: f64,
        town: Option<String>,
    ) -> Result<Value, AppError> {
        let text = text.to_owned();
        self.ask(Request::Tip {
            location,
            text,
            reporter,
            t,
            town,
        })
        .await?
        .alert()
    }

    /// Has the leading core apply a write of the command platform for `user`.
    ///
    /// # Errors
    /// What the leader refused it with; 413 when it exceeds what NATS carries, 503 when no core
    /// answers.
    pub async fn write(&self, user: &User, write: Write) -> Result<Written, AppError> {
        let user = user.clone();
        match self.ask(Request::Write { write, user }).await? {
            Answer::Wrote(written) => Ok(written),
            other => Err(unexpected(&other)),
        }
    }

    /// Sends `request` to the leader; its answer, or the refusal as an error.
    async fn ask(&self, request: Request) -> Result<Answer, AppError> {
        let mut payload = Vec::new();
        ciborium::into_writer(&request, &mut payload).expect("requests encode");
        let client = self.js.client();
        let carried = client.server_info().max_payload;
        if payload.len() > carried {
            // a body within the route's limit, but more than NATS takes in one message
            return Err(AppError::PayloadTooLarge {
                limit_bytes: carried,
                key: "max_payload of the cluster's NATS servers",
            });
        }
        let asked = client.request(ACTIONS, payload.into());
        let answer = tokio::time::timeout(ANSWER_TIMEOUT, asked)
            .await
            .map_err(|_| AppError::Unavailable("no core answered in time".into()))?
            .map_err(|e| AppError::Unavailable(format!("no core leads now: {e}")))?;
        match ciborium::from_reader(answer.payload.as_ref()) {
            Ok(Answer::Refused { status, message }) => Err(match status {
                400 => AppError::bad_request(message),
                403 => AppError::Forbidden(message),
                404 => AppError::NotFound(message),
                409 => AppError::Conflict(message),
                503 => AppError::Unavailable(message),
                _ => AppError::Internal(message),
            }),
            Ok(answer) => Ok(answer),
            Err(e) => Err(AppError::Internal(format!("the core's answer: {e}"))),
        }
    }
}

impl Answer {
    fn alert(self) -> Result<Value, AppError> {
        match self {
            Self::Done(alert) => Ok(alert),
            other => Err(unexpected(&other)),
        }
    }
}

/// An answer of another kind than the request's (a core of another version).
fn unexpected(answer: &Answer) -> AppError {
    AppError::Internal(format!("the core answered another request: {answer:?}"))
}

/// The leader's side: applies every request asked on [`ACTIONS`] until dropped.
pub(crate) async fn answer_actions(cluster: Cluster, state: AppState) {
    let client = cluster.js.client();
    let mut requests = match client.queue_subscribe(ACTIONS, "core".into()).await {
        Ok(requests) => requests,
        Err(error) => return tracing::error!(%error, "alert actions cannot be taken"),
    };
    while let Some(message) = requests.next().await {
        let Some(reply) = message.reply.clone() else {
            continue;
        };
        let answer = match ciborium::from_reader::<Request, _>(message.payload.as_ref()) {
            Ok(request) => apply(&state, request).await,
            Err(e) => refused(400, format!("not a request of this version: {e}")),
        };
        let mut payload = Vec::new();
        ciborium::into_writer(&answer, &mut payload).expect("answers encode");
        if let Err(error) = client.publish(reply, payload.into()).await {
            tracing::warn!(%error, "an alert action's answer was not sent");
        }
    }
}

async fn apply(state: &AppState, request: Request) -> Answer {
    let alerts = &state.alerts;
    let applied = match request {
        Request::Act {
            alert,
            action,
            body,
            user,
        } => {
            let Some(action) = Action::parse(&action) else {
                return refused(400, format!("no alert action {action:?}"));
            };
            let Ok(id) = FeatureId::try_from(alert) else {
                return refused(400, format!("no alert id {alert}"));
            };
            alerts.act(id, action, body, &user).await
        }
        Request::Tip {
            location,
            text,
            reporter,
            t,
            town,
        } => alerts.tip(location, &text, reporter, t, town).await,
        Request::Write { write, user } => {
            return match state.apply_command(&user, write).await {
                Ok(written) => Answer::Wrote(written),
                Err(error) => refusal(&error),
            };
        }
    };
    match applied {
        Ok(alert) => Answer::Done(alert_json(&alert)),
        Err(error) => refusal(&error),
    }
}

fn refusal(error: &AppError) -> Answer {
    let message = match error {
        AppError::Unavailable(reason) => reason.clone(),
        other => other.to_string(),
    };
    refused(error.status().as_u16(), message)
}

fn refused(status: u16, message: String) -> Answer {
    Answer::Refused { status, message }
}
