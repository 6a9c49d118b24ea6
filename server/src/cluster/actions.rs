//! Dispatchers' actions on alerts (acknowledge, assign, resolve) and new tips are applied by
//! the leading core: its alert book holds the open episodes and numbers new alerts, and it is
//! the one writer of alerts, so an action taken on any node cannot be overwritten by the next
//! update of its episode, nor two nodes give one number to two alerts. A node sends the
//! request on `coastwatch.core.actions`; the leader applies it as the single process does and
//! answers with the alert, or with the refusal's status and message. With no core leading,
//! the request is refused with 503 and may be sent again.

use std::time::Duration;

use coastwatch_core::alerting::book::{Action, ActionBody, alert_json};
use coastwatch_core::command::Scope;
use coastwatch_core::model::FeatureId;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Cluster;
use crate::alerts::Alerts;
use crate::auth::{Role, User};
use crate::error::AppError;

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
        user: String,
        roles: Vec<Role>,
        scope: Scope,
    },
    /// A tip: a new alert.
    Tip {
        location: [f64; 2],
        text: String,
        reporter: Option<String>,
        t: f64,
        town: Option<String>,
    },
}

/// The leader's answer: the alert as the API shows it, or why not.
#[derive(Debug, Serialize, Deserialize)]
enum Answer {
    Done(Value),
    Refused { status: u16, message: String },
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
            user: user.name.clone(),
            roles: user.roles.clone(),
            scope: user.scope.clone(),
        })
        .await
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
        .await
    }

    async fn ask(&self, request: Request) -> Result<Value, AppError> {
        let payload = serde_json::to_vec(&request).expect("requests encode");
        let client = self.js.client();
        let asked = client.request(ACTIONS, payload.into());
        let answer = tokio::time::timeout(ANSWER_TIMEOUT, asked)
            .await
            .map_err(|_| AppError::Unavailable("no core answered in time".into()))?
            .map_err(|e| AppError::Unavailable(format!("no core leads now: {e}")))?;
        match serde_json::from_slice(&answer.payload) {
            Ok(Answer::Done(alert)) => Ok(alert),
            Ok(Answer::Refused { status, message }) => Err(match status {
                400 => AppError::bad_request(message),
                403 => AppError::Forbidden(message),
                404 => AppError::NotFound(message),
                409 => AppError::Conflict(message),
                503 => AppError::Unavailable(message),
                _ => AppError::Internal(message),
            }),
            Err(e) => Err(AppError::Internal(format!("the core's answer: {e}"))),
        }
    }
}

/// The leader's side: applies every action asked on [`ACTIONS`] until dropped.
pub(crate) async fn answer_actions(cluster: Cluster, alerts: Alerts) {
    let client = cluster.js.client();
    let mut requests = match client.queue_subscribe(ACTIONS, "core".into()).await {
        Ok(requests) => requests,
        Err(error) => return tracing::error!(%error, "alert actions cannot be taken"),
    };
    while let Some(message) = requests.next().await {
        let Some(reply) = message.reply.clone() else {
            continue;
        };
        let answer = match serde_json::from_slice::<Request>(&message.payload) {
            Ok(request) => apply(&alerts, request).await,
            Err(e) => refused(400, format!("not an alert action or tip: {e}")),
        };
        let payload = serde_json::to_vec(&answer).expect("answers encode");
        if let Err(error) = client.publish(reply, payload.into()).await {
            tracing::warn!(%error, "an alert action's answer was not sent");
        }
    }
}

async fn apply(alerts: &Alerts, request: Request) -> Answer {
    let applied = match request {
        Request::Act {
            alert,
            action,
            body,
            user,
            roles,
            scope,
        } => {
            let Some(action) = Action::parse(&action) else {
                return refused(400, format!("no alert action {action:?}"));
            };
            let Ok(id) = FeatureId::try_from(alert) else {
                return refused(400, format!("no alert id {alert}"));
            };
            let user = User {
                name: user,
                roles,
                scope,
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
    };
    match applied {
        Ok(alert) => Answer::Done(alert_json(&alert)),
        Err(error) => {
            let message = match &error {
                AppError::Unavailable(reason) => reason.clone(),
                other => other.to_string(),
            };
            refused(error.status().as_u16(), message)
        }
    }
}

fn refused(status: u16, message: String) -> Answer {
    Answer::Refused { status, message }
}
