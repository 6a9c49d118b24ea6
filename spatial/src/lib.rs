//! The domain model, stores, in-memory engine, alerting and coverage of coastwatch.
//!
//! - [`layer`]: the layers, their geometry types and attribute schemas.
//! - [`model`]: typed records with validated values; geofence rules as data.
//! - [`Feature`]: a feature of any layer, validated by [`Layer::validate`].
//! - [`engine`]: the in-memory picture of vessels (and later vehicles and camera tracks).
//! - [`alerting`]: fences, behaviour detectors and the alert events they emit.
//! - [`coverage`]: camera models, line of sight, coverage products and new-site suggestions.
//! - [`geodesy`]: distances in metres and a local metric frame.
//! - [`store`]: the [`Store`](store::Store) trait with GeoPackage and PostGIS backends.
//! - [`rng`]: a small seeded random generator for scenarios, synthetic data and benches.

pub mod alerting;
pub mod coverage;
pub mod engine;
mod error;
mod feature;
pub mod geodesy;
pub mod layer;
pub mod model;
pub mod rng;
pub mod samples;
pub mod store;

pub use error::{ModelError, StoreError, StoreResult};
pub use feature::{BodyError, Feature};
pub use layer::Layer;
