//! The in-memory spatial engine: the hot path (latest positions, recent tracks) that
//! detectors and live layers read. It is rebuilt from the store at start.

mod camera_tracks;
mod track;
mod vehicles;
mod vessels;

pub use camera_tracks::{
    AisCandidate, CameraObservation, CameraTrackEngine, CameraTrackState, MatchGate, Reading,
};
pub use track::Track;
pub use vehicles::{CheckedFix, FixRefused, InvalidFix, VehicleEngine, VehicleFix, VehicleState};
pub use vessels::{Applied, Fix, VesselEngine, VesselInfo, VesselState, VesselUpdate};
