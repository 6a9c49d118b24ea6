//! The coastwatch server: HTTP API, configuration and the command line's building blocks.
//!
//! Only this crate knows HTTP and reads configuration; the libraries below it (the domain
//! core, stores, coverage, tiles, the AIS codec, importers and scenario) do not.

pub mod alerts;
mod app;
pub mod auth;
pub mod cameras;
pub mod clock;
pub mod cluster;
pub mod command;
pub mod config;
mod cors;
pub mod coverage;
pub mod demo;
pub mod error;
mod extract;
pub mod feeds;
pub mod filming;
pub mod http;
pub mod ingest;
pub mod jt808;
pub mod live;
pub mod metrics;
mod openapi;
pub mod routes;
mod scorecard;
pub mod state;
pub mod tiles;
pub mod webhooks;
mod write_behind;

pub use app::app;
pub use config::Config;
pub use state::AppState;
