//! Tracking metrics: tracker output scored against ground truth, both as MOTChallenge files.

pub mod assign;

pub use assign::min_cost_assignment;
