//! HTTP resources, one module each with its own `router()`.

pub mod alerts;
pub mod command;
pub mod coverage;
pub mod features;
pub mod ingest;
pub mod ogc;
pub mod system;
pub mod tiles;
pub mod watchlist;
pub mod web;
