//! HTTP resources, one module each with its own `router()`.

pub mod features;
pub mod ingest;
pub mod ogc;
pub mod system;
pub mod tiles;
