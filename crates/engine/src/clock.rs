//! Where "now" comes from, and which clock a node starts on.
//!
//! A database says which clock it runs on: one that holds a simulated clock (the
//! `simulated_clock` row) runs on it, on every node, until an operator moves it to the
//! machine's clock (`tenure serve --clock system`), which forgets the row. A node reads the
//! row at start and every quarter second after ([`Clock::follow`]), so nodes that share a
//! database share its clock. Whatever the clock, a node never starts behind what the
//! database already holds: the log would go back in time.

use std::sync::{Arc, Mutex};

use jiff::{SignedDuration, Timestamp};

/// Where "now" comes from. Read once per use case, then passed down: the core never reads it.
/// Shared by everything one engine runs, and switched as a whole when the database's clock
/// changes (see [`Clock::follow`]).
#[derive(Clone, Debug)]
pub struct Clock(Arc<Mutex<Source>>);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    System,
    /// Starts at a given time and moves only when told to ([`crate::scheduler`]'s
    /// `advance_to`). `kept`: this node has seen its time kept in the database, so the row's
    /// disappearance means the database moved to the system clock (and not, as for an engine
    /// that never kept it, that there is nothing kept yet).
    Simulated {
        now: Timestamp,
        kept: bool,
    },
}

/// What following the database's clock changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Followed {
    Nothing,
    /// Another node moved the database to the system clock.
    ToSystem {
        from: Timestamp,
    },
    /// Another node started a simulated clock on the database.
    ToSimulated {
        at: Timestamp,
    },
}

impl Clock {
    /// The machine's clock.
    pub fn system() -> Clock {
        Clock(Arc::new(Mutex::new(Source::System)))
    }

    pub fn simulated(start: Timestamp) -> Clock {
        Clock(Arc::new(Mutex::new(Source::Simulated {
            now: start,
            kept: false,
        })))
    }

    pub fn now(&self) -> Timestamp {
        match *self.0.lock().expect("clock lock") {
            Source::System => machine_now(),
            Source::Simulated { now, .. } => now,
        }
    }

    pub fn is_simulated(&self) -> bool {
        matches!(
            *self.0.lock().expect("clock lock"),
            Source::Simulated { .. }
        )
    }

    /// Moves a simulated clock forward to `to` (never backwards). Does nothing on the system clock.
    pub(crate) fn set(&self, to: Timestamp) {
        if let Source::Simulated { now, .. } = &mut *self.0.lock().expect("clock lock") {
            if to > *now {
                *now = to;
            }
        }
    }

    /// Follows the database's clock: `kept` is the simulated clock's time it holds, if any.
    /// A kept time moves a simulated clock forward to it (never back) and turns a system
    /// clock simulated (another node started one); no kept time, where this clock had seen
    /// one, turns it to the system clock (another node started with `--clock system`, which
    /// checked the machine's time is not before the kept one).
    pub(crate) fn follow(&self, kept: Option<Timestamp>) -> Followed {
        let mut source = self.0.lock().expect("clock lock");
        match (*source, kept) {
            (Source::Simulated { now, .. }, Some(at)) => {
                *source = Source::Simulated {
                    now: now.max(at),
                    kept: true,
                };
                Followed::Nothing
            }
            (Source::System, Some(at)) => {
                *source = Source::Simulated {
                    now: at,
                    kept: true,
                };
                Followed::ToSimulated { at }
            }
            (Source::Simulated { now, kept: true }, None) => {
                *source = Source::System;
                Followed::ToSystem { from: now }
            }
            (Source::Simulated { kept: false, .. } | Source::System, None) => Followed::Nothing,
        }
    }
}

/// The machine's time, in whole seconds: the precision stored, so a value read back equals
/// the one written.
pub fn machine_now() -> Timestamp {
    Timestamp::from_second(Timestamp::now().as_second()).expect("now is representable")
}

/// The clock an operator asks `tenure serve` for (`--clock`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ClockChoice {
    /// The database's: its simulated clock if it holds one (or `--simulated-clock` starts
    /// one), else the machine's.
    #[default]
    Database,
    /// The machine's clock. On a database holding a simulated clock this moves it to the
    /// machine's clock for good (the kept time is forgotten), refused while the machine's
    /// time is before the kept time.
    System,
    /// A simulated clock: the one the database holds, or one started at `--simulated-clock`;
    /// refused when there is neither.
    Simulated,
}

/// A node's clock may start this far behind the latest time the database holds, no further:
/// machines' clocks on one database differ by a little, and a write dated a few seconds
/// before the one committed last reads in order in every list (they are ordered by their
/// sequence, not their time). More than this is a clock set wrong, or a database that ran on
/// a later (simulated) clock.
pub const MAX_BEHIND_LATEST_WRITE: SignedDuration = SignedDuration::from_secs(60);

/// What a node knows at start about its database and machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StartFacts {
    /// The simulated clock's time the database holds, if it holds one.
    pub kept: Option<Timestamp>,
    /// The latest time recorded in the database (see `tenure_store::simulated_clock::latest_write`).
    pub latest_write: Option<Timestamp>,
    pub machine_now: Timestamp,
}

