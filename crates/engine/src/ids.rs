use std::sync::atomic::{AtomicU64, Ordering};

use rand::Rng;

/// Makes ids such as `inst_0191d2c3a4b5c6d7e8f9`: a prefix naming the kind of thing, then
/// hexadecimal that sorts by creation time, so lists ordered by id are ordered by age.
#[derive(Debug)]
pub enum Ids {
    /// Milliseconds of real time, a per-process counter and random bits: unique across nodes.
    Random(AtomicU64),
    /// A plain counter: the same scenario always gives the same ids (`tenure simulate`).
    Sequential(AtomicU64),
}

impl Ids {
    pub fn random() -> Ids {
        Ids::Random(AtomicU64::new(0))
    }

    pub fn sequential() -> Ids {
        Ids::Sequential(AtomicU64::new(0))
    }

    pub fn next(&self, prefix: &str) -> String {
        match self {
            Ids::Random(counter) => {
                let millis = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .expect("after 1970")
                    .as_millis() as u64;
                let count = counter.fetch_add(1, Ordering::Relaxed) & 0xffff;
                let random: u32 = rand::thread_rng().gen();
                format!("{prefix}_{millis:011x}{count:04x}{random:08x}")
            }
            Ids::Sequential(counter) => {
                let count = counter.fetch_add(1, Ordering::Relaxed) + 1;
                format!("{prefix}_{count:06}")
            }
        }
    }
}
