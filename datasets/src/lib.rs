//! AIS decoding, file importers and the demo scenario for coastwatch.

pub mod ais;
