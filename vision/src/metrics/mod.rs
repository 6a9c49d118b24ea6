//! Tracking metrics: tracker output scored against ground truth, both as MOTChallenge files.

pub mod assign;
mod motfile;

pub use assign::min_cost_assignment;
pub use motfile::{MotError, MotProblem, MotRecord, Sequence, write_mot};
