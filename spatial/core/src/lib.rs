//! The domain core of coastwatch: what every other crate speaks. No I/O, no database, no
//! rendering: stores, coverage planning, codecs and the video core build on it.
//!
//! - [`layer`]: the layers, their geometry types and attribute schemas.
//! - [`model`]: typed records with validated values; geofence rules as data.
//! - [`Feature`]: a feature of any layer, validated by [`Layer::validate`].
//! - [`engine`]: the in-memory picture of vessels (and later vehicles and camera tracks).
//! - [`alerting`]: fences, behaviour detectors and the alert events they emit.
//! - [`command`]: the command platform's rules: scopes, cases, cards and tip rewards.
//! - [`picture`]: the one ingest step (engines, identity flags, monitor).
//! - [`geodesy`]: distances in metres and a local metric frame.
//! - [`georef`]: camera calibration: pixels to the sea surface and back (pose or ground
//!   control points).
//! - [`geojson`]: features written out as GeoJSON.
//! - [`identity`]: the identity checks of a vessel (MMSI and MID, IMO, name, static report,
//!   speed) that raise its [`IdentityFlag`](model::IdentityFlag)s.
//! - [`rng`]: a small seeded random generator for scenarios, synthetic data and benches.

pub mod alerting;
pub mod command;
pub mod engine;
mod error;
mod feature;
pub mod geodesy;
pub mod geojson;
pub mod georef;
pub mod identity;
pub mod layer;
pub mod model;
pub mod picture;
pub mod rng;

pub use error::ModelError;
pub use feature::{BodyError, Feature};
pub use layer::Layer;
