//! `identity_anomaly`: the identity flags the AIS core raises for a vessel (`mmsi_format`,
//! `unknown_mid`, `no_static_report`, `bad_name`, `bad_imo`, `speed_jump`).
//!
//! One episode per vessel: it opens with the first flag and is updated as new flags appear.
//! It never closes: an identity problem does not end by itself.

use serde_json::Value;

use super::{Env, Who, evidence};
use crate::alerting::{AlertEvent, Phase, Sample};
use crate::model::AlertKind;

/// The flags already reported for one vessel.
#[derive(Debug, Default)]
pub(super) struct Identity {
    /// Sorted, without duplicates; empty until the episode opens.
    flags: Vec<String>,
}

impl Identity {
    /// Takes in the vessel's flags at `fix`.
    pub(super) fn observe(
        &mut self,
        env: Env,
        who: &Who,
        fix: &Sample,
        flags: &[String],
        out: &mut Vec<AlertEvent>,
    ) {
        let first = self.flags.is_empty();
        let mut added = false;
        for flag in flags {
            if let Err(at) = self.flags.binary_search(flag) {
                self.flags.insert(at, flag.clone());
                added = true;
            }
        }
        if !added {
            return;
        }
        let phase = if first { Phase::Open } else { Phase::Update };
        let flags = Value::from(self.flags.clone());
        out.push(
            who.episode(
                AlertKind::IdentityAnomaly,
                env.config.severity.identity_anomaly,
            )
            .event(
                env.ctx,
                phase,
                fix.t,
                fix.lonlat(),
                evidence([("flags", flags)]),
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::alerting::Phase;
    use crate::model::AlertKind;

    #[test]
    fn opens_once_updates_on_new_flags_and_never_closes() {
        let mut run = Run::new();
        run.named_vessel(A, "", 0.0, SEA, 5.0, &[]);
        assert!(run.out.is_empty(), "no flags, no alert");
        run.named_vessel(A, "", 1.0, SEA, 5.0, &["unknown_mid"]);
        run.named_vessel(A, "", 2.0, SEA, 5.0, &["unknown_mid"]);
        run.named_vessel(
            A,
            "",
            3.0,
            SEA,
            5.0,
            &["unknown_mid", "bad_name", "bad_name"],
        );
        run.named_vessel(A, "", 4.0, SEA, 5.0, &["bad_name"]);
        // an out-of-order sample brings nothing, even with a new flag
        run.named_vessel(A, "", 3.5, SEA, 5.0, &["speed_jump"]);
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
            serde_json::json!(["bad_name", "unknown_mid"])
        );
    }
}
