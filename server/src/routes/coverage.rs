//! Coverage planning over HTTP: `GET /api/v1/coverage` (the report of the stored cameras,
//! as `coverage.json` without suggestions) and `POST /api/v1/coverage/suggest` (new camera
//! sites, role `planner`).
//!
//! Both read the cameras, risk points, coastline and areas from the store on every request
//! and compute on a blocking thread with flat terrain. The report is a pure function of
//! those features and the parameters, so it is cached by a hash of them: an unchanged
//! store answers from the cache, any edit of those layers misses it.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex};

use axum::extract::{Query as QueryParams, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use coastwatch_core::Layer;
use coastwatch_coverage::report::{CoverageReport, Parameters, RANGE_SCALES};
use coastwatch_coverage::{
    Analysis, CameraTemplate, CandidateSites, CoverageOptions, FlatTerrain, Scene, SuggestOptions,
};
use coastwatch_store::Query;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::{Caller, Role};
use crate::coverage::CoverageCommandError;
use crate::error::AppError;
use crate::extract::{BodyKind, BodyLimit, json_body, typed};
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/coverage", get(report))
        .route("/api/v1/coverage/suggest", post(suggest))
}

/// Reports kept, newest last.
const CACHE_SIZE: usize = 4;

/// Recent reports by the hash of their inputs.
static CACHE: Mutex<Vec<(u64, Arc<Value>)>> = Mutex::new(Vec::new());

fn cached(key: u64) -> Option<Arc<Value>> {
    let cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    cache
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.clone())
}

fn remember(key: u64, value: Arc<Value>) {
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    cache.retain(|(k, _)| *k != key);
    if cache.len() >= CACHE_SIZE {
        cache.remove(0);
    }
    cache.push((key, value));
}

/// Reads the input layers, and a hash of them.
async fn read_scene(state: &AppState) -> Result<(Scene, u64), AppError> {
    let all = Query::default();
    let mut hasher = DefaultHasher::new();
    let mut layers = Vec::with_capacity(4);
    for layer in [
        Layer::Cameras,
        Layer::RiskPoints,
        Layer::Coastline,
        Layer::Areas,
    ] {
        let features = state.store.query(layer, &all).await?;
        layer.hash(&mut hasher);
        for feature in &features {
            format!("{feature:?}").hash(&mut hasher);
        }
        layers.push(features);
    }
    let scene = Scene::from_features(&layers[0], &layers[1], &layers[2], &layers[3])
        .map_err(CoverageCommandError::from)?;
    Ok((scene, hasher.finish()))
}

/// Runs `work` on a blocking thread.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, CoverageCommandError> + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AppError::Internal(format!("coverage task failed: {e}")))?
        .map_err(AppError::from)
}

/// Parameters of the report.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportParams {
    /// H3 resolution of the coverage map (default 10).
    h3_res: Option<u8>,
    /// Accepted (and ignored) so that a page can send its token the same way everywhere.
    access_token: Option<String>,
}

fn resolution(h3_res: Option<u8>) -> Result<h3o::Resolution, AppError> {
    let value = h3_res.unwrap_or(10);
    h3o::Resolution::try_from(value)
        .map_err(|_| AppError::bad_request(format!("h3_res {value} must be within 0..=15")))
}

async fn report(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<QueryParams<ReportParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, AppError> {
    let QueryParams(params) = params.map_err(|e| AppError::bad_request(e.body_text()))?;
    match (caller.user(), params.access_token.as_deref()) {
        (None, Some(token)) => state.tokens.caller(token, caller.peer())?.require_read()?,
        _ => caller.require_read()?,
    }
    let options = CoverageOptions {
        h3_res: resolution(params.h3_res)?,
        ..CoverageOptions::default()
    };
    let (scene, inputs) = read_scene(&state).await?;
    let key = {
        let mut hasher = DefaultHasher::new();
        ("report", inputs, u8::from(options.h3_res)).hash(&mut hasher);
        hasher.finish()
    };
    if let Some(value) = cached(key) {
        return Ok(Json(Value::clone(&value)));
    }
    let value = blocking(move || {
        let terrain = FlatTerrain::default();
        let analysis = Analysis::new(&scene, &terrain, options)?;
        let products = analysis.products();
        let report = CoverageReport::new(
            Parameters::new(&options, "flat (curved earth)", None),
            &products,
            None,
            analysis.range_curve(&RANGE_SCALES),
        );
        Ok(serde_json::to_value(report).expect("the report serializes"))
    })
    .await?;
    let value = Arc::new(value);
    remember(key, value.clone());
    Ok(Json(Value::clone(&value)))
}

/// The camera proposed at every site.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CameraBody {
    height_m: Option<f64>,
    hfov_deg: Option<f64>,
    range_m: Option<f64>,
    near_range_m: Option<f64>,
}

/// Body of `POST /api/v1/coverage/suggest`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SuggestBody {
    /// How many cameras to add (default 5).
    n: Option<usize>,
    /// Candidate sites `[[lon, lat], …]` (default: generated).
    candidates: Option<Vec<[f64; 2]>>,
    /// Spacing of generated sites along the coastline (m).
    spacing_m: Option<f64>,
    /// Step between candidate headings (deg).
    heading_step_deg: Option<f64>,
    /// The camera proposed.
    camera: Option<CameraBody>,
    /// H3 resolution of the sea cells weighed (default 10).
    h3_res: Option<u8>,
}

async fn suggest(
    State(state): State<AppState>,
    caller: Caller,
    request: axum::extract::Request,
) -> Result<Json<Value>, AppError> {
    caller.require(&[Role::Planner])?;
    let limit = BodyLimit::of(&state.config.server, BodyKind::Coverage);
    let body: SuggestBody = typed(json_body(request, limit).await?)?;
    let defaults = SuggestOptions::default();
    let template = body.camera.map_or(defaults.template, |c| CameraTemplate {
        height_m: c.height_m.unwrap_or(defaults.template.height_m),
        hfov_deg: c.hfov_deg.unwrap_or(defaults.template.hfov_deg),
        range_m: c.range_m.unwrap_or(defaults.template.range_m),
        near_range_m: c.near_range_m.unwrap_or(defaults.template.near_range_m),
    });
    let sites = match (body.candidates, body.spacing_m) {
        (Some(sites), _) if sites.is_empty() => {
            return Err(AppError::bad_request("candidates must not be empty"));
        }
        (Some(sites), _) => CandidateSites::Given(sites),
        (None, Some(spacing_m)) => CandidateSites::Generated { spacing_m },
        (None, None) => defaults.sites.clone(),
    };
    let options = SuggestOptions {
        count: body.n.unwrap_or(defaults.count),
        sites,
        template,
        heading_step_deg: body.heading_step_deg.unwrap_or(defaults.heading_step_deg),
        weights: defaults.weights.clone(),
    };
    options.validate().map_err(CoverageCommandError::from)?;
    let coverage = CoverageOptions {
        h3_res: resolution(body.h3_res)?,
        ..CoverageOptions::default()
    };
    let (scene, _) = read_scene(&state).await?;
    let value = blocking(move || {
        let terrain = FlatTerrain::default();
        let analysis = Analysis::new(&scene, &terrain, coverage)?;
        let run = analysis.suggest(&options)?;
        Ok(json!({
            "suggestions": run.suggestions,
            "sites": run.sites,
            "candidates": run.candidates,
            "total_weight": run.total_weight,
            "covered_weight_before": run.covered_weight_before,
            "curve": run.curve,
            "parameters": Parameters::new(&coverage, "flat (curved earth)", Some(&options)),
        }))
    })
    .await?;
    Ok(Json(value))
}