impl StartFacts {
    /// Reads them: the kept time and the latest write from one connection, then the machine's time.
    pub async fn read(store: &tenure_store::Store) -> Result<StartFacts, crate::EngineError> {
        let mut connection = store.read().await?;
        let kept = tenure_store::simulated_clock::read(&mut connection).await?;
        let latest_write = tenure_store::simulated_clock::latest_write(&mut connection).await?;
        Ok(StartFacts {
            kept,
            latest_write,
            machine_now: machine_now(),
        })
    }
}

/// The clock a node starts on, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClockStart {
    /// `Some`: a simulated clock at this time (kept in the database at start); `None`: the
    /// machine's clock.
    pub simulated_at: Option<Timestamp>,
    /// The database's kept simulated clock is to be forgotten: it moves to the system clock.
    pub forget_kept: bool,
    /// Why, in words, for the start-up line.
    pub why: String,
}

impl ClockStart {
    /// The start-up line: which clock, at what time, and why.
    pub fn describe(&self, machine_now: Timestamp) -> String {
        match self.simulated_at {
            Some(at) => format!("clock: simulated, at {at} ({})", self.why),
            None => format!("clock: system, at {machine_now} ({})", self.why),
        }
    }
}

/// Why a node may not start on the clock asked for: a sentence naming both times.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ClockRefused(pub String);

