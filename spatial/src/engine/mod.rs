//! The in-memory spatial engine: the hot path (latest positions, recent tracks) that
//! detectors and live layers read. It is rebuilt from the store at start.

mod vessels;

pub use vessels::{Applied, Fix, VesselEngine, VesselInfo, VesselState, VesselUpdate};
