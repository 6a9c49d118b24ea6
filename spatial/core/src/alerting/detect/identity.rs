//! `identity_anomaly`: the [`IdentityFlag`]s the AIS core raises for a vessel (`bad_imo`,
//! `empty_name`, `impossible_speed`, `mmsi_format`, `no_static_report`, `unknown_mid`) and
//! those a camera raises from what it reads on the hull (`name_mismatch`, `no_visible_name`:
//! see `marking.rs`), with their facts in the evidence.
//!
//! One episode per vessel: it opens with the first flag and is updated as new flags appear.
//! It never closes: an identity problem does not end by itself.

use serde_json::{Map, Value};

use super::{Env, Who, evidence};
use crate::alerting::{AlertEvent, Phase, Sample};
use crate::model::{AlertKind, IdentityFlag};

/// The flags already reported for one vessel.
#[derive(Debug, Default)]
pub(super) struct Identity {
    /// Sorted, without duplicates; empty until the episode opens.
    flags: Vec<IdentityFlag>,
}

impl Identity {
    /// Takes in the vessel's flags at `fix`.
    pub(super) fn observe(
        &mut self,
        env: Env,
        who: &Who,
        fix: &Sample,
        flags: &[IdentityFlag],
        out: &mut Vec<AlertEvent>,
    ) {
        self.observe_with(env, who, fix, flags, Map::new(), out);
    }

    /// Takes in flags with facts about them (`facts` join the evidence when a flag is new).
    pub(super) fn observe_with(
        &mut self,
        env: Env,
        who: &Who,
        fix: &Sample,
        flags: &[IdentityFlag],
        facts: Map<String, Value>,
        out: &mut Vec<AlertEvent>,
    ) {
        let first = self.flags.is_empty();
        let mut added = false;
        for flag in flags {
            if let Err(at) = self.flags.binary_search(flag) {
                self.flags.insert(at, *flag);
                added = true;
            }
        }
        if !added {
            return;
        }
        let phase = if first { Phase::Open } else { Phase::Update };
        let flags = Value::from_iter(self.flags.iter().map(|flag| flag.as_str()));
        let mut evidence = evidence([("flags", flags)]);
        evidence.extend(facts);
        out.push(
            who.episode(
                AlertKind::IdentityAnomaly,
                env.config.severity.identity_anomaly,
            )
            .event(env.ctx, phase, fix.t, fix.lonlat(), evidence),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::alerting::Phase;
    use crate::model::{AlertKind, IdentityFlag};
    use IdentityFlag::{EmptyName, ImpossibleSpeed, UnknownMid};

    #[test]
    fn opens_once_updates_on_new_flags_and_never_closes() {
        let mut run = Run::new();
        run.named_vessel(A, "", 0.0, SEA, 5.0, &[]);
        assert!(run.out.is_empty(), "no flags, no alert");
        run.named_vessel(A, "", 1.0, SEA, 5.0, &[UnknownMid]);
        run.named_vessel(A, "", 2.0, SEA, 5.0, &[UnknownMid]);
        run.named_vessel(A, "", 3.0, SEA, 5.0, &[UnknownMid, EmptyName, EmptyName]);
        run.named_vessel(A, "", 4.0, SEA, 5.0, &[EmptyName]);
        // an out-of-order sample brings nothing, even with a new flag
        run.named_vessel(A, "", 3.5, SEA, 5.0, &[ImpossibleSpeed]);
        run.tick(600.0);
        run.vessel(A, 700.0, SEA, 5.0);

        let events = run.events(AlertKind::IdentityAnomaly);
        let phases: Vec<_> = events.iter().map(|e| e.phase).collect();
        assert_eq!(phases, [Phase::Open, Phase::Update]);
        assert_eq!(events[0].t, minutes(1.0));
        assert_eq!(
            events[0].evidence["flags"],
            serde_json::json!(["unknown_mid"])
        );
        assert_eq!(
            events[1].evidence["flags"],
            serde_json::json!(["empty_name", "unknown_mid"])
        );
    }

    /// Every flag the AIS core can raise is one the detector reports, under its own name:
    /// the AIS core, the engine and the detector share the [`IdentityFlag`] enum, so a flag
    /// unknown to the detector cannot be written.
    #[test]
    fn every_identity_flag_is_reported_by_name() {
        for (minute, flag) in IdentityFlag::ALL.into_iter().enumerate() {
            let mut run = Run::new();
            run.named_vessel(A, "", minute as f64, SEA, 5.0, &[flag]);
            let events = run.events(AlertKind::IdentityAnomaly);
            assert_eq!(events.len(), 1, "{flag:?}");
            assert_eq!(
                events[0].evidence["flags"],
                serde_json::json!([flag.as_str()])
            );
        }
    }
}