/// Decides the clock a node starts on (pure: every fact is given). `start` is
/// `--simulated-clock`'s time, if given (it implies [`ClockChoice::Simulated`] unless the
/// choice is [`ClockChoice::System`], which the command line refuses beside it).
pub fn choose_start(
    choice: ClockChoice,
    start: Option<Timestamp>,
    facts: StartFacts,
) -> Result<ClockStart, ClockRefused> {
    let chosen = match (choice, start, facts.kept) {
        (ClockChoice::System, Some(start), _) => {
            return Err(ClockRefused(format!(
                "--clock system and --simulated-clock {start} ask for two clocks: give one"
            )))
        }
        (ClockChoice::System, None, Some(kept)) if facts.machine_now < kept => {
            return Err(ClockRefused(format!(
                "--clock system refused: the machine's time, {}, is before this database's simulated clock, {kept}: \
                 what this node wrote would be dated before what the database holds. Start with --clock system once the machine's time is past \
                 {kept}, or go on with the simulated clock (start without --clock system)",
                facts.machine_now
            )))
        }
        (ClockChoice::System, None, Some(kept)) => ClockStart {
            simulated_at: None,
            forget_kept: true,
            why: format!(
                "--clock system: this database leaves its simulated clock, at {kept}, for the machine's, for good"
            ),
        },
        (ClockChoice::System, None, None) => ClockStart {
            simulated_at: None,
            forget_kept: false,
            why: "--clock system".to_string(),
        },
        (_, Some(start), Some(kept)) if kept > start => ClockStart {
            simulated_at: Some(kept),
            forget_kept: false,
            why: format!(
                "resumed: this database's simulated clock, at {kept}, is later than --simulated-clock {start}"
            ),
        },
        // A database that runs on the machine's clock and holds writes is someone's live
        // data: a stray --simulated-clock would move every node on it to a made-up time, so
        // it takes an explicit --clock simulated.
        (ClockChoice::Database, Some(start), None) if facts.latest_write.is_some() => {
            return Err(ClockRefused(format!(
                "--simulated-clock {start} refused: this database runs on the machine's clock and \
                 holds writes, and a simulated clock would move every node on it; add --clock \
                 simulated to mean it"
            )))
        }
        (_, Some(start), _) => ClockStart {
            simulated_at: Some(start),
            forget_kept: false,
            why: format!("--simulated-clock {start}"),
        },
        (_, None, Some(kept)) => ClockStart {
            simulated_at: Some(kept),
            forget_kept: false,
            why: format!(
                "resumed: this database holds a simulated clock, at {kept}; `--clock system` moves it to the machine's clock"
            ),
        },
        (ClockChoice::Simulated, None, None) => {
            return Err(ClockRefused(
                "--clock simulated: this database holds no simulated clock; give --simulated-clock START to start one"
                    .to_string(),
            ))
        }
        (ClockChoice::Database, None, None) => ClockStart {
            simulated_at: None,
            forget_kept: false,
            why: "this database holds no simulated clock".to_string(),
        },
    };
    let now = chosen.simulated_at.unwrap_or(facts.machine_now);
    if let Some(latest) = facts.latest_write {
        if now + MAX_BEHIND_LATEST_WRITE < latest {
            let (clock, remedy) = match chosen.simulated_at {
                Some(_) => (
                    "the simulated clock's time",
                    "give a later --simulated-clock",
                ),
                None => (
                    "the machine's time",
                    "set the machine's clock right, or start on a simulated clock (--simulated-clock) at or after that time",
                ),
            };
            return Err(ClockRefused(format!(
                "refusing to start: {clock}, {now}, is more than {} seconds behind the latest time this database holds, {latest}; \
                 what this node wrote would be dated before it: {remedy}",
                MAX_BEHIND_LATEST_WRITE.as_secs()
            )));
        }
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn facts(kept: Option<&str>, latest: Option<&str>, machine: &str) -> StartFacts {
        StartFacts {
            kept: kept.map(at),
            latest_write: latest.map(at),
            machine_now: at(machine),
        }
    }

    const MACHINE: &str = "2026-12-07T12:00:00Z";
    const LATER: &str = "2027-06-01T00:00:00Z";

    #[test]
    fn a_kept_clock_is_resumed_with_or_without_the_flag() {
        let kept = facts(Some(LATER), Some(LATER), MACHINE);
        for (choice, start) in [
            (ClockChoice::Database, None),
            (ClockChoice::Simulated, None),
            (ClockChoice::Database, Some(at("2026-01-01T00:00:00Z"))),
        ] {
            let chosen = choose_start(choice, start, kept).unwrap();
            assert_eq!(chosen.simulated_at, Some(at(LATER)), "{choice:?} {start:?}");
            assert!(!chosen.forget_kept);
            assert!(chosen.why.starts_with("resumed"), "{}", chosen.why);
        }
        let later = at("2028-01-01T00:00:00Z");
        let chosen = choose_start(ClockChoice::Database, Some(later), kept).unwrap();
        assert_eq!(chosen.simulated_at, Some(later));
    }

    #[test]
    fn the_system_clock_is_refused_while_the_machine_is_before_the_kept_time() {
        let refused =
            choose_start(ClockChoice::System, None, facts(Some(LATER), None, MACHINE)).unwrap_err();
        assert!(refused.0.contains(MACHINE), "{refused}");
        assert!(refused.0.contains(LATER), "{refused}");
        let moved = choose_start(
            ClockChoice::System,
            None,
            facts(
                Some("2026-06-01T00:00:00Z"),
                Some("2026-06-01T00:00:00Z"),
                MACHINE,
            ),
        )
        .unwrap();
        assert_eq!(moved.simulated_at, None);
        assert!(moved.forget_kept);
    }

    #[test]
    fn no_clock_starts_more_than_a_minute_behind_the_latest_write() {
        let ahead = "2026-12-07T12:01:01Z";
        for choice in [ClockChoice::Database, ClockChoice::System] {
            let refused =
                choose_start(choice, None, facts(None, Some(ahead), MACHINE)).unwrap_err();
            assert!(
                refused.0.contains(MACHINE) && refused.0.contains(ahead),
                "{refused}"
            );
        }
        let within = choose_start(
            ClockChoice::Database,
            None,
            facts(None, Some("2026-12-07T12:01:00Z"), MACHINE),
        )
        .unwrap();
        assert_eq!(within.simulated_at, None);
        let refused = choose_start(
            ClockChoice::Simulated,
            Some(at("2026-01-01T00:00:00Z")),
            facts(None, Some(MACHINE), MACHINE),
        )
        .unwrap_err();
        assert!(refused.0.contains("later --simulated-clock"), "{refused}");
    }

    #[test]
    fn live_data_on_the_machines_clock_takes_a_simulated_clock_only_when_asked_plainly() {
        let live = facts(None, Some(MACHINE), MACHINE);
        let start = Some(at(LATER));
        let refused = choose_start(ClockChoice::Database, start, live).unwrap_err();
        assert!(refused.0.contains("--clock simulated"), "{refused}");
        let asked = choose_start(ClockChoice::Simulated, start, live).unwrap();
        assert_eq!(asked.simulated_at, Some(at(LATER)));
        // An empty database starts one with the flag alone.
        let empty = choose_start(ClockChoice::Database, start, facts(None, None, MACHINE));
        assert_eq!(empty.unwrap().simulated_at, Some(at(LATER)));
    }

    #[test]
    fn a_simulated_clock_needs_one_kept_or_a_start() {
        assert!(choose_start(ClockChoice::Simulated, None, facts(None, None, MACHINE)).is_err());
        assert!(choose_start(
            ClockChoice::System,
            Some(at(MACHINE)),
            facts(None, None, MACHINE)
        )
        .is_err());
        let system = choose_start(ClockChoice::Database, None, facts(None, None, MACHINE)).unwrap();
        assert_eq!(system.simulated_at, None);
        assert!(!system.forget_kept);
    }

    #[test]
    fn a_clock_follows_the_database() {
        let clock = Clock::simulated(at("2026-01-01T00:00:00Z"));
        // Nothing kept yet (an engine that never kept its time): it stays simulated.
        assert_eq!(clock.follow(None), Followed::Nothing);
        assert!(clock.is_simulated());
        assert_eq!(clock.follow(Some(at(LATER))), Followed::Nothing);
        assert_eq!(clock.now(), at(LATER));
        assert_eq!(clock.follow(None), Followed::ToSystem { from: at(LATER) });
        assert!(!clock.is_simulated());
        assert_eq!(
            clock.follow(Some(at(LATER))),
            Followed::ToSimulated { at: at(LATER) }
        );
        assert_eq!(clock.now(), at(LATER));
    }
}
