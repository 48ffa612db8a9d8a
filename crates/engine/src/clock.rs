use std::sync::{Arc, Mutex};

use jiff::Timestamp;

/// Where "now" comes from. Read once per use case, then passed down: the core never reads it.
#[derive(Clone, Debug)]
pub enum Clock {
    System,
    /// Starts at a given time and moves only when told to ([`crate::scheduler`]'s `advance_to`).
    Simulated(Arc<Mutex<Timestamp>>),
}

impl Clock {
    pub fn simulated(start: Timestamp) -> Clock {
        Clock::Simulated(Arc::new(Mutex::new(start)))
    }

    pub fn now(&self) -> Timestamp {
        match self {
            // Whole seconds: the precision stored, so a value read back equals the one written.
            Clock::System => {
                Timestamp::from_second(Timestamp::now().as_second()).expect("now is representable")
            }
            Clock::Simulated(time) => *time.lock().expect("clock lock"),
        }
    }

    pub fn is_simulated(&self) -> bool {
        matches!(self, Clock::Simulated(_))
    }

    /// Moves a simulated clock forward to `to` (never backwards). Does nothing on the system clock.
    pub(crate) fn set(&self, to: Timestamp) {
        if let Clock::Simulated(time) = self {
            let mut time = time.lock().expect("clock lock");
            if to > *time {
                *time = to;
            }
        }
    }
}
